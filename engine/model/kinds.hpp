#pragma once
// The one table of kinds the engines reason about (STYLE.md "Naming": controller code never
// scatters `kind == "Deployment"` comparisons). A kind is identified by (group, kind); the
// version is not part of identity, as in the Kubernetes API.
//
// Unknown kinds are fine: they are stored and applied as opaque namespaced objects, unless a
// CustomResourceDefinition in the same input says otherwise (see KindRegistry).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rehearse::model {

enum class Kind {
  Unknown,
  // core/v1
  Namespace, ConfigMap, Secret, Service, ServiceAccount, Pod, PersistentVolume,
  PersistentVolumeClaim, Endpoints, Event, LimitRange, ResourceQuota, Node, ReplicationController,
  // apps/v1
  Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision,
  // batch/v1
  Job, CronJob,
  // networking, policy, autoscaling, storage, rbac, apiextensions, apiregistration, admission
  Ingress, IngressClass, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler, StorageClass,
  Role, RoleBinding, ClusterRole, ClusterRoleBinding, CustomResourceDefinition, APIService,
  PriorityClass, RuntimeClass, MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
  // argoproj.io
  Application, ApplicationSet, AppProject, Rollout, AnalysisTemplate, ClusterAnalysisTemplate,
  AnalysisRun, Experiment,
  // fluxcd
  GitRepository, OCIRepository, HelmRepository, HelmChart, Bucket, Kustomization, HelmRelease,
  ImageRepository, ImagePolicy, ImageUpdateAutomation,
  // secrets
  SealedSecret, SecretStore, ClusterSecretStore, ExternalSecret, ClusterExternalSecret,
  // istio
  VirtualService, DestinationRule,
};

struct KindInfo {
  Kind kind = Kind::Unknown;
  std::string_view group;    // "" for core
  std::string_view name;     // e.g. "Deployment"
  std::string_view plural;   // e.g. "deployments"
  bool namespaced = true;
};

// The built-in table entry for (group, kind), or nullptr when the kind is not built in.
const KindInfo* find_kind(std::string_view group, std::string_view kind);
// The entry for a known kind. REQUIRES: k != Kind::Unknown.
const KindInfo& kind_info(Kind k);
// Kind::Unknown when not built in.
Kind classify(std::string_view group, std::string_view kind);

// Splits "apps/v1" into {"apps", "v1"} and "v1" into {"", "v1"}.
std::pair<std::string_view, std::string_view> split_api_version(std::string_view api_version);

// Scope lookups that also learn from CustomResourceDefinitions seen in the input, so a
// cluster-scoped custom kind is not defaulted into a namespace.
class KindRegistry {
 public:
  // Registers a CRD's (group, kind) with its scope.
  void add_custom(std::string group, std::string kind, bool namespaced);
  // Built-in table, then CRDs; unknown kinds are namespaced.
  bool is_namespaced(std::string_view group, std::string_view kind) const;
  bool is_known(std::string_view group, std::string_view kind) const;

 private:
  std::map<std::pair<std::string, std::string>, bool, std::less<>> custom_;
};

}  // namespace rehearse::model
