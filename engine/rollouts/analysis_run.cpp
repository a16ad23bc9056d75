#include "engine/rollouts/analysis_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>


namespace rehearse::rollouts {

using nlohmann::json;

const char* to_string(AnalysisPhase p) {
  switch (p) {
    case AnalysisPhase::Pending: return "Pending";
    case AnalysisPhase::Running: return "Running";
    case AnalysisPhase::Successful: return "Successful";
    case AnalysisPhase::Failed: return "Failed";
    case AnalysisPhase::Error: return "Error";
    case AnalysisPhase::Inconclusive: return "Inconclusive";
  }
  return "Unknown";
}

std::optional<AnalysisPhase> analysis_phase_from(std::string_view s) {
  for (auto p : {AnalysisPhase::Pending, AnalysisPhase::Running, AnalysisPhase::Successful,
                 AnalysisPhase::Failed, AnalysisPhase::Error, AnalysisPhase::Inconclusive})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

bool is_completed(AnalysisPhase p) {
  return p == AnalysisPhase::Successful || p == AnalysisPhase::Failed ||
         p == AnalysisPhase::Error || p == AnalysisPhase::Inconclusive;
}

namespace {
int rank(AnalysisPhase p) {
  switch (p) {
    case AnalysisPhase::Successful: return 0;
    case AnalysisPhase::Running: return 1;
    case AnalysisPhase::Pending: return 2;
    case AnalysisPhase::Inconclusive: return 3;
    case AnalysisPhase::Error: return 4;
    case AnalysisPhase::Failed: return 5;
  }
  return 0;
}

std::string format_time(SimTime t) { return format_status_time(t); }

std::optional<SimTime> parse_time(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return parse_status_time(it->get_ref<const std::string&>());
}
}  // namespace

// sim::format_rfc3339's text plus ".mmm" when t has milliseconds, written into `s`, reusing
// its storage (a measurement re-rendered in place allocates nothing).
void assign_status_time(std::string& s, SimTime t) {
  sim::assign_rfc3339(s, t);
  const auto frac = sim::to_ms(t) % 1000;
  if (frac != 0 && !s.empty() && s.back() == 'Z') {
    s.pop_back();
    s += fmt::format(".{:03}Z", frac);
  }
}

std::string format_status_time(SimTime t) {
  std::string s;
  assign_status_time(s, t);
  return s;
}

// sim::parse_rfc3339 with a fast path for "YYYY-MM-DDTHH:MM:SS[.fff]Z" holding a valid date
// and time of day (the form format_status_time writes); anything else goes to sim.
std::optional<SimTime> parse_status_time(std::string_view s) {
  auto t = sim::parse_rfc3339(s);
  if (!t) return std::nullopt;
  return *t;
}

bool is_worse(AnalysisPhase current, AnalysisPhase candidate) {
  return rank(candidate) > rank(current);
}

std::string format_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, p);
}

ProviderResult ProviderResult::of(json v) {
  ProviderResult r;
  r.kind = Kind::Value;
  r.value = model::JsonBox(std::move(v));
  return r;
}
ProviderResult ProviderResult::failure(std::string message) {
  ProviderResult r;
  r.kind = Kind::Error;
  r.message = std::move(message);
  return r;
}
ProviderResult ProviderResult::unavailable() {
  ProviderResult r;
  r.kind = Kind::Unavailable;
  return r;
}
ProviderResult ProviderResult::failed(std::string message) {
  ProviderResult r;
  r.kind = Kind::Failed;
  r.message = std::move(message);
  return r;
}

namespace {

std::string render_value(const json& v) {
  if (v.is_number()) return format_float(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    bool numeric = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); });
    if (numeric) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) s += ",";
        s += format_float(v[i].get<double>());
      }
      return s + "]";
    }
  }
  return v.dump();
}

}  // namespace

Measurement evaluate_measurement(const Metric& metric, const ProviderResult& result,
                                 SimTime now) {
  Measurement m;
  m.started_at = now;
  m.finished_at = now;
  if (result.kind == ProviderResult::Kind::Failed) {
    // A failed Job is a Failed measurement, not an Error (reference 6.2).
    m.phase = AnalysisPhase::Failed;
    m.message = result.message;
    return m;
  }
  if (result.kind != ProviderResult::Kind::Value) {
    m.phase = AnalysisPhase::Error;
    m.message = result.message.empty() ? "measurement unavailable" : result.message;
    return m;
  }
  const json* value = &*result.value;
  json selected;
  if (metric.provider_type == "web" && metric.json_path) {
    auto matches = metric.json_path->select(*value);
    if (matches.empty()) {
      m.phase = AnalysisPhase::Error;
      m.message = fmt::format("Could not find JSONPath in body: {}", metric.json_path->source());
      return m;
    }
    selected = std::move(matches.front());
    value = &selected;
  } else if (metric.provider_type == "prometheus") {
    bool ok = value->is_number() ||
              (value->is_array() &&
               std::all_of(value->begin(), value->end(), [](const json& e) { return e.is_number(); }));
    if (!ok) {
      m.phase = AnalysisPhase::Error;
      m.message = "Prometheus metric type not supported";
      return m;
    }
  }
  m.value = render_value(*value);
  const bool has_s = metric.success_condition.has_value();
  const bool has_f = metric.failure_condition.has_value();
  if (!has_s && !has_f) {
    m.phase = AnalysisPhase::Successful;  // [DOC!=CODE] reference 7: code gives Successful
    return m;
  }
  bool s = false, f = false;
  if (has_s) {
    auto r = metric.success_condition->evaluate(*value);
    if (!r) {
      m.phase = AnalysisPhase::Error;
      m.message = r.error().message;
      return m;
    }
    s = *r;
  }
  if (has_f) {
    auto r = metric.failure_condition->evaluate(*value);
    if (!r) {
      m.phase = AnalysisPhase::Error;
      m.message = r.error().message;
      return m;
    }
    f = *r;
  }
  if (has_s && has_f) {
    m.phase = f ? AnalysisPhase::Failed : s ? AnalysisPhase::Successful : AnalysisPhase::Inconclusive;
  } else if (has_s) {
    m.phase = s ? AnalysisPhase::Successful : AnalysisPhase::Failed;
  } else {
    m.phase = f ? AnalysisPhase::Failed : AnalysisPhase::Successful;
  }
  return m;
}

AnalysisPhase assess_metric_status(const Metric& metric, const MetricResult& result,
                                   bool terminating, std::string* message) {
  if (is_completed(result.phase)) return result.phase;
  if (result.measurements.empty())
    return terminating ? AnalysisPhase::Successful : AnalysisPhase::Pending;
  if (!is_completed(result.measurements.back().phase)) return AnalysisPhase::Running;
  // Limits in this order; a later match overrides an earlier one (Error > Inconclusive >
  // Failed), reference 6.3 step 4.
  std::optional<AnalysisPhase> limited;
  std::string why;
  if (metric.failure_limit >= 0 && result.failed > metric.failure_limit) {
    limited = AnalysisPhase::Failed;
    why = fmt::format("failed ({}) > failureLimit ({})", result.failed, metric.failure_limit);
  }
  if (result.inconclusive > metric.inconclusive_limit) {
    limited = AnalysisPhase::Inconclusive;
    why = fmt::format("inconclusive ({}) > inconclusiveLimit ({})", result.inconclusive,
                      metric.inconclusive_limit);
  }
  if (result.consecutive_error > metric.consecutive_error_limit) {
    limited = AnalysisPhase::Error;
    why = fmt::format("consecutiveErrors ({}) > consecutiveErrorLimit ({})",
                      result.consecutive_error, metric.consecutive_error_limit);
  }
  if (limited) {
    if (message) *message = why;
    return *limited;
  }
  if (metric.consecutive_success_limit > 0 &&
      result.consecutive_success >= metric.consecutive_success_limit) {
    if (message)
      *message = fmt::format("consecutiveSuccess ({}) >= consecutiveSuccessLimit ({})",
                             result.consecutive_success, metric.consecutive_success_limit);
    return AnalysisPhase::Successful;
  }
  auto eff = metric.effective_count();
  if (eff && result.count >= *eff) {
    const bool failure_applies = metric.failure_limit >= 0;
    const bool success_applies = metric.consecutive_success_limit > 0;
    if (failure_applies && success_applies) {
      if (message)
        *message = fmt::format("count ({}) reached without failureLimit or "
                               "consecutiveSuccessLimit deciding", result.count);
      return AnalysisPhase::Inconclusive;
    }
    if (success_applies) {
      if (message)
        *message = fmt::format("consecutiveSuccess ({}) < consecutiveSuccessLimit ({})",
                               result.consecutive_success, metric.consecutive_success_limit);
      return AnalysisPhase::Failed;
    }
    return AnalysisPhase::Successful;
  }
  return terminating ? AnalysisPhase::Successful : AnalysisPhase::Running;
}

AnalysisRun::AnalysisRun(RunSpec spec) : spec_(std::move(spec)) {
  for (const auto& m : spec_.metrics) {
    MetricResult r;
    r.name = m.name;
    r.dry_run = m.dry_run;
    status_.metric_results.push_back(std::move(r));
  }
}

AnalysisRun AnalysisRun::errored(std::string message, SimTime now) {
  AnalysisRun run(RunSpec{});
  run.status_.phase = AnalysisPhase::Error;
  run.status_.message = std::move(message);
  run.status_.started_at = now;
  run.status_.completed_at = now;
  return run;
}

MetricResult& AnalysisRun::result_for(size_t i) { return status_.metric_results[i]; }

void AnalysisRun::restore(RunStatus status) {
  std::vector<MetricResult> ordered;
  for (const auto& m : spec_.metrics) {
    auto it = std::find_if(status.metric_results.begin(), status.metric_results.end(),
                           [&](const MetricResult& r) { return r.name == m.name; });
    MetricResult r;
    if (it != status.metric_results.end()) r = std::move(*it);
    r.name = m.name;
    r.dry_run = m.dry_run;
    ordered.push_back(std::move(r));
  }
  status.metric_results = std::move(ordered);
  status_ = std::move(status);
  last_step_.valid = false;
}

void AnalysisRun::remember_step_start() {
  StepStart& b = last_step_;
  b.valid = true;
  b.phase = status_.phase;
  b.message = status_.message;
  b.started_at = status_.started_at;
  b.completed_at = status_.completed_at;
  b.run_summary = status_.run_summary;
  b.dry_run_summary = status_.dry_run_summary;
  const size_t n = status_.metric_results.size();
  b.metrics.resize(n);
  for (size_t i = 0; i < n; ++i) b.metrics[i] = status_.metric_results[i];  // the summary part
  b.histories.assign(n, {});
}

bool AnalysisRun::last_step_changed_status() const {
  const StepStart& b = last_step_;
  if (!b.valid || b.metrics.size() != status_.metric_results.size()) return true;
  if (b.phase != status_.phase || b.message != status_.message || b.started_at != status_.started_at ||
      b.completed_at != status_.completed_at || !(b.run_summary == status_.run_summary) ||
      !(b.dry_run_summary == status_.dry_run_summary))
    return true;
  for (size_t i = 0; i < b.metrics.size(); ++i) {
    const MetricResult& r = status_.metric_results[i];
    if (!(static_cast<const MetricSummary&>(r) == b.metrics[i])) return true;
    if (b.histories[i].appended != 0 || b.histories[i].trimmed != 0) return true;
  }
  return false;
}

bool AnalysisRun::is_terminating() const {
  if (spec_.terminate) return true;
  for (size_t i = 0; i < spec_.metrics.size(); ++i) {
    const auto& r = status_.metric_results[i];
    if (r.dry_run) continue;
    if (r.phase == AnalysisPhase::Failed || r.phase == AnalysisPhase::Error ||
        r.phase == AnalysisPhase::Inconclusive)
      return true;
  }
  return false;
}

std::optional<SimTime> AnalysisRun::step(SimTime now, MetricProvider& provider) {
  unavailable_ = 0;
  measured_ = 0;
  remember_step_start();
  if (completed()) return std::nullopt;
  if (!status_.started_at) status_.started_at = now;
  const bool terminating = is_terminating();
  for (size_t i = 0; i < spec_.metrics.size() && !terminating; ++i) {
    const Metric& metric = spec_.metrics[i];
    MetricResult& r = result_for(i);
    if (is_completed(r.phase)) continue;
    if (!r.last_finished_at) {
      if (metric.initial_delay && *status_.started_at + *metric.initial_delay > now) continue;
    } else {
      auto eff = metric.effective_count();
      if (eff && r.count >= *eff) continue;
      const SimDuration interval = r.last_phase == AnalysisPhase::Error
                                       ? kErrorRetryInterval
                                       : metric.interval.value_or(kErrorRetryInterval);
      if (now < *r.last_finished_at + interval) continue;
    }
    ProviderResult pr = provider.measure(metric, now);
    if (pr.kind == ProviderResult::Kind::Unavailable) {
      ++unavailable_;
      continue;
    }
    ++measured_;
    Measurement m = evaluate_measurement(metric, pr, now);
    switch (m.phase) {
      case AnalysisPhase::Successful:
        ++r.successful, ++r.count, r.consecutive_error = 0, ++r.consecutive_success;
        break;
      case AnalysisPhase::Failed:
        ++r.failed, ++r.count, r.consecutive_error = 0, r.consecutive_success = 0;
        break;
      case AnalysisPhase::Inconclusive:
        ++r.inconclusive, ++r.count, r.consecutive_error = 0, r.consecutive_success = 0;
        break;
      case AnalysisPhase::Error:
        ++r.error, ++r.consecutive_error, r.consecutive_success = 0;
        break;
      default: break;
    }
    if (r.phase == AnalysisPhase::Pending) r.phase = AnalysisPhase::Running;
    r.last_finished_at = m.finished_at;
    r.last_phase = m.phase;
    r.measurements.push_back(std::move(m));
    ++last_step_.histories[i].appended;
  }
  assess(now);
  // Measurement history (reference 6.1 step 7); the last one is always kept.
  for (size_t i = 0; i < spec_.metrics.size(); ++i) {
    auto& ms = result_for(i).measurements;
    const size_t limit = static_cast<size_t>(std::max(1, spec_.metrics[i].retention_limit));
    if (ms.size() > limit) {
      last_step_.histories[i].trimmed += ms.size() - limit;
      ms.erase(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() - limit));
    }
  }
  return next_wake(now);
}

void AnalysisRun::assess(SimTime now) {
  const bool terminating = is_terminating();
  std::optional<AnalysisPhase> worst;
  std::string worst_message;
  bool everything_completed = true;
  status_.run_summary = {};
  status_.dry_run_summary = {};
  for (size_t i = 0; i < spec_.metrics.size(); ++i) {
    const Metric& metric = spec_.metrics[i];
    MetricResult& r = result_for(i);
    std::string limit_message;
    const AnalysisPhase phase = assess_metric_status(metric, r, terminating, &limit_message);
    if (phase != r.phase) {
      if (!r.measurements.empty()) r.message = r.measurements.back().message;
      r.phase = phase;
      r.phase_reason = limit_message;
    }
    RunSummary& summary = r.dry_run ? status_.dry_run_summary : status_.run_summary;
    ++summary.count;
    if (!is_completed(phase)) {
      everything_completed = false;
      continue;
    }
    switch (phase) {
      case AnalysisPhase::Error: ++summary.error; break;
      case AnalysisPhase::Failed: ++summary.failed; break;
      case AnalysisPhase::Inconclusive: ++summary.inconclusive; break;
      default: ++summary.successful; break;
    }
    if (r.dry_run) {
      if (!worst) worst = AnalysisPhase::Successful;
      continue;
    }
    if (!worst || is_worse(*worst, phase)) {
      worst = phase;
      worst_message.clear();
      if (phase != AnalysisPhase::Successful) {
        worst_message = fmt::format("Metric \"{}\" assessed {} due to {}", metric.name,
                                    to_string(phase), r.phase_reason);
        if (!r.message.empty())
          worst_message += fmt::format(": \"Error Message: {}\"", r.message);
      }
    }
  }
  AnalysisPhase run_phase;
  std::string message;
  if (terminating) {
    run_phase = worst.value_or(AnalysisPhase::Successful);
    message = worst_message;
    if (spec_.terminate && message.empty()) message = "Run Terminated";
  } else if (!everything_completed || !worst) {
    run_phase = AnalysisPhase::Running;
  } else {
    run_phase = *worst;
    message = worst_message;
  }
  status_.phase = run_phase;
  status_.message = message;
  if (is_completed(run_phase) && !status_.completed_at) status_.completed_at = now;
}

std::optional<SimTime> AnalysisRun::next_wake(SimTime now) const {
  if (completed()) return std::nullopt;
  // A metric that completed with a bad phase this step terminates its siblings on the next
  // step: requeue immediately (upstream: the status update re-triggers the reconcile).
  if (is_terminating()) return now;
  std::optional<SimTime> best;
  auto consider = [&](SimTime t) {
    if (!best || t < *best) best = t;
  };
  for (size_t i = 0; i < spec_.metrics.size(); ++i) {
    const Metric& metric = spec_.metrics[i];
    const MetricResult& r = status_.metric_results[i];
    if (is_completed(r.phase)) continue;
    if (!r.last_finished_at) {
      if (metric.initial_delay && status_.started_at)
        consider(*status_.started_at + *metric.initial_delay);
      continue;
    }
    auto eff = metric.effective_count();
    if (eff && r.count >= *eff) continue;
    consider(*r.last_finished_at + (r.last_phase == AnalysisPhase::Error
                                        ? kErrorRetryInterval
                                        : metric.interval.value_or(kErrorRetryInterval)));
  }
  return best;
}

namespace {

// Renders `m` into `out`. When `out` already holds a rendered measurement (one trimmed from
// the front of the history, or the one being re-rendered), its members' storage is reused:
// appending a measurement to a full history then allocates nothing.
void render_measurement(json& out, const Measurement& m) {
  if (!out.is_object()) out = json::object();
  auto& members = out.get_ref<json::object_t&>();
  size_t rendered = 0;
  auto put = [&](std::string_view key, bool present, const auto& write) {
    auto it = members.find(key);
    if (!present) {
      if (it != members.end()) members.erase(it);
      return;
    }
    ++rendered;
    if (it == members.end()) it = members.emplace(key, json::value_t::string).first;
    else if (!it->second.is_string()) it->second = json::value_t::string;
    write(it->second.get_ref<std::string&>());
  };
  put("phase", true, [&](std::string& v) { v = to_string(m.phase); });
  put("startedAt", true, [&](std::string& v) { assign_status_time(v, m.started_at); });
  put("finishedAt", m.finished_at.has_value(), [&](std::string& v) { assign_status_time(v, *m.finished_at); });
  put("value", !m.value.empty(), [&](std::string& v) { v = m.value; });
  put("message", !m.message.empty(), [&](std::string& v) { v = m.message; });
  if (members.size() != rendered) {  // members that are not a measurement's: start afresh
    out = json::object();
    render_measurement(out, m);
  }
}

json measurement_json(const Measurement& m) {
  json jm(json::value_t::object);
  render_measurement(jm, m);
  return jm;
}

json summary_json(const RunSummary& s) {
  return json{{"count", s.count},
              {"successful", s.successful},
              {"failed", s.failed},
              {"inconclusive", s.inconclusive},
              {"error", s.error}};
}

// In-place edits of a rendered status object: a field is (re)rendered when it appeared or
// changed and erased when it disappeared. `render` runs only when a value is written (this
// runs for every field of every metric on every measurement).
template <class Render>
void edit_field(json& obj, std::string_view key, bool present, bool was, bool changed, const Render& render) {
  auto& members = obj.get_ref<json::object_t&>();
  if (present && (changed || !was)) {
    if (auto it = members.find(key); it != members.end()) it->second = render();
    else members.emplace(key, render());
  } else if (!present && was) {
    if (auto it = members.find(key); it != members.end()) members.erase(it);
  }
}

void edit_time(json& obj, std::string_view key, const std::optional<SimTime>& now,
               const std::optional<SimTime>* before) {
  const bool present = now.has_value(), was = before && before->has_value();
  if (present && was && now != *before) {  // rewritten in place: lastFinishedAt moves every measurement
    auto& members = obj.get_ref<json::object_t&>();
    if (auto it = members.find(key); it != members.end() && it->second.is_string()) {
      assign_status_time(it->second.get_ref<std::string&>(), *now);
      return;
    }
  }
  edit_field(obj, key, present, was, before && now != *before, [&] { return format_time(*now); });
}

// The fields of a metric result other than its measurements, edited from the rendering of
// `b` (null: `out` is a new, empty object).
void edit_metric_fields(json& out, const MetricResult& r, const MetricSummary* b) {
  auto num = [&](const char* k, std::int64_t now, std::int64_t was) {
    edit_field(out, k, true, b != nullptr, now != was, [&] { return now; });
  };
  edit_field(out, "name", true, b != nullptr, b && r.name != b->name, [&] { return r.name; });
  edit_field(out, "phase", true, b != nullptr, b && r.phase != b->phase, [&] { return to_string(r.phase); });
  num("count", r.count, b ? b->count : 0);
  num("successful", r.successful, b ? b->successful : 0);
  num("failed", r.failed, b ? b->failed : 0);
  num("inconclusive", r.inconclusive, b ? b->inconclusive : 0);
  num("error", r.error, b ? b->error : 0);
  num("consecutiveError", r.consecutive_error, b ? b->consecutive_error : 0);
  num("consecutiveSuccess", r.consecutive_success, b ? b->consecutive_success : 0);
  edit_field(out, "message", !r.message.empty(), b && !b->message.empty(), b && r.message != b->message,
             [&] { return r.message; });
  edit_field(out, "phaseReason", !r.phase_reason.empty(), b && !b->phase_reason.empty(),
             b && r.phase_reason != b->phase_reason, [&] { return r.phase_reason; });
  edit_field(out, "dryRun", r.dry_run, b && b->dry_run, false, [] { return true; });
  edit_time(out, "lastFinishedAt", r.last_finished_at, b ? &b->last_finished_at : nullptr);
  edit_field(out, "lastPhase", r.last_finished_at.has_value(), b && b->last_finished_at.has_value(),
             b && r.last_phase != b->last_phase, [&] { return to_string(r.last_phase); });
}

json metric_result_json(const MetricResult& r) {
  json jr = json::object();
  edit_metric_fields(jr, r, nullptr);
  json ms = json::array();
  for (const auto& m : r.measurements) ms.push_back(measurement_json(m));
  jr["measurements"] = std::move(ms);
  return jr;
}

// The rendering of a history that lost `trimmed` measurements at the front and gained
// `appended` at the back: the trimmed renderings rotate to the back, where the appended
// measurements reuse their storage; the others are left as they are.
void edit_measurements(json& out, const std::vector<Measurement>& now, size_t appended, size_t trimmed) {
  const size_t before = now.size() + trimmed - appended;
  if (!out.is_array() || out.size() != before || appended > now.size()) {
    json ms = json::array();
    for (const auto& m : now) ms.push_back(measurement_json(m));
    out = std::move(ms);
    return;
  }
  auto& ms = out.get_ref<json::array_t&>();
  std::rotate(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(trimmed), ms.end());
  for (size_t i = now.size() - appended; i < now.size(); ++i) {
    if (i == ms.size()) ms.emplace_back(json::value_t::object);
    render_measurement(ms[i], now[i]);
  }
  ms.resize(now.size());
}

// Whether `st` has the shape of a status_json() rendering with `results` metric results
// (what edit_status may edit in place).
bool edits_in_place(const json& st, size_t results) {
  if (!st.is_object()) return false;
  auto it = st.find("metricResults");
  if (it == st.end() || !it->is_array() || it->size() != results) return false;
  for (const json& r : *it)
    if (!r.is_object()) return false;
  return true;
}

}  // namespace

json AnalysisRun::status_json() const {
  json out = json::object();
  out["phase"] = to_string(status_.phase);
  if (!status_.message.empty()) out["message"] = status_.message;
  if (status_.started_at) out["startedAt"] = format_time(*status_.started_at);
  if (status_.completed_at) out["completedAt"] = format_time(*status_.completed_at);
  json results = json::array();
  for (const auto& r : status_.metric_results) results.push_back(metric_result_json(r));
  out["metricResults"] = std::move(results);
  out["runSummary"] = summary_json(status_.run_summary);
  if (status_.dry_run_summary.count > 0) out["dryRunSummary"] = summary_json(status_.dry_run_summary);
  return out;
}

void AnalysisRun::edit_status(json& st) const {
  const RunStatus& s = status_;
  const StepStart& b = last_step_;
  if (!b.valid || b.metrics.size() != s.metric_results.size() || !edits_in_place(st, b.metrics.size())) {
    st = status_json();
    return;
  }
  edit_field(st, "phase", true, true, s.phase != b.phase, [&] { return to_string(s.phase); });
  edit_field(st, "message", !s.message.empty(), !b.message.empty(), s.message != b.message,
             [&] { return s.message; });
  edit_time(st, "startedAt", s.started_at, &b.started_at);
  edit_time(st, "completedAt", s.completed_at, &b.completed_at);
  json& results = st["metricResults"];
  for (size_t i = 0; i < s.metric_results.size(); ++i) {
    const MetricResult& r = s.metric_results[i];
    const MetricSummary& was = b.metrics[i];
    json& jr = results[i];
    if (r.name != was.name) {
      jr = metric_result_json(r);
      continue;
    }
    edit_metric_fields(jr, r, &was);
    edit_measurements(jr["measurements"], r.measurements, b.histories[i].appended, b.histories[i].trimmed);
  }
  edit_field(st, "runSummary", true, true, !(s.run_summary == b.run_summary),
             [&] { return summary_json(s.run_summary); });
  edit_field(st, "dryRunSummary", s.dry_run_summary.count > 0, b.dry_run_summary.count > 0,
             !(s.dry_run_summary == b.dry_run_summary), [&] { return summary_json(s.dry_run_summary); });
}

Result<RunStatus> AnalysisRun::status_from_json(const json& st) {
  RunStatus s;
  if (!st.is_object()) return s;
  if (auto p = analysis_phase_from(st.value("phase", ""))) s.phase = *p;
  s.message = st.value("message", "");
  s.started_at = parse_time(st, "startedAt");
  s.completed_at = parse_time(st, "completedAt");
  if (auto it = st.find("metricResults"); it != st.end() && it->is_array()) {
    for (const auto& jr : *it) {
      MetricResult r;
      r.name = jr.value("name", "");
      r.phase = analysis_phase_from(jr.value("phase", "")).value_or(AnalysisPhase::Pending);
      r.message = jr.value("message", "");
      r.phase_reason = jr.value("phaseReason", "");
      r.count = jr.value("count", 0);
      r.successful = jr.value("successful", 0);
      r.failed = jr.value("failed", 0);
      r.inconclusive = jr.value("inconclusive", 0);
      r.error = jr.value("error", 0);
      r.consecutive_error = jr.value("consecutiveError", 0);
      r.consecutive_success = jr.value("consecutiveSuccess", 0);
      r.dry_run = jr.value("dryRun", false);
      r.last_finished_at = parse_time(jr, "lastFinishedAt");
      r.last_phase =
          analysis_phase_from(jr.value("lastPhase", "")).value_or(AnalysisPhase::Pending);
      if (auto ms = jr.find("measurements"); ms != jr.end() && ms->is_array()) {
        for (const auto& jm : *ms) {
          Measurement m;
          m.phase = analysis_phase_from(jm.value("phase", "")).value_or(AnalysisPhase::Running);
          m.message = jm.value("message", "");
          m.value = jm.value("value", "");
          m.started_at = parse_time(jm, "startedAt").value_or(SimTime{});
          m.finished_at = parse_time(jm, "finishedAt");
          r.measurements.push_back(std::move(m));
        }
      }
      if (!r.last_finished_at && !r.measurements.empty()) {
        r.last_finished_at = r.measurements.back().finished_at;
        r.last_phase = r.measurements.back().phase;
      }
      s.metric_results.push_back(std::move(r));
    }
  }
  return s;
}

}  // namespace rehearse::rollouts
