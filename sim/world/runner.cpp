#include "sim/world/runner.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "sim/kernel/rng.hpp"
#include "sim/scenario/expectations.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {

namespace fs = std::filesystem;

void ControllerCatalog::add(ControllerFactory f) { factories_.push_back(std::move(f)); }

const ControllerFactory* ControllerCatalog::find(std::string_view name) const {
  for (const auto& f : factories_)
    if (f.name == name) return &f;
  return nullptr;
}

Suite load_suite(const std::vector<std::string>& paths, const ControllerCatalog& catalog,
                 model::Diagnostics& diags) {
  CommandVocabulary vocab;
  for (const auto& f : catalog.all())
    for (const auto& tool : f.tools) {
      auto& verbs = vocab.tools[tool];
      verbs.insert(verbs.end(), f.verbs.begin(), f.verbs.end());
    }
  // kubectl is always there (built into the world).
  vocab.tools["kubectl"];
  Suite suite;
  for (const auto& file : find_scenario_files(paths, diags)) {
    for (auto& sc : load_scenarios(file, diags, vocab)) suite.scenarios.push_back(std::move(sc));
  }
  std::map<std::string, const Scenario*> seen;
  for (const auto& sc : suite.scenarios) {
    auto [it, fresh] = seen.emplace(sc.name, &sc);
    if (!fresh && it->second->file != sc.file)
      diags.error(sc.pos, "duplicate-scenario",
                  fmt::format("scenario `{}` is also defined at {}", sc.name, it->second->pos.str()));
  }
  return suite;
}

std::vector<const Scenario*> select_scenarios(const Suite& suite, const RunOptions& opts) {
  std::vector<const Scenario*> out;
  for (const auto& sc : suite.scenarios) {
    if (!opts.filter.empty() && !glob_match(opts.filter, sc.name)) continue;
    // Stable partition by name: the same scenario lands in the same shard on every machine.
    if (opts.shard_count > 1 && fnv1a64(sc.name) % opts.shard_count != opts.shard_index) continue;
    out.push_back(&sc);
  }
  return out;
}

ScenarioOutcome run_scenario(const Scenario& scenario, const ControllerCatalog& catalog,
                             const RunOptions& opts, unsigned ordinal) {
  ScenarioOutcome out;
  out.name = scenario.name;
  out.file = scenario.file;
  out.seed = opts.seed.value_or(scenario.seed);
  fs::path scratch = opts.scratch_dir.empty() ? fs::temp_directory_path() : fs::path(opts.scratch_dir);
  // Private scratch space; its path never reaches the trace.
  fs::path priv = scratch / fmt::format("rehearse-{}-{}-{:016x}", ::getpid(), ordinal, fnv1a64(scenario.name));
  std::error_code ec;
  fs::remove_all(priv, ec);
  fs::create_directories(priv, ec);
  {
    WorldOptions wo;
    wo.private_dir = priv.string();
    World world(scenario, out.seed, wo);
    model::Diagnostics diags;
    auto step = [&](Result<void> r) {
      if (!r && out.error.empty()) out.error = r.error().message;
      return r.ok();
    };
    bool ok = step(world.setup_repository()) && step(world.setup_cluster()) &&
              step(world.start_controllers(catalog, diags)) && step(world.bootstrap());
    if (!diags.empty()) {
      std::string text = diags.format();
      if (!text.empty() && text.back() == '\n') text.pop_back();
      out.error = text;
      ok = false;
    }
    if (ok) {
      world.schedule_events();
      step(world.run());
    }
    out.events = world.trace().count();
    out.dispatched = world.queue().dispatched();
    out.trace_hash = world.trace().hash_hex();
    out.event_failures = world.event_failures();
    if (out.error.empty()) out.results = evaluate_expectations(scenario, world.history(), world.trace());
    if (opts.keep_trace_lines)
      for (const auto& e : world.trace().entries()) out.trace_lines.push_back(e.line);
  }
  fs::remove_all(priv, ec);
  out.passed = out.error.empty() && out.event_failures.empty() && out.expectations_failed() == 0;
  return out;
}

std::vector<ScenarioOutcome> run_scenarios(const std::vector<const Scenario*>& selected,
                                           const ControllerCatalog& catalog,
                                           const RunOptions& opts,
                                           const std::function<void(size_t, size_t)>& progress) {
  std::vector<ScenarioOutcome> out(selected.size());
  std::atomic<size_t> next{0}, done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= selected.size()) return;
      out[i] = run_scenario(*selected[i], catalog, opts, static_cast<unsigned>(i));
      size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        progress(d, selected.size());
      }
    }
  };
  unsigned jobs = std::max(1u, std::min<unsigned>(opts.jobs, static_cast<unsigned>(selected.size())));
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  return out;
}

}  // namespace rehearse::sim
