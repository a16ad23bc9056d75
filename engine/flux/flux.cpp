#include "engine/flux/flux.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/expr/semver.hpp"

namespace rehearse::flux {

using nlohmann::json;

namespace {

std::string str_at(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

bool bool_at(const json& j, const char* key, bool fallback = false) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

Result<std::optional<SimDuration>> duration_at(const json& spec, const char* key) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return std::optional<SimDuration>{};
  if (!it->is_string()) return fail("flux-invalid-spec", fmt::format("spec.{} must be a duration string", key));
  auto d = sim::parse_go_duration(it->get<std::string>());
  if (!d) return fail("flux-invalid-spec", fmt::format("spec.{}: {}", key, d.error().message));
  return std::optional<SimDuration>{*d};
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string meta_ns(const json& body) {
  if (!body.contains("metadata")) return {};
  return str_at(body["metadata"], "namespace");
}

}  // namespace

// --- GitRepository -----------------------------------------------------------------------

Result<GitRepositorySpec> parse_git_repository(const json& body) {
  GitRepositorySpec s;
  const json& spec = body.contains("spec") && body["spec"].is_object() ? body["spec"] : json::object();
  s.url = str_at(spec, "url");
  auto interval = duration_at(spec, "interval");
  if (!interval) return unexpected(interval.error());
  if (!*interval) return fail("flux-invalid-spec", "spec.interval is required");
  s.interval = **interval;
  auto timeout = duration_at(spec, "timeout");
  if (!timeout) return unexpected(timeout.error());
  if (*timeout) s.timeout = **timeout;
  if (spec.contains("ref") && spec["ref"].is_object()) {
    const json& r = spec["ref"];
    s.ref = {str_at(r, "branch"), str_at(r, "tag"), str_at(r, "semver"), str_at(r, "commit"), str_at(r, "name")};
  }
  if (spec.contains("ignore") && spec["ignore"].is_string()) s.ignore = spec["ignore"].get<std::string>();
  s.suspend = bool_at(spec, "suspend");
  return s;
}

RefChoice choose_ref(const GitRef& ref) {
  // PKG git/gogit/client.go clone switch: commit, name, tag, semver, branch (§2, §9.5).
  if (!ref.commit.empty()) return {RefChoice::Kind::Commit, ref.commit, ref.branch};
  if (!ref.name.empty()) return {RefChoice::Kind::Name, ref.name, {}};
  if (!ref.tag.empty()) return {RefChoice::Kind::Tag, ref.tag, {}};
  if (!ref.semver.empty()) return {RefChoice::Kind::Semver, ref.semver, {}};
  return {RefChoice::Kind::Branch, ref.branch.empty() ? "master" : ref.branch, {}};
}

std::string artifact_revision(std::string_view full_ref, std::string_view sha, bool keep_full_ref) {
  if (full_ref.empty()) return fmt::format("sha1:{}", sha);
  std::string_view shortref = full_ref;
  if (!keep_full_ref) {
    // Drop the first two path segments: refs/heads/main -> main, refs/tags/v1 -> v1.
    size_t a = full_ref.find('/');
    size_t b = a == std::string_view::npos ? a : full_ref.find('/', a + 1);
    if (b != std::string_view::npos) shortref = full_ref.substr(b + 1);
  }
  return fmt::format("{}@sha1:{}", shortref, sha);
}

std::string revision_sha(std::string_view revision) {
  size_t p = revision.rfind(':');
  return std::string(p == std::string_view::npos ? revision : revision.substr(p + 1));
}

Result<std::string> select_semver_tag(const std::vector<TagCandidate>& tags, std::string_view range) {
  auto c = expr::semver::Constraints::parse(range);
  if (!c) return fail("flux-semver", fmt::format("semver parse error: {}", c.error().message));
  const TagCandidate* best = nullptr;
  std::optional<expr::semver::Version> best_v;
  for (const auto& t : tags) {
    auto v = expr::semver::Version::parse_flux(t.tag);
    if (!v || !c->check(*v)) continue;
    int cmp = best_v ? v->compare(*best_v) : 1;
    if (cmp > 0 || (cmp == 0 && t.commit_time > best->commit_time)) {
      best = &t;
      best_v = *v;
    }
  }
  if (!best) return fail("flux-semver", fmt::format("no match found for semver: {}", range));
  return best->tag;
}

// --- Kustomization -----------------------------------------------------------------------

Result<KustomizationSpec> parse_kustomization(const json& body) {
  KustomizationSpec s;
  const json& spec = body.contains("spec") && body["spec"].is_object() ? body["spec"] : json::object();
  std::string ns = meta_ns(body);
  auto interval = duration_at(spec, "interval");
  if (!interval) return unexpected(interval.error());
  if (!*interval) return fail("flux-invalid-spec", "spec.interval is required");
  s.interval = **interval;
  auto retry = duration_at(spec, "retryInterval");
  if (!retry) return unexpected(retry.error());
  s.retry_interval = *retry;
  auto timeout = duration_at(spec, "timeout");
  if (!timeout) return unexpected(timeout.error());
  s.timeout = *timeout;
  if (!spec.contains("sourceRef") || !spec["sourceRef"].is_object())
    return fail("flux-invalid-spec", "spec.sourceRef is required");
  const json& sr = spec["sourceRef"];
  s.source = {str_at(sr, "kind"), str_at(sr, "name"), str_at(sr, "namespace")};
  if (s.source.ns.empty()) s.source.ns = ns;
  if (s.source.name.empty()) return fail("flux-invalid-spec", "spec.sourceRef.name is required");
  s.path = str_at(spec, "path");
  s.prune = bool_at(spec, "prune");
  s.wait = bool_at(spec, "wait");
  s.force = bool_at(spec, "force");
  s.suspend = bool_at(spec, "suspend");
  s.target_namespace = str_at(spec, "targetNamespace");
  if (spec.contains("healthChecks") && spec["healthChecks"].is_array()) {
    for (const auto& h : spec["healthChecks"]) {
      std::string av = str_at(h, "apiVersion");
      if (av.empty()) av = "apps/v1";  // §3.8: empty apiVersion defaults to apps/v1
      auto [group, _] = model::split_api_version(av);
      std::string hns = str_at(h, "namespace");
      s.health_checks.push_back({std::string(group), str_at(h, "kind"), str_at(h, "name"), hns.empty() ? ns : hns});
    }
  }
  if (spec.contains("dependsOn") && spec["dependsOn"].is_array()) {
    for (const auto& d : spec["dependsOn"]) {
      std::string dns = str_at(d, "namespace");
      s.depends_on.push_back({"Kustomization", str_at(d, "name"), dns.empty() ? ns : dns});
    }
  }
  json overlay = json::object();
  if (!s.target_namespace.empty()) overlay["namespace"] = s.target_namespace;
  for (const char* k : {"namePrefix", "nameSuffix"})
    if (spec.contains(k) && spec[k].is_string()) overlay[k] = spec[k];
  for (const char* k : {"patches", "images", "components"})
    if (spec.contains(k) && spec[k].is_array() && !spec[k].empty()) overlay[k] = spec[k];
  if (!overlay.empty()) s.overlay = model::JsonBox(overlay);
  if (spec.contains("postBuild") && spec["postBuild"].is_object()) {
    s.post_build = true;
    const json& pb = spec["postBuild"];
    if (pb.contains("substitute") && pb["substitute"].is_object())
      for (const auto& [k, v] : pb["substitute"].items())
        s.substitute[k] = v.is_string() ? v.get<std::string>() : v.dump();
    if (pb.contains("substituteFrom") && pb["substituteFrom"].is_array())
      for (const auto& f : pb["substituteFrom"])
        s.substitute_from.push_back({str_at(f, "kind"), str_at(f, "name"), bool_at(f, "optional")});
  }
  return s;
}

SimDuration retry_interval(const KustomizationSpec& spec) {
  return spec.retry_interval.value_or(spec.interval);
}

SimDuration effective_timeout(const KustomizationSpec& spec) {
  // KC api/v1 GetTimeout: default interval - 30 s, floor 30 s for any value (§3.1).
  SimDuration t = spec.timeout.value_or(spec.interval - sim::seconds(30));
  return std::max(t, sim::seconds(30));
}

SimDuration jittered(SimDuration interval, double unit, int percent) {
  if (percent <= 0) return interval;
  double span = static_cast<double>(interval.count()) * percent / 100.0;
  double offset = (unit * 2.0 - 1.0) * span;
  auto ms = static_cast<std::int64_t>(static_cast<double>(interval.count()) + offset);
  return SimDuration{std::max<std::int64_t>(ms, 0)};
}

// --- Apply order, inventory, prune ---------------------------------------------------------

int apply_stage(std::string_view group, std::string_view kind) {
  // PKG ssa/utils/is.go IsClusterDefinition: CRDs, Namespaces, ClusterRoles.
  if ((group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition") ||
      (group.empty() && kind == "Namespace") ||
      (group == "rbac.authorization.k8s.io" && kind == "ClusterRole"))
    return 0;
  if (kind.size() > 5 && kind.substr(kind.size() - 5) == "Class") return 1;
  return 2;
}

namespace {

int kind_rank(std::string_view kind) {
  // PKG ssa/sort.go: the ordered list first, unknown kinds next, webhooks last (§3.6).
  static constexpr std::array<std::string_view, 23> kFirst = {
      "CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterClass", "RuntimeClass",
      "PriorityClass", "StorageClass", "VolumeSnapshotClass", "IngressClass", "GatewayClass",
      "ClusterRoleBinding", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap",
      "Secret", "Service", "LimitRange", "Deployment", "StatefulSet", "CronJob",
      "PodDisruptionBudget"};
  for (size_t i = 0; i < kFirst.size(); ++i)
    if (kFirst[i] == kind) return static_cast<int>(i);
  if (kind == "MutatingWebhookConfiguration") return 1001;
  if (kind == "ValidatingWebhookConfiguration") return 1002;
  return 1000;
}

}  // namespace

bool apply_less(const model::ObjectKey& a, const model::ObjectKey& b) {
  int ra = kind_rank(a.kind), rb = kind_rank(b.kind);
  if (ra != rb) return ra < rb;
  return std::tie(a.group, a.kind, a.ns, a.name) < std::tie(b.group, b.kind, b.ns, b.name);
}

std::vector<std::vector<model::ObjectKey>> apply_stages(std::vector<model::ObjectKey> keys) {
  std::vector<std::vector<model::ObjectKey>> stages(3);
  for (auto& k : keys) stages[apply_stage(k.group, k.kind)].push_back(std::move(k));
  std::vector<std::vector<model::ObjectKey>> out;
  for (auto& s : stages) {
    if (s.empty()) continue;
    std::sort(s.begin(), s.end(), apply_less);
    out.push_back(std::move(s));
  }
  return out;
}

std::string inventory_id(const model::ObjectKey& key) {
  std::string name = key.name;
  for (size_t p = name.find(':'); p != std::string::npos; p = name.find(':', p + 2)) name.replace(p, 1, "__");
  return fmt::format("{}_{}_{}_{}", key.ns, name, key.group, key.kind);
}

std::optional<model::ObjectKey> parse_inventory_id(std::string_view id) {
  // namespace_name_group_kind; names may hold '_' only as "__" (from ':'), namespaces and
  // kinds never hold '_'; groups are DNS names.
  size_t first = id.find('_');
  size_t last = id.rfind('_');
  if (first == std::string_view::npos || last == first) return std::nullopt;
  size_t mid = id.rfind('_', last - 1);
  if (mid == std::string_view::npos || mid < first) return std::nullopt;
  model::ObjectKey k;
  k.ns = std::string(id.substr(0, first));
  std::string name(id.substr(first + 1, mid - first - 1));
  for (size_t p = name.find("__"); p != std::string::npos; p = name.find("__", p + 1)) name.replace(p, 2, ":");
  k.name = name;
  k.group = std::string(id.substr(mid + 1, last - mid - 1));
  k.kind = std::string(id.substr(last + 1));
  return k;
}

bool has_flag(const json& body, std::string_view key, std::string_view value) {
  if (!body.contains("metadata")) return false;
  const json& m = body["metadata"];
  for (const char* where : {"labels", "annotations"}) {
    if (!m.contains(where) || !m[where].is_object()) continue;
    auto it = m[where].find(std::string(key));
    if (it != m[where].end() && it->is_string() && lower(it->get<std::string>()) == lower(value)) return true;
  }
  return false;
}

bool apply_disabled(const json& body) {
  return has_flag(body, kReconcileKey, "disabled") || has_flag(body, kSsaKey, "ignore");
}

std::string prune_blocker(const json& live, std::string_view ks_name, std::string_view ks_namespace) {
  const json* labels = nullptr;
  if (live.contains("metadata") && live["metadata"].contains("labels")) labels = &live["metadata"]["labels"];
  auto label = [&](const char* k) { return labels && labels->is_object() ? str_at(*labels, k) : std::string(); };
  if (label(kNameLabel) != ks_name || label(kNamespaceLabel) != ks_namespace) return "not owned by this Kustomization";
  if (has_flag(live, kPruneKey, "disabled")) return "kustomize.toolkit.fluxcd.io/prune: disabled";
  if (has_flag(live, kReconcileKey, "disabled")) return "kustomize.toolkit.fluxcd.io/reconcile: disabled";
  if (has_flag(live, kSsaKey, "ignore")) return "kustomize.toolkit.fluxcd.io/ssa: Ignore";
  return {};
}

void mark_owned(model::Object& obj, std::string_view ks_namespace, std::string_view ks_name) {
  json& m = obj.body()["metadata"];
  m["labels"][kNameLabel] = ks_name;
  m["labels"][kNamespaceLabel] = ks_namespace;
  if (obj.ns().empty() && model::classify(obj.key().group, obj.kind()) != model::Kind::Unknown &&
      model::kind_info(model::classify(obj.key().group, obj.kind())).namespaced) {
    m["namespace"] = "default";
  }
  obj.refresh_identity();
}

KustomizationPlan plan_kustomization(const std::vector<model::Object>& old_objects,
                                     const std::vector<model::Object>& new_objects,
                                     const KustomizationSpec& spec) {
  KustomizationPlan plan;
  std::vector<model::ObjectKey> keys;
  std::map<std::string, bool> in_new;
  for (const auto& o : new_objects) {
    keys.push_back(o.key());
    in_new[inventory_id(o.key())] = true;
  }
  plan.stages = apply_stages(keys);
  if (!spec.prune) return plan;
  std::vector<const model::Object*> stale;
  for (const auto& o : old_objects)
    if (!in_new.count(inventory_id(o.key()))) stale.push_back(&o);
  std::sort(stale.begin(), stale.end(), [](const model::Object* a, const model::Object* b) {
    int sa = apply_stage(a->key().group, a->kind()), sb = apply_stage(b->key().group, b->kind());
    if (sa != sb) return sa > sb;
    return apply_less(b->key(), a->key());
  });
  for (const auto* o : stale) {
    if (has_flag(o->body(), kPruneKey, "disabled") || apply_disabled(o->body()))
      plan.prune_skipped.push_back(o->key());
    else
      plan.prune.push_back(o->key());
  }
  return plan;
}

// --- kstatus ---------------------------------------------------------------------------------

std::string_view to_string(KStatus s) {
  switch (s) {
    case KStatus::InProgress: return "InProgress";
    case KStatus::Failed: return "Failed";
    case KStatus::Current: return "Current";
    case KStatus::Terminating: return "Terminating";
    case KStatus::NotFound: return "NotFound";
    case KStatus::Unknown: return "Unknown";
  }
  return "Unknown";
}

namespace {

const json* cond(const json& body, std::string_view type) { return find_condition(body, type); }
std::string cond_status(const json& body, std::string_view type) {
  const json* c = cond(body, type);
  return c ? str_at(*c, "status") : std::string();
}
std::int64_t int_at(const json& j, const char* key, std::int64_t fallback = 0) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  return it->get<std::int64_t>();
}

KStatus deployment_status(const json& body) {
  const json& spec = body.value("spec", json::object());
  const json& st = body.value("status", json::object());
  std::int64_t want = int_at(spec, "replicas", 1);
  std::int64_t replicas = int_at(st, "replicas"), updated = int_at(st, "updatedReplicas");
  std::int64_t ready = int_at(st, "readyReplicas"), available = int_at(st, "availableReplicas");
  const json* prog = cond(body, "Progressing");
  if (prog && str_at(*prog, "reason") == "ProgressDeadlineExceeded") return KStatus::Failed;
  bool progress_ok = !spec.contains("progressDeadlineSeconds") ||
                     (prog && str_at(*prog, "reason") == "NewReplicaSetAvailable");
  // The API server defaults progressDeadlineSeconds; treat "no Progressing yet" as in progress.
  if (spec.contains("progressDeadlineSeconds") && !prog) progress_ok = false;
  if (want > replicas || want > updated || replicas > want || updated > available || want > ready)
    return KStatus::InProgress;
  if (!progress_ok) return KStatus::InProgress;
  if (cond_status(body, "Available") != "True") return KStatus::InProgress;
  return KStatus::Current;
}

KStatus statefulset_status(const json& body) {
  const json& spec = body.value("spec", json::object());
  const json& st = body.value("status", json::object());
  if (spec.contains("updateStrategy") && str_at(spec["updateStrategy"], "type") == "OnDelete") return KStatus::Current;
  std::int64_t want = int_at(spec, "replicas", 1);
  if (int_at(st, "replicas") != want || int_at(st, "readyReplicas") < want) return KStatus::InProgress;
  std::int64_t partition = 0;
  if (spec.contains("updateStrategy") && spec["updateStrategy"].contains("rollingUpdate"))
    partition = int_at(spec["updateStrategy"]["rollingUpdate"], "partition");
  if (partition > 0) return int_at(st, "updatedReplicas") >= want - partition ? KStatus::Current : KStatus::InProgress;
  if (str_at(st, "currentRevision") != str_at(st, "updateRevision")) return KStatus::InProgress;
  if (int_at(st, "currentReplicas") < want && int_at(st, "updatedReplicas") < want) return KStatus::InProgress;
  return KStatus::Current;
}

KStatus daemonset_status(const json& body) {
  const json& st = body.value("status", json::object());
  if (!st.contains("observedGeneration")) return KStatus::InProgress;
  std::int64_t desired = int_at(st, "desiredNumberScheduled");
  if (desired > int_at(st, "currentNumberScheduled") || desired > int_at(st, "updatedNumberScheduled") ||
      desired > int_at(st, "numberAvailable") || desired > int_at(st, "numberReady"))
    return KStatus::InProgress;
  return KStatus::Current;
}

KStatus pod_status(const json& body) {
  const json& st = body.value("status", json::object());
  std::string phase = str_at(st, "phase");
  if (phase == "Succeeded" || phase == "Failed") return KStatus::Current;
  if (st.contains("containerStatuses") && st["containerStatuses"].is_array())
    for (const auto& cs : st["containerStatuses"])
      if (cs.contains("state") && cs["state"].contains("waiting") &&
          str_at(cs["state"]["waiting"], "reason") == "CrashLoopBackOff")
        return KStatus::Failed;
  if (phase == "Running" && cond_status(body, "Ready") == "True") return KStatus::Current;
  return KStatus::InProgress;
}

}  // namespace

KStatus compute_kstatus(const json* body, std::string_view group, std::string_view kind) {
  if (!body) return KStatus::NotFound;
  const json& b = *body;
  const json& meta = b.value("metadata", json::object());
  if (meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null()) return KStatus::Terminating;
  const json& st = b.value("status", json::object());
  if (meta.contains("generation") && st.is_object() && st.contains("observedGeneration") &&
      meta["generation"] != st["observedGeneration"])
    return KStatus::InProgress;
  if (cond_status(b, "Reconciling") == "True") return KStatus::InProgress;
  if (cond_status(b, "Stalled") == "True") return KStatus::Failed;
  model::Kind k = model::classify(group, kind);
  switch (k) {
    case model::Kind::Deployment: return deployment_status(b);
    case model::Kind::StatefulSet: return statefulset_status(b);
    case model::Kind::DaemonSet: return daemonset_status(b);
    case model::Kind::ReplicaSet: {
      std::int64_t want = int_at(b.value("spec", json::object()), "replicas", 1);
      if (int_at(st, "readyReplicas") < want || int_at(st, "availableReplicas") < want) return KStatus::InProgress;
      return KStatus::Current;
    }
    case model::Kind::PersistentVolumeClaim:
      return str_at(st, "phase") == "Bound" ? KStatus::Current : KStatus::InProgress;
    case model::Kind::Pod: return pod_status(b);
    case model::Kind::Service: {
      const json& spec = b.value("spec", json::object());
      if (str_at(spec, "type") == "LoadBalancer" && str_at(spec, "clusterIP").empty()) return KStatus::InProgress;
      return KStatus::Current;
    }
    case model::Kind::CustomResourceDefinition:
      if (cond_status(b, "NamesAccepted") == "False") return KStatus::Failed;
      return cond_status(b, "Established") == "True" ? KStatus::Current : KStatus::InProgress;
    case model::Kind::Secret:
    case model::Kind::ConfigMap:
    case model::Kind::CronJob:
    case model::Kind::PodDisruptionBudget:
      return KStatus::Current;
    case model::Kind::Job: {
      // Flux's own Job reader (§3.8, §9.10): a running Job is InProgress.
      if (b.value("spec", json::object()).value("suspend", false)) return KStatus::Current;
      if (cond_status(b, "Complete") == "True") return KStatus::Current;
      if (cond_status(b, "Failed") == "True") return KStatus::Failed;
      return KStatus::InProgress;
    }
    default: break;
  }
  std::string ready = cond_status(b, "Ready");
  if (ready.empty() || ready == "True") return KStatus::Current;
  return KStatus::InProgress;
}

// --- Conditions -------------------------------------------------------------------------------

const json* find_condition(const json& body, std::string_view type) {
  auto st = body.find("status");
  if (st == body.end() || !st->is_object()) return nullptr;
  return find_status_condition(*st, type);
}

const json* find_status_condition(const json& status, std::string_view type) {
  if (!status.is_object()) return nullptr;
  auto cs = status.find("conditions");
  if (cs == status.end() || !cs->is_array()) return nullptr;
  for (const auto& c : *cs)
    if (c.is_object() && str_at(c, "type") == type) return &c;
  return nullptr;
}

namespace {
int condition_rank(const std::string& t) {
  if (t == "Ready") return 0;
  if (t == "Reconciling") return 1;
  if (t == "Stalled") return 2;
  if (t == "Healthy") return 3;
  return 4;
}
}  // namespace

void set_condition(json& status, std::string_view type, std::string_view status_value, std::string_view reason,
                   std::string_view message, SimTime now, std::int64_t observed_generation) {
  if (!status.is_object()) status = json::object();
  json& cs = status["conditions"];
  if (!cs.is_array()) cs = json::array();
  json* existing = nullptr;
  for (auto& c : cs)
    if (str_at(c, "type") == type) existing = &c;
  std::string transition = sim::format_rfc3339(now);
  if (existing && str_at(*existing, "status") == status_value) transition = str_at(*existing, "lastTransitionTime");
  json c = {{"type", type},
            {"status", status_value},
            {"reason", reason},
            {"message", message},
            {"observedGeneration", observed_generation},
            {"lastTransitionTime", transition}};
  if (existing) {
    *existing = std::move(c);
  } else {
    cs.push_back(std::move(c));
  }
  std::stable_sort(cs.begin(), cs.end(), [](const json& a, const json& b) {
    return condition_rank(str_at(a, "type")) < condition_rank(str_at(b, "type"));
  });
}

void remove_condition(json& status, std::string_view type) {
  if (!status.is_object() || !status.contains("conditions") || !status["conditions"].is_array()) return;
  json& cs = status["conditions"];
  json out = json::array();
  for (auto& c : cs)
    if (str_at(c, "type") != type) out.push_back(std::move(c));
  cs = std::move(out);
}

bool ready_at_generation(const json& body) {
  const json* ready = find_condition(body, "Ready");
  if (!ready || str_at(*ready, "status") != "True") return false;
  const json& meta = body.value("metadata", json::object());
  const json& st = body.value("status", json::object());
  if (!st.contains("observedGeneration")) return false;
  return meta.value("generation", std::int64_t{0}) == st.value("observedGeneration", std::int64_t{-1});
}

}  // namespace rehearse::flux
