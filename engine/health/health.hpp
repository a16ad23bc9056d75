#pragma once
// Resource health as Argo CD assesses it (reference argocd.md §11; gitops-engine
// pkg/health/*.go and the bundled Rollout Lua check of argo-cd).
//
// assess() answers for one live object: a status and the upstream message, or nullopt when
// upstream has no health check for the (group, kind) — e.g. ConfigMap, Secret, Application.
// "No health" is different from Healthy: callers ignore it when aggregating (§11) and hooks
// without health count as Succeeded (§2.5).
//
// The simulated API server must default `spec.replicas` (1) and `restartPolicy` (Always) the
// way the real one does (§15.11); assess() reads the body as it is, except that a Pod without
// `spec.restartPolicy` is treated as Always (the API server's default).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/object.hpp"

namespace rehearse::health {

// Declared best to worst: the severity order of pkg/health/health.go (§11).
enum class Status { Healthy, Suspended, Progressing, Missing, Degraded, Unknown };

std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view text);
// True when `candidate` is worse than `current` (IsWorse upstream).
inline bool is_worse(Status current, Status candidate) {
  return static_cast<int>(candidate) > static_cast<int>(current);
}

struct HealthResult {
  Status status = Status::Healthy;
  std::string message;
  // The status this result contributes to an aggregate. Upstream sets it only for suspended
  // Jobs ("Suspended Jobs should not affect Application health" → aggregate as Healthy).
  std::optional<Status> aggregate_as;

  Status aggregated() const { return aggregate_as.value_or(status); }
  bool operator==(const HealthResult&) const = default;
};

// Hook finalizer; a deleting object that still carries it is not "pending deletion" (§11.1).
inline constexpr std::string_view kHookFinalizer = "argocd.argoproj.io/hook-finalizer";

// Health of a live object, nullopt when there is no built-in check for its kind.
std::optional<HealthResult> assess(const model::Object& live);
// Same, from a body and its group/kind.
std::optional<HealthResult> assess(const nlohmann::json& body, std::string_view group,
                                   std::string_view kind);
// True when assess() has a built-in check for (group, kind).
bool has_health_check(std::string_view group, std::string_view kind);

}  // namespace rehearse::health
