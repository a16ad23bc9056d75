#include "engine/rollouts/canary_plan.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "engine/rollouts/canary_math.hpp"

namespace rehearse::rollouts {

std::string format_seconds(std::int64_t s) {
  if (s == 0) return "0s";
  std::string out;
  if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
  if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
  if (s > 0) out += fmt::format("{}s", s);
  return out;
}

namespace {

std::string describe(const CanaryStep& s) {
  switch (s.type) {
    case StepType::SetWeight: {
      std::string d = fmt::format("setWeight: {}", s.weight);
      if (s.also_scale) d += " + setCanaryScale";
      return d;
    }
    case StepType::Pause:
      return s.pause_seconds ? fmt::format("pause: {}", format_seconds(*s.pause_seconds)) : "pause";
    case StepType::Analysis: {
      std::string names;
      for (const auto& t : s.analysis.templates) {
        if (!names.empty()) names += ", ";
        names += t.template_name;
      }
      return "analysis: " + names;
    }
    case StepType::SetCanaryScale:
      if (s.match_traffic_weight) return "setCanaryScale: matchTrafficWeight";
      if (s.scale_replicas) return fmt::format("setCanaryScale: replicas {}", *s.scale_replicas);
      if (s.scale_weight) return fmt::format("setCanaryScale: weight {}", *s.scale_weight);
      return "setCanaryScale";
    case StepType::SetHeaderRoute: return "setHeaderRoute: " + s.route_name;
    case StepType::SetMirrorRoute: return "setMirrorRoute: " + s.route_name;
    case StepType::Experiment: return "experiment";
    case StepType::Plugin: return "plugin";
  }
  return "?";
}

}  // namespace

CanaryPlan plan_canary(const RolloutSpec& rollout, const TemplateLookup& lookup) {
  const CanaryStrategy& cs = *rollout.canary;
  CanaryPlan plan;
  plan.rollout = rollout.name;
  plan.replicas = rollout.replicas;
  const int R = rollout.replicas;
  const bool traffic = cs.traffic_routing.has_value();
  auto fp = resolve_fenceposts(&*cs.max_surge, &*cs.max_unavailable, R);
  const Fenceposts fence = fp ? *fp : Fenceposts{1, 0};
  int previous_weight = 0;
  bool analysis_seen = cs.background.has_value();
  bool warned_no_analysis = false;
  for (size_t i = 0; i < cs.steps.size(); ++i) {
    const CanaryStep& s = cs.steps[i];
    // GetCurrentSetWeight: nearest setWeight at or before the current step.
    int weight = 0;
    for (size_t j = i + 1; j-- > 0;)
      if (cs.steps[j].type == StepType::SetWeight) {
        weight = cs.steps[j].weight;
        break;
      }
    PlanStep p;
    p.index = static_cast<int>(i);
    p.step = describe(s);
    p.weight = weight;
    if (traffic) {
      TrafficCanaryInput in;
      in.replicas = R;
      in.weight = weight;
      in.dynamic_stable_scale = cs.dynamic_stable_scale;
      in.min_pods_per_replica_set = cs.min_pods_per_replica_set;
      // UseSetCanaryScale: nearest setCanaryScale; matchTrafficWeight cancels it.
      for (size_t j = i + 1; j-- > 0;) {
        const CanaryStep& c = cs.steps[j];
        if (!c.also_scale) continue;
        if (c.match_traffic_weight) break;
        if (c.scale_replicas) in.scale_replicas = c.scale_replicas;
        else if (c.scale_weight) in.weight = *c.scale_weight;
        break;
      }
      auto [canary, stable] = traffic_canary_counts(in);
      p.canary_replicas = canary;
      p.stable_replicas = stable;
      p.traffic = std::make_pair(weight, 100 - weight);
    } else {
      auto [canary, stable] = approximate_weighted_counts(R, weight, fence.surge);
      p.canary_replicas = canary;
      p.stable_replicas = stable;
      if (s.type == StepType::SetWeight && canary + stable > 0) {
        const int actual = canary * 100 / (canary + stable);
        if (actual != weight)
          plan.warnings.push_back(fmt::format(
              "step {}: without trafficRouting, setWeight {} is approximated by pods: {} of {} "
              "pods ({}%) run the canary",
              i, weight, canary, canary + stable, actual));
      }
    }
    if (s.type == StepType::SetWeight) {
      if (previous_weight == 0 && s.weight == 100)
        plan.warnings.push_back(fmt::format(
            "step {}: setWeight jumps from 0 to 100: every user gets the new version at once",
            i));
      if (s.weight == 100 && !analysis_seen && !warned_no_analysis) {
        plan.warnings.push_back(fmt::format(
            "step {}: full traffic reaches the new version with no analysis before it", i));
        warned_no_analysis = true;
      }
      previous_weight = s.weight;
    }
    if (s.type == StepType::Analysis) analysis_seen = true;
    if (s.type == StepType::Pause && !s.pause_seconds)
      plan.warnings.push_back(fmt::format(
          "step {}: indefinite pause: the rollout waits here until someone promotes it", i));
    plan.steps.push_back(std::move(p));
  }
  if (cs.steps.empty())
    plan.warnings.push_back(
        "no steps: the update goes to 100% as a rolling update limited only by maxSurge and "
        "maxUnavailable");
  else if (!analysis_seen && !warned_no_analysis)
    plan.warnings.push_back("no analysis before full promotion: nothing can abort a bad version");
  PlanStep done;
  done.index = static_cast<int>(cs.steps.size());
  done.step = "promoted";
  done.weight = 100;
  done.canary_replicas = R;
  done.stable_replicas = 0;
  if (traffic) done.traffic = std::make_pair(100, 0);
  plan.steps.push_back(std::move(done));
  for (auto& msg : check_blocking_analyses(rollout, lookup, nullptr, false))
    plan.warnings.push_back(msg + " (the Rollout becomes InvalidSpec/Degraded)");
  if (!fp) plan.warnings.push_back(fp.error().message);
  return plan;
}

}  // namespace rehearse::rollouts
