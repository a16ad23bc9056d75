#include "engine/model/kinds.hpp"

#include <array>

#include "engine/model/check.hpp"

namespace rehearse::model {

namespace {

// Scope facts come from `kubectl api-resources` of Kubernetes 1.30 and the CRDs of each
// project (Argo CD, Argo Rollouts, Flux, Sealed Secrets, External Secrets, Istio).
constexpr std::array kTable = {
    KindInfo{Kind::Namespace, "", "Namespace", "namespaces", false},
    KindInfo{Kind::ConfigMap, "", "ConfigMap", "configmaps", true},
    KindInfo{Kind::Secret, "", "Secret", "secrets", true},
    KindInfo{Kind::Service, "", "Service", "services", true},
    KindInfo{Kind::ServiceAccount, "", "ServiceAccount", "serviceaccounts", true},
    KindInfo{Kind::Pod, "", "Pod", "pods", true},
    KindInfo{Kind::PersistentVolume, "", "PersistentVolume", "persistentvolumes", false},
    KindInfo{Kind::PersistentVolumeClaim, "", "PersistentVolumeClaim", "persistentvolumeclaims", true},
    KindInfo{Kind::Endpoints, "", "Endpoints", "endpoints", true},
    KindInfo{Kind::Event, "", "Event", "events", true},
    KindInfo{Kind::LimitRange, "", "LimitRange", "limitranges", true},
    KindInfo{Kind::ResourceQuota, "", "ResourceQuota", "resourcequotas", true},
    KindInfo{Kind::Node, "", "Node", "nodes", false},
    KindInfo{Kind::ReplicationController, "", "ReplicationController", "replicationcontrollers", true},
    KindInfo{Kind::Deployment, "apps", "Deployment", "deployments", true},
    KindInfo{Kind::ReplicaSet, "apps", "ReplicaSet", "replicasets", true},
    KindInfo{Kind::StatefulSet, "apps", "StatefulSet", "statefulsets", true},
    KindInfo{Kind::DaemonSet, "apps", "DaemonSet", "daemonsets", true},
    KindInfo{Kind::ControllerRevision, "apps", "ControllerRevision", "controllerrevisions", true},
    KindInfo{Kind::Job, "batch", "Job", "jobs", true},
    KindInfo{Kind::CronJob, "batch", "CronJob", "cronjobs", true},
    KindInfo{Kind::Ingress, "networking.k8s.io", "Ingress", "ingresses", true},
    KindInfo{Kind::IngressClass, "networking.k8s.io", "IngressClass", "ingressclasses", false},
    KindInfo{Kind::NetworkPolicy, "networking.k8s.io", "NetworkPolicy", "networkpolicies", true},
    KindInfo{Kind::PodDisruptionBudget, "policy", "PodDisruptionBudget", "poddisruptionbudgets", true},
    KindInfo{Kind::HorizontalPodAutoscaler, "autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true},
    KindInfo{Kind::StorageClass, "storage.k8s.io", "StorageClass", "storageclasses", false},
    KindInfo{Kind::Role, "rbac.authorization.k8s.io", "Role", "roles", true},
    KindInfo{Kind::RoleBinding, "rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true},
    KindInfo{Kind::ClusterRole, "rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false},
    KindInfo{Kind::ClusterRoleBinding, "rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false},
    KindInfo{Kind::CustomResourceDefinition, "apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", false},
    KindInfo{Kind::APIService, "apiregistration.k8s.io", "APIService", "apiservices", false},
    KindInfo{Kind::PriorityClass, "scheduling.k8s.io", "PriorityClass", "priorityclasses", false},
    KindInfo{Kind::RuntimeClass, "node.k8s.io", "RuntimeClass", "runtimeclasses", false},
    KindInfo{Kind::MutatingWebhookConfiguration, "admissionregistration.k8s.io", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false},
    KindInfo{Kind::ValidatingWebhookConfiguration, "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false},
    KindInfo{Kind::Application, "argoproj.io", "Application", "applications", true},
    KindInfo{Kind::ApplicationSet, "argoproj.io", "ApplicationSet", "applicationsets", true},
    KindInfo{Kind::AppProject, "argoproj.io", "AppProject", "appprojects", true},
    KindInfo{Kind::Rollout, "argoproj.io", "Rollout", "rollouts", true},
    KindInfo{Kind::AnalysisTemplate, "argoproj.io", "AnalysisTemplate", "analysistemplates", true},
    KindInfo{Kind::ClusterAnalysisTemplate, "argoproj.io", "ClusterAnalysisTemplate", "clusteranalysistemplates", false},
    KindInfo{Kind::AnalysisRun, "argoproj.io", "AnalysisRun", "analysisruns", true},
    KindInfo{Kind::Experiment, "argoproj.io", "Experiment", "experiments", true},
    KindInfo{Kind::GitRepository, "source.toolkit.fluxcd.io", "GitRepository", "gitrepositories", true},
    KindInfo{Kind::OCIRepository, "source.toolkit.fluxcd.io", "OCIRepository", "ocirepositories", true},
    KindInfo{Kind::HelmRepository, "source.toolkit.fluxcd.io", "HelmRepository", "helmrepositories", true},
    KindInfo{Kind::HelmChart, "source.toolkit.fluxcd.io", "HelmChart", "helmcharts", true},
    KindInfo{Kind::Bucket, "source.toolkit.fluxcd.io", "Bucket", "buckets", true},
    KindInfo{Kind::Kustomization, "kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", true},
    KindInfo{Kind::HelmRelease, "helm.toolkit.fluxcd.io", "HelmRelease", "helmreleases", true},
    KindInfo{Kind::ImageRepository, "image.toolkit.fluxcd.io", "ImageRepository", "imagerepositories", true},
    KindInfo{Kind::ImagePolicy, "image.toolkit.fluxcd.io", "ImagePolicy", "imagepolicies", true},
    KindInfo{Kind::ImageUpdateAutomation, "image.toolkit.fluxcd.io", "ImageUpdateAutomation", "imageupdateautomations", true},
    KindInfo{Kind::SealedSecret, "bitnami.com", "SealedSecret", "sealedsecrets", true},
    KindInfo{Kind::SecretStore, "external-secrets.io", "SecretStore", "secretstores", true},
    KindInfo{Kind::ClusterSecretStore, "external-secrets.io", "ClusterSecretStore", "clustersecretstores", false},
    KindInfo{Kind::ExternalSecret, "external-secrets.io", "ExternalSecret", "externalsecrets", true},
    KindInfo{Kind::ClusterExternalSecret, "external-secrets.io", "ClusterExternalSecret", "clusterexternalsecrets", false},
    KindInfo{Kind::VirtualService, "networking.istio.io", "VirtualService", "virtualservices", true},
    KindInfo{Kind::DestinationRule, "networking.istio.io", "DestinationRule", "destinationrules", true},
};

}  // namespace

const KindInfo* find_kind(std::string_view group, std::string_view kind) {
  // Linear scan over ~60 entries compares the kind first; cheap enough and keeps the table
  // a constexpr array.
  for (const auto& k : kTable)
    if (k.name == kind && k.group == group) return &k;
  return nullptr;
}

const KindInfo& kind_info(Kind k) {
  for (const auto& info : kTable)
    if (info.kind == k) return info;
  REHEARSE_CHECK(false, "kind_info() of an unknown kind");
}

Kind classify(std::string_view group, std::string_view kind) {
  const KindInfo* info = find_kind(group, kind);
  return info ? info->kind : Kind::Unknown;
}

std::pair<std::string_view, std::string_view> split_api_version(std::string_view api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {std::string_view{}, api_version};
  return {api_version.substr(0, slash), api_version.substr(slash + 1)};
}

void KindRegistry::add_custom(std::string group, std::string kind, bool namespaced) {
  custom_[{std::move(group), std::move(kind)}] = namespaced;
}

bool KindRegistry::is_namespaced(std::string_view group, std::string_view kind) const {
  if (const KindInfo* info = find_kind(group, kind)) return info->namespaced;
  auto it = custom_.find(std::pair<std::string, std::string>{group, kind});
  return it == custom_.end() ? true : it->second;
}

bool KindRegistry::is_known(std::string_view group, std::string_view kind) const {
  return find_kind(group, kind) != nullptr ||
         custom_.count(std::pair<std::string, std::string>{group, kind}) > 0;
}

}  // namespace rehearse::model
