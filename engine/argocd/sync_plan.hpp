#pragma once
// The Argo CD sync task pipeline (reference argocd.md §2-§5, §9; gitops-engine
// pkg/sync/sync_context.go getSyncTasks, pkg/sync/sync_tasks.go): from the rendered
// manifests and the live objects, which objects are created, updated or pruned, in which
// phase and wave, in which order, grouped into the steps the operation loop executes.
//
// plan_sync() is pure: no cluster access, no clock (the operation start time used for hook
// names is passed in). The operation loop (hosted by the simulator) executes plan.steps one
// at a time (§4): a step = all tasks of one (phase, wave); within a step all prunes first,
// then the apply batches in order (a batch = consecutive tasks of the same kind, applied in
// parallel; each batch waits for the previous batch's API calls, not for health). SyncFail
// tasks (plan.sync_fail) run only when the operation fails after the dry run (§2.6).
//
// Invariants of the result:
//  1. tasks are in execution order: steps in order; in each step prunes, then batches.
//  2. steps[i].(phase, wave) strictly increase in (phase rank, wave) order — except that
//     hoisting (§3.2 step 7) may give a Namespace/CRD the phase and wave of a later task,
//     in which case it joins that task's step.
//  3. every task of `tasks` appears in exactly one step.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/argocd/annotations.hpp"
#include "engine/argocd/tracking.hpp"
#include "engine/diff/diff.hpp"
#include "engine/model/kinds.hpp"
#include "engine/model/object.hpp"

namespace rehearse::argocd {

enum class TaskOperation { Create, Update, Prune };
std::string_view to_string(TaskOperation op);

// How an apply task talks to the API server (§9 Replace / ServerSideApply).
enum class ApplyMode { Apply, Replace, ServerSideApply };

// Why a prune task does not delete (§5).
enum class PruneDecision {
  Prune,               // deletes
  SkipRequiresPruning, // the operation's prune flag is off: "ignored (requires pruning)"
  SkipNoPrune,         // Prune=false (resource, or app default): "ignored (no prune)"
  NeedsConfirmation,   // Prune=confirm: waits for argocd.argoproj.io/deletion-approved
};

struct SyncTask {
  SyncPhase phase = SyncPhase::Sync;
  int wave = 0;  // after overrides (prune mirroring, PruneLast, hoisting)
  TaskOperation operation = TaskOperation::Create;
  // Identity the task acts on: namespace defaulted for namespaced kinds, "" for
  // cluster-scoped ones; a hook's generated name.
  model::ObjectKey key;
  std::string api_version;
  // What upstream's targetObj.GetNamespace() returns: the destination namespace is written
  // even into cluster-scoped objects (§3.2 step 2); used by Namespace hoisting.
  std::string ordering_ns;
  // The Git object (nullptr for prunes) and the live object (nullptr when absent). They
  // point into the vectors passed to plan_sync(), or into `owned` for synthesized tasks.
  const model::Object* target = nullptr;
  const model::Object* live = nullptr;
  std::shared_ptr<const model::Object> owned;

  bool is_hook = false;
  std::vector<DeletePolicy> delete_policies;  // hooks only
  // BeforeHookCreation and a live object of the hook's name exists: the step deletes it and
  // creates the hook on a later pass (§2.4).
  bool delete_before_creation = false;

  PruneDecision prune = PruneDecision::Prune;  // prunes only
  bool prune_last = false;                     // prunes moved by PruneLast (§3.2 step 5)

  ApplyMode apply_mode = ApplyMode::Apply;
  bool validate = true;
  bool skip_dry_run = false;  // SkipDryRunOnMissingResource=true
  // The diff (update tasks): whether live differs from Git, and where.
  bool modified = true;
  std::vector<std::string> diff_paths;

  std::string kind() const { return key.kind; }
  // "Kind/name" as in the plan's JSON.
  std::string short_name() const;
  // The object to send to the API server: the target with name/namespace set from `key`
  // and the tracking annotation/label of `app` added. REQUIRES: operation != Prune.
  model::Object materialize(std::string_view app, TrackingMethod method) const;
};

struct SyncStep {
  SyncPhase phase = SyncPhase::Sync;
  int wave = 0;
  std::vector<size_t> prunes;                      // indexes into SyncPlan::tasks
  std::vector<std::vector<size_t>> apply_batches;  // indexes into SyncPlan::tasks
  bool has_hooks = false;
};

struct SyncPlan {
  std::vector<SyncTask> tasks;      // execution order, without SyncFail
  std::vector<SyncTask> sync_fail;  // SyncFail hooks, sorted
  std::vector<SyncStep> steps;
  std::vector<std::string> warnings;
  // Tasks Argo CD would refuse (e.g. two manifests for one object); the operation fails
  // with "one or more synchronization tasks are not valid" (§4.1).
  std::vector<std::string> errors;
  // More than one distinct (phase, wave) among all tasks (§4 rule 4).
  bool multi_step = false;
  // Every managed resource requires pruning (or there is none): the automated-sync wipe-out
  // guard applies unless allowEmpty (§5).
  bool prunes_everything = false;
  // PreDelete/PostDelete hooks found in the manifests: not part of a sync (§2.6).
  std::vector<model::ObjectKey> deletion_hooks;
};

struct SyncSettings {
  std::string app_name;
  std::string dest_namespace;  // defaulted into objects without metadata.namespace
  bool prune = false;          // the operation's prune flag (manual --prune / automated.prune)
  std::vector<std::string> sync_options;  // app-level syncOptions
  TrackingMethod tracking = TrackingMethod::Annotation;
  // Hook naming (§2.3): the sync revision and the operation start (Unix seconds).
  std::string revision;
  int64_t started_at_unix = 0;
  bool skip_hooks = false;  // apply strategy / rollback / explicit skip
  // Selective sync (explicit resources, self-heal): only these keys; hooks skipped (§2.2).
  std::optional<std::vector<model::ObjectKey>> resources;
  std::vector<diff::IgnoreRule> ignore_differences;
  bool managed_namespace_metadata = false;
  // Diff every update task (SyncTask::modified/diff_paths). Always done for
  // ApplyOutOfSyncOnly; otherwise only on request (it dominates planning time).
  bool compute_diffs = false;  // CreateNamespace re-applies an existing namespace
  // Scope of kinds (CRDs in the manifests are learned automatically). May be null.
  const model::KindRegistry* kinds = nullptr;
};

// Builds the plan. `desired` are rendered manifests (not yet namespace-defaulted), `live`
// every live object the planner may pair with or prune (only those tracked as belonging to
// settings.app_name become prune candidates).
SyncPlan plan_sync(const std::vector<model::Object>& desired, const std::vector<model::Object>& live,
                   const SyncSettings& settings);

// The comparator of §3.3 (phase, wave, kind rank, name) plus the simulator's tie-break
// (group, namespace). Exposed for tests and for policies.
bool task_less(const SyncTask& a, const SyncTask& b);
// Index of `kind` in the Helm install order minus 35 (Namespace -35 ... APIService -1); 0
// for kinds not in the list (§3.3).
int kind_rank(std::string_view kind);

// §2.3 name of an unnamed hook: generateName + lower(R-PHASE-T).
std::string hook_name(std::string_view generate_name, std::string_view revision, SyncPhase phase,
                      int64_t started_at_unix);

}  // namespace rehearse::argocd
