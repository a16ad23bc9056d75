#include "engine/patch/schema.hpp"

#include <array>
#include <map>
#include <string>

namespace rehearse::patch {

namespace {

// Groups served by kube-apiserver itself: their types carry patchStrategy/patchMergeKey
// struct tags and accept strategic merge patches. Everything else is a CRD (JSON merge).
constexpr std::array<std::string_view, 17> kBuiltinGroups = {
    "",
    "apps",
    "batch",
    "networking.k8s.io",
    "policy",
    "autoscaling",
    "storage.k8s.io",
    "rbac.authorization.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "scheduling.k8s.io",
    "node.k8s.io",
    "admissionregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
};

using Table = std::map<std::string, FieldMeta, std::less<>>;

// k8s.io/apimachinery ObjectMeta: finalizers `patchStrategy:"merge"` (a primitive list),
// ownerReferences `patchStrategy:"merge" patchMergeKey:"uid"`.
void add_object_meta(Table& t, const std::string& prefix) {
  t[prefix + "/finalizers"] = FieldMeta{"", true, false};
  t[prefix + "/ownerReferences"] = FieldMeta{"uid", true, false};
}

// k8s.io/api/core/v1 PodSpec and Container struct tags.
void add_pod_spec(Table& t, const std::string& p) {
  t[p + "/volumes"] = FieldMeta{"name", true, true};
  t[p + "/imagePullSecrets"] = FieldMeta{"name", true, false};
  t[p + "/hostAliases"] = FieldMeta{"ip", true, false};
  t[p + "/topologySpreadConstraints"] = FieldMeta{"topologyKey", true, false};
  t[p + "/resourceClaims"] = FieldMeta{"name", true, true};
  t[p + "/schedulingGates"] = FieldMeta{"name", true, false};
  for (const char* c : {"/containers", "/initContainers", "/ephemeralContainers"}) {
    std::string cp = p + c;
    t[cp] = FieldMeta{"name", true, false};
    t[cp + "/ports"] = FieldMeta{"containerPort", true, false};
    t[cp + "/env"] = FieldMeta{"name", true, false};
    t[cp + "/volumeMounts"] = FieldMeta{"mountPath", true, false};
    t[cp + "/volumeDevices"] = FieldMeta{"devicePath", true, false};
  }
  // tolerations, readinessGates, envFrom: no strategy (atomic, replaced).
}

void add_pod_template(Table& t, const std::string& p) {
  add_object_meta(t, p + "/metadata");
  add_pod_spec(t, p + "/spec");
}

Table build(std::string_view group, std::string_view kind) {
  Table t;
  add_object_meta(t, "/metadata");
  if (group.empty()) {
    if (kind == "Pod") {
      add_pod_spec(t, "/spec");
      t["/status/conditions"] = FieldMeta{"type", true, false};
    } else if (kind == "ReplicationController") {
      add_pod_template(t, "/spec/template");
      t["/status/conditions"] = FieldMeta{"type", true, false};
    } else if (kind == "PodTemplate") {
      add_pod_template(t, "/template");
    } else if (kind == "Service") {
      t["/spec/ports"] = FieldMeta{"port", true, false};
    } else if (kind == "ServiceAccount") {
      t["/secrets"] = FieldMeta{"name", true, false};
    } else if (kind == "Node" || kind == "Namespace" || kind == "PersistentVolumeClaim") {
      t["/status/conditions"] = FieldMeta{"type", true, false};
    }
  } else if (group == "apps") {
    if (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" ||
        kind == "DaemonSet") {
      add_pod_template(t, "/spec/template");
      t["/status/conditions"] = FieldMeta{"type", true, false};
    }
    if (kind == "Deployment") t["/spec/strategy"] = FieldMeta{"", false, true};
  } else if (group == "batch") {
    if (kind == "Job") {
      add_pod_template(t, "/spec/template");
      t["/status/conditions"] = FieldMeta{"type", true, false};
    } else if (kind == "CronJob") {
      add_object_meta(t, "/spec/jobTemplate/metadata");
      add_pod_template(t, "/spec/jobTemplate/spec/template");
    }
  }
  return t;
}

}  // namespace

bool supports_strategic_merge(std::string_view group, std::string_view /*kind*/) {
  for (auto g : kBuiltinGroups)
    if (g == group) return true;
  return false;
}

PatchSchema::PatchSchema(std::string_view group, std::string_view kind)
    : builtin_(supports_strategic_merge(group, kind)) {
  if (!builtin_) return;
  // Tables are small; built per use rather than cached to keep the library free of statics
  // with mutable state. Callers that patch in loops hold on to a PatchSchema.
  auto t = build(group, kind);
  fields_.reserve(t.size());
  for (auto& [k, v] : t) fields_.emplace_back(k, v);
}

FieldMeta PatchSchema::lookup(std::string_view path) const {
  // fields_ is sorted (built from a std::map): binary search.
  size_t lo = 0, hi = fields_.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = std::string_view(fields_[mid].first).compare(path);
    if (c == 0) return fields_[mid].second;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return FieldMeta{};
}

}  // namespace rehearse::patch
