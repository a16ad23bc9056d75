#pragma once
// The Argo Rollouts controllers as reconcile functions over model::ClusterClient.
//
// RolloutController::reconcile(client, key, now) runs one pass of rollout/canary.go (or
// bluegreen.go) for one Rollout (reference section 2.1):
//   1. a new pod template or step list resets the status (new ReplicaSet created at 0
//      replicas) and ends the pass;
//   2. services (stable/canary or active/preview selectors), Istio VirtualService weights;
//   3. AnalysisRuns (background, step, pre/post promotion): create, read, cancel; Failed or
//      Error aborts, Inconclusive pauses;
//   4. ReplicaSets: stable, canary, then older ones; a pass that scaled anything ends here;
//   5. pause steps, then at most one step advances;
//   6. status: counts, conditions, phase (Healthy/Progressing/Paused/Degraded).
// It returns a requeue-after (nullopt: wait for a change) and events. The host should also
// reconcile when an owned ReplicaSet or AnalysisRun changes (upstream watches them).
//
// AnalysisRunController::reconcile steps an AnalysisRun object with a MetricProvider and
// writes its status; the host requeues it at the returned time.
//
// Commands (`kubectl argo rollouts promote|abort|retry`) are plain patches on the Rollout,
// exactly as the plugin sends them (reference 8.1-8.4).

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/cluster_client.hpp"
#include "engine/rollouts/analysis_run.hpp"
#include "engine/rollouts/rollout_spec.hpp"

namespace rehearse::rollouts {

inline constexpr const char* kPodTemplateHashLabel = "rollouts-pod-template-hash";
inline constexpr const char* kScaleDownDeadlineAnnotation = "scale-down-deadline";
inline constexpr const char* kRevisionAnnotation = "rollout.argoproj.io/revision";

struct ReconcileResult {
  std::optional<SimDuration> requeue_after;  // nullopt: nothing scheduled
  std::vector<std::string> events;           // "Reason: message", in order
};

// FNV-32a of the JSON text, safe-encoded like Kubernetes' ComputeHash.
std::string pod_template_hash(const nlohmann::json& pod_template);

class RolloutController {
 public:
  RolloutController();
  ~RolloutController();
  RolloutController(RolloutController&&) noexcept;
  RolloutController& operator=(RolloutController&&) noexcept;

  ReconcileResult reconcile(model::ClusterClient& client, const model::ObjectKey& rollout,
                            SimTime now) const;

 private:
  // Parsed Rollout specs by (uid, generation), analysis templates by resourceVersion and
  // ReplicaSet fields by (uid, resourceVersion): parsing them on every reconcile dominated
  // its cost. Results do not depend on them.
  struct Caches;
  std::unique_ptr<Caches> caches_;
};

class AnalysisRunController {
 public:
  // Chooses the provider for a run (the simulation picks metric streams by namespace and
  // labels of the run; tests use one SequenceProvider).
  using ProviderFor = std::function<MetricProvider&(const model::Object& run)>;
  explicit AnalysisRunController(ProviderFor provider_for) : provider_for_(std::move(provider_for)) {}
  ReconcileResult reconcile(model::ClusterClient& client, const model::ObjectKey& run,
                            SimTime now) const;

 private:
  ProviderFor provider_for_;
  // Resolved run specs by object, valid while (uid, generation) is unchanged: parsing the
  // template and compiling conditions on every reconcile would dominate its cost.
  struct Cached {
    std::string uid;
    long generation = 0;
    std::optional<RunSpec> spec;
    std::string error;
    // The spec `spec` was resolved from, without `terminate`: a new generation that only
    // sets `terminate` keeps the resolved spec.
    model::JsonBox spec_source;
    // The run state this controller last wrote, and the resourceVersion of that write:
    // when the stored run still has it, the state is reused instead of parsed back.
    std::optional<AnalysisRun> run;
    std::string written_rv;
    std::uint64_t written_stamp = 0;  // Object::stamp of that write; 0: unknown
  };
  mutable std::unordered_map<model::ObjectKey, Cached, model::ObjectKeyHash> cache_;  // determinism: ok (probed, never iterated)
  // The last few specs resolved (spec without `terminate`, resolved spec), oldest first:
  // runs created from one template have equal specs, and resolving one (parsing it,
  // compiling its conditions) costs more than comparing it.
  static constexpr size_t kResolvedSpecs = 8;
  mutable std::vector<std::pair<model::JsonBox, RunSpec>> resolved_;
};

// kubectl argo rollouts promote [--full], abort, retry, pause/resume.
Result<void> promote(model::ClusterClient& client, const model::ObjectKey& rollout, bool full);
Result<void> abort_rollout(model::ClusterClient& client, const model::ObjectKey& rollout);
Result<void> retry_rollout(model::ClusterClient& client, const model::ObjectKey& rollout);
Result<void> set_paused(model::ClusterClient& client, const model::ObjectKey& rollout, bool paused);

}  // namespace rehearse::rollouts
