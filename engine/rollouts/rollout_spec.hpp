#pragma once
// Typed Rollout spec (argoproj.io/v1alpha1), canary and blueGreen strategies, parsed with
// diagnostics at file:line:col (reference sections 1.1, 2, 10). Defaults are applied here
// so the controller and the plan read effective values.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"
#include "engine/rollouts/analysis_spec.hpp"

namespace rehearse::rollouts {

inline constexpr int kDefaultProgressDeadlineSeconds = 600;
inline constexpr int kDefaultScaleDownDelaySeconds = 30;
inline constexpr int kDefaultRevisionHistoryLimit = 10;  // spec.revisionHistoryLimit
inline constexpr int kDefaultRunHistoryLimit = 5;        // spec.analysis.{un,}successfulRunHistoryLimit
inline constexpr int kDefaultAbortScaleDownDelaySeconds = 30;

// An analysis reference from a Rollout (background, step, pre/post promotion).
struct RolloutAnalysis {
  std::vector<TemplateRef> templates;
  std::vector<Arg> args;
  std::optional<int> starting_step;  // background only
  model::SourcePos pos;
};

enum class StepType {
  SetWeight, Pause, Analysis, SetCanaryScale, SetHeaderRoute, SetMirrorRoute, Experiment, Plugin
};
const char* to_string(StepType t);

struct CanaryStep {
  StepType type = StepType::Pause;
  int weight = 0;                             // setWeight
  std::optional<std::int64_t> pause_seconds;  // pause: nullopt = indefinite
  RolloutAnalysis analysis;                   // analysis
  // setCanaryScale
  std::optional<int> scale_replicas;
  std::optional<int> scale_weight;
  bool match_traffic_weight = false;
  std::string route_name;  // setHeaderRoute / setMirrorRoute
  bool route_has_match = false;
  model::SourcePos pos;
  // Also a setCanaryScale in the same step as a setWeight (upstream fixtures do this).
  bool also_scale = false;
};

struct IstioRouting {
  struct VirtualServiceRef {
    std::string name;  // "name" or "name.namespace"
    std::vector<std::string> routes;
  };
  std::vector<VirtualServiceRef> virtual_services;
  std::string destination_rule;  // subset-level splitting when set
  std::string canary_subset, stable_subset;
};

struct TrafficRouting {
  std::optional<IstioRouting> istio;
  std::string other_router;  // "nginx", "alb", "smi", ... (weights not modelled)
  std::vector<std::string> managed_routes;
  int max_weight = 100;
};

struct CanaryStrategy {
  std::vector<CanaryStep> steps;
  model::JsonBox max_surge;        // null = default "25"
  model::JsonBox max_unavailable;  // null = default "25"
  std::optional<TrafficRouting> traffic_routing;
  std::string canary_service, stable_service;
  std::optional<RolloutAnalysis> background;
  bool dynamic_stable_scale = false;
  std::optional<int> scale_down_delay_seconds;
  std::optional<int> abort_scale_down_delay_seconds;  // explicit 0 = never scale down
  std::optional<int> min_pods_per_replica_set;

  int effective_scale_down_delay() const {
    return scale_down_delay_seconds.value_or(kDefaultScaleDownDelaySeconds);
  }
  // nullopt: keep the canary forever (explicit 0).
  std::optional<int> effective_abort_delay() const {
    if (abort_scale_down_delay_seconds) {
      if (*abort_scale_down_delay_seconds == 0) return std::nullopt;
      return *abort_scale_down_delay_seconds;
    }
    return kDefaultAbortScaleDownDelaySeconds;
  }
};

struct BlueGreenStrategy {
  std::string active_service, preview_service;
  bool auto_promotion_enabled = true;
  int auto_promotion_seconds = 0;
  std::optional<int> preview_replica_count;
  int scale_down_delay_seconds = kDefaultScaleDownDelaySeconds;
  std::optional<int> abort_scale_down_delay_seconds;
  std::optional<RolloutAnalysis> pre_promotion;
  std::optional<RolloutAnalysis> post_promotion;
};

struct RolloutSpec {
  std::string name, ns;
  int replicas = 1;
  bool paused = false;
  int progress_deadline_seconds = kDefaultProgressDeadlineSeconds;
  bool progress_deadline_abort = false;
  // Old ReplicaSets and finished AnalysisRuns kept (reference section 1 defaults table).
  int revision_history_limit = kDefaultRevisionHistoryLimit;
  int successful_run_history_limit = kDefaultRunHistoryLimit;
  int unsuccessful_run_history_limit = kDefaultRunHistoryLimit;
  model::JsonBox pod_template;  // spec.template
  model::JsonBox selector;      // spec.selector
  std::optional<CanaryStrategy> canary;
  std::optional<BlueGreenStrategy> blue_green;
  model::SourcePos pos;
};

// Parses and validates a Rollout (codes "rollout-invalid", "rollout-step",
// "rollout-duration"). nullopt when the object has errors.
std::optional<RolloutSpec> parse_rollout(const model::Object& obj, model::Diagnostics& diags);

// Blocking analyses (steps, pre/post promotion) whose templates contain an unbounded metric
// make the Rollout InvalidSpec (reference section 5). `lookup` finds a template (nested
// templates are expanded); unknown templates are reported as "rollout-template-missing"
// only when `report_missing`. Returns the InvalidSpec messages.
using TemplateLookup = std::function<const AnalysisTemplate*(const TemplateRef&)>;
std::vector<std::string> check_blocking_analyses(const RolloutSpec& rollout,
                                                 const TemplateLookup& lookup,
                                                 model::Diagnostics* diags,
                                                 bool report_missing);

// Expands template references recursively, removing duplicates (getAnalysisTemplatesFromRefs).
// Error "template-missing" when a referenced template does not exist.
Result<std::vector<const AnalysisTemplate*>> expand_templates(
    const std::vector<TemplateRef>& refs, const TemplateLookup& lookup);

}  // namespace rehearse::rollouts
