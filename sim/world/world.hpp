#pragma once
// One simulation: the owner of everything a scenario runs on (STYLE.md "Ownership"): the
// event queue and clock, the seeded RNG, the trace, the private git repository, the fake
// cluster, the object history expectations read, and the enabled controllers. Nothing is
// global: two Worlds run side by side on two threads (that is how `run --jobs` works).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/cluster_client.hpp"
#include "sim/git/git_repo.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"
#include "sim/kernel/trace.hpp"
#include "sim/scenario/history.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/world/controller.hpp"

namespace rehearse::cluster {
class Cluster;
}

namespace rehearse::sim {

struct WorldOptions {
  std::string private_dir;  // scratch space for the repository and checkouts (removed after)
  bool keep_trace = true;
};

class World {
 public:
  World(const Scenario& scenario, std::uint64_t seed, WorldOptions options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const Scenario& scenario() const { return scenario_; }
  EventQueue& queue() { return queue_; }
  SimTime now() const { return queue_.now(); }
  Trace& trace() { return trace_; }
  const Trace& trace() const { return trace_; }
  // An independent random stream for a component; same seed + name = same numbers.
  Rng rng(std::string_view component) const { return root_rng_.stream(component); }
  std::uint64_t seed() const { return seed_; }
  ObjectHistory& history() { return history_; }

  // The scenario's repository (null when the scenario has none).
  GitRepo* git() { return git_.get(); }
  cluster::Cluster& cluster() { return *cluster_; }
  // A client that acts as `actor` ("kubectl", "argocd-application-controller", ...): its
  // writes are attributed to it in the trace.
  model::ClusterClient& client(std::string_view actor);

  // Records a trace line at the current time.
  void record(std::string_view kind, std::string_view object, const nlohmann::json& details);
  void record(std::string_view kind, std::string_view object);

  // Finds the controller handling `tool` commands, or nullptr.
  SimController* controller_for_tool(std::string_view tool);
  SimController* controller(std::string_view name);

  // Setup (called by the runner in this order).
  Result<void> setup_repository();
  Result<void> setup_cluster();
  Result<void> start_controllers(const ControllerCatalog& catalog, model::Diagnostics& diags);
  Result<void> bootstrap();
  void schedule_events();
  // Runs to the horizon. Error when the event budget ran out (a livelock).
  Result<void> run();

  // Failures of scenario events (commands that errored without `expectFailure`).
  const std::vector<std::string>& event_failures() const { return event_failures_; }
  // SHA of commits made by events with an `id`, for `revert: {commit: <id>}`.
  const std::map<std::string, std::string>& named_commits() const { return named_commits_; }

 private:
  void execute(const ScenarioEvent& ev);
  Result<std::string> execute_git(const ScenarioEvent& ev);
  Result<void> apply_manifests_from_repo(const std::string& ref, const std::string& path,
                                         bool recursive, std::string_view actor);

  const Scenario& scenario_;
  std::uint64_t seed_;
  WorldOptions options_;
  EventQueue queue_;
  Rng root_rng_;
  Trace trace_;
  ObjectHistory history_;
  std::unique_ptr<GitRepo> git_;
  std::unique_ptr<cluster::Cluster> cluster_;
  struct Controller {
    std::string name;
    std::vector<std::string> tools;
    std::unique_ptr<SimController> impl;
  };
  std::vector<Controller> controllers_;
  std::map<std::string, std::unique_ptr<model::ClusterClient>, std::less<>> clients_;
  std::vector<std::string> event_failures_;
  std::map<std::string, std::string> named_commits_;
};

}  // namespace rehearse::sim
