#pragma once
// The plan of a canary Rollout: for every step, the steady state the controller converges
// to while that step is current, assuming pods become ready (`rehearse canary`).
//
// Replica counts follow reference section 3 (basic canary: the approximated split of
// 3.2 step A, which repeated reconciles converge to; traffic-routed: 3.3), traffic follows
// 4.1 case 6 once the canary is at its desired counts and 4.2 (stable = 100 - canary).

#include <optional>
#include <string>
#include <vector>

#include "engine/rollouts/rollout_spec.hpp"

namespace rehearse::rollouts {

struct PlanStep {
  int index = 0;
  std::string step;  // "setWeight: 10", "pause: 5m", "pause", "analysis: a, b", "promoted"
  int weight = 0;
  int canary_replicas = 0;
  int stable_replicas = 0;
  std::optional<std::pair<int, int>> traffic;  // (canary, stable), with trafficRouting only
};

struct CanaryPlan {
  std::string rollout;
  int replicas = 0;
  std::vector<PlanStep> steps;  // one per step, then a final "promoted" entry
  std::vector<std::string> warnings;
};

// REQUIRES: rollout.canary. `lookup` may return nullptr (templates not supplied).
CanaryPlan plan_canary(const RolloutSpec& rollout, const TemplateLookup& lookup);

// "5m", "1h30m", "45s" for whole seconds.
std::string format_seconds(std::int64_t seconds);

}  // namespace rehearse::rollouts
