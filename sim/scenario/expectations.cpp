#include "sim/scenario/expectations.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include <fmt/format.h>

#include "engine/expr/jsonpath.hpp"
#include "sim/scenario/scenario_loader.hpp"

namespace rehearse::sim {

using nlohmann::json;

namespace {

std::string strip_group(const std::string& object) {
  // "Deployment.apps/ns/name" -> "Deployment/ns/name"
  auto slash = object.find('/');
  auto dot = object.find('.');
  if (dot != std::string::npos && dot < slash) return object.substr(0, dot) + object.substr(slash);
  return object;
}

bool value_matches(const json& want, const json& got) {
  if (want.is_string() && got.is_string())
    return glob_match(want.get<std::string>(), got.get<std::string>());
  if (want.is_object() && got.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto g = got.find(it.key());
      if (g == got.end() || !value_matches(it.value(), *g)) return false;
    }
    return true;
  }
  return want == got;
}

std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 300) s = s.substr(0, 297) + "...";
  return s;
}

std::string at_str(SimTime t) { return format_short(t - kSimStart); }

}  // namespace

bool event_matches(const EventMatcher& m, const TraceEntry& e) {
  if (!glob_match(m.kind, e.kind)) return false;
  if (!m.object.empty()) {
    bool has_glob = m.object.find_first_of("*?") != std::string::npos;
    if (has_glob) {
      if (!glob_match(m.object, e.object) && !glob_match(m.object, strip_group(e.object)))
        return false;
    } else {
      auto ref = parse_object_ref(m.object);
      if (ref.ok()) {
        if (ref->str() != e.object && m.object != e.object && m.object != strip_group(e.object))
          return false;
      } else if (m.object != e.object) {
        return false;
      }
    }
  }
  if (m.details->is_object() && !value_matches(*m.details, *e.details)) return false;
  return true;
}

std::string EventMatcher::describe() const {
  std::string s = fmt::format("`{}`", kind);
  if (!object.empty()) s += fmt::format(" on {}", object);
  if (details->is_object() && !details->empty()) s += fmt::format(" with {}", show(*details));
  return s;
}

std::string ValueCheck::describe() const {
  const json& v = *operand;
  switch (op) {
    case Op::Equals: return fmt::format("equals {}", show(v));
    case Op::NotEquals: return fmt::format("differs from {}", show(v));
    case Op::Matches: return fmt::format("matches /{}/", v.is_string() ? v.get<std::string>() : show(v));
    case Op::Exists: return "exists";
    case Op::Absent: return "does not exist";
    case Op::LessThan: return fmt::format("< {}", show(v));
    case Op::AtMost: return fmt::format("<= {}", show(v));
    case Op::GreaterThan: return fmt::format("> {}", show(v));
    case Op::AtLeast: return fmt::format(">= {}", show(v));
    case Op::Contains: return fmt::format("contains {}", show(v));
  }
  return "?";
}

namespace {

// The values `path` selects in `body` (the whole object for an empty path). The object
// missing selects nothing.
std::vector<json> select(const expr::JsonPath* path, const ObjectVersion* v) {
  if (!v) return {};
  if (!path) return {*v->body};
  return path->select(*v->body);
}

bool check_values(const ValueCheck& c, const std::vector<json>& values) {
  using Op = ValueCheck::Op;
  const json& want = *c.operand;
  if (c.op == Op::Exists) return !values.empty();
  if (c.op == Op::Absent) return values.empty();
  if (values.empty()) return c.op == Op::NotEquals;
  json got = values.size() == 1 ? values[0] : json(values);
  switch (c.op) {
    case Op::Equals: return got == want;
    case Op::NotEquals: return got != want;
    case Op::Matches: {
      if (!want.is_string()) return false;
      std::regex re(want.get<std::string>(), std::regex::ECMAScript);
      for (const auto& v : values) {
        std::string s = v.is_string() ? v.get<std::string>() : v.dump();
        if (!std::regex_search(s, re)) return false;
      }
      return true;
    }
    case Op::LessThan:
    case Op::AtMost:
    case Op::GreaterThan:
    case Op::AtLeast: {
      if (!got.is_number() || !want.is_number()) return false;
      double g = got.get<double>(), w = want.get<double>();
      if (c.op == Op::LessThan) return g < w;
      if (c.op == Op::AtMost) return g <= w;
      if (c.op == Op::GreaterThan) return g > w;
      return g >= w;
    }
    case Op::Contains: {
      if (got.is_string() && want.is_string())
        return got.get<std::string>().find(want.get<std::string>()) != std::string::npos;
      if (got.is_array()) return std::find(got.begin(), got.end(), want) != got.end();
      return false;
    }
    default: return false;
  }
}

std::string describe_values(const std::vector<json>& values, const ObjectVersion* v) {
  if (!v) return "the object did not exist";
  if (values.empty()) return "the path selected nothing";
  return values.size() == 1 ? show(values[0]) : show(json(values));
}

std::vector<std::string> context_lines(const Trace& trace, const std::string& object, SimTime until) {
  std::vector<const TraceEntry*> picked;
  const auto& entries = trace.entries();
  std::string short_obj = strip_group(object);
  auto about = [&](const TraceEntry& e) {
    return object.empty() || e.object == object || strip_group(e.object) == short_obj;
  };
  for (const auto& e : entries)
    if (e.t <= until && about(e)) picked.push_back(&e);
  if (picked.empty())
    for (const auto& e : entries)
      if (e.t <= until) picked.push_back(&e);
  size_t start = picked.size() > 8 ? picked.size() - 8 : 0;
  std::vector<std::string> out;
  for (size_t i = start; i < picked.size(); ++i) out.push_back(picked[i]->line);
  int after = 0;
  for (const auto& e : entries)
    if (e.t > until && about(e) && after < 2) {
      out.push_back(e.line);
      ++after;
    }
  return out;
}

ExpectationResult eval_state(const Expectation& e, const ObjectHistory& history,
                             const Trace& trace) {
  ExpectationResult r;
  r.expectation = &e;
  model::ObjectKey key = e.object.key();
  std::optional<expr::JsonPath> path;
  if (!e.path.empty()) {
    auto p = expr::JsonPath::parse(e.path);
    if (!p) {
      r.passed = false;
      r.expected = fmt::format("a valid path: {}", p.error().message);
      return r;
    }
    path = std::move(*p);
  }
  const expr::JsonPath* pp = path ? &*path : nullptr;
  std::string subject = e.path.empty() ? e.object.str() : fmt::format("{} {}", e.object.str(), e.path);
  std::string what = e.check.describe();
  // The states in effect during [from, to]: the one at `from`, then every later write.
  std::vector<const ObjectVersion*> states;
  std::vector<SimTime> times;
  states.push_back(history.at(key, e.from));
  times.push_back(e.from);
  if (e.when != Expectation::When::At && e.when != Expectation::When::Final) {
    for (const auto& v : history.versions(key))
      if (v.t > e.from && v.t <= e.to) {
        states.push_back(v.deleted ? nullptr : &v);
        times.push_back(v.t);
      }
  }
  auto holds = [&](size_t i) { return check_values(e.check, select(pp, states[i])); };
  switch (e.when) {
    case Expectation::When::Final:
    case Expectation::When::At: {
      r.title = e.when == Expectation::When::Final ? fmt::format("finally, {} {}", subject, what)
                                                   : fmt::format("at {}, {} {}", at_str(e.from), subject, what);
      r.passed = holds(0);
      r.observed_at = e.from;
      r.expected = fmt::format("{} {}", subject, what);
      r.observed = fmt::format("at {}: {}", at_str(e.from), describe_values(select(pp, states[0]), states[0]));
      break;
    }
    case Expectation::When::Eventually: {
      r.title = fmt::format("between {} and {}, eventually {} {}", at_str(e.from), at_str(e.to), subject, what);
      r.expected = fmt::format("{} {} at some point in [{}, {}]", subject, what, at_str(e.from), at_str(e.to));
      r.passed = false;
      for (size_t i = 0; i < states.size(); ++i)
        if (holds(i)) {
          r.passed = true;
          r.observed_at = times[i];
          break;
        }
      if (!r.passed) {
        r.observed_at = times.back();
        r.observed = fmt::format("never held; last value at {}: {}", at_str(times.back()),
                                 describe_values(select(pp, states.back()), states.back()));
      }
      break;
    }
    case Expectation::When::Always:
    case Expectation::When::Never: {
      bool always = e.when == Expectation::When::Always;
      r.title = fmt::format("from {} to {}, {} {} {}", at_str(e.from), at_str(e.to), subject,
                            always ? "always" : "never", what);
      r.expected = fmt::format("{} {}{} throughout [{}, {}]", subject, always ? "" : "never ", what,
                               at_str(e.from), at_str(e.to));
      r.passed = true;
      for (size_t i = 0; i < states.size(); ++i) {
        if (holds(i) != always) {
          r.passed = false;
          r.observed_at = times[i];
          r.observed = fmt::format("at {}: {}", at_str(times[i]), describe_values(select(pp, states[i]), states[i]));
          break;
        }
      }
      break;
    }
  }
  if (!r.passed) r.context = context_lines(trace, key.str(), r.observed_at);
  return r;
}

ExpectationResult eval_event(const Expectation& e, const Trace& trace) {
  ExpectationResult r;
  r.expectation = &e;
  std::int64_t n = 0;
  SimTime first{}, last{};
  for (const auto& entry : trace.entries()) {
    if (entry.t < e.from || entry.t > e.to || !event_matches(e.event, entry)) continue;
    if (n == 0) first = entry.t;
    last = entry.t;
    ++n;
  }
  std::string bounds;
  if (e.min_count && e.max_count && *e.min_count == *e.max_count)
    bounds = fmt::format("exactly {} time(s)", *e.min_count);
  else if (e.max_count && *e.max_count == 0)
    bounds = "never";
  else if (e.min_count && e.max_count)
    bounds = fmt::format("between {} and {} times", *e.min_count, *e.max_count);
  else if (e.max_count)
    bounds = fmt::format("at most {} time(s)", *e.max_count);
  else
    bounds = fmt::format("at least {} time(s)", e.min_count.value_or(1));
  r.title = fmt::format("event {} occurs {} in [{}, {}]", e.event.describe(), bounds,
                        at_str(e.from), at_str(e.to));
  r.expected = fmt::format("{} {}", e.event.describe(), bounds);
  r.passed = (!e.min_count || n >= *e.min_count) && (!e.max_count || n <= *e.max_count);
  r.observed = n == 0 ? "no matching event"
                      : fmt::format("{} matching event(s), first at {}, last at {}", n,
                                    at_str(first), at_str(last));
  r.observed_at = n ? (e.max_count && n > *e.max_count ? last : first) : e.to;
  if (!r.passed) r.context = context_lines(trace, e.event.object, r.observed_at);
  return r;
}

ExpectationResult eval_order(const Expectation& e, const Trace& trace) {
  ExpectationResult r;
  r.expectation = &e;
  std::vector<std::string> names;
  for (const auto& m : e.order) names.push_back(m.describe());
  std::string chain;
  for (const auto& n : names) chain += (chain.empty() ? "" : " before ") + n;
  r.title = fmt::format("in order: {}", chain);
  r.expected = chain;
  r.passed = true;
  std::uint64_t prev_seq = 0;
  SimTime prev_t{};
  for (size_t i = 0; i < e.order.size(); ++i) {
    const TraceEntry* found = nullptr;
    for (const auto& entry : trace.entries())
      if (entry.t >= e.from && entry.t <= e.to && event_matches(e.order[i], entry)) {
        found = &entry;
        break;
      }
    if (!found) {
      r.passed = false;
      r.observed = fmt::format("{} never happened", names[i]);
      r.observed_at = e.to;
      break;
    }
    if (i > 0 && found->seq <= prev_seq) {
      r.passed = false;
      r.observed = fmt::format("{} first happened at {} (seq {}), not after {} at {}", names[i],
                               at_str(found->t), found->seq, names[i - 1], at_str(prev_t));
      r.observed_at = found->t;
      break;
    }
    prev_seq = found->seq;
    prev_t = found->t;
  }
  if (r.passed) r.observed = "in that order";
  if (!r.passed) r.context = context_lines(trace, "", r.observed_at);
  return r;
}

// The canary weight of one Rollout as a step function over the trace's `rollouts.weight`
// events (0 before the first), checked over [from, to]: its maximum and its integral in
// traffic-minutes (weight% x minutes / 100).
ExpectationResult eval_exposure(const Expectation& e, const Trace& trace) {
  ExpectationResult r;
  r.expectation = &e;
  const ExposureCheck& x = e.exposure;
  EventMatcher m;
  m.kind = "rollouts.weight";
  m.object = x.rollout.str();
  std::vector<std::string> parts;
  if (x.max_weight) parts.push_back(fmt::format("at most {}% of traffic", *x.max_weight));
  if (x.max_traffic_minutes) parts.push_back(fmt::format("at most {} traffic-minutes", *x.max_traffic_minutes));
  std::string bounds;
  for (const auto& p : parts) bounds += (bounds.empty() ? "" : " and ") + p;
  r.title = fmt::format("the canary of {} receives {} in [{}, {}]", m.object, bounds, at_str(e.from),
                        at_str(e.to));
  r.expected = bounds;
  double weight = 0, peak = 0, minutes = 0;  // weight in effect, its maximum, the integral
  SimTime peak_at = e.from, t = e.from, over_at{};
  bool over = false;
  auto advance = [&](SimTime until) {
    if (until > t) {
      minutes += weight * static_cast<double>(to_ms(until - t)) / 60000.0 / 100.0;
      if (!over && x.max_traffic_minutes && minutes > *x.max_traffic_minutes) {
        over = true;
        // When the budget ran out, assuming the current weight (> 0 here).
        double excess = (minutes - *x.max_traffic_minutes) * 100.0 * 60000.0 / weight;
        over_at = until - SimDuration{static_cast<std::int64_t>(excess)};
      }
      t = until;
    }
  };
  for (const auto& entry : trace.entries()) {
    if (entry.t > e.to) break;
    if (!event_matches(m, entry)) continue;
    const json& c = entry.details->contains("canary") ? (*entry.details)["canary"] : json();
    if (!c.is_number()) continue;
    advance(std::max(entry.t, e.from));
    if (entry.t >= e.from && weight > peak) peak = weight, peak_at = e.from;  // carried in
    weight = c.get<double>();
    if (entry.t >= e.from && weight > peak) peak = weight, peak_at = entry.t;
  }
  if (weight > peak) peak = weight, peak_at = std::max(t, e.from);
  advance(e.to);
  const bool weight_ok = !x.max_weight || peak <= *x.max_weight;
  const bool minutes_ok = !x.max_traffic_minutes || minutes <= *x.max_traffic_minutes;
  r.passed = weight_ok && minutes_ok;
  r.observed = fmt::format("peak canary weight {}% (at {}), {:.2f} traffic-minutes", peak, at_str(peak_at), minutes);
  r.observed_at = !weight_ok ? peak_at : !minutes_ok ? over_at : e.to;
  if (!r.passed) r.context = context_lines(trace, m.object, r.observed_at);
  return r;
}

}  // namespace

std::vector<ExpectationResult> evaluate_expectations(const Scenario& scenario,
                                                     const ObjectHistory& history,
                                                     const Trace& trace) {
  std::vector<ExpectationResult> out;
  for (const auto& e : scenario.expectations) {
    ExpectationResult r;
    switch (e.kind) {
      case Expectation::Kind::State: r = eval_state(e, history, trace); break;
      case Expectation::Kind::Event: r = eval_event(e, trace); break;
      case Expectation::Kind::Order: r = eval_order(e, trace); break;
      case Expectation::Kind::Exposure: r = eval_exposure(e, trace); break;
    }
    if (!e.name.empty()) r.title = e.name + ": " + r.title;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rehearse::sim
