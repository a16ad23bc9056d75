#pragma once
// The Argo CD application controller in the simulated world (engine/argocd/app_controller.hpp
// hosted on the virtual clock), plus the `argocd` CLI verbs scenarios use:
//
//   argocd: app sync NAME [--prune] [--revision REV] [--resource GROUP:KIND:NAME]... [--retry-limit N] [--dry-run]
//   argocd: app rollback NAME [ID] [--prune]
//   argocd: app set NAME --sync-policy none|automated [--self-heal[=false]] [--auto-prune[=false]] [--allow-empty[=false]]
//   argocd: app terminate-op NAME
//   argocd: app refresh NAME
// (all accept `-N/--app-namespace NS`, default argocd).
//
// Every Application's source is the scenario repository, whatever its repoURL; HEAD is the
// repository's initial branch. Scheduling (reference argocd.md §7.1): each app is refreshed
// every reconciliationTimeout + a uniform draw in [0, jitter] from the "argocd/refresh-jitter"
// stream, and at once when a managed resource changes (spec or health) — the resource cache
// of upstream. A running operation is re-examined operationRequeueDelay after a managed
// resource changes and every operationBackstop otherwise.
//
// Settings (`spec.controllers.argocd`, all optional; durations are Go durations or seconds):
//   reconciliationTimeout: 120s   jitter: 60s
//   selfHealTimeout: 0s   selfHealBackoff: 2s   selfHealBackoffFactor: 3   selfHealBackoffCap: 300s
//   syncWaveDelay: 2s   operationRequeueDelay: 5s   operationBackstop: 30s   syncTimeout: 0s
//   trackingMethod: annotation|label|annotation+label

namespace rehearse::sim {

class ControllerCatalog;

// Adds the "argocd" controller factory (tool "argocd").
void register_argocd(ControllerCatalog& catalog);

}  // namespace rehearse::sim
