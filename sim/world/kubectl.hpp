#pragma once
// The kubectl verbs a scenario can run against the fake cluster, with kubectl's syntax:
//   set image TYPE/NAME CONTAINER=IMAGE...      scale TYPE/NAME --replicas=N
//   patch TYPE/NAME [--type strategic|merge|json] -p JSON
//   apply -f PATH [-R]   delete TYPE/NAME... | -f PATH [--cascade=background|foreground|orphan]
//   label|annotate TYPE/NAME K=V... K- [--overwrite]   rollout restart TYPE/NAME
//   create namespace NAME
// plus -n/--namespace NS everywhere. Resource types accept kubectl's names, plurals and
// short names (deploy, sts, ds, cm, svc, po, ns, rs, ro, app, ks, hr, ...).

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/cluster_client.hpp"
#include "engine/model/result.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

struct KubectlContext {
  model::ClusterClient& client;
  SimTime now;
  std::string base_dir;  // relative `-f` paths resolve against the scenario file's folder
};

struct KubectlOutcome {
  std::string verb;            // "set-image", "scale", ...
  std::vector<std::string> objects;  // objects written, as ObjectKey::str()
  nlohmann::json* details = nullptr;  // unused; details are in `summary`
  std::string summary;         // kubectl-like output line(s)
};

// Runs argv (without the leading "kubectl"). Errors read like kubectl's.
Result<KubectlOutcome> run_kubectl(KubectlContext& ctx, const std::vector<std::string>& argv);

// Resolves a kubectl resource type name ("deploy", "deployments.apps", "Rollout") to
// (group, kind). Error for unknown types.
Result<std::pair<std::string, std::string>> resolve_resource_type(std::string_view name);

}  // namespace rehearse::sim
