#pragma once
// How controllers plug into the simulation without the runner knowing them (issue 3:
// "Controllers register through one interface"). Each engine's sim adapter provides a
// ControllerFactory; the CLI adds the factories it links into a ControllerCatalog; a
// scenario enables some or all of them by name under `spec.controllers`.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/diagnostic.hpp"
#include "engine/model/result.hpp"

namespace rehearse::sim {

class World;

class SimController {
 public:
  virtual ~SimController() = default;
  virtual std::string_view name() const = 0;
  // Called once at t=0, after the cluster, the repository and the scenario's initial objects
  // exist and before bootstrap. Subscribe to watches and schedule first reconciles here.
  virtual void start(World& world) = 0;
  // A scenario command for one of this controller's tools, e.g. argv {"app", "sync", "x"}
  // for `argocd: app sync x`. An error is a failed command (recorded in the trace; the
  // scenario fails unless the event says `expectFailure: true`).
  virtual Result<void> command(World& world, std::string_view tool,
                               const std::vector<std::string>& argv) {
    return fail("unsupported", std::string(name()) + " accepts no commands");
  }
};

struct ControllerFactory {
  std::string name;                      // key under spec.controllers, e.g. "argocd"
  std::vector<std::string> tools;        // command tools it handles, e.g. {"argocd"}
  std::vector<std::string> verbs;        // accepted leading words, e.g. {"app sync", ...}
  // Validates settings (a JSON object; upstream defaults for everything unset) and builds
  // the controller; problems go to `diags` at `pos`.
  std::function<std::unique_ptr<SimController>(const nlohmann::json& settings,
                                               const model::SourcePos& pos,
                                               model::Diagnostics& diags)>
      create;
};

class ControllerCatalog {
 public:
  void add(ControllerFactory f);
  const ControllerFactory* find(std::string_view name) const;
  const std::vector<ControllerFactory>& all() const { return factories_; }

 private:
  std::vector<ControllerFactory> factories_;  // registration order = start order
};

}  // namespace rehearse::sim
