#pragma once
// The Argo CD sync operation loop (reference argocd.md §4, §5, §6, §2.4-§2.6; gitops-engine
// pkg/sync/sync_context.go Sync/Terminate): a state machine that is called again and again
// for one in-flight operation and performs at most one step per call.
//
// Each call re-plans from the rendered manifests and the live objects (plan_sync), then
//  1. refreshes the state of running tasks from live health (§4 rule 3, hooks via §2.5);
//  2. waits while a multi-step sync has running tasks or any hook runs (rule 4), and while
//     pruned objects are still terminating (rule 5);
//  3. fails when a completed task is unsuccessful (rule 6: HookFailed hooks deleted,
//     SyncFail hooks run, then Failed);
//  4. succeeds when no task is pending (rule 7: HookSucceeded hooks deleted);
//  5. otherwise runs the next step (§3.4: prunes, BeforeHookCreation deletions, apply
//     batches) and asks to be called again after the 2 s wave delay (rule 8) — or succeeds
//     right away when that was the last step and it held no hooks (rule 9).
// Termination (phase Terminating) strips the hook finalizer from running hooks, deletes them
// and ends Failed "Operation terminated".
//
// The executor never sleeps and never reads a clock: "now" is in OperationEnv, and the result
// says when to be called again. Retry (§8) is the application controller's business
// (app_controller.hpp): it re-arms a Failed/Error operation.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/argocd/application.hpp"
#include "engine/argocd/sync_plan.hpp"
#include "engine/argocd/tracking.hpp"
#include "engine/model/cluster_client.hpp"
#include "engine/model/object.hpp"

namespace rehearse::argocd {

// §6: Completed = Failed | Error | Succeeded.
enum class OperationPhase { Running, Terminating, Failed, Error, Succeeded };
std::string_view to_string(OperationPhase p);
inline bool is_completed(OperationPhase p) {
  return p == OperationPhase::Failed || p == OperationPhase::Error || p == OperationPhase::Succeeded;
}

// Per-resource result codes (§6 table).
enum class ResultCode { Synced, SyncFailed, Pruned, PruneSkipped };
std::string_view to_string(ResultCode c);

// One entry of status.operationState.syncResult.resources, keyed by (key, phase).
struct ResourceResult {
  model::ObjectKey key;
  std::string version;
  SyncPhase phase = SyncPhase::Sync;
  int wave = 0;
  bool is_hook = false;
  std::string hook_type;  // "PreSync", ... for hooks
  bool prune = false;     // a prune task
  ResultCode status = ResultCode::Synced;
  // The task's operation state: Running until health says otherwise; Succeeded/Failed/Error.
  OperationPhase state = OperationPhase::Running;
  std::string message;
  bool finalizer_removed = false;  // hooks: the hook finalizer was stripped on completion
};

// What was asked for (status.operationState.operation): spec.operation.sync + retry.
struct SyncRequest {
  std::string revision;            // branch/tag/sha/HEAD requested (resolved by the caller)
  bool prune = false;
  bool dry_run = false;
  bool apply_strategy = false;     // syncStrategy.apply: hooks skipped (rollback uses it, §12)
  std::optional<std::vector<model::ObjectKey>> resources;  // selective sync (self-heal)
  std::vector<std::string> sync_options;
  RetryStrategy retry;             // limit 0 = no retry
  std::string initiated_by;        // username; "" with automated
  bool automated = false;
  std::int64_t self_heal_attempts = 0;  // op.Sync.SelfHealAttemptsCount (§7.3)
  std::optional<std::int64_t> rollback_id;  // history id a rollback deploys
  bool is_selective() const { return resources.has_value(); }
};

struct OperationState {
  SyncRequest request;
  OperationPhase phase = OperationPhase::Running;
  std::string message;
  std::int64_t started_at_ms = 0;  // Unix ms
  std::optional<std::int64_t> finished_at_ms;
  std::int64_t retry_count = 0;
  std::string sync_revision;       // the commit SHA being synced (syncResult.revision)
  std::vector<ResourceResult> results;
  // Private loop bookkeeping (not upstream fields).
  bool dry_run_done = false;
  bool sync_fail_started = false;
  std::string failure_message;     // the message to end with once SyncFail hooks complete
  std::vector<std::string> pending_prunes_terminating;

  // status.operationState as upstream serializes it (phase, message, startedAt, finishedAt,
  // retryCount, operation{sync{...}, initiatedBy, retry}, syncResult{revision, resources}).
  nlohmann::json to_json() const;
  const ResourceResult* find(const model::ObjectKey& key, SyncPhase phase) const;
  ResourceResult* find(const model::ObjectKey& key, SyncPhase phase);
};

// Sink for trace events: kind ("argocd.apply"), object ("Kind/ns/name"), details (object).
using EventSink = std::function<void(std::string_view kind, std::string_view object,
                                     const nlohmann::json& details)>;

struct OperationEnv {
  model::ClusterClient* client = nullptr;  // writes as argocd-application-controller
  std::int64_t now_ms = 0;                 // Unix ms
  std::string app_name;
  std::string app_object;                  // "Application/argocd/name" for events
  std::string dest_namespace;
  TrackingMethod tracking = TrackingMethod::Annotation;
  std::vector<diff::IgnoreRule> ignore_differences;
  bool managed_namespace_metadata = false;
  // The Application's argocd.argoproj.io/deletion-approved annotation ("" when absent).
  std::string deletion_approved;
  // The rendered manifests at request.revision and every live object the app may touch.
  const std::vector<model::Object>* desired = nullptr;
  const std::vector<model::Object>* live = nullptr;
  const model::KindRegistry* kinds = nullptr;
  std::int64_t wave_delay_ms = 2'000;      // ARGOCD_SYNC_WAVE_DELAY (§4 rule 8)
  EventSink emit;
};

struct StepResult {
  // Call again after this long (nullopt: only when something changes — a watch event).
  std::optional<std::int64_t> requeue_after_ms;
  bool completed = false;  // phase is now Failed/Error/Succeeded
};

// Advances the operation by at most one step. REQUIRES: !is_completed(state.phase).
StepResult run_operation(OperationState& state, const OperationEnv& env);

// Health of a live object mapped to a task state (§2.5 for hooks, §4 rule 3 otherwise).
OperationPhase task_state_from_health(const model::Object& live, bool is_hook);

// RFC 3339 (seconds precision, UTC) of a Unix-ms instant, as metav1.Time marshals.
std::string format_unix_ms(std::int64_t unix_ms);

}  // namespace rehearse::argocd
