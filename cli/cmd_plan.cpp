// `rehearse plan`: what an Argo CD sync would do, in order.
//
// Mode 1 (this file): `--manifests DIR [--live DIR]` plans one sync of DIR against the live
// objects. Mode 2 (`--repo DIR --from REV --to REV`, per Application in a git repository)
// is added by the lead: it renders both revisions and calls the same `plan_one()`/`render_*`
// helpers below. Exit codes: 0 planned, 2 input error (docs/plan.md).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "engine/argocd/sync_plan.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::cli {

namespace {

struct PlanOpts {
  std::string manifests;
  std::string live;
  std::string app = "app";
  std::string ns = "default";
  std::vector<std::string> sync_options;
  bool prune = false;
  std::string tracking = "annotation";
  std::string revision;
  std::string output = "text";
};

nlohmann::json task_json(const argocd::SyncTask& t) {
  nlohmann::json j = {{"phase", std::string(argocd::to_string(t.phase))},
                      {"wave", t.wave},
                      {"kind", t.key.kind},
                      {"group", t.key.group},
                      {"namespace", t.key.ns},
                      {"name", t.key.name},
                      {"operation", std::string(argocd::to_string(t.operation))}};
  if (t.is_hook) {
    j["hook"] = true;
    nlohmann::json pol = nlohmann::json::array();
    for (auto p : t.delete_policies) pol.push_back(std::string(argocd::to_string(p)));
    j["deletePolicies"] = pol;
    if (t.delete_before_creation) j["deleteBeforeCreation"] = true;
  }
  if (t.operation == argocd::TaskOperation::Prune) {
    switch (t.prune) {
      case argocd::PruneDecision::Prune: break;
      case argocd::PruneDecision::SkipRequiresPruning:
        j["pruneSkipped"] = "ignored (requires pruning)";
        break;
      case argocd::PruneDecision::SkipNoPrune: j["pruneSkipped"] = "ignored (no prune)"; break;
      case argocd::PruneDecision::NeedsConfirmation: j["requiresConfirmation"] = true; break;
    }
    if (t.prune_last) j["pruneLast"] = true;
  }
  if (t.operation == argocd::TaskOperation::Update && !t.is_hook) {
    j["modified"] = t.modified;
    if (!t.diff_paths.empty()) j["diff"] = t.diff_paths;
  }
  return j;
}

bool deletes(const argocd::SyncTask& t) {
  return t.prune == argocd::PruneDecision::Prune || t.prune == argocd::PruneDecision::NeedsConfirmation;
}

nlohmann::json plan_json(const argocd::SyncPlan& plan) {
  nlohmann::json tasks = nlohmann::json::array(), fail = nlohmann::json::array(),
                 steps = nlohmann::json::array();
  for (const auto& t : plan.tasks) tasks.push_back(task_json(t));
  for (const auto& t : plan.sync_fail) fail.push_back(task_json(t));
  for (const auto& s : plan.steps) {
    nlohmann::json prune = nlohmann::json::array(), skipped = nlohmann::json::array(),
                   batches = nlohmann::json::array();
    for (size_t i : s.prunes)
      (deletes(plan.tasks[i]) ? prune : skipped).push_back(plan.tasks[i].short_name());
    for (const auto& b : s.apply_batches) {
      nlohmann::json batch = nlohmann::json::array();
      for (size_t i : b) batch.push_back(plan.tasks[i].short_name());
      batches.push_back(batch);
    }
    nlohmann::json step = {{"phase", std::string(argocd::to_string(s.phase))},
                           {"wave", s.wave},
                           {"prune", prune},
                           {"applyBatches", batches}};
    if (!skipped.empty()) step["pruneSkipped"] = skipped;
    steps.push_back(step);
  }
  nlohmann::json out = {{"tasks", tasks}, {"onFailure", fail}, {"steps", steps},
                        {"warnings", plan.warnings}, {"multiStep", plan.multi_step}};
  if (!plan.errors.empty()) out["errors"] = plan.errors;
  return out;
}

std::string plan_text(const argocd::SyncPlan& plan, bool color) {
  const char* red = color ? "\033[31m" : "";
  const char* yellow = color ? "\033[33m" : "";
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::string out;
  auto row = [&](const argocd::SyncTask& t, const char* c) {
    std::string what = t.key.ns.empty() ? t.short_name() : fmt::format("{} ({})", t.short_name(), t.key.ns);
    std::string note;
    if (t.is_hook) note = " [hook]";
    if (t.operation == argocd::TaskOperation::Prune) {
      if (t.prune == argocd::PruneDecision::SkipRequiresPruning) note = " [skipped: requires pruning]";
      if (t.prune == argocd::PruneDecision::SkipNoPrune) note = " [skipped: Prune=false]";
      if (t.prune == argocd::PruneDecision::NeedsConfirmation) note = " [needs confirmation]";
      if (t.prune_last) note += " [PruneLast]";
    } else if (t.operation == argocd::TaskOperation::Update && !t.is_hook && !t.modified) {
      note = " [in sync]";
    }
    out += fmt::format("    {}{:<7}{} {}{}\n", c, argocd::to_string(t.operation), reset, what, note);
  };
  int n = 0;
  for (const auto& s : plan.steps) {
    out += fmt::format("{}step {}: {} wave {}{}\n", bold, ++n, argocd::to_string(s.phase), s.wave, reset);
    for (size_t i : s.prunes) row(plan.tasks[i], deletes(plan.tasks[i]) ? red : "");
    int b = 0;
    for (const auto& batch : s.apply_batches) {
      if (s.apply_batches.size() > 1) out += fmt::format("  batch {}\n", ++b);
      for (size_t i : batch) row(plan.tasks[i], "");
    }
  }
  if (!plan.sync_fail.empty()) {
    out += fmt::format("{}on failure (SyncFail){}\n", bold, reset);
    for (const auto& t : plan.sync_fail) row(t, "");
  }
  if (plan.steps.empty()) out += "nothing to do\n";
  for (const auto& w : plan.warnings) out += fmt::format("{}warning:{} {}\n", yellow, reset, w);
  for (const auto& e : plan.errors) out += fmt::format("{}error:{} {}\n", red, reset, e);
  return out;
}

}  // namespace

void register_plan(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<PlanOpts>();
  auto* cmd = app.add_subcommand("plan", "Show the ordered Argo CD sync (phases, waves, prunes) of manifests");
  cmd->add_option("--manifests", opts->manifests, "Directory (or file) of rendered manifests")->required();
  cmd->add_option("--live", opts->live, "Directory (or file) of live objects");
  cmd->add_option("--app", opts->app, "Application name (for tracking)")->capture_default_str();
  cmd->add_option("--namespace", opts->ns, "Destination namespace")->capture_default_str();
  cmd->add_option("--sync-option", opts->sync_options, "App-level sync option K=V (repeatable)");
  cmd->add_flag("--prune", opts->prune, "Enable pruning");
  cmd->add_option("--tracking", opts->tracking, "annotation|label|annotation+label")->capture_default_str();
  cmd->add_option("--revision", opts->revision, "Sync revision (names unnamed hooks, §2.3)");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!check_output_format(opts->output, "text,json")) {
      ctx.exit_code = kInputError;
      return;
    }
    auto method = argocd::parse_tracking_method(opts->tracking);
    if (!method) {
      std::fprintf(stderr, "rehearse: --tracking must be annotation, label or annotation+label\n");
      ctx.exit_code = kInputError;
      return;
    }
    for (const auto& o : opts->sync_options) {
      if (o.find('=') == std::string::npos) {
        std::fprintf(stderr, "rehearse: --sync-option must be K=V, not \"%s\"\n", o.c_str());
        ctx.exit_code = kInputError;
        return;
      }
    }
    model::Diagnostics diags;
    std::vector<model::Object> desired = model::load_manifests(opts->manifests, diags);
    std::vector<model::Object> live;
    if (!opts->live.empty()) live = model::load_manifests(opts->live, diags);
    if (diags.has_errors()) {
      std::fputs(diags.format().c_str(), stderr);
      ctx.exit_code = kInputError;
      return;
    }
    argocd::SyncSettings s;
    s.app_name = opts->app;
    s.dest_namespace = opts->ns;
    s.prune = opts->prune;
    s.sync_options = opts->sync_options;
    s.tracking = *method;
    // No operation is running: hook names use --revision and start time 0.
    s.revision = opts->revision;
    s.compute_diffs = true;
    auto plan = argocd::plan_sync(desired, live, s);
    if (opts->output == "json") write_output("-", plan_json(plan).dump(2) + "\n");
    else write_output("-", plan_text(plan, ctx.color));
    ctx.exit_code = plan.errors.empty() ? kOk : kInputError;
  });
}

}  // namespace rehearse::cli
