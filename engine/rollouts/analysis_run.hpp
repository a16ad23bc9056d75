#pragma once
// AnalysisRun execution as a pure state machine (analysis/analysis.go, reference section 6).
//
//   AnalysisRun run(spec);
//   std::optional<SimTime> wake = run.step(now, provider);
//
// step() takes every measurement that is due at `now` (initialDelay, interval, the fixed
// 10 s retry after an Error, count), evaluates it against the metric's conditions, updates
// the counters, assesses every metric (assess_metric_status) and then the run
// (assess_run_status), trims measurement history and returns the next time the run needs
// to be stepped, or nullopt once it has completed.
//
// Invariants:
//   1. `terminating` is computed from the stored metric phases before this step's
//      assessment, so a metric that fails in one step stops its siblings on the next one.
//   2. Error measurements never consume `count`.
//   3. A completed run never changes again.
//
// Simplification: a measurement is due when now >= lastFinishedAt + interval (upstream
// compares with "after", a strict inequality, that a real controller's clock always
// satisfies a moment later; on a virtual clock the strict form would never fire).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/json_box.hpp"
#include "engine/model/result.hpp"
#include "engine/rollouts/analysis_spec.hpp"

namespace rehearse::rollouts {

enum class AnalysisPhase { Pending, Running, Successful, Failed, Error, Inconclusive };

const char* to_string(AnalysisPhase p);
std::optional<AnalysisPhase> analysis_phase_from(std::string_view s);
bool is_completed(AnalysisPhase p);
// The run ranking Successful < Running < Pending < Inconclusive < Error < Failed
// (utils/analysis/helpers.go IsWorse): true when `candidate` is strictly worse.
bool is_worse(AnalysisPhase current, AnalysisPhase candidate);
// Status timestamps: sim::format_rfc3339 text, with ".mmm" before the Z when the time has
// milliseconds; parse_status_time reads that form back (and anything sim::parse_rfc3339
// accepts), nullopt when it is not a time.
std::string format_status_time(SimTime t);
std::optional<SimTime> parse_status_time(std::string_view text);

struct Measurement {
  AnalysisPhase phase = AnalysisPhase::Running;
  std::string message;
  SimTime started_at{};
  std::optional<SimTime> finished_at;
  std::string value;  // as upstream stores it: "0.12", "[0.1,0.2]", a JSON text
  bool operator==(const Measurement&) const = default;
};

// A metric result without its measurement history.
struct MetricSummary {
  std::string name;
  AnalysisPhase phase = AnalysisPhase::Pending;
  std::string message;
  std::int64_t count = 0;
  std::int64_t successful = 0;
  std::int64_t failed = 0;
  std::int64_t inconclusive = 0;
  std::int64_t error = 0;
  std::int64_t consecutive_error = 0;
  std::int64_t consecutive_success = 0;
  bool dry_run = false;
  // Time the last completed measurement finished (kept even when history is trimmed).
  std::optional<SimTime> last_finished_at;
  AnalysisPhase last_phase = AnalysisPhase::Pending;
  // Why a limit decided the phase ("failed (2) > failureLimit (1)"), for the run message.
  std::string phase_reason;
  bool operator==(const MetricSummary&) const = default;
};

struct MetricResult : MetricSummary {
  // Oldest first; trimmed at the front to the retention limit.
  std::vector<Measurement> measurements;
  bool operator==(const MetricResult&) const = default;
};

struct RunSummary {
  int count = 0, successful = 0, failed = 0, inconclusive = 0, error = 0;
  bool operator==(const RunSummary&) const = default;
};

struct RunStatus {
  AnalysisPhase phase = AnalysisPhase::Pending;
  std::string message;
  std::optional<SimTime> started_at;
  std::optional<SimTime> completed_at;
  std::vector<MetricResult> metric_results;  // spec order
  RunSummary run_summary;
  RunSummary dry_run_summary;
  bool operator==(const RunStatus&) const = default;
};

// What a provider returns for one measurement.
struct ProviderResult {
  enum class Kind {
    Value,        // `value` holds the provider result (number, array, decoded web body)
    Error,        // the query failed; `message` says why
    Unavailable,  // no measurement can be taken now (e.g. a measurements file ran out)
    Failed,       // the provider itself decided: Failed (a `job` metric whose Job failed)
  };
  Kind kind = Kind::Value;
  model::JsonBox value;
  std::string message;

  static ProviderResult of(nlohmann::json v);
  static ProviderResult failure(std::string message);
  static ProviderResult unavailable();
  static ProviderResult failed(std::string message);
};

// Supplies measurements. The simulation backs it with metric streams (evaluating the
// template's query), the CLI with a measurements file. It is called only for metrics due.
class MetricProvider {
 public:
  virtual ~MetricProvider() = default;
  virtual ProviderResult measure(const Metric& metric, SimTime now) = 0;
};

// Turns a provider result into a completed measurement: applies a web provider's jsonPath
// (first match; no match is an Error), checks the Prometheus result shape, evaluates the
// conditions (reference section 7 phase table) and renders the stored value.
Measurement evaluate_measurement(const Metric& metric, const ProviderResult& result,
                                 SimTime now);

// The phase of `result` given its counters (assessMetricStatus, reference 6.3). `message`
// receives the limit message ("failed (2) > failureLimit (1)") when a limit decided it.
AnalysisPhase assess_metric_status(const Metric& metric, const MetricResult& result,
                                   bool terminating, std::string* message = nullptr);

class AnalysisRun {
 public:
  explicit AnalysisRun(RunSpec spec);
  // A run whose spec could not be resolved: it is created in phase Error with `message`
  // ("Analysis spec invalid: ..." or "Unable to resolve metric arguments: ...").
  static AnalysisRun errored(std::string message, SimTime now);

  // Advances to `now` (see the header comment). REQUIRES: now is not before the last step.
  std::optional<SimTime> step(SimTime now, MetricProvider& provider);
  // spec.terminate: stops new measurements; the run completes on the next step.
  void terminate() { spec_.terminate = true; }

  const RunSpec& spec() const { return spec_; }
  const RunStatus& status() const { return status_; }
  RunStatus& mutable_status() {
    last_step_.valid = false;
    return status_;
  }
  // Replaces the status with one read back from an AnalysisRun object, matching metric
  // results to the spec's metrics by name.
  void restore(RunStatus status);
  bool completed() const { return is_completed(status_.phase); }
  // Measurements that the provider reported Unavailable in the last step.
  int unavailable_in_last_step() const { return unavailable_; }
  int measured_in_last_step() const { return measured_; }

  // status <-> AnalysisRun .status JSON (times as RFC 3339).
  nlohmann::json status_json() const;
  // Whether the last step changed the status (a measurement taken, a phase or counter moved).
  bool last_step_changed_status() const;
  // Turns `status`, the status_json() of this run as it was before the last step, into its
  // status_json() now, editing in place only what the step changed (the measurements it
  // appended and trimmed, counters): what the controller writes after each step that changed
  // the status. A `status` of another shape, or a run restored or edited since its last
  // step, is re-rendered whole.
  void edit_status(nlohmann::json& status) const;
  static Result<RunStatus> status_from_json(const nlohmann::json& status);

 private:
  bool is_terminating() const;
  MetricResult& result_for(size_t i);
  void assess(SimTime now);
  std::optional<SimTime> next_wake(SimTime now) const;

  // What edit_status needs of the status before the last step, kept without copying the
  // measurement histories: step() only appends to them and trims them at the front, and
  // records how many. Assigned in place on every step, so stepping allocates nothing here.
  struct StepStart {
    bool valid = false;  // describes the last step (no restore or mutable_status since)
    AnalysisPhase phase = AnalysisPhase::Pending;
    std::string message;
    std::optional<SimTime> started_at, completed_at;
    RunSummary run_summary, dry_run_summary;
    std::vector<MetricSummary> metrics;
    struct History {
      size_t appended = 0, trimmed = 0;
    };
    std::vector<History> histories;
  };
  void remember_step_start();

  RunSpec spec_;
  RunStatus status_;
  StepStart last_step_;
  int unavailable_ = 0;
  int measured_ = 0;
};

// Upstream's rendering of a float64 (strconv.FormatFloat(f, 'f', -1, 64)): "0.05", "70",
// "NaN", "+Inf", "-Inf".
std::string format_float(double v);

}  // namespace rehearse::rollouts
