#pragma once
// The ApplicationSet controller in the simulated world (argo-cd
// applicationset/controllers/applicationset_controller.go), hosted next to the application
// controller by the `argocd` simulation controller (upstream installs both with Argo CD).
//
// Per reconcile of an ApplicationSet (engine/argocd/appset.hpp does the pure parts):
//  1. Being deleted: when the effective policy does not allow deletes, the ownerReferences
//     to the set are removed from its Applications (so garbage collection keeps them); the
//     set's resources finalizer is removed.
//  2. Generators re-run against the scenario repository at each git generator's `revision`
//     (HEAD = the repository's initial branch; every repoURL is the scenario repository, as
//     for Applications): directories of that commit in Go's WalkDir order.
//  3. Policy (utils.DefaultPolicy): `sync` and `create-update` create and update, the others
//     only create; `sync` and `create-delete` delete the Applications the set controls that
//     are no longer generated. An update keeps the preserved annotations and pre/post-delete
//     finalizers; every Application gets the set as controller ownerReference.
//  4. Requeue: the smallest generator interval — git `requeueAfterSeconds` or `requeueAfter`
//     (default 3 min, ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER; reference argocd.md
//     §7.4) — none for list-only sets; 3 min after a generation error
//     (ReconcileRequeueOnValidationError).
//  Watches (the controller's predicates): a set's spec, labels, finalizers, deletion or a newly
//  added refresh annotation; a controlled Application's deletion or a change of its spec,
//  labels, annotations or finalizers (not its status; creates are ignored).
//
// Writes are made as `argocd-applicationset-controller`. Trace events:
//   argocd.appset.created / .updated / .deleted   object: the Application; details:
//       applicationSet, (updated) fields, (deleted) cascade
//   argocd.appset.error                           object: the ApplicationSet; details: error
// Status: `status.conditions` ErrorOccurred, ParametersGenerated, ResourcesUpToDate (without
// lastTransitionTime).

#include <cstdint>
#include <memory>
#include <string>

#include "engine/argocd/appset.hpp"

namespace rehearse::sim {

class World;

// `spec.controllers.argocd.applicationSet` (all optional).
struct AppSetControllerSettings {
  bool enabled = true;
  std::int64_t requeue_after_ms = 180'000;  // ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER
  argocd::ApplicationsSyncPolicy policy = argocd::ApplicationsSyncPolicy::Sync;  // --policy
  bool policy_given = false;                                                     // --policy set
  bool enable_policy_override = true;  // --enable-policy-override (default: --policy unset)
};

class AppSetController {
 public:
  explicit AppSetController(AppSetControllerSettings settings);
  ~AppSetController();
  AppSetController(const AppSetController&) = delete;
  AppSetController& operator=(const AppSetController&) = delete;

  // Subscribes to watches and enqueues the sets that already exist.
  void start(World& world);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rehearse::sim
