#pragma once
// Canary replica arithmetic (utils/replicaset/canary.go, replicaset.go; reference section 3).
// Plain integers in, plain integers out, so the tables of upstream tests apply directly.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::rollouts {

// maxSurge / maxUnavailable resolved against spec.replicas (reference 3.1). Every string is
// a percentage (legacy intstr: "25" == "25%"); surge rounds up, unavailable down; both 0 ->
// unavailable 1; unavailable capped at replicas and 0 when replicas is 0.
struct Fenceposts {
  int surge = 0;
  int unavailable = 0;
};
// `max_surge` / `max_unavailable` may be null (then the default string "25" applies).
Result<Fenceposts> resolve_fenceposts(const nlohmann::json* max_surge,
                                      const nlohmann::json* max_unavailable, int replicas);
// One int-or-percent value; error "invalid-intorstr" for a string that is not a number.
Result<int> int_or_percent(const nlohmann::json& value, int total, bool round_up);

// approximateWeightedCanaryStableReplicaCounts: (canary, stable) closest to weight w.
std::pair<int, int> approximate_weighted_counts(int replicas, int weight, int max_surge);

// ceil(w * R / maxW)
int traffic_weight_to_replicas(int replicas, int weight, int max_weight = 100);

struct RsCounts {
  int spec = 0;       // spec.replicas
  int available = 0;  // status.availableReplicas
};

// CalculateReplicaCountsForBasicCanary: one reconcile's (canary, stable) targets.
// `stable` is nullopt when there is no stable RS or it is the canary RS itself.
struct BasicCanaryInput {
  int replicas = 1;
  int weight = 0;  // the desired weight (GetCanaryReplicasOrWeight)
  Fenceposts fenceposts;
  std::optional<RsCounts> canary;
  std::optional<RsCounts> stable;
  std::vector<RsCounts> older;
};
std::pair<int, int> basic_canary_counts(const BasicCanaryInput& in);

// CalculateReplicaCountsForTrafficRoutedCanary.
struct TrafficCanaryInput {
  int replicas = 1;
  std::optional<int> scale_replicas;  // setCanaryScale.replicas in effect
  int weight = 0;                     // desired weight (setCanaryScale.weight or step weight)
  bool dynamic_stable_scale = false;
  std::optional<int> min_pods_per_replica_set;
  bool aborted = false;
  std::optional<std::pair<int, int>> current_weights;  // status.canary.weights (canary, stable)
};
std::pair<int, int> traffic_canary_counts(const TrafficCanaryInput& in);

}  // namespace rehearse::rollouts
