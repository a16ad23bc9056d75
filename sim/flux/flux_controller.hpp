#pragma once
// The Flux controllers in the simulated world: source-controller (GitRepository against the
// scenario's repository), kustomize-controller and helm-controller (engine/flux), plus the
// `flux` CLI verbs scenarios use (bootstrap, reconcile, suspend, resume).
//
// Settings (`spec.controllers.flux`, all optional; docs/flux.md):
//   jitter: true                # ±5 % interval jitter from the "flux/jitter" Rng stream
//   strictSubstitution: true    # StrictPostBuildSubstitutions (kustomize-controller >= 1.9)
//   helm:
//     charts:                   # the HelmRepository index: chart -> versions
//       mlflow: ["0.7.1", "0.7.2", "0.7.3"]     # or {"0.7.2": path/to/manifests, ...}
//     releases:                 # what Helm actions do, per HelmRelease ns/name
//       mlops/mlflow: {failUpgradeTo: "0.7.3", failInstall: false, failTest: false, failAfter: 5m}

namespace rehearse::sim {

class ControllerCatalog;

// Adds the "flux" controller factory (tool "flux").
void register_flux(ControllerCatalog& catalog);

}  // namespace rehearse::sim
