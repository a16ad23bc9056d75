#include "engine/kustomize/field_spec.hpp"

#include <nlohmann/json.hpp>

namespace rehearse::kustomize {

using nlohmann::json;

std::vector<std::string> split_field_path(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '\\' && i + 1 < path.size() && path[i + 1] == '/') {
      cur += '/';
      ++i;
    } else if (c == '/') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& s : out)
    if (s.size() >= 2 && s.compare(s.size() - 2, 2, "[]") == 0) s.resize(s.size() - 2);
  return out;
}

FieldSpec make_field_spec(std::string_view group, std::string_view version, std::string_view kind,
                          std::string_view path, bool create) {
  return FieldSpec{std::string(group), std::string(version), std::string(kind),
                   split_field_path(path), create};
}

namespace {

void walk(json& node, const std::vector<std::string>& path, size_t i, bool create,
          const std::function<void(json&, const std::string&)>& visit) {
  if (node.is_array()) {
    for (auto& el : node) walk(el, path, i, create, visit);
    return;
  }
  if (!node.is_object()) return;
  const std::string& seg = path[i];
  if (i + 1 == path.size()) {
    visit(node, seg);
    return;
  }
  auto it = node.find(seg);
  if (it == node.end() || it->is_null()) {
    if (!create) return;
    node[seg] = json::object();
    walk(node[seg], path, i + 1, create, visit);
    return;
  }
  walk(*it, path, i + 1, create, visit);
}

std::vector<FieldSpec> specs(std::initializer_list<FieldSpec> l) { return l; }

FieldSpec fs(const char* group, const char* version, const char* kind, const char* path,
             bool create) {
  return make_field_spec(group, version, kind, path, create);
}

// Pod-template-bearing kinds and the prefix of their pod spec.
struct PodHolder {
  const char* group;
  const char* version;
  const char* kind;
  const char* prefix;
};
const PodHolder kPodHolders[] = {
    {"", "v1", "Pod", "spec/"},
    {"", "", "PodTemplate", "template/spec/"},
    {"", "", "Deployment", "spec/template/spec/"},
    {"", "", "ReplicaSet", "spec/template/spec/"},
    {"", "", "DaemonSet", "spec/template/spec/"},
    {"", "", "StatefulSet", "spec/template/spec/"},
    {"", "", "Job", "spec/template/spec/"},
    {"", "", "CronJob", "spec/jobTemplate/spec/template/spec/"},
};

void add_pod_paths(std::vector<FieldSpec>& out, std::initializer_list<const char*> suffixes) {
  for (const auto& h : kPodHolders)
    for (const char* s : suffixes)
      out.push_back(make_field_spec(h.group, h.version, h.kind, std::string(h.prefix) + s, false));
}

void add_kinds(std::vector<FieldSpec>& out, std::initializer_list<const char*> kinds,
               const char* path) {
  for (const char* k : kinds) out.push_back(make_field_spec("", "", k, path, false));
}

}  // namespace

void walk_field(json& root, const std::vector<std::string>& path, bool create,
                const std::function<void(json&, const std::string&)>& visit) {
  if (path.empty()) return;
  walk(root, path, 0, create, visit);
}

const std::vector<FieldSpec>& template_label_specs() {
  static const auto kSpecs = specs({
      fs("", "", "", "metadata/labels", true),
      fs("", "v1", "ReplicationController", "spec/template/metadata/labels", true),
      fs("", "", "Deployment", "spec/template/metadata/labels", true),
      fs("", "", "ReplicaSet", "spec/template/metadata/labels", true),
      fs("", "", "DaemonSet", "spec/template/metadata/labels", true),
      fs("apps", "", "StatefulSet", "spec/template/metadata/labels", true),
      fs("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
      fs("batch", "", "Job", "spec/template/metadata/labels", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/metadata/labels", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
  });
  return kSpecs;
}

const std::vector<FieldSpec>& common_label_specs() {
  static const auto kSpecs = [] {
    std::vector<FieldSpec> v = {
        fs("", "v1", "Service", "spec/selector", true),
        fs("", "v1", "ReplicationController", "spec/selector", true),
        fs("", "", "Deployment", "spec/selector/matchLabels", true),
        fs("", "", "ReplicaSet", "spec/selector/matchLabels", true),
        fs("", "", "DaemonSet", "spec/selector/matchLabels", true),
        fs("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
        fs("batch", "", "Job", "spec/selector/matchLabels", false),
        fs("batch", "", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
        fs("policy", "", "PodDisruptionBudget", "spec/selector/matchLabels", false),
        fs("networking.k8s.io", "", "NetworkPolicy", "spec/podSelector/matchLabels", false),
        fs("networking.k8s.io", "", "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels",
           false),
        fs("networking.k8s.io", "", "NetworkPolicy", "spec/egress/to/podSelector/matchLabels",
           false),
    };
    for (const char* k : {"Deployment", "StatefulSet"}) {
      for (const char* p :
           {"spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/"
            "podAffinityTerm/labelSelector/matchLabels",
            "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/"
            "labelSelector/matchLabels",
            "spec/template/spec/affinity/podAntiAffinity/"
            "preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/"
            "matchLabels",
            "spec/template/spec/affinity/podAntiAffinity/"
            "requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
            "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels"})
        v.push_back(fs("apps", "", k, p, false));
    }
    for (const auto& s : template_label_specs()) v.push_back(s);
    return v;
  }();
  return kSpecs;
}

const std::vector<FieldSpec>& annotation_specs() {
  static const auto kSpecs = specs({
      fs("", "", "", "metadata/annotations", true),
      fs("", "v1", "ReplicationController", "spec/template/metadata/annotations", true),
      fs("", "", "Deployment", "spec/template/metadata/annotations", true),
      fs("", "", "ReplicaSet", "spec/template/metadata/annotations", true),
      fs("", "", "DaemonSet", "spec/template/metadata/annotations", true),
      fs("", "", "StatefulSet", "spec/template/metadata/annotations", true),
      fs("batch", "", "Job", "spec/template/metadata/annotations", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/metadata/annotations", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
  });
  return kSpecs;
}

const std::vector<FieldSpec>& replica_specs() {
  static const auto kSpecs = specs({
      fs("", "", "Deployment", "spec/replicas", true),
      fs("", "", "ReplicationController", "spec/replicas", true),
      fs("", "", "ReplicaSet", "spec/replicas", true),
      fs("", "", "StatefulSet", "spec/replicas", true),
  });
  return kSpecs;
}

const std::vector<NameReference>& name_reference_specs() {
  static const auto kRefs = [] {
    std::vector<NameReference> r;
    for (const char* k : {"Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"})
      r.push_back({"", "", k, {fs("", "", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name",
                                  false)}});
    {
      NameReference cm{"", "v1", "ConfigMap", {}};
      add_pod_paths(cm.referrers, {"volumes/configMap/name",
                                   "containers/env/valueFrom/configMapKeyRef/name",
                                   "initContainers/env/valueFrom/configMapKeyRef/name",
                                   "containers/envFrom/configMapRef/name",
                                   "initContainers/envFrom/configMapRef/name",
                                   "volumes/projected/sources/configMap/name"});
      cm.referrers.push_back(fs("", "", "Node", "spec/configSource/configMap", false));
      add_kinds(cm.referrers, {"Role", "ClusterRole"}, "rules/resourceNames");
      cm.referrers.push_back(fs("", "", "Ingress",
                                "metadata/annotations/nginx.ingress.kubernetes.io\\/"
                                "fastcgi-params-configmap",
                                false));
      r.push_back(std::move(cm));
    }
    {
      NameReference s{"", "v1", "Secret", {}};
      add_pod_paths(s.referrers, {"volumes/secret/secretName",
                                  "containers/env/valueFrom/secretKeyRef/name",
                                  "initContainers/env/valueFrom/secretKeyRef/name",
                                  "containers/envFrom/secretRef/name",
                                  "initContainers/envFrom/secretRef/name", "imagePullSecrets/name",
                                  "volumes/projected/sources/secret/name"});
      for (const char* p : {"spec/tls/secretName",
                            "metadata/annotations/ingress.kubernetes.io\\/auth-secret",
                            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret",
                            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"})
        s.referrers.push_back(fs("", "", "Ingress", p, false));
      s.referrers.push_back(fs("", "", "ServiceAccount", "imagePullSecrets/name", false));
      for (const char* p : {"parameters/secretName", "parameters/adminSecretName",
                            "parameters/userSecretName", "parameters/secretRef"})
        s.referrers.push_back(fs("", "", "StorageClass", p, false));
      add_kinds(s.referrers, {"Role", "ClusterRole"}, "rules/resourceNames");
      s.referrers.push_back(fs("serving.knative.dev", "v1", "Service",
                               "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
                               false));
      s.referrers.push_back(fs("", "", "PersistentVolume", "spec/azureFile/secretName", false));
      r.push_back(std::move(s));
    }
    r.push_back({"", "v1", "Service",
                 specs({fs("apps", "", "StatefulSet", "spec/serviceName", false),
                        fs("", "", "Ingress", "spec/rules/http/paths/backend/serviceName", false),
                        fs("", "", "Ingress", "spec/backend/serviceName", false),
                        fs("", "", "Ingress", "spec/rules/http/paths/backend/service/name", false),
                        fs("", "", "Ingress", "spec/defaultBackend/service/name", false),
                        fs("apiregistration.k8s.io", "", "APIService", "spec/service/name", false),
                        fs("admissionregistration.k8s.io", "", "ValidatingWebhookConfiguration",
                           "webhooks/clientConfig/service", false),
                        fs("admissionregistration.k8s.io", "", "MutatingWebhookConfiguration",
                           "webhooks/clientConfig/service", false),
                        fs("", "", "HTTPRoute", "spec/rules/backendRefs/name", false)})});
    r.push_back({"rbac.authorization.k8s.io", "", "Role",
                 specs({fs("rbac.authorization.k8s.io", "", "RoleBinding", "roleRef/name", false)})});
    r.push_back(
        {"rbac.authorization.k8s.io", "", "ClusterRole",
         specs({fs("rbac.authorization.k8s.io", "", "RoleBinding", "roleRef/name", false),
                fs("rbac.authorization.k8s.io", "", "ClusterRoleBinding", "roleRef/name", false)})});
    {
      NameReference sa{"", "v1", "ServiceAccount",
                       specs({fs("rbac.authorization.k8s.io", "", "RoleBinding", "subjects", false),
                              fs("rbac.authorization.k8s.io", "", "ClusterRoleBinding", "subjects",
                                 false),
                              fs("", "", "Pod", "spec/serviceAccountName", false)})};
      for (const char* k :
           {"StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"})
        sa.referrers.push_back(fs("", "", k, "spec/template/spec/serviceAccountName", false));
      sa.referrers.push_back(
          fs("", "", "CronJob", "spec/jobTemplate/spec/template/spec/serviceAccountName", false));
      r.push_back(std::move(sa));
    }
    {
      NameReference pvc{"", "v1", "PersistentVolumeClaim",
                        specs({fs("", "", "Pod", "spec/volumes/persistentVolumeClaim/claimName",
                                  false)})};
      for (const char* k :
           {"StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"})
        pvc.referrers.push_back(
            fs("", "", k, "spec/template/spec/volumes/persistentVolumeClaim/claimName", false));
      pvc.referrers.push_back(fs("", "", "CronJob",
                                 "spec/jobTemplate/spec/template/spec/volumes/"
                                 "persistentVolumeClaim/claimName",
                                 false));
      r.push_back(std::move(pvc));
    }
    r.push_back({"", "v1", "PersistentVolume",
                 specs({fs("", "", "PersistentVolumeClaim", "spec/volumeName", false),
                        fs("", "", "ClusterRole", "rules/resourceNames", false)})});
    r.push_back({"storage.k8s.io", "v1", "StorageClass",
                 specs({fs("", "", "PersistentVolume", "spec/storageClassName", false),
                        fs("", "", "PersistentVolumeClaim", "spec/storageClassName", false),
                        fs("", "", "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName",
                           false)})});
    {
      NameReference pc{"scheduling.k8s.io", "v1", "PriorityClass",
                       specs({fs("", "", "Pod", "spec/priorityClassName", false)})};
      for (const char* k :
           {"StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"})
        pc.referrers.push_back(fs("", "", k, "spec/template/spec/priorityClassName", false));
      pc.referrers.push_back(
          fs("", "", "CronJob", "spec/jobTemplate/spec/template/spec/priorityClassName", false));
      r.push_back(std::move(pc));
    }
    // Upstream writes the IngressClass group as "networking.k8s.io/v1", which never matches a
    // group; kept as upstream has it, so IngressClass renames are not propagated either.
    r.push_back({"networking.k8s.io/v1", "v1", "IngressClass",
                 specs({fs("", "", "Ingress", "spec/ingressClassName", false)})});
    return r;
  }();
  return kRefs;
}

bool is_cluster_scoped(std::string_view group, std::string_view kind) {
  static const char* kKinds[] = {
      "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "Cluster", "ClusterRole",
      "ClusterRoleBinding", "ComponentStatus", "CustomResourceDefinition",
      "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume",
      "PodSecurityPolicy", "PriorityClass", "RuntimeClass", "SelfSubjectAccessReview",
      "SelfSubjectRulesReview", "StorageClass", "SubjectAccessReview", "TokenReview",
      "ValidatingWebhookConfiguration", "VolumeAttachment", "IngressClass",
      "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "FlowSchema",
      "PriorityLevelConfiguration"};
  (void)group;
  for (const char* k : kKinds)
    if (kind == k) return true;
  return false;
}

}  // namespace rehearse::kustomize
