#pragma once
// The Argo CD application controller's per-Application logic (argo-cd
// controller/appcontroller.go), over model::ClusterClient and with "now" passed in:
//
//  * refresh(): render at the target revision, compare with live (compare_app), write
//    status.sync / status.health / status.resources, then decide on an automated sync
//    (reference argocd.md §7.2: only when OutOfSync; once per revision — a failed attempt is
//    not repeated for the same revision; prune-only differences need automated.prune; the
//    allowEmpty wipe-out guard of §5; self-heal (§7.3) re-syncs only the non-Synced
//    resources after the exponential self-heal backoff, measured from the previous
//    operation's finishedAt).
//  * process_operation(): drives the in-flight operation (operation.hpp) one step per call,
//    applies the retry strategy to Failed/Error results (§8, including the code's
//    one-step-longer effective wait), records successful non-selective syncs in
//    status.history truncated to revisionHistoryLimit (§12).
//  * commands: sync, rollback (refused while automated sync is enabled, §12), terminate-op.
//
// The caller (sim/argocd) owns scheduling: it calls refresh() periodically (with jitter) and
// on watch events of managed resources, and process_operation() when an outcome asks for it.
// Events go to the EventSink with the names docs/argocd-controller.md documents.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/argocd/app_status.hpp"
#include "engine/argocd/application.hpp"
#include "engine/argocd/operation.hpp"
#include "engine/model/cluster_client.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/result.hpp"

namespace rehearse::argocd {

// Controller-wide settings; upstream defaults (§7.1, §7.3, §7.4, §4).
struct ControllerSettings {
  std::int64_t reconciliation_timeout_ms = 120'000;  // timeout.reconciliation
  std::int64_t reconciliation_jitter_ms = 60'000;    // timeout.reconciliation.jitter
  std::int64_t self_heal_timeout_ms = 0;             // --self-heal-timeout-seconds
  std::int64_t self_heal_backoff_ms = 2'000;         // --self-heal-backoff-timeout-seconds (0: fixed timeout)
  std::int64_t self_heal_backoff_factor = 3;         // --self-heal-backoff-factor
  std::int64_t self_heal_backoff_cap_ms = 300'000;   // --self-heal-backoff-cap-seconds
  std::int64_t wave_delay_ms = 2'000;                // ARGOCD_SYNC_WAVE_DELAY
  std::int64_t operation_requeue_ms = 5'000;         // batching delay after resource events
  std::int64_t operation_backstop_ms = 30'000;       // re-check of a waiting operation
  std::int64_t sync_timeout_ms = 0;                  // --sync-timeout, 0 = none
  TrackingMethod tracking = TrackingMethod::Annotation;
};

// The wait before the next self-heal after `attempts` earlier ones (§7.3): the attempts-th
// value of the exponential stepper (0 for the first), or the fixed timeout when the backoff
// start is 0.
std::int64_t self_heal_delay_ms(const ControllerSettings& s, std::int64_t attempts);

struct RenderedApp {
  bool ok = false;
  std::string error;
  std::string revision;  // the resolved commit SHA
  std::vector<model::Object> objects;
};

struct AppEnv {
  model::ClusterClient* client = nullptr;  // acting as argocd-application-controller
  std::int64_t now_ms = 0;                 // Unix ms
  // Renders the app's sources at a revision (branch, tag, SHA or HEAD).
  std::function<RenderedApp(const Application& app, const std::string& revision)> render;
  // Live objects the app may pair with or prune: those tracked as the app's plus any at the
  // keys of `desired`.
  std::function<std::vector<model::Object>(const Application& app, const std::vector<model::Object>& desired)> live;
  // Optional fast path: the commit a revision resolves to, and a fingerprint of the live
  // objects live() would return (e.g. their resourceVersions). When the revision, the
  // Application's generation and the fingerprint are those of the previous refresh, the
  // previous comparison is reused — it is a pure function of these inputs.
  std::function<std::optional<std::string>(const Application& app, const std::string& revision)> resolve;
  std::function<std::string(const Application& app, const std::vector<model::Object>& desired)> live_fingerprint;
  // Optional: the stored object without a copy (nullptr when absent); client->get otherwise.
  std::function<const model::Object*(const model::ObjectKey& key)> peek;
  // Who last wrote an object (for argocd.drift), "" when unknown. May be empty.
  std::function<std::string(const model::ObjectKey& key)> last_writer;
  const model::KindRegistry* kinds = nullptr;
  EventSink emit;
};

struct AppOutcome {
  std::optional<std::int64_t> refresh_after_ms;    // an extra refresh (e.g. self-heal backoff)
  std::optional<std::int64_t> operation_after_ms;  // call process_operation() again after
  bool operation_running = false;
};

class AppController {
 public:
  explicit AppController(ControllerSettings settings = {}) : settings_(settings) {}
  const ControllerSettings& settings() const { return settings_; }

  AppOutcome refresh(const model::ObjectKey& app, const AppEnv& env);
  AppOutcome process_operation(const model::ObjectKey& app, const AppEnv& env);

  // `argocd app sync`: Error "another operation is already in progress" while one runs.
  Result<void> sync(const model::ObjectKey& app, SyncRequest request, const AppEnv& env);
  // `argocd app rollback APP [ID]` (§12).
  Result<void> rollback(const model::ObjectKey& app, std::optional<std::int64_t> id, bool prune,
                        const AppEnv& env);
  // `argocd app terminate-op APP`.
  Result<void> terminate(const model::ObjectKey& app, const AppEnv& env);

  // Application deletion (argo-cd controller/appcontroller.go finalizeApplicationDeletion,
  // reference argocd.md §5 "Cascade deletion"). Called while the Application has a
  // deletionTimestamp and no operation runs. With a propagation finalizer
  // (`resources-finalizer.argocd.argoproj.io`, `.../foreground`, `.../background`) the app's
  // tracked live resources are deleted one wave at a time, highest wave first
  // (controller/sort_delete.go), with foreground propagation (background for `.../background`),
  // skipping CRDs, `Delete=false` (resource annotation, else app syncOptions) and
  // `helm.sh/resource-policy: keep`; while any tracked resource is terminating nothing else
  // happens. When none is left the propagation finalizer is removed, and the API server
  // deletes the Application once it has no finalizers. Without one: nothing to do (the
  // resources stay). `operation_after_ms` asks to be called again.
  AppOutcome finalize_deletion(const model::ObjectKey& app, const AppEnv& env);

  bool operation_running(const model::ObjectKey& app) const;
  const OperationState* operation(const model::ObjectKey& app) const;
  void forget(const model::ObjectKey& app) {
    apps_.erase(app);
    parsed_.erase(app);
  }

 private:
  struct HistoryEntry {
    std::int64_t id = 0;
    std::string revision;
    std::int64_t deployed_at_ms = 0;
    std::int64_t deploy_started_at_ms = 0;
    std::string initiated_by;
    bool automated = false;
  };
  struct Runtime {
    std::optional<OperationState> op;
    std::vector<HistoryEntry> history;
    bool compared = false;
    SyncStatus sync = SyncStatus::Unknown;
    health::Status health = health::Status::Healthy;
    std::string compared_revision;
    std::string compare_error;
    std::vector<ResourceStatus> resources;
    std::map<model::ObjectKey, std::string> resource_health;
    std::string drift_signature;
    std::string skip_signature;
    std::string condition_type, condition_message;
    bool deleting = false;                // deletionTimestamp set: no automated sync (§7.2)
    std::string fingerprint;              // revision|generation|live fingerprint of the last compare
    std::vector<model::Object> desired;   // the last compared targets
    model::JsonBox last_status;
  };

  struct AppMeta {
    std::string generation;
    std::string deletion_approved;
    bool deleting = false;
  };
  Result<Application> load(const model::ObjectKey& app, const AppEnv& env, AppMeta* meta = nullptr);
  Result<void> start_operation(Runtime& rt, const Application& app, SyncRequest request, const AppEnv& env);
  void auto_sync(Runtime& rt, const Application& app, const AppEnv& env, AppOutcome& out);
  void skip(Runtime& rt, const Application& app, const AppEnv& env, const std::string& reason,
            const std::string& message);
  void write_status(Runtime& rt, const model::ObjectKey& key, const Application& app, const AppEnv& env);

  ControllerSettings settings_;
  std::map<model::ObjectKey, Runtime> apps_;
  std::map<model::ObjectKey, std::pair<std::string, Application>> parsed_;  // by generation
};

}  // namespace rehearse::argocd
