#pragma once
// Argo Rollouts in the simulated world: engine/rollouts' RolloutController and
// AnalysisRunController hosted on the virtual clock, measuring against the scenario's metric
// streams, plus the `kubectl argo rollouts` verbs scenarios use. See docs/rollouts.md
// ("In a scenario").
//
// Hosting (reference rollouts.md §2.1, §5): a Rollout is reconciled when it changes, when one
// of its ReplicaSets or AnalysisRuns changes (owner references; pod readiness reaches the
// Rollout through its ReplicaSets' status), and when the engine asks for a requeue (pause
// expiry, scale-down deadlines, the progress deadline). An AnalysisRun is reconciled when it
// is created or its spec changes (terminate), and at the time the engine asks for (interval,
// initialDelay, the 10 s retry after an Error).
//
// Settings (`spec.controllers.rollouts`, all optional):
//   metrics:                         # metric streams; the first matching entry wins
//   - metric: p99-latency            # a template metric name, or
//     query: 'version="canary"'      # a substring of the prometheus query / web url
//     canary: 35                     # a constant value, or a series [{at: 0s, value: 35}, ...]
//     stable: 30
//     errors: [{from: 6m, to: 8m, message: "connection refused"}]   # or {at: 6m}
//     empty: [{from: 0s}]            # prometheus: an empty vector; web: an empty body
// A `job` metric without a stream runs a Job in the cluster; the workload profile of its
// image decides whether it completes (Successful) or fails (Failed).
//
// Commands (tool `rollouts`, from `kubectl: argo rollouts ...` or `rollouts: ...`; all accept
// `-n/--namespace NS`, default "default"):
//   promote [--full] NAME    abort NAME    retry rollout NAME    pause NAME
//   set image NAME CONTAINER=IMAGE
//
// Trace kinds: rollouts.step, rollouts.weight, rollouts.phase, rollouts.aborted,
// rollouts.promoted, rollouts.event, rollouts.measurement, rollouts.analysis.phase and
// rollouts.action (docs/rollouts.md lists their details).

namespace rehearse::sim {

class ControllerCatalog;

// Adds the "rollouts" controller factory (tool "rollouts").
void register_rollouts(ControllerCatalog& catalog);

}  // namespace rehearse::sim
