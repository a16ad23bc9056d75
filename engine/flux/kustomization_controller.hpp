#pragma once
// The kustomize-controller's reconcile of one Kustomization (reference flux.md §3.1), over
// model::ClusterClient, with "now" and the jitter draw passed in:
//
//   deletion/finalizer -> suspend -> source + artifact -> dependsOn -> build (generated
//   kustomization, Flux overlay, post-build substitution) -> staged server-side apply with
//   owner labels -> inventory + prune -> health checks -> Ready.
//
// Health checks do not block: the first pass records a wait (deadline = now + timeout) and
// returns a 5 s requeue; later passes for the same generation only poll kstatus until all
// targets are Current, one is Failed (fail-fast) or the deadline passes. This is upstream's
// blocking poll unrolled onto the virtual clock.
//
// Events are returned, not recorded: the sim adapter writes them to the trace. Names are the
// public contract documented in docs/flux.md.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/flux/flux.hpp"
#include "engine/kustomize/file_source.hpp"
#include "engine/model/cluster_client.hpp"

namespace rehearse::flux {

struct Artifact {
  const kustomize::FileSource* files = nullptr;  // the artifact's view (ignore rules applied)
  std::string root;                              // directory of the artifact in `files`
  std::string revision;
};

struct FluxEvent {
  std::string kind;    // e.g. "flux.kustomization.applied"
  std::string object;  // model::ObjectKey::str() of the subject
  model::JsonBox details;
};

struct KustomizeEnv {
  model::ClusterClient* client = nullptr;  // acting as kustomize-controller
  SimTime now{};
  double jitter_unit = 0.5;                // uniform draw in [0,1) for the interval jitter
  int jitter_percent = kJitterPercent;
  bool strict_substitution = true;         // StrictPostBuildSubstitutions (on since v1.9)
  // The artifact of `source` at `revision` (its status.artifact.revision); nullopt = the
  // artifact cannot be fetched (404).
  std::function<std::optional<Artifact>(const model::Object& source, const std::string& revision)> artifact;
  // Optional read without a copy (the fake API server's ApiServer::find): the stored object or
  // nullptr, valid until the next write. Without it, live objects are read with client->get.
  std::function<const model::Object*(const model::ObjectKey&)> find;
};

struct ReconcileOutcome {
  std::optional<SimDuration> requeue_after;  // nullopt: wait for a watch event
  std::vector<FluxEvent> events;
};

class KustomizationController {
 public:
  ReconcileOutcome reconcile(const model::ObjectKey& key, const KustomizeEnv& env);
  // Whether a health-check wait is pending for `key`.
  bool waiting(const model::ObjectKey& key) const { return waits_.count(key) > 0; }
  void forget(const model::ObjectKey& key) {
    waits_.erase(key);
    settled_.erase(key);
    prepared_.erase(key);
  }

  // Change tracking (opt-in). A host that calls object_changed() for every write to every
  // object of the cluster (an all-kinds watch) may enable it. Then a Kustomization whose last
  // pass succeeded without writing anything or emitting an event is *settled*: until a watch
  // event touches one of the objects that pass read (itself, its source, dependencies,
  // substituteFrom objects, health-check targets, every desired and inventory object), a pass
  // would read the same state and decide the same things, so it only requeues. Any write to
  // those objects (a kubectl edit = drift) unsettles it and the next interval runs the full
  // pass, which corrects the drift as before.
  void track_changes(bool on) {
    tracking_ = on;
    settled_.clear();
  }
  void object_changed(const model::ObjectKey& key);

 private:
  struct HealthWait {
    std::string revision;
    std::int64_t generation = 0;
    SimTime started{};
    SimTime deadline{};
    std::vector<model::ObjectKey> targets;
  };
  std::map<model::ObjectKey, HealthWait> waits_;
  // kustomize build output by (artifact revision, directory, overlay): a build is a pure
  // function of them, and intervals re-run it on unchanged revisions. Bounded.
  std::map<std::string, std::vector<model::Object>> build_cache_;
  // The desired body last applied per (Kustomization, object): when the desired state is the
  // same and the live object still holds every desired field, the apply would be a no-op and
  // is skipped (upstream's server-side dry-run finds it "unchanged").
  std::map<model::ObjectKey, std::map<model::ObjectKey, model::JsonBox>> last_applied_;
  // Per Kustomization: the build output after post-build substitution, owner labels and
  // namespace defaulting, for the build (cache key) and variables it was made from.
  struct Prepared {
    std::string build_key;
    bool post_build = false;
    bool strict = true;
    std::map<std::string, std::string, std::less<>> vars;
    std::vector<model::Object> objects;
  };
  std::map<model::ObjectKey, Prepared> prepared_;

  struct Settled {
    SimDuration interval{};
    bool strict = true;
  };
  bool tracking_ = false;
  std::uint64_t changes_ = 0;  // object_changed() calls so far
  std::map<model::ObjectKey, Settled> settled_;
  // Reverse index: object (group, kind, name; namespace dropped, so a lookup may over-match,
  // which only costs a full pass) -> Kustomizations whose settled state read it.
  std::map<model::ObjectKey, std::set<model::ObjectKey>> readers_;
};

// The GroupVersionKind-independent key of a Kustomization or HelmRelease named in an event.
model::ObjectKey kustomization_key(std::string ns, std::string name);

}  // namespace rehearse::flux
