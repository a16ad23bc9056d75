#include "engine/rollouts/rollout_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/rollouts/canary_math.hpp"

namespace rehearse::rollouts {

using nlohmann::json;

const char* to_string(StepType t) {
  switch (t) {
    case StepType::SetWeight: return "setWeight";
    case StepType::Pause: return "pause";
    case StepType::Analysis: return "analysis";
    case StepType::SetCanaryScale: return "setCanaryScale";
    case StepType::SetHeaderRoute: return "setHeaderRoute";
    case StepType::SetMirrorRoute: return "setMirrorRoute";
    case StepType::Experiment: return "experiment";
    case StepType::Plugin: return "plugin";
  }
  return "unknown";
}

namespace {

struct Ctx {
  const model::Object& obj;
  model::Diagnostics& diags;
  void error(const std::string& ptr, const char* code, std::string msg) {
    diags.error(obj.pos_of(ptr), code, std::move(msg));
  }
};

std::optional<int> int_at(Ctx& c, const json& parent, const char* key, const std::string& ptr) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    c.error(ptr + "/" + key, "rollout-invalid", fmt::format("{} must be an integer", key));
    return std::nullopt;
  }
  return static_cast<int>(it->get<std::int64_t>());
}

std::string str_at(const json& parent, const char* key) {
  auto it = parent.find(key);
  return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

RolloutAnalysis parse_analysis(Ctx& c, const json& a, const std::string& ptr) {
  RolloutAnalysis out;
  out.pos = c.obj.pos_of(ptr);
  if (!a.is_object()) {
    c.error(ptr, "rollout-invalid", "analysis must be a mapping");
    return out;
  }
  if (auto it = a.find("templates"); it != a.end() && it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const json& t = (*it)[i];
      TemplateRef ref{str_at(t, "templateName"), t.is_object() && t.value("clusterScope", false)};
      if (ref.template_name.empty())
        c.error(fmt::format("{}/templates/{}", ptr, i), "rollout-invalid",
                "an analysis template reference needs templateName");
      else
        out.templates.push_back(ref);
    }
  }
  if (out.templates.empty())
    c.error(ptr, "rollout-invalid", "analysis needs at least one template in `templates`");
  if (auto it = a.find("args"); it != a.end() && it->is_array()) {
    for (const auto& ja : *it) {
      if (!ja.is_object()) continue;
      Arg arg;
      arg.name = str_at(ja, "name");
      if (auto v = ja.find("value"); v != ja.end() && !v->is_null())
        arg.value = v->is_string() ? v->get<std::string>() : v->dump();
      if (auto vf = ja.find("valueFrom"); vf != ja.end() && vf->is_object()) {
        if (auto p = vf->find("podTemplateHashValue"); p != vf->end() && p->is_string())
          arg.pod_template_hash_value = p->get<std::string>();
        if (auto f = vf->find("fieldRef"); f != vf->end() && f->is_object())
          arg.field_ref = str_at(*f, "fieldPath");
      }
      out.args.push_back(std::move(arg));
    }
  }
  out.starting_step = int_at(c, a, "startingStep", ptr);
  return out;
}

void parse_step(Ctx& c, const json& s, const std::string& ptr, bool traffic,
                std::vector<CanaryStep>& out) {
  CanaryStep step;
  step.pos = c.obj.pos_of(ptr);
  if (!s.is_object() || s.empty()) {
    c.error(ptr, "rollout-step", "a step must set one of setWeight, pause, analysis, "
                                 "setCanaryScale, setHeaderRoute, setMirrorRoute, experiment");
    return;
  }
  static const std::set<std::string> kKnown = {"setWeight",      "pause",          "analysis",
                                               "setCanaryScale", "setHeaderRoute", "setMirrorRoute",
                                               "experiment",     "plugin"};
  int exclusive = 0;
  for (const auto& [k, v] : s.items()) {
    if (!kKnown.count(k)) {
      c.error(ptr + "/" + k, "rollout-step",
              fmt::format("unknown step type \"{}\" (expected setWeight, pause, analysis, "
                          "setCanaryScale, setHeaderRoute, setMirrorRoute, experiment or plugin)",
                          k));
      return;
    }
    if (k == "setWeight" || k == "pause" || k == "analysis" || k == "experiment") ++exclusive;
  }
  if (exclusive > 1) {
    c.error(ptr, "rollout-step",
            "a step may set only one of setWeight, pause, experiment and analysis");
    return;
  }
  if (auto it = s.find("setCanaryScale"); it != s.end()) {
    step.type = StepType::SetCanaryScale;
    if (!traffic)
      c.error(ptr + "/setCanaryScale", "rollout-step", "setCanaryScale requires trafficRouting");
    if (it->is_object()) {
      step.scale_replicas = int_at(c, *it, "replicas", ptr + "/setCanaryScale");
      step.scale_weight = int_at(c, *it, "weight", ptr + "/setCanaryScale");
      step.match_traffic_weight = it->value("matchTrafficWeight", false);
    }
    step.also_scale = true;
  }
  if (auto it = s.find("setWeight"); it != s.end()) {
    step.type = StepType::SetWeight;
    if (!it->is_number_integer()) {
      c.error(ptr + "/setWeight", "rollout-step", "setWeight must be an integer");
      return;
    }
    step.weight = static_cast<int>(it->get<std::int64_t>());
    if (step.weight < 0 || step.weight > 100)
      c.error(ptr + "/setWeight", "rollout-step",
              fmt::format("setWeight {} must be between 0 and 100", step.weight));
  } else if (auto p = s.find("pause"); p != s.end()) {
    step.type = StepType::Pause;
    if (p->is_object()) {
      if (auto d = p->find("duration"); d != p->end() && !d->is_null()) {
        auto secs = duration_seconds(*d);
        if (secs < 0)
          c.error(ptr + "/pause/duration", "rollout-duration",
                  fmt::format("invalid pause duration {}: use seconds (60) or a Go duration "
                              "(\"5m\", \"1h\")", d->dump()));
        step.pause_seconds = secs;
      }
    } else if (!p->is_null()) {
      c.error(ptr + "/pause", "rollout-step", "pause must be a mapping, e.g. {duration: 5m}");
    }
  } else if (auto a = s.find("analysis"); a != s.end()) {
    step.type = StepType::Analysis;
    step.analysis = parse_analysis(c, *a, ptr + "/analysis");
  } else if (s.contains("experiment")) {
    step.type = StepType::Experiment;
  } else if (s.contains("plugin")) {
    step.type = StepType::Plugin;
  } else if (auto h = s.find("setHeaderRoute"); h != s.end()) {
    step.type = StepType::SetHeaderRoute;
    step.route_name = h->is_object() ? str_at(*h, "name") : "";
    step.route_has_match = h->is_object() && h->contains("match");
  } else if (auto m = s.find("setMirrorRoute"); m != s.end()) {
    step.type = StepType::SetMirrorRoute;
    step.route_name = m->is_object() ? str_at(*m, "name") : "";
    step.route_has_match = m->is_object() && m->contains("match");
  }
  out.push_back(std::move(step));
}

}  // namespace

std::optional<RolloutSpec> parse_rollout(const model::Object& obj, model::Diagnostics& diags) {
  const size_t before = diags.size();
  Ctx c{obj, diags};
  RolloutSpec r;
  r.name = obj.name();
  r.ns = obj.ns();
  r.pos = obj.origin();
  const json& body = obj.body();
  auto spec_it = body.find("spec");
  if (spec_it == body.end() || !spec_it->is_object()) {
    c.error("", "rollout-invalid", fmt::format("{} has no spec", obj.key().str()));
    return std::nullopt;
  }
  const json& spec = *spec_it;
  if (auto v = int_at(c, spec, "replicas", "/spec")) r.replicas = *v;
  if (r.replicas < 0) c.error("/spec/replicas", "rollout-invalid", "replicas must be >= 0");
  r.paused = spec.value("paused", false);
  if (auto v = int_at(c, spec, "progressDeadlineSeconds", "/spec")) r.progress_deadline_seconds = *v;
  r.progress_deadline_abort = spec.value("progressDeadlineAbort", false);
  if (auto v = int_at(c, spec, "revisionHistoryLimit", "/spec")) r.revision_history_limit = std::max(0, *v);
  if (auto a = spec.find("analysis"); a != spec.end() && a->is_object()) {
    if (auto v = int_at(c, *a, "successfulRunHistoryLimit", "/spec/analysis"))
      r.successful_run_history_limit = std::max(0, *v);
    if (auto v = int_at(c, *a, "unsuccessfulRunHistoryLimit", "/spec/analysis"))
      r.unsuccessful_run_history_limit = std::max(0, *v);
  }
  if (auto it = spec.find("template"); it != spec.end()) r.pod_template = model::JsonBox(*it);
  else if (!spec.contains("workloadRef"))
    c.error("/spec", "rollout-invalid", "spec.template is required");
  if (auto it = spec.find("selector"); it != spec.end()) r.selector = model::JsonBox(*it);
  const json* strategy = nullptr;
  if (auto it = spec.find("strategy"); it != spec.end() && it->is_object()) strategy = &*it;
  if (!strategy || (!strategy->contains("canary") && !strategy->contains("blueGreen"))) {
    c.error("/spec/strategy", "rollout-invalid", "spec.strategy needs canary or blueGreen");
  } else if (strategy->contains("canary") && strategy->contains("blueGreen")) {
    c.error("/spec/strategy", "rollout-invalid", "spec.strategy may set only one of canary and blueGreen");
  } else if (auto cit = strategy->find("canary"); cit != strategy->end()) {
    const json& cj = cit->is_object() ? *cit : json::object();
    const std::string ptr = "/spec/strategy/canary";
    CanaryStrategy cs;
    if (auto it = cj.find("maxSurge"); it != cj.end()) cs.max_surge = model::JsonBox(*it);
    if (auto it = cj.find("maxUnavailable"); it != cj.end()) cs.max_unavailable = model::JsonBox(*it);
    cs.canary_service = str_at(cj, "canaryService");
    cs.stable_service = str_at(cj, "stableService");
    cs.dynamic_stable_scale = cj.value("dynamicStableScale", false);
    cs.scale_down_delay_seconds = int_at(c, cj, "scaleDownDelaySeconds", ptr);
    cs.abort_scale_down_delay_seconds = int_at(c, cj, "abortScaleDownDelaySeconds", ptr);
    cs.min_pods_per_replica_set = int_at(c, cj, "minPodsPerReplicaSet", ptr);
    if (auto it = cj.find("trafficRouting"); it != cj.end() && it->is_object()) {
      TrafficRouting tr;
      if (auto v = int_at(c, *it, "maxTrafficWeight", ptr + "/trafficRouting")) tr.max_weight = *v;
      if (auto mr = it->find("managedRoutes"); mr != it->end() && mr->is_array())
        for (const auto& m : *mr) tr.managed_routes.push_back(str_at(m, "name"));
      if (auto is = it->find("istio"); is != it->end() && is->is_object()) {
        IstioRouting ir;
        auto add_vs = [&](const json& vs) {
          IstioRouting::VirtualServiceRef ref{str_at(vs, "name"), {}};
          if (auto rt = vs.find("routes"); rt != vs.end() && rt->is_array())
            for (const auto& x : *rt)
              if (x.is_string()) ref.routes.push_back(x.get<std::string>());
          ir.virtual_services.push_back(std::move(ref));
        };
        if (auto vs = is->find("virtualService"); vs != is->end() && vs->is_object()) add_vs(*vs);
        if (auto vss = is->find("virtualServices"); vss != is->end() && vss->is_array())
          for (const auto& vs : *vss) add_vs(vs);
        if (auto dr = is->find("destinationRule"); dr != is->end() && dr->is_object()) {
          ir.destination_rule = str_at(*dr, "name");
          ir.canary_subset = str_at(*dr, "canarySubsetName");
          ir.stable_subset = str_at(*dr, "stableSubsetName");
        }
        if (tr.max_weight != 100)
          c.error(ptr + "/trafficRouting/maxTrafficWeight", "rollout-invalid",
                  "maxTrafficWeight is not supported with Istio (the stable weight is 100 - canary)");
        tr.istio = std::move(ir);
      } else {
        for (const auto& [k, v] : it->items())
          if (k != "managedRoutes" && k != "maxTrafficWeight") tr.other_router = k;
      }
      cs.traffic_routing = std::move(tr);
      if (cs.canary_service.empty() || cs.stable_service.empty()) {
        if (!(cs.traffic_routing->istio && !cs.traffic_routing->istio->destination_rule.empty()))
          c.error(ptr, "rollout-invalid",
                  "trafficRouting needs canaryService and stableService");
      } else if (cs.canary_service == cs.stable_service) {
        c.error(ptr + "/canaryService", "rollout-invalid",
                "canaryService and stableService must differ");
      }
    } else {
      if (cs.scale_down_delay_seconds)
        c.error(ptr + "/scaleDownDelaySeconds", "rollout-invalid",
                "scaleDownDelaySeconds requires trafficRouting");
      if (cs.dynamic_stable_scale)
        c.error(ptr + "/dynamicStableScale", "rollout-invalid",
                "dynamicStableScale requires trafficRouting");
    }
    if (cs.dynamic_stable_scale && cs.scale_down_delay_seconds)
      c.error(ptr + "/dynamicStableScale", "rollout-invalid",
              "dynamicStableScale cannot be combined with scaleDownDelaySeconds");
    // maxSurge and maxUnavailable: valid int-or-percent, not both zero (raw-value check).
    auto fp = resolve_fenceposts(&*cs.max_surge, &*cs.max_unavailable, 100);
    if (!fp) c.error(ptr, "rollout-invalid", fp.error().message);
    auto is_zero = [](const json& v) {
      return (v.is_number_integer() && v.get<std::int64_t>() == 0) ||
             (v.is_string() && (v == "0" || v == "0%"));
    };
    if (is_zero(*cs.max_surge) && is_zero(*cs.max_unavailable))
      c.error(ptr + "/maxSurge", "rollout-invalid", "maxSurge and maxUnavailable cannot both be 0");
    if (auto st = cj.find("steps"); st != cj.end() && !st->is_null()) {
      if (!st->is_array()) {
        c.error(ptr + "/steps", "rollout-invalid", "steps must be a list");
      } else {
        for (size_t i = 0; i < st->size(); ++i)
          parse_step(c, (*st)[i], fmt::format("{}/steps/{}", ptr, i), cs.traffic_routing.has_value(),
                     cs.steps);
      }
      for (const auto& step : cs.steps) {
        if ((step.type == StepType::SetHeaderRoute || step.type == StepType::SetMirrorRoute)) {
          const bool ok_router = cs.traffic_routing && (cs.traffic_routing->istio ||
                                                        step.type == StepType::SetHeaderRoute);
          if (!ok_router)
            diags.error(step.pos, "rollout-step",
                        fmt::format("{} requires a traffic router that supports it (Istio)",
                                    to_string(step.type)));
          else if (std::find(cs.traffic_routing->managed_routes.begin(),
                             cs.traffic_routing->managed_routes.end(),
                             step.route_name) == cs.traffic_routing->managed_routes.end())
            diags.error(step.pos, "rollout-step",
                        fmt::format("route \"{}\" must be listed in trafficRouting.managedRoutes",
                                    step.route_name));
        }
      }
    }
    if (auto a = cj.find("analysis"); a != cj.end() && !a->is_null())
      cs.background = parse_analysis(c, *a, ptr + "/analysis");
    r.canary = std::move(cs);
  } else if (auto bit = strategy->find("blueGreen"); bit != strategy->end()) {
    const json& bj = bit->is_object() ? *bit : json::object();
    const std::string ptr = "/spec/strategy/blueGreen";
    BlueGreenStrategy bg;
    bg.active_service = str_at(bj, "activeService");
    bg.preview_service = str_at(bj, "previewService");
    if (bg.active_service.empty())
      c.error(ptr, "rollout-invalid", "blueGreen.activeService is required");
    if (!bg.preview_service.empty() && bg.preview_service == bg.active_service)
      c.error(ptr + "/previewService", "rollout-invalid",
              "previewService and activeService must differ");
    bg.auto_promotion_enabled = bj.value("autoPromotionEnabled", true);
    if (auto v = int_at(c, bj, "autoPromotionSeconds", ptr)) bg.auto_promotion_seconds = *v;
    bg.preview_replica_count = int_at(c, bj, "previewReplicaCount", ptr);
    if (auto v = int_at(c, bj, "scaleDownDelaySeconds", ptr)) bg.scale_down_delay_seconds = *v;
    bg.abort_scale_down_delay_seconds = int_at(c, bj, "abortScaleDownDelaySeconds", ptr);
    if (auto a = bj.find("prePromotionAnalysis"); a != bj.end() && !a->is_null())
      bg.pre_promotion = parse_analysis(c, *a, ptr + "/prePromotionAnalysis");
    if (auto a = bj.find("postPromotionAnalysis"); a != bj.end() && !a->is_null())
      bg.post_promotion = parse_analysis(c, *a, ptr + "/postPromotionAnalysis");
    r.blue_green = std::move(bg);
  }
  for (size_t i = before; i < diags.items().size(); ++i)
    if (diags.items()[i].severity == model::Severity::Error) return std::nullopt;
  return r;
}

Result<std::vector<const AnalysisTemplate*>> expand_templates(const std::vector<TemplateRef>& refs,
                                                              const TemplateLookup& lookup) {
  std::vector<const AnalysisTemplate*> out;
  std::vector<TemplateRef> queue(refs.begin(), refs.end());
  std::set<std::pair<std::string, bool>> seen;
  for (size_t i = 0; i < queue.size(); ++i) {
    const TemplateRef ref = queue[i];
    if (!seen.insert({ref.template_name, ref.cluster_scope}).second) continue;
    const AnalysisTemplate* t = lookup ? lookup(ref) : nullptr;
    if (!t)
      return fail("template-missing",
                  fmt::format("{} \"{}\" not found",
                              ref.cluster_scope ? "ClusterAnalysisTemplate" : "AnalysisTemplate",
                              ref.template_name));
    out.push_back(t);
    for (const auto& nested : t->spec.templates) queue.push_back(nested);
  }
  return out;
}

std::vector<std::string> check_blocking_analyses(const RolloutSpec& rollout,
                                                 const TemplateLookup& lookup,
                                                 model::Diagnostics* diags, bool report_missing) {
  std::vector<std::string> problems;
  auto check = [&](const RolloutAnalysis& a) {
    auto ts = expand_templates(a.templates, lookup);
    if (!ts) {
      if (report_missing && diags) diags->error(a.pos, "rollout-template-missing", ts.error().message);
      return;
    }
    for (const auto* t : *ts) {
      for (size_t i = 0; i < t->spec.metrics.size(); ++i) {
        const json& m = *t->spec.metrics[i];
        const bool has_interval = m.contains("interval") && m["interval"].is_string() &&
                                  !m["interval"].get<std::string>().empty();
        const json count = m.value("count", json());
        const bool placeholder = count.is_string() &&
                                 count.get<std::string>().find("{{") != std::string::npos;
        const bool zero = count.is_null() || (count.is_number() && count.get<double>() == 0) ||
                          (count.is_string() && count == "0");
        if (has_interval && zero && !placeholder) {
          std::string msg = fmt::format(
              "AnalysisTemplate {} has metric {} which runs indefinitely. Invalid value for "
              "count: {}", t->name, t->spec.metric_names[i], count.is_null() ? "<nil>" : count.dump());
          problems.push_back(msg);
          if (diags) diags->error(a.pos, "rollout-unbounded-analysis", msg);
        }
      }
    }
  };
  if (rollout.canary)
    for (const auto& s : rollout.canary->steps)
      if (s.type == StepType::Analysis) check(s.analysis);
  if (rollout.blue_green) {
    if (rollout.blue_green->pre_promotion) check(*rollout.blue_green->pre_promotion);
    if (rollout.blue_green->post_promotion) check(*rollout.blue_green->post_promotion);
  }
  return problems;
}

}  // namespace rehearse::rollouts
