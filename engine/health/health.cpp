#include "engine/health/health.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rehearse::health {

using nlohmann::json;

namespace {

// Field access that mirrors Go's typed conversion: a missing or mistyped number reads as 0,
// a missing string as "" (§11: "missing numeric fields are 0").
const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}
int64_t num(const json& j, std::initializer_list<const char*> path) {
  const json* v = at(j, path);
  if (!v || !v->is_number()) return 0;
  return v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>();
}
std::optional<int64_t> opt_num(const json& j, std::initializer_list<const char*> path) {
  const json* v = at(j, path);
  if (!v || !v->is_number()) return std::nullopt;
  return v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>();
}
std::string str(const json& j, std::initializer_list<const char*> path) {
  const json* v = at(j, path);
  return v && v->is_string() ? v->get<std::string>() : std::string{};
}
bool flag(const json& j, std::initializer_list<const char*> path) {
  const json* v = at(j, path);
  return v && v->is_boolean() && v->get<bool>();
}
const json& list(const json& j, std::initializer_list<const char*> path) {
  static const json kEmpty = json::array();
  const json* v = at(j, path);
  return v && v->is_array() ? *v : kEmpty;
}
// First condition of `type` in status.conditions, or nullptr.
const json* condition(const json& body, std::string_view type) {
  for (const auto& c : list(body, {"status", "conditions"}))
    if (c.is_object() && str(c, {"type"}) == type) return &c;
  return nullptr;
}

HealthResult make(Status s, std::string msg = {}) { return HealthResult{s, std::move(msg), {}}; }

// pkg/health/health_deployment.go
HealthResult deployment(const json& b) {
  if (flag(b, {"spec", "paused"})) return make(Status::Suspended, "Deployment is paused");
  if (num(b, {"metadata", "generation"}) <= num(b, {"status", "observedGeneration"})) {
    const json* cond = condition(b, "Progressing");
    auto replicas = opt_num(b, {"spec", "replicas"});
    int64_t updated = num(b, {"status", "updatedReplicas"});
    int64_t total = num(b, {"status", "replicas"});
    int64_t available = num(b, {"status", "availableReplicas"});
    if (cond && str(*cond, {"reason"}) == "ProgressDeadlineExceeded")
      return make(Status::Degraded,
                  fmt::format("Deployment \"{}\" exceeded its progress deadline",
                              str(b, {"metadata", "name"})));
    if (replicas && updated < *replicas)
      return make(Status::Progressing,
                  fmt::format("Waiting for rollout to finish: {} out of {} new replicas have been "
                              "updated...",
                              updated, *replicas));
    if (total > updated)
      return make(Status::Progressing,
                  fmt::format("Waiting for rollout to finish: {} old replicas are pending "
                              "termination...",
                              total - updated));
    if (available < updated)
      return make(Status::Progressing,
                  fmt::format("Waiting for rollout to finish: {} of {} updated replicas are "
                              "available...",
                              available, updated));
    return make(Status::Healthy);
  }
  return make(Status::Progressing,
              "Waiting for rollout to finish: observed deployment generation less then desired "
              "generation");
}

// pkg/health/health_statefulset.go
HealthResult statefulset(const json& b) {
  int64_t observed = num(b, {"status", "observedGeneration"});
  if (observed == 0 || num(b, {"metadata", "generation"}) > observed)
    return make(Status::Progressing, "Waiting for statefulset spec update to be observed...");
  auto replicas = opt_num(b, {"spec", "replicas"});
  int64_t ready = num(b, {"status", "readyReplicas"});
  int64_t updated = num(b, {"status", "updatedReplicas"});
  if (replicas && ready < *replicas)
    return make(Status::Progressing, fmt::format("Waiting for {} pods to be ready...", *replicas - ready));
  std::string type = str(b, {"spec", "updateStrategy", "type"});
  const json* rolling = at(b, {"spec", "updateStrategy", "rollingUpdate"});
  if (type == "RollingUpdate" && rolling && !rolling->is_null()) {
    auto partition = opt_num(*rolling, {"partition"});
    if (replicas && partition && updated < *replicas - *partition)
      return make(Status::Progressing,
                  fmt::format("Waiting for partitioned roll out to finish: {} out of {} new pods "
                              "have been updated...",
                              updated, *replicas - *partition));
    return make(Status::Healthy,
                fmt::format("partitioned roll out complete: {} new pods have been updated...",
                            updated));
  }
  if (type == "OnDelete")
    return make(Status::Healthy, fmt::format("statefulset has {} ready pods", ready));
  std::string update_rev = str(b, {"status", "updateRevision"});
  std::string current_rev = str(b, {"status", "currentRevision"});
  if (update_rev != current_rev)
    return make(Status::Progressing,
                fmt::format("waiting for statefulset rolling update to complete {} pods at "
                            "revision {}...",
                            updated, update_rev));
  return make(Status::Healthy,
              fmt::format("statefulset rolling update complete {} pods at revision {}...",
                          num(b, {"status", "currentReplicas"}), current_rev));
}

// pkg/health/health_daemonset.go
HealthResult daemonset(const json& b) {
  if (num(b, {"metadata", "generation"}) > num(b, {"status", "observedGeneration"}))
    return make(Status::Progressing,
                "Waiting for rollout to finish: observed daemon set generation less then desired "
                "generation");
  int64_t updated = num(b, {"status", "updatedNumberScheduled"});
  int64_t desired = num(b, {"status", "desiredNumberScheduled"});
  int64_t available = num(b, {"status", "numberAvailable"});
  std::string name = str(b, {"metadata", "name"});
  if (str(b, {"spec", "updateStrategy", "type"}) == "OnDelete")
    return make(Status::Healthy,
                fmt::format("daemon set {} out of {} new pods have been updated", updated, desired));
  if (updated < desired)
    return make(Status::Progressing,
                fmt::format("Waiting for daemon set \"{}\" rollout to finish: {} out of {} new "
                            "pods have been updated...",
                            name, updated, desired));
  if (available < desired)
    return make(Status::Progressing,
                fmt::format("Waiting for daemon set \"{}\" rollout to finish: {} of {} updated "
                            "pods are available...",
                            name, available, desired));
  return make(Status::Healthy);
}

// pkg/health/health_replicaset.go
HealthResult replicaset(const json& b) {
  if (num(b, {"metadata", "generation"}) > num(b, {"status", "observedGeneration"}))
    return make(Status::Progressing,
                "Waiting for rollout to finish: observed replica set generation less then desired "
                "generation");
  const json* cond = condition(b, "ReplicaFailure");
  if (cond && str(*cond, {"status"}) == "True") return make(Status::Degraded, str(*cond, {"message"}));
  auto replicas = opt_num(b, {"spec", "replicas"});
  int64_t available = num(b, {"status", "availableReplicas"});
  if (replicas && available < *replicas)
    return make(Status::Progressing,
                fmt::format("Waiting for rollout to finish: {} out of {} new replicas are "
                            "available...",
                            available, *replicas));
  return make(Status::Healthy);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// pkg/health/health_pod.go. "Long-running" = restartPolicy Always, or the argo-cd annotation
// ignore-restart-policy on a non-hook pod (§11 Pod).
HealthResult pod(const json& b) {
  std::string policy = str(b, {"spec", "restartPolicy"});
  if (policy.empty()) policy = "Always";  // API server default
  const json* ann = at(b, {"metadata", "annotations"});
  bool is_hook = ann && ann->is_object() && ann->contains("argocd.argoproj.io/hook");
  bool ignore_policy = !is_hook && ann && ann->is_object() &&
                       str(*ann, {"argocd.argoproj.io/ignore-restart-policy"}) == "true";
  bool long_running = policy == "Always" || ignore_policy;
  std::string message = str(b, {"status", "message"});
  const json& statuses = list(b, {"status", "containerStatuses"});
  if (long_running) {
    bool degraded = false;
    std::string joined;
    for (const auto& cs : statuses) {
      const json* waiting = at(cs, {"state", "waiting"});
      if (!waiting || !waiting->is_object()) continue;
      std::string reason = str(*waiting, {"reason"});
      if (reason.rfind("Err", 0) == 0 || ends_with(reason, "Error") || ends_with(reason, "BackOff")) {
        if (degraded) joined += ", ";
        joined += str(*waiting, {"message"});
        degraded = true;
      }
    }
    if (degraded) return make(Status::Degraded, joined);
  }
  std::string phase = str(b, {"status", "phase"});
  if (phase == "Pending") return make(Status::Progressing, message);
  if (phase == "Succeeded") return make(Status::Healthy, message);
  if (phase == "Failed") {
    if (!message.empty()) return make(Status::Degraded, message);
    auto fail_message = [](const json& cs) -> std::string {
      const json* t = at(cs, {"state", "terminated"});
      if (!t || !t->is_object()) return {};
      std::string m = str(*t, {"message"});
      if (!m.empty()) return m;
      if (str(*t, {"reason"}) == "OOMKilled") return "OOMKilled";
      int64_t code = num(*t, {"exitCode"});
      if (code != 0)
        return fmt::format("container \"{}\" failed with exit code {}", str(cs, {"name"}), code);
      return {};
    };
    for (const auto* group : {&list(b, {"status", "initContainerStatuses"}), &statuses})
      for (const auto& cs : *group)
        if (auto m = fail_message(cs); !m.empty()) return make(Status::Degraded, m);
    return make(Status::Degraded, "");
  }
  if (phase == "Running") {
    if (long_running) {
      const json* ready = condition(b, "Ready");
      if (ready && str(*ready, {"status"}) == "True") return make(Status::Healthy, message);
      for (const auto& cs : statuses) {
        const json* t = at(cs, {"lastState", "terminated"});
        if (t && t->is_object()) return make(Status::Degraded, message);
      }
      return make(Status::Progressing, message);
    }
    if (policy == "OnFailure" || policy == "Never") return make(Status::Progressing, message);
  }
  return make(Status::Unknown, message);
}

// health_service.go / health_ingress.go: a non-empty status.loadBalancer.ingress list (even
// `[{}]`) is Healthy.
HealthResult load_balancer(const json& b) {
  return make(list(b, {"status", "loadBalancer", "ingress"}).empty() ? Status::Progressing
                                                                       : Status::Healthy);
}
HealthResult service(const json& b) {
  if (str(b, {"spec", "type"}) == "LoadBalancer") return load_balancer(b);
  return make(Status::Healthy);
}

// pkg/health/health_pvc.go
HealthResult pvc(const json& b) {
  std::string phase = str(b, {"status", "phase"});
  if (phase == "Lost") return make(Status::Degraded);
  if (phase == "Pending") return make(Status::Progressing);
  if (phase == "Bound") return make(Status::Healthy);
  return make(Status::Unknown);
}

// pkg/health/health_job.go (argo-cd in-tree version with the Suspended condition).
HealthResult job(const json& b) {
  bool failed = false, complete = false, suspended = false;
  std::string fail_msg, message;
  for (const auto& c : list(b, {"status", "conditions"})) {
    std::string type = str(c, {"type"});
    if (type == "Failed") {
      failed = complete = true;
      fail_msg = str(c, {"message"});
    } else if (type == "Complete") {
      complete = true;
      message = str(c, {"message"});
    } else if (type == "Suspended") {
      complete = true;
      message = str(c, {"message"});
      if (str(c, {"status"}) == "True") suspended = true;
    }
  }
  if (!complete) return make(Status::Progressing, message);
  if (failed) return make(Status::Degraded, fail_msg);
  if (suspended) return HealthResult{Status::Suspended, fail_msg, Status::Healthy};
  return make(Status::Healthy, message);
}

// pkg/health/health_apiservice.go
HealthResult apiservice(const json& b) {
  for (const auto& c : list(b, {"status", "conditions"})) {
    if (str(c, {"type"}) != "Available") continue;
    std::string m = fmt::format("{}: {}", str(c, {"reason"}), str(c, {"message"}));
    return make(str(c, {"status"}) == "True" ? Status::Healthy : Status::Progressing, m);
  }
  return make(Status::Progressing, "Waiting to be processed");
}

// pkg/health/health_hpa.go: the first condition that is a known degraded or healthy
// (type, reason) pair decides; otherwise Progressing "Waiting to Autoscale". autoscaling/v1
// keeps its conditions in an annotation.
HealthResult hpa(const json& b, std::string_view version) {
  static const HealthResult kWaiting = make(Status::Progressing, "Waiting to Autoscale");
  json conditions = json::array();
  if (version == "v1") {
    std::string ann = str(b, {"metadata", "annotations", "autoscaling.alpha.kubernetes.io/conditions"});
    if (ann.empty()) return kWaiting;
    conditions = json::parse(ann, nullptr, false);
    if (conditions.is_discarded() || !conditions.is_array())
      return make(Status::Unknown, "failed to convert conditions annotation to typed");
  } else {
    conditions = list(b, {"status", "conditions"});
  }
  for (const auto& c : conditions) {
    std::string type = str(c, {"type"}), reason = str(c, {"reason"});
    bool degraded = (type == "AbleToScale" && (reason == "FailedGetScale" || reason == "FailedUpdateScale")) ||
                    (type == "ScalingActive" &&
                     (reason == "FailedGetResourceMetric" || reason == "InvalidSelector"));
    if (degraded) return make(Status::Degraded, str(c, {"message"}));
    bool healthy = (type == "AbleToScale" && reason == "SucceededRescale") ||
                   (type == "ScalingLimited" && (reason == "DesiredWithinRange" ||
                                                 reason == "TooFewReplicas" ||
                                                 reason == "TooManyReplicas"));
    if (healthy) return make(Status::Healthy, str(c, {"message"}));
  }
  return kWaiting;
}

// pkg/health/health_argo.go (Workflow).
HealthResult workflow(const json& b) {
  std::string phase = str(b, {"status", "phase"});
  std::string message = str(b, {"status", "message"});
  if (phase.empty() || phase == "Pending" || phase == "Running")
    return make(Status::Progressing, message);
  if (phase == "Succeeded") return make(Status::Healthy, message);
  if (phase == "Failed" || phase == "Error") return make(Status::Degraded, message);
  return make(Status::Unknown, message);
}

// argo-cd resource_customizations/argoproj.io/Rollout/health.lua (§11 Argo Rollout, steps 1-8).
HealthResult rollout(const json& b) {
  const json* status = at(b, {"status"});
  auto waiting = make(Status::Progressing, "Waiting for rollout spec update to be observed");
  if (!status || !status->is_object()) return waiting;
  // Lua tonumber(): numbers and numeric strings; a larger value means a legacy (v0.9) hash.
  const json* og = at(*status, {"observedGeneration"});
  std::optional<int64_t> observed;
  if (og && og->is_number()) observed = og->get<int64_t>();
  if (og && og->is_string()) {
    const std::string& s = og->get_ref<const std::string&>();
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end && *end == '\0') observed = v;
  }
  int64_t generation = num(b, {"metadata", "generation"});
  if (observed && *observed <= generation && *observed != generation) return waiting;
  if (at(b, {"spec", "workloadRef"})) {
    std::string wg = str(b, {"metadata", "annotations", "rollout.argoproj.io/workload-generation"});
    const json* wog = at(*status, {"workloadObservedGeneration"});
    std::string observed_wg = wog && wog->is_string() ? wog->get<std::string>()
                              : wog && wog->is_number() ? std::to_string(wog->get<int64_t>())
                                                        : std::string{};
    if (wg != observed_wg) return waiting;
  }
  std::string phase = str(*status, {"phase"});
  if (!phase.empty()) {
    auto st = phase == "Paused" ? std::optional<Status>(Status::Suspended) : parse_status(phase);
    return make(st.value_or(Status::Unknown), str(*status, {"message"}));
  }
  for (const auto& c : list(b, {"status", "conditions"})) {
    std::string type = str(c, {"type"}), reason = str(c, {"reason"});
    if (type == "InvalidSpec") return make(Status::Degraded, str(c, {"message"}));
    if (type == "Progressing" && (reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded"))
      return make(Status::Degraded, str(c, {"message"}));
  }
  if (!list(*status, {"pauseConditions"}).empty() || flag(b, {"spec", "paused"}))
    return make(Status::Suspended, "Rollout is paused");
  if (str(*status, {"currentPodHash"}).empty() && !at(*status, {"currentPodHash"}))
    return make(Status::Progressing, "Waiting for rollout to finish: status has not been reconciled.");
  std::string hash = str(*status, {"currentPodHash"});
  auto spec_replicas = opt_num(b, {"spec", "replicas"});
  int64_t desired = spec_replicas.value_or(1);
  int64_t replicas = num(*status, {"replicas"});
  int64_t updated = num(*status, {"updatedReplicas"});
  int64_t available = num(*status, {"availableReplicas"});
  if (updated < desired)
    return make(Status::Progressing, "Waiting for roll out to finish: More replicas need to be updated");
  if (available < updated)
    return make(Status::Progressing,
                "Waiting for roll out to finish: updated replicas are still becoming available");
  std::string stable = str(*status, {"stableRS"});
  if (!at(*status, {"stableRS"})) stable = str(*status, {"canary", "stableRS"});
  if (at(b, {"spec", "strategy", "blueGreen"})) {
    if (str(*status, {"blueGreen", "activeSelector"}) != hash ||
        !at(*status, {"blueGreen"}))
      return make(Status::Progressing, "active service cutover pending");
    if (!stable.empty() && stable != hash)
      return make(Status::Progressing, "waiting for analysis to complete");
  } else if (at(b, {"spec", "strategy", "canary"})) {
    if (replicas > updated)
      return make(Status::Progressing,
                  "Waiting for roll out to finish: old replicas are pending termination");
    if (stable.empty() || stable != hash)
      return make(Status::Progressing, "Waiting for rollout to finish steps");
  }
  return make(Status::Healthy, "");
}

enum class Check { None, Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Service, Ingress,
                   Pvc, Job, ApiService, Hpa, Workflow, Rollout };

// GetHealthCheckFunc (pkg/health/health.go) plus the bundled Rollout script.
Check check_for(std::string_view group, std::string_view kind) {
  if (group == "apps") {
    if (kind == "Deployment") return Check::Deployment;
    if (kind == "StatefulSet") return Check::StatefulSet;
    if (kind == "ReplicaSet") return Check::ReplicaSet;
    if (kind == "DaemonSet") return Check::DaemonSet;
  } else if (group == "extensions") {
    if (kind == "Deployment") return Check::Deployment;
    if (kind == "Ingress") return Check::Ingress;
    if (kind == "ReplicaSet") return Check::ReplicaSet;
    if (kind == "DaemonSet") return Check::DaemonSet;
  } else if (group == "argoproj.io") {
    if (kind == "Workflow") return Check::Workflow;
    if (kind == "Rollout") return Check::Rollout;
  } else if (group == "apiregistration.k8s.io") {
    if (kind == "APIService") return Check::ApiService;
  } else if (group == "networking.k8s.io") {
    if (kind == "Ingress") return Check::Ingress;
  } else if (group.empty()) {
    if (kind == "Service") return Check::Service;
    if (kind == "PersistentVolumeClaim") return Check::Pvc;
    if (kind == "Pod") return Check::Pod;
  } else if (group == "batch") {
    if (kind == "Job") return Check::Job;
  } else if (group == "autoscaling") {
    if (kind == "HorizontalPodAutoscaler") return Check::Hpa;
  }
  return Check::None;
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Healthy: return "Healthy";
    case Status::Suspended: return "Suspended";
    case Status::Progressing: return "Progressing";
    case Status::Missing: return "Missing";
    case Status::Degraded: return "Degraded";
    case Status::Unknown: return "Unknown";
  }
  return "Unknown";
}

std::optional<Status> parse_status(std::string_view text) {
  for (Status s : {Status::Healthy, Status::Suspended, Status::Progressing, Status::Missing,
                   Status::Degraded, Status::Unknown})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool has_health_check(std::string_view group, std::string_view kind) {
  return check_for(group, kind) != Check::None;
}

std::optional<HealthResult> assess(const nlohmann::json& body, std::string_view group,
                                   std::string_view kind) {
  // §11 step 1: a deleting object is "Pending deletion" unless a hook finalizer holds it.
  const json* ts = at(body, {"metadata", "deletionTimestamp"});
  if (ts && !ts->is_null()) {
    bool hook_finalizer = false;
    for (const auto& f : list(body, {"metadata", "finalizers"}))
      if (f.is_string() && f.get_ref<const std::string&>() == kHookFinalizer) hook_finalizer = true;
    if (!hook_finalizer) return make(Status::Progressing, "Pending deletion");
  }
  auto version = [&]() -> std::string {  // only the HPA check needs it
    const json* av = at(body, {"apiVersion"});
    if (!av || !av->is_string()) return {};
    const auto& s = av->get_ref<const std::string&>();
    auto slash = s.find('/');
    return slash == std::string::npos ? s : s.substr(slash + 1);
  };
  switch (check_for(group, kind)) {
    case Check::None: return std::nullopt;
    case Check::Deployment: return deployment(body);
    case Check::StatefulSet: return statefulset(body);
    case Check::DaemonSet: return daemonset(body);
    case Check::ReplicaSet: return replicaset(body);
    case Check::Pod: return pod(body);
    case Check::Service: return service(body);
    case Check::Ingress: return load_balancer(body);
    case Check::Pvc: return pvc(body);
    case Check::Job: return job(body);
    case Check::ApiService: return apiservice(body);
    case Check::Hpa: return hpa(body, version());
    case Check::Workflow: return workflow(body);
    case Check::Rollout: return rollout(body);
  }
  return std::nullopt;
}

std::optional<HealthResult> assess(const model::Object& live) {
  return assess(live.body(), live.key().group, live.kind());
}

}  // namespace rehearse::health
