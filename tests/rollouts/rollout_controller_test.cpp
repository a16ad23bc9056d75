// The Rollout and AnalysisRun controllers over a tiny std::map-backed ClusterClient, with a
// stand-in ReplicaSet controller that makes pods available at once (or never).
// Facts checked: reference sections 2 (one step per reconcile, pause/analysis semantics),
// 3.3-3.4 (traffic-routed replicas, abort hold), 4.2 (Istio weights), 5 (analysis outcome
// handling, unbounded metrics rejected), 8 (abort/retry/promote/deadline), 9.2 (phases), 10.
#include "engine/rollouts/rollout_controller.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "engine/model/manifest_loader.hpp"
#include "engine/rollouts/sequence_provider.hpp"
#include "tests/rollouts/fake_cluster.hpp"

using namespace rehearse;
using namespace rehearse::rollouts;
using nlohmann::json;
using rehearse::rollouts::testing::FakeCluster;
using rehearse::rollouts::testing::Sim;

namespace {

const char* kRollout = R"(
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: fraud-detector, namespace: ml}
spec:
  replicas: 4
  selector: {matchLabels: {app: fd}}
  template:
    metadata: {labels: {app: fd}}
    spec: {containers: [{name: model, image: "fd:v1"}]}
  strategy:
    canary:
      canaryService: fd-canary
      stableService: fd-stable
      trafficRouting:
        istio: {virtualService: {name: fd-vs, routes: [primary]}}
      steps:
      - setWeight: 10
      - pause: {duration: 5m}
      - analysis: {templates: [{templateName: latency}]}
      - setWeight: 50
      - pause: {}
      - setWeight: 100
)";

const char* kTemplate = R"(
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: latency, namespace: ml}
spec:
  metrics:
  - name: p99
    interval: 1m
    count: 3
    failureLimit: 1
    successCondition: result < 50
    provider: {prometheus: {query: q}}
)";

const char* kSupport = R"(
apiVersion: v1
kind: Service
metadata: {name: fd-canary, namespace: ml}
spec: {selector: {app: fd}}
---
apiVersion: v1
kind: Service
metadata: {name: fd-stable, namespace: ml}
spec: {selector: {app: fd}}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: fd-vs, namespace: ml}
spec:
  hosts: [fd]
  http:
  - name: primary
    route:
    - destination: {host: fd-stable}
      weight: 100
    - destination: {host: fd-canary}
      weight: 0
)";

const model::ObjectKey kKey{"argoproj.io", "Rollout", "ml", "fraud-detector"};

json status(Sim& sim) { return sim.cluster.get(kKey)->body()["status"]; }

std::pair<int, int> vs_weights(Sim& sim) {
  auto vs = sim.cluster.get({"networking.istio.io", "VirtualService", "ml", "fd-vs"});
  int stable = -1, canary = -1;
  for (const auto& d : vs->body()["spec"]["http"][0]["route"]) {
    if (d["destination"]["host"] == "fd-stable") stable = d["weight"];
    if (d["destination"]["host"] == "fd-canary") canary = d["weight"];
  }
  return {canary, stable};
}

void set_image(Sim& sim, const std::string& image) {
  auto r = sim.cluster.get(kKey);
  json body = r->body();
  body["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  ASSERT_TRUE(sim.cluster.update(model::Object(model::JsonBox(body))).ok());
}

Sim deployed(const char* rollout = kRollout) {
  Sim sim;
  sim.load(kSupport);
  sim.load(kTemplate);
  sim.load(rollout);
  sim.run_for(sim::seconds(5));
  return sim;
}

}  // namespace

TEST(RolloutController, FirstDeployIsPromotedImmediatelyAndSkipsTheSteps) {
  Sim sim = deployed();
  json st = status(sim);
  EXPECT_EQ(st["phase"], "Healthy");
  EXPECT_EQ(st["stableRS"], st["currentPodHash"]);
  EXPECT_EQ(st["currentStepIndex"], 6);
  EXPECT_EQ(sim.replicas_of(st["stableRS"]), 4);
  EXPECT_EQ(sim.cluster.count("AnalysisRun"), 0);
  auto svc = sim.cluster.get({"", "Service", "ml", "fd-stable"});
  EXPECT_EQ(svc->body()["spec"]["selector"][kPodTemplateHashLabel], st["stableRS"]);
}

TEST(RolloutController, CanaryWithIstioFollowsTheStepsToFullPromotion) {
  Sim sim = deployed();
  const std::string v1 = status(sim)["stableRS"];
  for (int i = 0; i < 3; ++i) sim.provider.add("p99", ProviderResult::of(20.0));
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(10));
  json st = status(sim);
  const std::string v2 = st["currentPodHash"];
  ASSERT_NE(v1, v2);
  // setWeight 10 done, now at the 5 minute pause: canary ceil(0.1 * 4) = 1, stable stays 4.
  EXPECT_EQ(st["currentStepIndex"], 1);
  EXPECT_EQ(st["phase"], "Paused");
  EXPECT_EQ(st["message"], "CanaryPauseStep");
  EXPECT_EQ(sim.replicas_of(v2), 1);
  EXPECT_EQ(sim.replicas_of(v1), 4);
  EXPECT_EQ(vs_weights(sim), std::make_pair(10, 90));
  // After the pause, the analysis (3 measurements a minute apart) passes, then setWeight 50
  // and the indefinite pause.
  sim.run_for(sim::minutes(8));
  st = status(sim);
  EXPECT_EQ(st["currentStepIndex"], 4);
  EXPECT_EQ(st["phase"], "Paused");
  EXPECT_EQ(sim.replicas_of(v2), 2);
  EXPECT_EQ(vs_weights(sim), std::make_pair(50, 50));
  EXPECT_EQ(sim.cluster.count("AnalysisRun"), 1);
  sim.run_for(sim::hours(1));
  EXPECT_EQ(status(sim)["currentStepIndex"], 4);  // waits for promote
  ASSERT_TRUE(promote(sim.cluster, kKey, false).ok());
  sim.run_for(sim::seconds(10));
  st = status(sim);
  EXPECT_EQ(st["phase"], "Healthy");
  EXPECT_EQ(st["stableRS"], v2);
  EXPECT_EQ(sim.replicas_of(v2), 4);
  EXPECT_EQ(vs_weights(sim), std::make_pair(0, 100));  // both services select v2 now
  // The previous stable is scaled down scaleDownDelaySeconds (30 s) after promotion.
  EXPECT_EQ(sim.replicas_of(v1), 4);
  sim.run_for(sim::seconds(40));
  EXPECT_EQ(sim.replicas_of(v1), 0);
}

TEST(RolloutController, OnlyOneStepAdvancesPerReconcile) {
  const std::string two_weights = std::string(kRollout).replace(
      std::string(kRollout).find("      - pause: {duration: 5m}\n"),
      std::string("      - pause: {duration: 5m}\n").size(), "      - setWeight: 10\n");
  Sim sim = deployed(two_weights.c_str());
  set_image(sim, "fd:v2");
  // Reconcile by hand: reset pass, then scaling passes, then step passes.
  std::vector<int> indexes;
  for (int i = 0; i < 12; ++i) {
    sim.reconcile_rollout_once();
    sim.make_replica_sets_ready();
    indexes.push_back(status(sim).value("currentStepIndex", 0));
  }
  for (size_t i = 1; i < indexes.size(); ++i) EXPECT_LE(indexes[i] - indexes[i - 1], 1);
}

TEST(RolloutController, FailedStepAnalysisAbortsAndHoldsTheCanaryForThirtySeconds) {
  Sim sim = deployed();
  const std::string v1 = status(sim)["stableRS"];
  for (int i = 0; i < 3; ++i) sim.provider.add("p99", ProviderResult::of(90.0));
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(10));
  const std::string v2 = status(sim)["currentPodHash"];
  sim.run_for(sim::minutes(5));   // pause ends, analysis starts
  sim.run_for(sim::seconds(65));  // second failure a minute later: failed 2 > limit 1
  json st = status(sim);
  EXPECT_EQ(st["abort"], true);
  EXPECT_EQ(st["phase"], "Degraded");
  EXPECT_EQ(st["message"].get<std::string>().rfind(
                "RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase failed", 0),
            0u)
      << st["message"];
  EXPECT_EQ(st["currentStepIndex"], 0);
  EXPECT_EQ(vs_weights(sim), std::make_pair(0, 100));
  EXPECT_EQ(sim.cluster.get({"", "Service", "ml", "fd-canary"})->body()["spec"]["selector"]
                           [kPodTemplateHashLabel],
            v1);
  EXPECT_EQ(sim.replicas_of(v2), 1);  // held by abortScaleDownDelaySeconds
  sim.run_for(sim::seconds(35));
  EXPECT_EQ(sim.replicas_of(v2), 0);
  EXPECT_EQ(sim.replicas_of(v1), 4);
}

TEST(RolloutController, RetryAfterAbortRestartsTheStepsWithNewAnalysisRuns) {
  Sim sim = deployed();
  for (int i = 0; i < 2; ++i) sim.provider.add("p99", ProviderResult::of(90.0));
  set_image(sim, "fd:v2");
  sim.run_for(sim::minutes(8));
  ASSERT_EQ(status(sim)["abort"], true);
  for (int i = 0; i < 3; ++i) sim.provider.add("p99", ProviderResult::of(10.0));
  ASSERT_TRUE(retry_rollout(sim.cluster, kKey).ok());
  sim.run_for(sim::seconds(10));
  json st = status(sim);
  EXPECT_EQ(st["abort"], false);
  EXPECT_EQ(st["currentStepIndex"], 1);
  EXPECT_EQ(st["phase"], "Paused");
  sim.run_for(sim::minutes(9));
  EXPECT_EQ(status(sim)["currentStepIndex"], 4);
  EXPECT_EQ(sim.cluster.count("AnalysisRun"), 2);
  // The step's run name is taken by the failed run: the retry's gets a counter, as upstream.
  std::vector<std::string> names;
  for (const auto& [k, o] : sim.cluster.objects())
    if (k.kind == "AnalysisRun") names.push_back(k.name);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1], names[0] + ".1");
}

TEST(RolloutController, UserAbortSetsWeightZeroAndDegraded) {
  Sim sim = deployed();
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(10));
  ASSERT_TRUE(abort_rollout(sim.cluster, kKey).ok());
  sim.run_for(sim::seconds(2));
  json st = status(sim);
  EXPECT_EQ(st["phase"], "Degraded");
  EXPECT_EQ(vs_weights(sim), std::make_pair(0, 100));
}

TEST(RolloutController, PromoteFullSkipsRemainingStepsAndAnalysis) {
  Sim sim = deployed();
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(10));
  ASSERT_TRUE(promote(sim.cluster, kKey, true).ok());
  sim.run_for(sim::seconds(10));
  json st = status(sim);
  EXPECT_EQ(st["phase"], "Healthy");
  EXPECT_EQ(st["stableRS"], st["currentPodHash"]);
  EXPECT_EQ(sim.cluster.count("AnalysisRun"), 0);
}

TEST(RolloutController, UnboundedMetricInAStepAnalysisMakesTheRolloutInvalid) {
  Sim sim;
  sim.load(kSupport);
  std::string tmpl = kTemplate;
  tmpl.replace(tmpl.find("    count: 3\n"), std::string("    count: 3\n").size(), "");
  sim.load(tmpl.c_str());
  sim.load(kRollout);
  sim.run_for(sim::seconds(5));
  json st = status(sim);
  EXPECT_EQ(st["phase"], "Degraded");
  EXPECT_EQ(st["message"],
            "InvalidSpec: AnalysisTemplate latency has metric p99 which runs indefinitely. "
            "Invalid value for count: <nil>");
}

TEST(RolloutController, BasicCanaryApproximatesTheWeightWithPods) {
  const char* basic = R"(
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: fraud-detector, namespace: ml}
spec:
  replicas: 10
  selector: {matchLabels: {app: fd}}
  template:
    metadata: {labels: {app: fd}}
    spec: {containers: [{name: model, image: "fd:v1"}]}
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {}
)";
  Sim sim;
  sim.load(basic);
  sim.run_for(sim::seconds(5));
  const std::string v1 = status(sim)["stableRS"];
  EXPECT_EQ(sim.replicas_of(v1), 10);
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(30));
  json st = status(sim);
  EXPECT_EQ(st["currentStepIndex"], 1);
  EXPECT_EQ(sim.replicas_of(st["currentPodHash"]), 2);
  EXPECT_EQ(sim.replicas_of(v1), 8);
  EXPECT_EQ(st["phase"], "Paused");
  // Surge never exceeded R + 25% (ceil 2.5 = 3) pods in total.
  EXPECT_LE(sim.max_total_replicas, 13);
}

TEST(RolloutController, ProgressDeadlineExceededIsDegradedAndCanAbort) {
  std::string r = kRollout;
  r.replace(r.find("  replicas: 4\n"), std::string("  replicas: 4\n").size(),
            "  replicas: 4\n  progressDeadlineSeconds: 60\n  progressDeadlineAbort: true\n");
  Sim sim = deployed(r.c_str());
  sim.pods_become_ready = false;
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(90));
  json st = status(sim);
  EXPECT_EQ(st["abort"], true);
  EXPECT_EQ(st["phase"], "Degraded");
  EXPECT_NE(st["message"].get<std::string>().find("has timed out progressing"), std::string::npos)
      << st["message"];
}

// RolloutProgressing (utils/conditions/conditions.go): more ready pods are progress and
// refresh the Progressing condition's lastUpdateTime (which the progress deadline counts
// from); fewer ready pods are not.
TEST(RolloutController, OnlyUpstreamsProgressRefreshesTheProgressingCondition) {
  Sim sim = deployed();
  const std::string stable = status(sim)["stableRS"];
  sim.pods_become_ready = false;
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(30));  // the canary's pods never become ready: no step completes
  auto last_update = [&] {
    const json st = status(sim);  // kept alive: the loop walks into it
    for (const auto& c : st["conditions"])
      if (c["type"] == "Progressing") return c["lastUpdateTime"].get<std::string>();
    return std::string("none");
  };
  model::Object& rs = sim.cluster.at({"apps", "ReplicaSet", "ml", "fraud-detector-" + stable});
  sim.cluster.write_status_in_place(rs, {{"replicas", 4}, {"readyReplicas", 4}, {"availableReplicas", 4}});
  const SimTime t1 = sim.now + sim::seconds(1);
  (void)sim.rollouts.reconcile(sim.cluster, kKey, t1);
  EXPECT_EQ(last_update(), sim::format_rfc3339(t1));
  sim.cluster.write_status_in_place(rs, {{"replicas", 4}, {"readyReplicas", 2}, {"availableReplicas", 2}});
  (void)sim.rollouts.reconcile(sim.cluster, kKey, t1 + sim::seconds(10));
  EXPECT_EQ(last_update(), sim::format_rfc3339(t1));
  EXPECT_FALSE(status(sim).contains("progressMarker"));  // not a field of upstream's status
}

TEST(RolloutController, BlueGreenWaitsForPromotionThenSwitchesActive) {
  const char* bg = R"(
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: fraud-detector, namespace: ml}
spec:
  replicas: 2
  selector: {matchLabels: {app: fd}}
  template:
    metadata: {labels: {app: fd}}
    spec: {containers: [{name: model, image: "fd:v1"}]}
  strategy:
    blueGreen:
      activeService: fd-stable
      previewService: fd-canary
      autoPromotionEnabled: false
)";
  Sim sim;
  sim.load(kSupport);
  sim.load(bg);
  sim.run_for(sim::seconds(5));
  json st = status(sim);
  const std::string v1 = st["stableRS"];
  EXPECT_EQ(st["phase"], "Healthy");
  set_image(sim, "fd:v2");
  sim.run_for(sim::seconds(10));
  st = status(sim);
  const std::string v2 = st["currentPodHash"];
  EXPECT_EQ(st["phase"], "Paused");
  EXPECT_EQ(st["message"], "BlueGreenPause");
  auto selector = [&](const char* svc) {
    return sim.cluster.get({"", "Service", "ml", svc})->body()["spec"]["selector"][kPodTemplateHashLabel];
  };
  EXPECT_EQ(selector("fd-canary"), v2);
  EXPECT_EQ(selector("fd-stable"), v1);
  ASSERT_TRUE(promote(sim.cluster, kKey, false).ok());
  sim.run_for(sim::seconds(5));
  EXPECT_EQ(selector("fd-stable"), v2);
  EXPECT_EQ(status(sim)["phase"], "Healthy");
  EXPECT_EQ(sim.replicas_of(v1), 2);
  sim.run_for(sim::seconds(35));
  EXPECT_EQ(sim.replicas_of(v1), 0);
}

TEST(AnalysisRunController, WritesStatusAndRequeuesAtTheNextMeasurement) {
  Sim sim;
  sim.load(R"(
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata: {name: run, namespace: ml}
spec:
  args: [{name: svc, value: api}]
  metrics:
  - name: p99
    interval: 1m
    count: 2
    successCondition: result < 50
    provider: {prometheus: {query: "q{svc='{{args.svc}}'}"}}
)");
  sim.provider.add("p99", ProviderResult::of(10.0));
  sim.provider.add("p99", ProviderResult::of(10.0));
  AnalysisRunController arc([&](const model::Object&) -> MetricProvider& { return sim.provider; });
  const model::ObjectKey key{"argoproj.io", "AnalysisRun", "ml", "run"};
  auto r = arc.reconcile(sim.cluster, key, sim.now);
  ASSERT_TRUE(r.requeue_after.has_value());
  EXPECT_EQ(*r.requeue_after, sim::minutes(1));
  EXPECT_EQ(sim.cluster.get(key)->body()["status"]["phase"], "Running");
  r = arc.reconcile(sim.cluster, key, sim.now + sim::minutes(1));
  EXPECT_FALSE(r.requeue_after.has_value());
  EXPECT_EQ(sim.cluster.get(key)->body()["status"]["phase"], "Successful");
}

// The controller keeps a run's resolved spec per generation. A new generation that only sets
// spec.terminate keeps it and ends the run; any other spec change is resolved afresh.
// An unbounded run measuring p99 every minute, successful below 50.
constexpr const char* kP99Run = R"(
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata: {name: run, namespace: ml}
spec:
  metrics:
  - name: p99
    interval: 1m
    successCondition: result < 50
    provider: {prometheus: {query: q}}
)";

// kP99Run loaded, `measurements` p99 values of 10 queued, and a controller of its own (built
// in place: the controller's provider refers to this fixture's Sim).
struct P99RunFixture {
  explicit P99RunFixture(int measurements) {
    sim.load(kP99Run);
    for (int i = 0; i < measurements; ++i) sim.provider.add("p99", ProviderResult::of(10.0));
  }
  Sim sim;
  AnalysisRunController arc{[this](const model::Object&) -> MetricProvider& { return sim.provider; }};
  const model::ObjectKey key{"argoproj.io", "AnalysisRun", "ml", "run"};
};

TEST(AnalysisRunController, ANewGenerationResolvesTheSpecAgainUnlessOnlyTerminateIsSet) {
  P99RunFixture f(4);
  Sim& sim = f.sim;
  AnalysisRunController& arc = f.arc;
  const model::ObjectKey& key = f.key;
  auto edit_spec = [&](const std::function<void(json&)>& fn) {
    model::Object o = *sim.cluster.find(key);
    fn(o.body()["spec"]);
    ASSERT_TRUE(sim.cluster.update(std::move(o)).ok());
  };
  auto phase = [&] { return sim.cluster.get(key)->body()["status"]["phase"].get<std::string>(); };
  (void)arc.reconcile(sim.cluster, key, sim.now);
  EXPECT_EQ(phase(), "Running");
  // A stricter condition: the next measurement (10) fails it, and failureLimit 0 ends the run.
  edit_spec([](json& spec) { spec["metrics"][0]["successCondition"] = "result < 5"; });
  (void)arc.reconcile(sim.cluster, key, sim.now + sim::minutes(1));
  EXPECT_EQ(phase(), "Failed");

  sim.cluster.erase(key);
  sim.load(kP99Run);
  (void)arc.reconcile(sim.cluster, key, sim.now + sim::minutes(2));
  EXPECT_EQ(phase(), "Running");
  edit_spec([](json& spec) { spec["terminate"] = true; });
  auto r = arc.reconcile(sim.cluster, key, sim.now + sim::minutes(2) + sim::seconds(1));
  EXPECT_EQ(phase(), "Successful");
  EXPECT_FALSE(r.requeue_after.has_value());
  EXPECT_EQ(sim.cluster.get(key)->body()["status"]["metricResults"][0]["count"], 1);
}

// The controller steps a run from its cached state while the stored run is the one it wrote
// (same stamp); a status written by someone else in between is read back instead.
TEST(AnalysisRunController, AStatusWrittenBySomeoneElseIsReadBack) {
  P99RunFixture f(3);
  Sim& sim = f.sim;
  AnalysisRunController& arc = f.arc;
  const model::ObjectKey& key = f.key;
  auto count = [&] { return sim.cluster.get(key)->body()["status"]["metricResults"][0]["count"].get<int>(); };
  (void)arc.reconcile(sim.cluster, key, sim.now);
  (void)arc.reconcile(sim.cluster, key, sim.now + sim::minutes(1));
  EXPECT_EQ(count(), 2);
  ASSERT_TRUE(sim.cluster.edit_status(key, [](json& st) {
    st["metricResults"][0]["count"] = 7;
    st["metricResults"][0]["successful"] = 7;
  }).ok());
  (void)arc.reconcile(sim.cluster, key, sim.now + sim::minutes(2));
  EXPECT_EQ(count(), 8);
}

// reconcileRevisionHistoryLimit (rollout/sync.go) and FilterAnalysisRunsToDelete
// (utils/analysis/filter.go), reference section 1 defaults: old ReplicaSets beyond
// revisionHistoryLimit (10) are deleted oldest first once scaled down, with their
// AnalysisRuns; finished runs beyond successfulRunHistoryLimit (5) are deleted newest kept.
namespace {

const char* kBackgroundRollout = R"(
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: fraud-detector, namespace: ml}
spec:
  replicas: 2
  REVISION_LIMIT
  selector: {matchLabels: {app: fd}}
  template:
    metadata: {labels: {app: fd}}
    spec: {containers: [{name: model, image: "fd:v0"}]}
  strategy:
    canary:
      analysis: {templates: [{templateName: once}]}
      steps:
      - setWeight: 50
      - pause: {duration: 1m}
)";

const char* kOnceTemplate = R"(
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: once, namespace: ml}
spec:
  metrics:
  - name: ok
    count: 1
    successCondition: "true"
    provider: {prometheus: {query: q}}
)";

struct History {
  std::vector<std::string> replica_sets;  // pod hashes, oldest first by revision
  std::map<std::string, std::string> runs;  // name -> phase
};

History history(Sim& sim) {
  History h;
  std::vector<std::pair<int, std::string>> rss;
  for (const auto& [k, o] : sim.cluster.objects()) {
    const json& b = o.body();
    if (k.kind == "ReplicaSet")
      rss.emplace_back(std::stoi(b["metadata"]["annotations"][kRevisionAnnotation].get<std::string>()),
                       b["metadata"]["labels"][kPodTemplateHashLabel].get<std::string>());
    if (k.kind == "AnalysisRun") h.runs[k.name] = b.contains("status") ? b["status"].value("phase", "") : "";
  }
  std::sort(rss.begin(), rss.end());
  for (auto& [rev, hash] : rss) h.replica_sets.push_back(hash);
  return h;
}

Sim with_updates(int updates, const std::string& limit_line) {
  std::string rollout = kBackgroundRollout;
  rollout.replace(rollout.find("REVISION_LIMIT"), 14, limit_line);
  Sim sim;
  sim.load(kOnceTemplate);
  sim.load(rollout.c_str());
  for (int i = 0; i < 60; ++i) sim.provider.add("ok", ProviderResult::of(1.0));
  sim.run_for(sim::seconds(5));
  for (int u = 1; u <= updates; ++u) {
    set_image(sim, "fd:v" + std::to_string(u));
    sim.run_for(sim::minutes(10));
  }
  return sim;
}

}  // namespace

TEST(RolloutHistory, OldReplicaSetsBeyondRevisionHistoryLimitAreDeletedOldestFirst) {
  Sim sim = with_updates(13, "revisionHistoryLimit: 3");
  History h = history(sim);
  // Stable (the last update) plus three old ones: revisions 11, 12 and 13 of 14.
  ASSERT_EQ(h.replica_sets.size(), 4u);
  EXPECT_EQ(json(status(sim))["stableRS"], h.replica_sets.back());
  int newest_revision = 0;
  for (const auto& [k, o] : sim.cluster.objects())
    if (k.kind == "ReplicaSet")
      newest_revision = std::max(newest_revision, std::stoi(o.body()["metadata"]["annotations"][kRevisionAnnotation].get<std::string>()));
  EXPECT_EQ(newest_revision, 14);
  // Every remaining AnalysisRun belongs to a remaining ReplicaSet.
  for (const auto& [name, phase] : h.runs) {
    bool owner_kept = false;
    for (const auto& hash : h.replica_sets) owner_kept |= name.find(hash) != std::string::npos;
    EXPECT_TRUE(owner_kept) << name;
  }
}

TEST(RolloutHistory, DefaultsKeepTenOldReplicaSetsAndFiveSuccessfulRuns) {
  Sim sim = with_updates(13, "");
  History h = history(sim);
  EXPECT_EQ(h.replica_sets.size(), 11u);  // stable + revisionHistoryLimit 10
  int successful = 0;
  for (const auto& [name, phase] : h.runs) successful += phase == "Successful";
  // The current run is kept outside the limit only while it is referenced; the last update
  // finished, so five successful runs remain (successfulRunHistoryLimit).
  EXPECT_GE(successful, 5);
  EXPECT_LE(successful, 6);
  EXPECT_EQ(h.runs.size(), static_cast<size_t>(successful));
}

// A status field of the wrong type, written by someone else (kubectl patch --subresource
// status), reads as absent: the controller does not throw out of the reconcile, and the
// condition is rewritten in its proper form.
TEST(RolloutController, MalformedConditionFieldsReadAsAbsent) {
  Sim sim = deployed();
  {
    model::Object& ro = sim.cluster.at(kKey);
    json& conditions = ro.body()["status"]["conditions"];
    ASSERT_TRUE(conditions.is_array() && !conditions.empty());
    for (auto& c : conditions) {
      c["type"] = 5;
      c["reason"] = json::array();
    }
    ro.freeze();
  }
  EXPECT_NO_THROW((void)sim.rollouts.reconcile(sim.cluster, kKey, sim.now + sim::seconds(1)));
  const json st = status(sim);  // kept alive: the loop walks into it
  bool progressing = false;
  for (const auto& c : st["conditions"]) progressing |= c["type"] == "Progressing" && c["reason"].is_string();
  EXPECT_TRUE(progressing) << st.dump();
}

// Runs whose specs are equal share one resolved spec (the controller keeps the last few);
// a run whose spec differs, or that is created terminated, or whose args come from a
// Secret, is not handed another run's.
TEST(AnalysisRunController, RunsWithEqualSpecsShareTheResolvedSpecAndNoOther) {
  Sim sim;
  auto run = [](const std::string& ns, const std::string& name, const std::string& condition,
                const std::string& extra = "") {
    return "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nmetadata: {name: " + name +
           ", namespace: " + ns + "}\nspec:\n" + extra +
           "  metrics:\n  - name: p99\n    interval: 1m\n    successCondition: " + condition +
           "\n    provider: {prometheus: {query: q}}\n";
  };
  const std::string limit_from_secret =
      "  args: [{name: limit, valueFrom: {secretKeyRef: {name: limits, key: p99}}}]\n";
  for (const auto& [ns, limit] : {std::pair{"a", "50"}, std::pair{"b", "5"}}) {
    sim.load((std::string("apiVersion: v1\nkind: Secret\nmetadata: {name: limits, namespace: ") + ns +
              "}\nstringData: {p99: \"" + limit + "\"}\n").c_str());
    sim.load(run(ns, "from-secret", "result < {{args.limit}}", limit_from_secret).c_str());
  }
  sim.load(run("a", "lenient", "result < 50").c_str());
  sim.load(run("a", "strict", "result < 5").c_str());
  sim.load(run("a", "lenient-again", "result < 50").c_str());
  sim.load(run("a", "lenient-terminated", "result < 50", "  terminate: true\n").c_str());
  for (int i = 0; i < 10; ++i) sim.provider.add("p99", ProviderResult::of(10.0));
  AnalysisRunController arc([&](const model::Object&) -> MetricProvider& { return sim.provider; });
  auto phase_after_reconcile = [&](const std::string& ns, const std::string& name) {
    const model::ObjectKey key{"argoproj.io", "AnalysisRun", ns, name};
    (void)arc.reconcile(sim.cluster, key, sim.now);
    return sim.cluster.get(key)->body()["status"]["phase"].get<std::string>();
  };
  EXPECT_EQ(phase_after_reconcile("a", "lenient"), "Running");  // 10 < 50: measured Successful
  EXPECT_EQ(phase_after_reconcile("a", "strict"), "Failed");    // 10 >= 5, failureLimit 0
  EXPECT_EQ(phase_after_reconcile("a", "lenient-again"), "Running");
  EXPECT_EQ(phase_after_reconcile("a", "lenient-terminated"), "Successful");  // terminated before measuring
  EXPECT_EQ(phase_after_reconcile("a", "from-secret"), "Running");
  EXPECT_EQ(phase_after_reconcile("b", "from-secret"), "Failed");
}

// Status writes are merge patches of the status, as upstream's persistRolloutStatus sends:
// fields the pass dropped (pause conditions once a timed pause ends) leave the stored status,
// changed fields are replaced, and the status ends equal to what the pass computed.
TEST(RolloutController, StatusWritesDropFieldsThePassRemoved) {
  Sim sim = deployed();
  set_image(sim, "fd:v2");
  sim.run_for(sim::minutes(1));
  ASSERT_TRUE(status(sim).contains("pauseConditions"));
  EXPECT_EQ(status(sim)["currentStepIndex"], 1);
  sim.run_for(sim::minutes(5));
  const json st = status(sim);
  EXPECT_FALSE(st.contains("pauseConditions")) << st.dump();
  EXPECT_EQ(st["currentStepIndex"], 2);
}
