#pragma once
// Typed AnalysisTemplate / ClusterAnalysisTemplate / AnalysisRun specs (argoproj.io/v1alpha1)
// and the resolution of a template's raw metrics into typed, args-substituted Metrics.
//
// Two stages, as upstream (../shared/reference/rollouts.md 1.2):
//   1. parse_analysis_template: structure and static validation with file:line:col
//      diagnostics. Metric bodies stay raw JSON because `{{args.x}}` may appear anywhere
//      (interval, count, conditions, provider fields) and is only resolved per run.
//   2. resolve_metric: substitutes args into one raw metric and parses it into a Metric with
//      compiled conditions (errors are values: the run becomes Error).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/expr/condition.hpp"
#include "engine/expr/jsonpath.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::rollouts {

using sim::SimDuration;
using sim::SimTime;

// Documented defaults (utils/defaults/defaults.go, analysis/analysis.go).
inline constexpr int kDefaultFailureLimit = 0;
inline constexpr int kDefaultInconclusiveLimit = 0;
inline constexpr int kDefaultConsecutiveErrorLimit = 4;
inline constexpr int kDefaultMeasurementRetention = 10;
inline constexpr SimDuration kErrorRetryInterval = sim::seconds(10);

// One argument: template declaration, rollout-supplied value or run argument.
struct Arg {
  std::string name;
  std::optional<std::string> value;
  // valueFrom: exactly one of these (or none).
  std::optional<std::pair<std::string, std::string>> secret_key_ref;  // (secret name, key)
  std::optional<std::string> field_ref;                               // fieldPath
  std::optional<std::string> pod_template_hash_value;                 // "Latest" | "Stable"

  bool has_value_from() const {
    return secret_key_ref || field_ref || pod_template_hash_value;
  }
};

struct RetentionRule {
  std::string metric_name;  // unanchored regular expression
  int limit = kDefaultMeasurementRetention;
};

struct TemplateRef {
  std::string template_name;
  bool cluster_scope = false;
};

// The spec shared by AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun.
struct AnalysisSpec {
  std::vector<model::JsonBox> metrics;  // raw metric bodies, args unresolved
  std::vector<std::string> metric_names;
  std::vector<model::SourcePos> metric_pos;
  std::vector<Arg> args;
  std::vector<std::string> dry_run;  // metricName regexes
  std::vector<RetentionRule> retention;
  std::vector<TemplateRef> templates;  // nested templates (AnalysisTemplate only)
  bool terminate = false;              // AnalysisRun only
};

struct AnalysisTemplate {
  std::string name;
  std::string ns;
  bool cluster_scope = false;
  AnalysisSpec spec;
  model::SourcePos pos;
};

// A metric after args substitution, typed, with compiled conditions.
struct Metric {
  std::string name;
  std::optional<SimDuration> interval;
  std::optional<SimDuration> initial_delay;
  std::optional<std::int64_t> count;  // as written (0 and unset both mean "not set")
  int failure_limit = kDefaultFailureLimit;  // -1 disables
  int inconclusive_limit = kDefaultInconclusiveLimit;
  int consecutive_error_limit = kDefaultConsecutiveErrorLimit;
  int consecutive_success_limit = 0;  // 0 disables
  std::string success_condition_text;
  std::string failure_condition_text;
  std::optional<expr::Condition> success_condition;
  std::optional<expr::Condition> failure_condition;
  std::string provider_type;  // "prometheus", "web", "job", ...
  model::JsonBox provider;     // the provider's own body, e.g. {"address":..,"query":..}
  std::optional<expr::JsonPath> json_path;  // web provider
  bool dry_run = false;
  int retention_limit = kDefaultMeasurementRetention;

  // reference 1.2 "Effective count": unset/0 without interval -> 1; unset/0 with interval ->
  // unbounded (nullopt); otherwise count.
  std::optional<std::int64_t> effective_count() const;
};

// The provider kinds a metric may name (exactly one per metric).
const std::vector<std::string>& known_provider_types();

// Parses an AnalysisTemplate, ClusterAnalysisTemplate or AnalysisRun object. Diagnostics
// (codes "analysis-invalid", "analysis-condition", "analysis-duration", ...) point at the
// offending field. Returns nullopt when the object has errors.
std::optional<AnalysisTemplate> parse_analysis_template(const model::Object& obj,
                                                        model::Diagnostics& diags);

// Substitutes `{{args.NAME}}` in every string of `raw` (a metric body). Error
// "failed to resolve {{args.x}}" when an arg is missing or has no value.
Result<nlohmann::json> substitute_args(const nlohmann::json& raw,
                                       const std::map<std::string, std::string>& args);

// Resolves one raw metric with `args` into a Metric. Errors: unresolved args, bad
// durations, bad conditions, not exactly one provider, limit rules (ValidateMetric).
Result<Metric> resolve_metric(const nlohmann::json& raw,
                              const std::map<std::string, std::string>& args);

// Merges the args of several templates with incoming args (helpers.go MergeArgs): incoming
// values override template values for declared args, undeclared incoming args are ignored,
// conflicting template values are an error.
Result<std::vector<Arg>> merge_args(const std::vector<const AnalysisTemplate*>& templates,
                                    const std::vector<Arg>& incoming);

// A fully resolved run spec: typed metrics in order, with dry-run and retention applied.
struct RunSpec {
  std::vector<Metric> metrics;
  bool terminate = false;
};

// Resolves arg values (value, or `resolve_from` for valueFrom), substitutes them into every
// metric, applies dry-run and retention rules. Error codes: "args-unresolved",
// "spec-invalid" (messages as upstream, used as the run's Error message).
using ValueFromResolver = std::function<Result<std::string>(const Arg&)>;
Result<RunSpec> build_run_spec(const AnalysisSpec& spec, const std::vector<Arg>& args,
                               const ValueFromResolver& resolve_from);

// Pause durations and other int-or-Go-duration strings (RolloutPause.DurationSeconds):
// an integer or unit-less numeric string is seconds; otherwise a Go duration truncated to
// whole seconds; -1 when it cannot be parsed or does not fit int32.
std::int64_t duration_seconds(const nlohmann::json& value);

}  // namespace rehearse::rollouts
