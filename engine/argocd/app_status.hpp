#pragma once
// Application-level comparison: per-resource sync status and health, and the app's
// aggregate sync status (reference argocd.md §10.1) and health (§11 "Application health
// aggregation", argo-cd controller/health.go). This is the "diff + health" half of a
// reconcile pass; rendering happens before it (source.hpp), syncing after it (sync_plan.hpp).

#include <optional>
#include <string>
#include <vector>

#include "engine/argocd/tracking.hpp"
#include "engine/diff/diff.hpp"
#include "engine/health/health.hpp"
#include "engine/model/kinds.hpp"
#include "engine/model/object.hpp"

namespace rehearse::argocd {

enum class SyncStatus { Synced, OutOfSync, Unknown };
std::string_view to_string(SyncStatus s);

// One managed resource as the aggregation sees it: the Git object and/or the live object.
struct AppResource {
  const model::Object* target = nullptr;
  const model::Object* live = nullptr;
  // Health of `live` (nullopt: no health check, or no live object).
  std::optional<health::HealthResult> health;
};

// Worst-of over the resources (§11): Skip targets, live hooks and ignored hooks, and live
// objects annotated ignore-healthcheck are left out; resources missing from the cluster do
// not count; nil health is ignored; child Applications reporting Missing/Unknown are
// ignored; Healthy when nothing counts; Missing when the app has resources but none live.
// `self_app` (the app's own name) excludes an Application that manages itself.
health::Status aggregate_app_health(const std::vector<AppResource>& resources,
                                    std::string_view self_app = {});

struct ResourceStatus {
  model::ObjectKey key;
  SyncStatus status = SyncStatus::Synced;
  std::optional<health::HealthResult> health;  // Missing when not live
  bool requires_pruning = false;
  std::vector<std::string> diff_paths;
};

struct AppStatus {
  SyncStatus sync = SyncStatus::Synced;
  health::Status health = health::Status::Healthy;
  std::vector<ResourceStatus> resources;  // targets in input order, then prune candidates
  std::vector<std::string> warnings;
};

struct CompareSettings {
  std::string app_name;
  std::string dest_namespace;
  TrackingMethod tracking = TrackingMethod::Annotation;
  std::vector<diff::IgnoreRule> ignore_differences;
  const model::KindRegistry* kinds = nullptr;
};

// Compares rendered manifests with live objects (every live object may pair; tracked
// unpaired ones are prune candidates) and assesses health.
AppStatus compare_app(const std::vector<model::Object>& desired,
                      const std::vector<model::Object>& live, const CompareSettings& settings);

}  // namespace rehearse::argocd
