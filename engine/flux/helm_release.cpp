#include "engine/flux/helm_release.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/expr/semver.hpp"
#include "engine/model/yaml_loader.hpp"
#include "engine/patch/patch.hpp"

namespace rehearse::flux {

using nlohmann::json;

namespace {

constexpr const char* kHelmGroup = "helm.toolkit.fluxcd.io";
constexpr const char* kActor = "helm-controller";
constexpr size_t kMaxHistory = 5;

std::string js(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& obj_at(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

std::string digest_of(const json& values) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : values.dump()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("fnv1a64:{:016x}", h);
}

std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    size_t p = chars.find(c);
    if (p == std::string::npos) continue;
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace

model::ObjectKey helm_release_key(std::string ns, std::string name) {
  return {kHelmGroup, "HelmRelease", std::move(ns), std::move(name)};
}

Result<std::string> select_chart_version(const std::vector<ChartVersion>& index, std::string_view version) {
  for (const auto& e : index)
    if (e.version == version) return e.version;
  std::string range = version.empty() ? "*" : std::string(version);
  auto c = expr::semver::Constraints::parse(range);
  if (!c) return fail("flux-chart-version", fmt::format("invalid version constraint '{}': {}", range, c.error().message));
  const ChartVersion* best = nullptr;
  std::optional<expr::semver::Version> best_v;
  for (const auto& e : index) {
    auto v = expr::semver::Version::parse_flux(e.version);
    if (!v || !c->check(*v)) continue;
    int cmp = best_v ? v->compare(*best_v) : 1;
    if (cmp > 0 || (cmp == 0 && e.created > best->created)) {
      best = &e;
      best_v = *v;
    }
  }
  if (!best) return fail("flux-chart-version", fmt::format("no chart version found for {}", range));
  return best->version;
}

Result<HelmReleaseSpec> parse_helm_release(const json& body) {
  HelmReleaseSpec s;
  const json& spec = obj_at(body, "spec");
  std::string ns = js(obj_at(body, "metadata"), "namespace");
  auto dur = [&](const char* k) -> Result<std::optional<SimDuration>> {
    if (!spec.contains(k) || !spec[k].is_string()) return std::optional<SimDuration>{};
    auto d = sim::parse_go_duration(spec[k].get<std::string>());
    if (!d) return fail("flux-invalid-spec", fmt::format("spec.{}: {}", k, d.error().message));
    return std::optional<SimDuration>{*d};
  };
  auto interval = dur("interval");
  if (!interval) return unexpected(interval.error());
  if (!*interval) return fail("flux-invalid-spec", "spec.interval is required");
  s.interval = **interval;
  auto timeout = dur("timeout");
  if (!timeout) return unexpected(timeout.error());
  if (*timeout) s.timeout = **timeout;
  const json& cs = obj_at(obj_at(spec, "chart"), "spec");
  s.chart = js(cs, "chart");
  if (s.chart.empty()) return fail("flux-invalid-spec", "spec.chart.spec.chart is required");
  if (!js(cs, "version").empty()) s.version = js(cs, "version");
  const json& sr = obj_at(cs, "sourceRef");
  s.source = {js(sr, "kind"), js(sr, "name"), js(sr, "namespace").empty() ? ns : js(sr, "namespace")};
  s.target_namespace = js(spec, "targetNamespace");
  s.release_name = js(spec, "releaseName");
  if (s.release_name.empty())
    s.release_name = s.target_namespace.empty() ? js(obj_at(body, "metadata"), "name")
                                                : s.target_namespace + "-" + js(obj_at(body, "metadata"), "name");
  if (s.target_namespace.empty()) s.target_namespace = ns;
  s.values = model::JsonBox(spec.contains("values") && spec["values"].is_object() ? spec["values"] : json::object());
  if (spec.contains("valuesFrom") && spec["valuesFrom"].is_array())
    for (const auto& v : spec["valuesFrom"]) {
      ValuesFrom f{js(v, "kind"), js(v, "name")};
      if (!js(v, "valuesKey").empty()) f.key = js(v, "valuesKey");
      f.optional = v.value("optional", false);
      s.values_from.push_back(std::move(f));
    }
  const json& inst = obj_at(obj_at(spec, "install"), "remediation");
  s.install_retries = inst.value("retries", 0);
  s.install_remediate_last = inst.value("remediateLastFailure", false);
  const json& up = obj_at(obj_at(spec, "upgrade"), "remediation");
  s.upgrade_retries = up.value("retries", 0);
  if (up.contains("remediateLastFailure") && up["remediateLastFailure"].is_boolean())
    s.upgrade_remediate_last = up["remediateLastFailure"].get<bool>();
  if (!js(up, "strategy").empty()) s.upgrade_strategy = js(up, "strategy");
  if (s.upgrade_strategy != "rollback" && s.upgrade_strategy != "uninstall")
    return fail("flux-invalid-spec", fmt::format("spec.upgrade.remediation.strategy '{}' is not rollback or uninstall", s.upgrade_strategy));
  s.test_enable = obj_at(spec, "test").value("enable", false);
  s.suspend = spec.value("suspend", false);
  if (spec.contains("dependsOn") && spec["dependsOn"].is_array())
    for (const auto& d : spec["dependsOn"])
      s.depends_on.push_back({"HelmRelease", js(d, "name"), js(d, "namespace").empty() ? ns : js(d, "namespace")});
  return s;
}

bool upgrade_remediates_last_failure(const HelmReleaseSpec& spec) {
  return spec.upgrade_remediate_last.value_or(spec.upgrade_retries > 0);
}

bool retries_exhausted(int failures, int retries) { return retries >= 0 && failures > retries; }

ReconcileOutcome HelmReleaseController::reconcile(const model::ObjectKey& key, const HelmEnv& env) {
  ReconcileOutcome out;
  model::ClusterClient& client = *env.client;
  const std::string subject = key.str();
  auto event = [&](std::string kind, json details) {
    out.events.push_back({std::move(kind), subject, model::JsonBox(std::move(details))});
  };
  auto got = client.get(key);
  if (!got) {
    inflight_.erase(key);
    return out;
  }
  model::Object hr = std::move(*got);
  const json& body = hr.body();
  std::int64_t generation = obj_at(body, "metadata").value("generation", std::int64_t{1});
  json status = obj_at(body, "status");
  auto write_status = [&] {
    model::Object copy = hr;
    copy.body()["status"] = status;
    (void)client.update_status(std::move(copy));
  };
  auto cond = [&](const char* type, const char* s, std::string_view reason, std::string_view msg) {
    set_condition(status, type, s, reason, msg, env.now, generation);
  };

  auto spec_r = parse_helm_release(body);
  if (!spec_r) {
    cond("Ready", "False", "InvalidSpec", spec_r.error().message);
    cond("Stalled", "True", "InvalidSpec", spec_r.error().message);
    write_status();
    return out;
  }
  const HelmReleaseSpec& spec = *spec_r;
  if (spec.suspend) return out;
  const std::string release = spec.target_namespace + "/" + spec.release_name;
  std::vector<Release>& history = releases_[key];

  for (const auto& dep : spec.depends_on) {
    auto d = client.get(helm_release_key(dep.ns, dep.name));
    if (!d || !ready_at_generation(d->body())) {
      std::string msg = fmt::format("dependency '{}/{}' is not ready", dep.ns, dep.name);
      cond("Ready", "False", "DependencyNotReady", msg);
      write_status();
      event("flux.helmrelease.dependency-not-ready", {{"dependency", dep.ns + "/" + dep.name}});
      out.requeue_after = kDependencyRequeue;
      return out;
    }
  }

  auto record = [&](const Release& r) {
    json h = json::array();
    for (auto it = history.rbegin(); it != history.rend() && h.size() < kMaxHistory; ++it)
      h.push_back({{"version", it->revision},
                   {"name", spec.release_name},
                   {"namespace", spec.target_namespace},
                   {"chartName", spec.chart},
                   {"chartVersion", it->chart_version},
                   {"configDigest", it->digest},
                   {"status", it->status}});
    (void)r;
    status["history"] = h;
  };
  auto apply_release = [&](Release& r) -> Result<void> {
    auto objs = env.backend->render(spec.chart, r.chart_version, *r.values, spec.target_namespace);
    if (!objs) return unexpected(objs.error());
    std::set<model::ObjectKey> keep;
    for (auto& o : *objs) {
      json& m = o.body()["metadata"];
      m["labels"][kHelmNameLabel] = key.name;
      m["labels"][kHelmNamespaceLabel] = key.ns;
      if (o.ns().empty() && model::classify(o.key().group, o.kind()) != model::Kind::Unknown &&
          model::kind_info(model::classify(o.key().group, o.kind())).namespaced)
        m["namespace"] = spec.target_namespace;
      o.refresh_identity();
      auto a = client.apply(o, model::ApplyOptions{kActor, true, true});
      if (!a) return fail("helm-apply", fmt::format("{}: {}", o.key().str(), a.error().message));
      r.objects.push_back(o.key());
      keep.insert(o.key());
    }
    // Objects of the previous deployed release that the new one no longer has go away.
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (it->status != "deployed" || &*it == &r) continue;
      for (const auto& k : it->objects)
        if (!keep.count(k)) (void)client.remove(k, {});
      break;
    }
    return {};
  };
  auto uninstall = [&]() {
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if (it->status == "deployed" || it->status == "failed") {
        for (const auto& k : it->objects) (void)client.remove(k, {});
        break;
      }
    for (auto& r : history) r.status = "uninstalled";
  };
  auto deployed = [&]() -> Release* {
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if (it->status == "deployed") return &*it;
    return nullptr;
  };
  auto failures = [&](const char* field) { return static_cast<int>(status.value(field, std::int64_t{0})); };

  // A failing action completes.
  auto inflight = inflight_.find(key);
  if (inflight != inflight_.end()) {
    if (env.now < inflight->second.finishes) {
      out.requeue_after = inflight->second.finishes - env.now;
      return out;
    }
    InFlight f = std::move(inflight->second);
    inflight_.erase(inflight);
    bool install = f.action == "install";
    const char* counter = install ? "installFailures" : "upgradeFailures";
    int n = failures(counter) + 1;
    status[counter] = n;
    status["failures"] = failures("failures") + 1;
    Release failed{history.empty() ? 1 : history.back().revision + 1, f.chart_version, f.digest, f.values, "failed", {}};
    history.push_back(failed);
    std::string msg = fmt::format("Helm {} failed for release {} with chart {}@{}: {}", f.action, release, spec.chart,
                                  f.chart_version, f.message);
    cond("Ready", "False", install ? "InstallFailed" : "UpgradeFailed", msg);
    remove_condition(status, "Reconciling");
    event(install ? "flux.helmrelease.install-failed" : "flux.helmrelease.upgrade-failed",
          {{"chartVersion", f.chart_version}, {"attempt", n}, {"message", f.message}});
    int retries = install ? spec.install_retries : spec.upgrade_retries;
    bool exhausted = retries_exhausted(n, retries);
    bool remediate_last = install ? spec.install_remediate_last : upgrade_remediates_last_failure(spec);
    if (!exhausted || remediate_last) {
      if (install || spec.upgrade_strategy == "uninstall") {
        uninstall();
        cond("Ready", "False", "UninstallSucceeded",
             fmt::format("Helm uninstall succeeded for release {} with chart {}@{}", release, spec.chart, f.chart_version));
        event("flux.helmrelease.uninstalled", {{"chartVersion", f.chart_version}});
      } else {
        Release* prev = nullptr;
        for (auto it = history.rbegin(); it != history.rend(); ++it)
          if (it->status == "deployed") {
            prev = &*it;
            break;
          }
        if (!prev) {
          cond("Stalled", "True", "MissingRollbackTarget", "no previous release to roll back to");
          record(failed);
          write_status();
          event("flux.helmrelease.stalled", {{"reason", "MissingRollbackTarget"}});
          return out;
        }
        Release rb{history.back().revision + 1, prev->chart_version, prev->digest, prev->values, "deployed", {}};
        int from = prev->revision;
        prev->status = "superseded";
        history.push_back(rb);
        auto applied = apply_release(history.back());
        (void)applied;
        cond("Ready", "False", "RollbackSucceeded",
             fmt::format("Helm rollback to previous release {}.v{} with chart {}@{} succeeded", release, from, spec.chart,
                         rb.chart_version));
        event("flux.helmrelease.rolled-back", {{"chartVersion", rb.chart_version}, {"failedChartVersion", f.chart_version}, {"revision", rb.revision}});
      }
    }
    record(failed);
    if (exhausted) {
      cond("Stalled", "True", "RetriesExceeded",
           fmt::format("Failed to {} after {} attempt(s)", f.action, n));
      write_status();
      event("flux.helmrelease.retries-exhausted", {{"action", f.action}, {"attempts", n}});
      return out;
    }
    write_status();
    out.requeue_after = SimDuration{0};
    return out;
  }

  // Chart and values.
  auto index = env.backend->index(spec.source, spec.chart);
  if (!index) {
    std::string msg = fmt::format("HelmChart '{}/{}-{}' is not ready: source {} '{}/{}' not found", spec.source.ns, key.ns,
                                  key.name, spec.source.kind, spec.source.ns, spec.source.name);
    cond("Ready", "False", "ArtifactFailed", msg);
    write_status();
    event("flux.helmrelease.artifact-failed", {{"message", msg}});
    out.requeue_after = spec.interval;
    return out;
  }
  auto version = select_chart_version(*index, spec.version);
  if (!version) {
    cond("Ready", "False", "ArtifactFailed", version.error().message);
    write_status();
    event("flux.helmrelease.artifact-failed", {{"message", version.error().message}});
    out.requeue_after = spec.interval;
    return out;
  }
  json values = json::object();
  for (const auto& vf : spec.values_from) {
    auto o = client.get({"", vf.kind, key.ns, vf.name});
    std::string text;
    bool found = false;
    if (o) {
      const json& data = obj_at(o->body(), "data");
      if (data.contains(vf.key) && data[vf.key].is_string()) {
        text = vf.kind == "Secret" ? base64_decode(data[vf.key].get<std::string>()) : data[vf.key].get<std::string>();
        found = true;
      }
    }
    if (!found) {
      if (vf.optional) continue;
      std::string msg = fmt::format("could not resolve {} chart values reference '{}/{}' with key '{}'", vf.kind, key.ns,
                                    vf.name, vf.key);
      cond("Ready", "False", "InitFailed", msg);
      write_status();
      event("flux.helmrelease.values-failed", {{"message", msg}});
      out.requeue_after = spec.interval;
      return out;
    }
    model::Diagnostics diags;
    auto docs = model::parse_yaml(text, vf.name, diags);
    if (!docs.empty() && docs[0].value->is_object()) patch::apply_merge_patch(values, *docs[0].value);
  }
  patch::apply_merge_patch(values, *spec.values);
  std::string digest = digest_of(values);

  // New chart version, values or spec reset the failure counters (§6).
  if (js(status, "lastAttemptedRevision") != *version || js(status, "lastAttemptedConfigDigest") != digest ||
      status.value("lastAttemptedGeneration", std::int64_t{0}) != generation) {
    status["installFailures"] = 0;
    status["upgradeFailures"] = 0;
    status["failures"] = 0;
    remove_condition(status, "Stalled");
  }
  status["lastAttemptedRevision"] = *version;
  status["lastAttemptedConfigDigest"] = digest;
  status["lastAttemptedGeneration"] = generation;
  status["helmChart"] = spec.source.ns + "/" + key.ns + "-" + key.name;

  Release* current = deployed();
  if (current && current->chart_version == *version && current->digest == digest) {
    status["observedGeneration"] = generation;
    const json* ready = find_status_condition(status, "Ready");
    if (!ready || js(*ready, "status") != "True") {
      cond("Ready", "True", "UpgradeSucceeded",
           fmt::format("Helm upgrade succeeded for release {}.v{} with chart {}@{}", release, current->revision, spec.chart, *version));
    }
    write_status();
    out.requeue_after = jittered(spec.interval, env.jitter_unit, env.jitter_percent);
    return out;
  }
  if (find_status_condition(status, "Stalled")) {
    write_status();  // stays stalled until something changes
    return out;
  }

  bool install = current == nullptr;
  std::string action = install ? "install" : "upgrade";
  HelmBackend::Outcome o = env.backend->action(release, action, spec.chart, *version);
  status["lastAttemptedReleaseAction"] = action;
  if (o.fail) {
    InFlight f{action, *version, digest, model::JsonBox(values), env.now + o.duration.value_or(spec.timeout), o.message};
    SimDuration wait = f.finishes - env.now;
    inflight_[key] = std::move(f);
    cond("Reconciling", "True", "Progressing",
         fmt::format("Running '{}' action with timeout of {}", action, sim::format_go_duration(spec.timeout)));
    cond("Ready", "Unknown", "Progressing", fmt::format("Running '{}' action with timeout of {}", action, sim::format_go_duration(spec.timeout)));
    write_status();
    event("flux.helmrelease." + action + "-started", {{"chartVersion", *version}});
    out.requeue_after = wait;
    return out;
  }
  Release r{history.empty() ? 1 : history.back().revision + 1, *version, digest, model::JsonBox(values), "deployed", {}};
  history.push_back(r);
  auto applied = apply_release(history.back());
  if (!applied) {
    history.back().status = "failed";
    cond("Ready", "False", install ? "InstallFailed" : "UpgradeFailed", applied.error().message);
    record(r);
    write_status();
    out.requeue_after = spec.interval;
    return out;
  }
  for (auto& h : history)
    if (&h != &history.back() && h.status == "deployed") h.status = "superseded";
  record(r);
  std::string reason = install ? "InstallSucceeded" : "UpgradeSucceeded";
  std::string msg = fmt::format("Helm {} succeeded for release {}.v{} with chart {}@{}", action, release, r.revision,
                                spec.chart, *version);
  if (spec.test_enable) {
    auto t = env.backend->action(release, "test", spec.chart, *version);
    if (t.fail) {
      cond("Ready", "False", "TestFailed", fmt::format("Helm test failed for release {}.v{}: {}", release, r.revision, t.message));
      write_status();
      event("flux.helmrelease.test-failed", {{"chartVersion", *version}});
      out.requeue_after = spec.interval;
      return out;
    }
    reason = "TestSucceeded";
  }
  cond("Ready", "True", reason, msg);
  remove_condition(status, "Reconciling");
  status["lastAppliedRevision"] = *version;
  status["observedGeneration"] = generation;
  write_status();
  event(install ? "flux.helmrelease.installed" : "flux.helmrelease.upgraded", {{"chartVersion", *version}, {"revision", r.revision}});
  out.requeue_after = jittered(spec.interval, env.jitter_unit, env.jitter_percent);
  return out;
}

}  // namespace rehearse::flux
