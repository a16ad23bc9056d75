#pragma once
// Running scenario suites: load every file (all problems reported before anything runs),
// select by --filter / --shard, simulate each scenario on its own thread-local World, and
// collect outcomes in a stable order regardless of --jobs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "sim/scenario/expectations.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/world/controller.hpp"

namespace rehearse::sim {

struct ScenarioOutcome {
  std::string name;
  std::string file;
  bool passed = false;
  std::uint64_t seed = 0;
  std::uint64_t events = 0;      // trace lines
  std::uint64_t dispatched = 0;  // kernel events
  std::string trace_hash;
  std::string error;  // setup or runtime error (the scenario did not complete)
  std::vector<std::string> event_failures;
  std::vector<ExpectationResult> results;  // pointers into the Scenario, kept alive by Suite
  std::vector<std::string> trace_lines;    // only when asked (trace dir)
  int expectations_failed() const;
};

struct RunOptions {
  unsigned jobs = 1;
  std::optional<std::uint64_t> seed;  // overrides every scenario's seed
  std::string filter;                 // glob over scenario names ("" = all)
  unsigned shard_index = 0, shard_count = 1;  // K/N, K 1-based on the command line
  bool keep_trace_lines = false;
  std::string scratch_dir;  // where private repositories go; "" = the system temp dir
};

// Loaded scenarios (owned here so outcomes can point into them).
struct Suite {
  std::vector<Scenario> scenarios;
};

// Loads every scenario of `paths`; diagnostics for every problem. Names must be unique
// across the suite.
Suite load_suite(const std::vector<std::string>& paths, const ControllerCatalog& catalog,
                 model::Diagnostics& diags);
// The scenarios `opts` selects (filter, then shard by a stable hash of the name).
std::vector<const Scenario*> select_scenarios(const Suite& suite, const RunOptions& opts);
// Simulates one scenario.
ScenarioOutcome run_scenario(const Scenario& scenario, const ControllerCatalog& catalog,
                             const RunOptions& opts, unsigned ordinal);
// Simulates all of them on `opts.jobs` threads; outcomes in the order of `selected`.
std::vector<ScenarioOutcome> run_scenarios(const std::vector<const Scenario*>& selected,
                                           const ControllerCatalog& catalog,
                                           const RunOptions& opts,
                                           const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace rehearse::sim
