#include "engine/rollouts/analysis_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace rehearse::rollouts {

using nlohmann::json;

std::optional<std::int64_t> Metric::effective_count() const {
  const std::int64_t c = count.value_or(0);
  if (c == 0) {
    if (!interval) return 1;
    return std::nullopt;
  }
  return c;
}

const std::vector<std::string>& known_provider_types() {
  static const std::vector<std::string> kTypes = {
      "prometheus", "web",      "job",        "datadog",  "newRelic",   "wavefront", "kayenta",
      "cloudWatch", "graphite", "influxdb",   "skywalking", "plugin"};
  return kTypes;
}

namespace {

bool has_placeholder(const json& v) { return v.is_string() && v.get_ref<const std::string&>().find("{{") != std::string::npos; }

// int-or-string fields (count, limits) after args substitution.
std::optional<std::int64_t> as_int(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

std::optional<std::string> str_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The provider key of a metric: exactly one known provider.
Result<std::string> provider_of(const json& metric) {
  auto it = metric.find("provider");
  if (it == metric.end() || !it->is_object())
    return fail("spec-invalid", "metric has no provider");
  std::vector<std::string> found;
  for (const auto& [k, v] : it->items()) {
    if (v.is_null()) continue;
    if (std::find(known_provider_types().begin(), known_provider_types().end(), k) ==
        known_provider_types().end())
      return fail("spec-invalid", fmt::format("unknown provider \"{}\"", k));
    found.push_back(k);
  }
  if (found.size() != 1)
    return fail("spec-invalid", fmt::format("metric must define exactly one provider (found {})",
                                            found.size()));
  return found[0];
}

Result<Arg> parse_arg(const json& a) {
  if (!a.is_object()) return fail("analysis-invalid", "an arg must be a mapping");
  Arg arg;
  auto name = str_field(a, "name");
  if (!name || name->empty()) return fail("analysis-invalid", "an arg needs a name");
  arg.name = *name;
  if (auto it = a.find("value"); it != a.end() && !it->is_null()) {
    if (it->is_string()) arg.value = it->get<std::string>();
    else arg.value = it->dump();
  }
  if (auto vf = a.find("valueFrom"); vf != a.end() && vf->is_object()) {
    if (auto s = vf->find("secretKeyRef"); s != vf->end() && s->is_object())
      arg.secret_key_ref = std::make_pair(str_field(*s, "name").value_or(""),
                                          str_field(*s, "key").value_or(""));
    if (auto f = vf->find("fieldRef"); f != vf->end() && f->is_object())
      arg.field_ref = str_field(*f, "fieldPath").value_or("");
    if (auto p = str_field(*vf, "podTemplateHashValue")) arg.pod_template_hash_value = *p;
    if (!arg.has_value_from())
      return fail("analysis-invalid",
                  fmt::format("arg \"{}\": valueFrom needs secretKeyRef, fieldRef or "
                              "podTemplateHashValue", arg.name));
    if (arg.value)
      return fail("analysis-invalid",
                  fmt::format("arg {} has both value and valueFrom", arg.name));
  }
  return arg;
}

// ValidateMetric's limit rules over already typed fields; "" when valid.
std::string limit_rules(const Metric& m) {
  if (m.consecutive_success_limit < 0) return "consecutiveSuccessLimit must be >= 0";
  if (m.failure_limit < -1) return "failureLimit must be >= -1";
  if (m.inconclusive_limit < 0) return "inconclusiveLimit must be >= 0";
  if (m.consecutive_error_limit < 0) return "consecutiveErrorLimit must be >= 0";
  if (m.failure_limit == -1 && m.consecutive_success_limit == 0)
    return "failureLimit and consecutiveSuccessLimit cannot both be disabled";
  const std::int64_t count = m.count.value_or(0);
  if (count > 1 && !m.interval) return "interval must be specified when count > 1";
  if (count > 0) {
    if (m.failure_limit >= 0 && count < m.failure_limit + m.consecutive_success_limit)
      return "count must be >= failureLimit + consecutiveSuccessLimit";
    if (m.failure_limit == -1 && count < m.consecutive_success_limit)
      return "count must be >= consecutiveSuccessLimit";
    if (count < m.inconclusive_limit) return "count must be >= inconclusiveLimit";
  }
  return {};
}

}  // namespace

std::int64_t duration_seconds(const json& value) {
  if (value.is_number_integer()) {
    auto v = value.get<std::int64_t>();
    return (v < INT32_MIN || v > INT32_MAX) ? -1 : v;
  }
  if (!value.is_string()) return -1;
  const auto& s = value.get_ref<const std::string&>();
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (!s.empty() && p == s.data() + s.size()) {
    // A unit-less number: seconds, if it fits int32 (as intstr.Parse does).
    if (ec != std::errc() || n < INT32_MIN || n > INT32_MAX) return -1;
    return n;
  }
  auto d = sim::parse_go_duration(s);
  if (!d) return -1;
  return sim::to_ms(*d) / 1000;
}

Result<json> substitute_args(const json& raw, const std::map<std::string, std::string>& args) {
  if (raw.is_string()) {
    const auto& s = raw.get_ref<const std::string&>();
    if (s.find("{{") == std::string::npos) return raw;
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
      size_t open = s.find("{{", i);
      if (open == std::string::npos) {
        out.append(s, i, std::string::npos);
        break;
      }
      size_t close = s.find("}}", open + 2);
      if (close == std::string::npos) {
        out.append(s, i, std::string::npos);
        break;
      }
      out.append(s, i, open - i);
      std::string tag = s.substr(open + 2, close - open - 2);
      tag.erase(0, tag.find_first_not_of(" \t"));
      tag.erase(tag.find_last_not_of(" \t") + 1);
      auto it = tag.rfind("args.", 0) == 0 ? args.find(tag.substr(5)) : args.end();
      if (it == args.end()) return fail("args-unresolved", fmt::format("failed to resolve {{{{{}}}}}", tag));
      out += it->second;
      i = close + 2;
    }
    return json(std::move(out));
  }
  if (raw.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : raw.items()) {
      auto r = substitute_args(v, args);
      if (!r) return unexpected(r.error());
      out[k] = std::move(*r);
    }
    return out;
  }
  if (raw.is_array()) {
    json out = json::array();
    for (const auto& v : raw) {
      auto r = substitute_args(v, args);
      if (!r) return unexpected(r.error());
      out.push_back(std::move(*r));
    }
    return out;
  }
  return raw;
}

namespace {

// interval, initialDelay, count and the limits of a metric (args already substituted);
// "" when valid. Durations are skipped when `durations` is false.
std::string parse_scalars(const json& m, Metric& out, bool durations) {
  auto duration = [&](const char* key, std::optional<SimDuration>& dst) -> std::string {
    auto it = m.find(key);
    if (it == m.end() || it->is_null()) return {};
    if (!it->is_string()) return fmt::format("{} must be a duration string", key);
    if (it->get_ref<const std::string&>().empty()) return {};
    auto d = sim::parse_go_duration(it->get<std::string>());
    if (!d) return durations ? fmt::format("{}: {}", key, d.error().message) : std::string{};
    dst = *d;
    return {};
  };
  if (auto e = duration("interval", out.interval); !e.empty()) return e;
  if (auto e = duration("initialDelay", out.initial_delay); !e.empty()) return e;
  auto int_field = [&](const char* key, int& dst) -> std::string {
    auto it = m.find(key);
    if (it == m.end() || it->is_null()) return {};
    auto v = as_int(*it);
    if (!v || *v < INT32_MIN || *v > INT32_MAX) return fmt::format("{} must be an integer", key);
    dst = static_cast<int>(*v);
    return {};
  };
  if (auto it = m.find("count"); it != m.end() && !it->is_null()) {
    auto v = as_int(*it);
    if (!v || *v < 0) return "count must be a non-negative integer";
    out.count = *v;
  }
  if (auto e = int_field("failureLimit", out.failure_limit); !e.empty()) return e;
  if (auto e = int_field("inconclusiveLimit", out.inconclusive_limit); !e.empty()) return e;
  if (auto e = int_field("consecutiveErrorLimit", out.consecutive_error_limit); !e.empty())
    return e;
  if (auto e = int_field("consecutiveSuccessLimit", out.consecutive_success_limit); !e.empty())
    return e;
  return limit_rules(out);
}

}  // namespace

Result<Metric> resolve_metric(const json& raw, const std::map<std::string, std::string>& args) {
  auto sub = substitute_args(raw, args);
  if (!sub) return unexpected(sub.error());
  const json& m = *sub;
  Metric out;
  out.name = str_field(m, "name").value_or("");
  if (out.name.empty()) return fail("spec-invalid", "metric has no name");
  auto bad = [&](std::string what) {
    return fail("spec-invalid", fmt::format("metric \"{}\": {}", out.name, what));
  };
  if (auto e = parse_scalars(m, out, true); !e.empty()) return bad(e);
  out.success_condition_text = str_field(m, "successCondition").value_or("");
  out.failure_condition_text = str_field(m, "failureCondition").value_or("");
  if (!out.success_condition_text.empty()) {
    auto c = expr::Condition::compile(out.success_condition_text);
    if (!c) return bad("successCondition: " + c.error().message);
    out.success_condition = std::move(*c);
  }
  if (!out.failure_condition_text.empty()) {
    auto c = expr::Condition::compile(out.failure_condition_text);
    if (!c) return bad("failureCondition: " + c.error().message);
    out.failure_condition = std::move(*c);
  }
  auto prov = provider_of(m);
  if (!prov) return bad(prov.error().message);
  out.provider_type = *prov;
  out.provider = model::JsonBox(m.at("provider").at(*prov));
  if (out.provider_type == "web") {
    std::string path = "{$}";
    if (out.provider->is_object()) path = str_field(*out.provider, "jsonPath").value_or("{$}");
    if (path.empty()) path = "{$}";
    auto jp = expr::JsonPath::parse(path);
    if (!jp) return bad("jsonPath: " + jp.error().message);
    out.json_path = std::move(*jp);
  }
  return out;
}

namespace {

// Checks one raw metric of a template and reports problems at their positions.
void validate_metric(const json& m, const std::string& ptr, const model::Object& obj,
                     std::set<std::string>& names, model::Diagnostics& diags) {
  auto at = [&](const std::string& sub) { return obj.pos_of(ptr + sub); };
  if (!m.is_object()) {
    diags.error(at(""), "analysis-invalid", "a metric must be a mapping");
    return;
  }
  auto name = str_field(m, "name");
  if (!name || name->empty()) {
    diags.error(at(""), "analysis-invalid", "metric has no name");
    return;
  }
  if (!names.insert(*name).second)
    diags.error(at("/name"), "analysis-invalid",
                fmt::format("metric name \"{}\" is not unique", *name));
  for (const char* key : {"interval", "initialDelay"}) {
    auto it = m.find(key);
    if (it == m.end() || it->is_null() || has_placeholder(*it)) continue;
    if (!it->is_string()) {
      diags.error(at(std::string("/") + key), "analysis-duration",
                  fmt::format("metric \"{}\": {} must be a Go duration string such as \"1m\"",
                              *name, key));
      continue;
    }
    if (auto d = sim::parse_go_duration(it->get<std::string>()); !d)
      diags.error(at(std::string("/") + key), "analysis-duration",
                  fmt::format("metric \"{}\": {}: {} (use a Go duration such as \"30s\", \"5m\")",
                              *name, key, d.error().message));
  }
  for (const char* key : {"successCondition", "failureCondition"}) {
    auto it = m.find(key);
    if (it == m.end() || it->is_null() || has_placeholder(*it)) continue;
    if (!it->is_string()) {
      diags.error(at(std::string("/") + key), "analysis-condition",
                  fmt::format("metric \"{}\": {} must be a string", *name, key));
      continue;
    }
    if (auto c = expr::Condition::compile(it->get<std::string>()); !c)
      diags.error(at(std::string("/") + key), "analysis-condition",
                  fmt::format("metric \"{}\": {}: {}", *name, key, c.error().message));
  }
  if (auto p = provider_of(m); !p) {
    diags.error(at("/provider"), "analysis-provider",
                fmt::format("metric \"{}\": {}", *name, p.error().message));
  }
  // Typed checks that do not depend on args.
  bool placeholders = false;
  for (const char* key : {"count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit",
                          "consecutiveSuccessLimit", "interval"}) {
    if (auto it = m.find(key); it != m.end() && has_placeholder(*it)) placeholders = true;
  }
  if (!placeholders) {
    Metric probe;
    if (auto e = parse_scalars(m, probe, false); !e.empty())
      diags.error(at(""), "analysis-invalid", fmt::format("metric \"{}\": {}", *name, e));
  }
  if (auto pr = m.find("provider"); pr != m.end() && pr->is_object()) {
    if (auto w = pr->find("web"); w != pr->end() && w->is_object()) {
      if (auto jp = w->find("jsonPath"); jp != w->end() && jp->is_string() && !has_placeholder(*jp)) {
        if (auto parsed = expr::JsonPath::parse(jp->get<std::string>()); !parsed)
          diags.error(at("/provider/web/jsonPath"), "analysis-jsonpath",
                      fmt::format("metric \"{}\": {}", *name, parsed.error().message));
      }
    }
  }
}

}  // namespace

std::optional<AnalysisTemplate> parse_analysis_template(const model::Object& obj,
                                                        model::Diagnostics& diags) {
  const size_t before = diags.size();
  const auto bad_before = [&] {
    for (size_t i = before; i < diags.items().size(); ++i)
      if (diags.items()[i].severity == model::Severity::Error) return true;
    return false;
  };
  AnalysisTemplate t;
  t.name = obj.name();
  t.ns = obj.ns();
  t.cluster_scope = obj.known_kind() == model::Kind::ClusterAnalysisTemplate;
  t.pos = obj.origin();
  const json& body = obj.body();
  auto spec_it = body.find("spec");
  if (spec_it == body.end() || !spec_it->is_object()) {
    diags.error(obj.origin(), "analysis-invalid", fmt::format("{} has no spec", obj.key().str()));
    return std::nullopt;
  }
  const json& spec = *spec_it;
  if (auto it = spec.find("metrics"); it != spec.end() && !it->is_null()) {
    if (!it->is_array()) {
      diags.error(obj.pos_of("/spec/metrics"), "analysis-invalid", "spec.metrics must be a list");
    } else {
      std::set<std::string> names;
      for (size_t i = 0; i < it->size(); ++i) {
        const std::string ptr = fmt::format("/spec/metrics/{}", i);
        validate_metric((*it)[i], ptr, obj, names, diags);
        if ((*it)[i].is_object()) {
          t.spec.metrics.emplace_back((*it)[i]);
          t.spec.metric_names.push_back(str_field((*it)[i], "name").value_or(""));
          t.spec.metric_pos.push_back(obj.pos_of(ptr));
        }
      }
    }
  }
  if (auto it = spec.find("args"); it != spec.end() && it->is_array()) {
    std::set<std::string> seen;
    for (size_t i = 0; i < it->size(); ++i) {
      auto a = parse_arg((*it)[i]);
      if (!a) {
        diags.error(obj.pos_of(fmt::format("/spec/args/{}", i)), a.error().code,
                    a.error().message);
        continue;
      }
      if (!seen.insert(a->name).second)
        diags.error(obj.pos_of(fmt::format("/spec/args/{}", i)), "analysis-invalid",
                    fmt::format("arg \"{}\" is declared twice", a->name));
      t.spec.args.push_back(std::move(*a));
    }
  }
  if (auto it = spec.find("dryRun"); it != spec.end() && it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      auto n = (*it)[i].is_object() ? str_field((*it)[i], "metricName") : std::nullopt;
      if (!n) {
        diags.error(obj.pos_of(fmt::format("/spec/dryRun/{}", i)), "analysis-invalid",
                    "a dryRun rule needs metricName");
        continue;
      }
      try {
        std::regex re(*n);
      } catch (const std::regex_error&) {
        diags.error(obj.pos_of(fmt::format("/spec/dryRun/{}/metricName", i)), "analysis-invalid",
                    fmt::format("dryRun metricName \"{}\" is not a valid regular expression", *n));
        continue;
      }
      t.spec.dry_run.push_back(*n);
    }
  }
  if (auto it = spec.find("measurementRetention"); it != spec.end() && it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const json& r = (*it)[i];
      auto n = r.is_object() ? str_field(r, "metricName") : std::nullopt;
      auto lim = r.is_object() && r.contains("limit") ? as_int(r["limit"]) : std::nullopt;
      if (!n || !lim || *lim < 0) {
        diags.error(obj.pos_of(fmt::format("/spec/measurementRetention/{}", i)),
                    "analysis-invalid", "a measurementRetention rule needs metricName and limit");
        continue;
      }
      t.spec.retention.push_back({*n, static_cast<int>(*lim)});
    }
  }
  if (auto it = spec.find("templates"); it != spec.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (!r.is_object()) continue;
      t.spec.templates.push_back({str_field(r, "templateName").value_or(""),
                                  r.value("clusterScope", false)});
    }
  }
  t.spec.terminate = spec.value("terminate", false);
  if (t.spec.metrics.empty() && t.spec.templates.empty() && !bad_before())
    diags.error(obj.pos_of("/spec"), "analysis-invalid",
                fmt::format("{} has no metrics", obj.key().str()));
  // A dry-run rule that matches no metric is an error upstream.
  for (const auto& rule : t.spec.dry_run) {
    std::regex re(rule);
    bool any = false;
    for (const auto& n : t.spec.metric_names) any = any || std::regex_search(n, re);
    if (!any && t.spec.templates.empty())
      diags.error(obj.pos_of("/spec/dryRun"), "analysis-invalid",
                  fmt::format("dryRun[{}]: rule matches none of the metrics", rule));
  }
  if (bad_before()) return std::nullopt;
  return t;
}

Result<std::vector<Arg>> merge_args(const std::vector<const AnalysisTemplate*>& templates,
                                    const std::vector<Arg>& incoming) {
  std::vector<Arg> merged;
  for (const auto* t : templates) {
    for (const auto& a : t->spec.args) {
      auto it = std::find_if(merged.begin(), merged.end(),
                             [&](const Arg& x) { return x.name == a.name; });
      if (it == merged.end()) {
        merged.push_back(a);
      } else if (a.value) {
        if (it->value && *it->value != *a.value)
          return fail("args-conflict",
                      fmt::format("arg \"{}\" has conflicting values in the templates", a.name));
        it->value = a.value;  // a null value never overwrites a set one
      }
    }
  }
  for (const auto& in : incoming) {
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const Arg& x) { return x.name == in.name; });
    if (it == merged.end()) continue;  // undeclared incoming args are ignored
    *it = in;
  }
  for (const auto& a : merged)
    if (!a.value && !a.has_value_from())
      return fail("args-unresolved", fmt::format("args.{} was not resolved", a.name));
  return merged;
}

Result<RunSpec> build_run_spec(const AnalysisSpec& spec, const std::vector<Arg>& args,
                               const ValueFromResolver& resolve_from) {
  std::map<std::string, std::string> values;
  for (const auto& a : args) {
    if (a.value) {
      values[a.name] = *a.value;
    } else if (a.has_value_from() && resolve_from) {
      auto v = resolve_from(a);
      if (!v)
        return fail("args-unresolved",
                    fmt::format("Unable to resolve metric arguments: {}", v.error().message));
      values[a.name] = *v;
    }
    // An arg without any value only matters if a metric refers to it.
  }
  RunSpec out;
  out.terminate = spec.terminate;
  std::vector<std::regex> dry;
  for (const auto& r : spec.dry_run) dry.emplace_back(r);
  std::vector<std::pair<std::regex, int>> retention;
  for (const auto& r : spec.retention) retention.emplace_back(std::regex(r.metric_name), r.limit);
  std::set<std::string> names;
  for (const auto& raw : spec.metrics) {
    auto m = resolve_metric(*raw, values);
    if (!m) {
      if (m.error().code == "args-unresolved")
        return fail("args-unresolved",
                    fmt::format("Unable to resolve metric arguments: {}", m.error().message));
      return fail("spec-invalid", fmt::format("Analysis spec invalid: {}", m.error().message));
    }
    if (!names.insert(m->name).second)
      return fail("spec-invalid",
                  fmt::format("Analysis spec invalid: metric name \"{}\" is not unique", m->name));
    for (const auto& re : dry) m->dry_run = m->dry_run || std::regex_search(m->name, re);
    for (const auto& [re, limit] : retention)
      if (std::regex_search(m->name, re)) m->retention_limit = limit;
    out.metrics.push_back(std::move(*m));
  }
  if (out.metrics.empty()) return fail("spec-invalid", "Analysis spec invalid: no metrics");
  return out;
}

}  // namespace rehearse::rollouts
