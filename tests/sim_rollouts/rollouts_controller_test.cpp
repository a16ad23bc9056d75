// The Argo Rollouts adapter (sim/rollouts): settings validation, metric streams, CLI verbs and
// trace events, through small scenarios run on the virtual clock. Expected values are
// upstream facts from the reference (rollouts.md section numbers in the comments).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/rollouts/rollouts_controller.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/runner.hpp"

namespace rehearse::sim {
namespace {

using nlohmann::json;

ControllerCatalog catalog() {
  ControllerCatalog c;
  register_rollouts(c);
  return c;
}

// Settings diagnostics from the factory, joined.
std::string settings_errors(const std::string& settings_json) {
  auto c = catalog();
  model::Diagnostics d;
  auto ctrl = c.find("rollouts")->create(json::parse(settings_json), model::SourcePos{"s.yaml", 3, 5}, d);
  if (ctrl) {
    EXPECT_FALSE(d.has_errors());
  }
  return d.format();
}

// A canary with one step analysis of metric `m` (interval 1m, count `count`), set to a new
// image at 1m; `streams` and `extra` are YAML appended under `rollouts:` and at the end.
std::string scenario(const std::string& streams, const std::string& condition = "result < 50",
                     int count = 3, const std::string& events = "", const std::string& until = "15m") {
  return R"(apiVersion: rehearse.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  until: )" + until + R"(
  controllers:
    rollouts:
)" + streams + R"(
  cluster:
    namespaces: [prod]
    objects:
    - apiVersion: networking.istio.io/v1beta1
      kind: VirtualService
      metadata: {name: vs, namespace: prod}
      spec:
        http:
        - name: primary
          route:
          - {destination: {host: stable}, weight: 100}
          - {destination: {host: canary}, weight: 0}
    - {apiVersion: v1, kind: Service, metadata: {name: stable, namespace: prod}, spec: {selector: {app: fd}}}
    - {apiVersion: v1, kind: Service, metadata: {name: canary, namespace: prod}, spec: {selector: {app: fd}}}
    - apiVersion: argoproj.io/v1alpha1
      kind: AnalysisTemplate
      metadata: {name: lat, namespace: prod}
      spec:
        metrics:
        - name: p99
          interval: 1m
          count: )" + std::to_string(count) + R"(
          successCondition: ")" + condition + R"("
          failureLimit: 0
          provider:
            prometheus: {address: "http://prom", query: 'p99{version="canary"}'}
    - apiVersion: argoproj.io/v1alpha1
      kind: Rollout
      metadata: {name: fd, namespace: prod}
      spec:
        replicas: 2
        selector: {matchLabels: {app: fd}}
        template:
          metadata: {labels: {app: fd}}
          spec: {containers: [{name: model, image: "r/fd:v1"}]}
        strategy:
          canary:
            canaryService: canary
            stableService: stable
            trafficRouting: {istio: {virtualService: {name: vs, routes: [primary]}}}
            steps:
            - setWeight: 20
            - analysis: {templates: [{templateName: lat}]}
            - setWeight: 60
            - pause: {}
  events:
  - at: 1m
    rollouts: set image fd model=r/fd:v2 -n prod
)" + events;
}

struct SimRun {
  ScenarioOutcome outcome;
  std::vector<json> trace;
  std::vector<json> of(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& e : trace)
      if (e["kind"] == kind) out.push_back(e);
    return out;
  }
};

SimRun run(const std::string& text) {
  model::Diagnostics d;
  auto c = catalog();
  CommandVocabulary vocab;
  for (const auto& f : c.all()) {
    for (const auto& t : f.tools) vocab.tools[t] = f.verbs;
  }
  auto scenarios = load_scenarios_text(text, "t.yaml", d, vocab);
  EXPECT_FALSE(d.has_errors()) << d.format();
  SimRun r;
  if (scenarios.empty()) return r;
  RunOptions opts;
  opts.keep_trace_lines = true;
  r.outcome = run_scenario(scenarios[0], c, opts, 0);
  EXPECT_EQ(r.outcome.error, "");
  for (const auto& l : r.outcome.trace_lines) r.trace.push_back(json::parse(l));
  return r;
}

std::vector<std::string> values(const std::vector<json>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m["details"]["value"].get<std::string>() + "/" + m["details"]["phase"].get<std::string>());
  return out;
}

TEST(RolloutsSettings, UnknownKeysAndShapesAreInputErrorsAtTheSettingsPosition) {
  EXPECT_EQ(settings_errors("{}"), "");
  EXPECT_EQ(settings_errors(R"({"metrics": [{"metric": "p99", "canary": [{"at": "0s", "value": 1}, {"at": "5m", "value": [1, 2]}],
                                 "stable": {"f1_score": 0.9}, "errors": [{"at": "3m"}, {"from": "1m", "to": "2m", "message": "x"}],
                                 "empty": true}, {"query": "live-f1", "empty": [{"from": "1m"}]}]})"),
            "");
  std::string e = settings_errors(R"({"streams": [], "metrics": [{"name": "p99", "canary": 1},
      {"metric": "a", "query": "b", "canary": 1}, {"metric": "a"},
      {"metric": "a", "canary": [{"at": "5m", "value": 1}, {"at": "1m", "value": 2}]},
      {"metric": "a", "errors": [{"from": "5m", "to": "1m"}, {"at": "1m", "from": "2m"}, {"at": "soon"}]}]})");
  EXPECT_NE(e.find("s.yaml:3:5: error[rollouts-settings]"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown rollouts setting `streams`"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key `name` (did you mean `metric`?)"), std::string::npos) << e;
  EXPECT_NE(e.find("rollouts.metrics[1]: exactly one of `metric` and `query`"), std::string::npos) << e;
  EXPECT_NE(e.find("rollouts.metrics[2]: give at least one of"), std::string::npos) << e;
  EXPECT_NE(e.find("rollouts.metrics[3].canary[1]: `at` must be later"), std::string::npos) << e;
  EXPECT_NE(e.find("rollouts.metrics[4].errors[0]: `to` must be after `from`"), std::string::npos) << e;
  EXPECT_NE(e.find("`at` and `from`/`to` cannot be used together"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid duration \"soon\""), std::string::npos) << e;
}

TEST(RolloutsSim, EveryMeasurementStepAndWeightIsTraced) {
  SimRun r = run(scenario("      metrics:\n      - metric: p99\n        canary: 35\n"));
  EXPECT_TRUE(r.outcome.event_failures.empty());
  auto ms = r.of("rollouts.measurement");
  EXPECT_EQ(values(ms), (std::vector<std::string>{"35/Successful", "35/Successful", "35/Successful"}));
  // interval 1m: measurements one minute apart (reference rollouts.md §6.1).
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[1]["t"].get<long>() - ms[0]["t"].get<long>(), 60000);
  std::vector<int> weights;
  for (const auto& w : r.of("rollouts.weight")) weights.push_back(w["details"]["canary"].get<int>());
  EXPECT_EQ(weights, (std::vector<int>{20, 60}));
  auto phases = r.of("rollouts.analysis.phase");
  ASSERT_FALSE(phases.empty());
  EXPECT_EQ(phases.back()["details"]["phase"], "Successful");
  EXPECT_EQ(phases.back()["details"]["rollout"], "prod/fd");
  std::vector<int> steps;
  for (const auto& s : r.of("rollouts.step")) steps.push_back(s["details"]["to"].get<int>());
  EXPECT_EQ(steps.back(), 3);  // waiting in the indefinite pause
  EXPECT_TRUE(r.of("rollouts.aborted").empty());
}

TEST(RolloutsSim, SeriesValuesHoldFromTheirTimeAndFailuresAbort) {
  // 35 until 3m, then 70: the analysis starts at ~1m; the third measurement (~3m) fails and
  // failureLimit 0 ends the run Failed, which aborts the Rollout (reference §5, §8.1).
  SimRun r = run(scenario("      metrics:\n      - metric: p99\n        canary: [{at: 0s, value: 35}, {at: 3m, value: 70}]\n"));
  EXPECT_EQ(values(r.of("rollouts.measurement")),
            (std::vector<std::string>{"35/Successful", "35/Successful", "70/Failed"}));
  auto aborted = r.of("rollouts.aborted");
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_NE(aborted[0]["details"]["message"].get<std::string>().find("Step-based analysis phase failed"), std::string::npos);
  auto w = r.of("rollouts.weight");
  ASSERT_FALSE(w.empty());
  EXPECT_EQ(w.back()["details"]["canary"], 0);
  EXPECT_EQ(w.back()["details"]["stable"], 100);
}

TEST(RolloutsSim, ProviderErrorsAreRetriedAfterTenSeconds) {
  // An error at the first measurement is retried 10 s later (reference §6.1) and does not
  // consume count.
  SimRun r = run(scenario("      metrics:\n      - metric: p99\n        canary: 35\n        errors: [{from: 0s, to: 1m5s, message: boom}]\n"));
  auto ms = r.of("rollouts.measurement");
  ASSERT_GE(ms.size(), 4u);
  EXPECT_EQ(ms[0]["details"]["phase"], "Error");
  EXPECT_EQ(ms[0]["details"]["message"], "boom");
  EXPECT_EQ(ms[1]["t"].get<long>() - ms[0]["t"].get<long>(), 10000);
  int ok = 0;
  for (const auto& m : ms) ok += m["details"]["phase"] == "Successful";
  EXPECT_EQ(ok, 3);
  EXPECT_TRUE(r.of("rollouts.aborted").empty());
}

TEST(RolloutsSim, EmptyVectorsAndMissingStreamsAreErrorMeasurements) {
  // result[0] on an empty vector is an Error (reference §7); five in a row end the metric.
  SimRun r = run(scenario("      metrics:\n      - query: 'version=\"canary\"'\n        empty: true\n", "result[0] < 50"));
  auto ms = r.of("rollouts.measurement");
  ASSERT_EQ(ms.size(), 5u);
  for (const auto& m : ms) EXPECT_EQ(m["details"]["phase"], "Error");
  EXPECT_EQ(r.of("rollouts.aborted").size(), 1u);

  SimRun none = run(scenario("      metrics:\n      - metric: other\n        canary: 1\n"));
  auto nm = none.of("rollouts.measurement");
  ASSERT_FALSE(nm.empty());
  EXPECT_NE(nm[0]["details"]["message"].get<std::string>().find("no metric stream for metric \"p99\""), std::string::npos);
}

TEST(RolloutsSim, StableSeriesIsReadOnlyWhenTheQueryNamesTheStableVersion) {
  // The query names version="canary": the canary series is used, not the stable one.
  SimRun r = run(scenario("      metrics:\n      - metric: p99\n        canary: 35\n        stable: 70\n"));
  EXPECT_EQ(values(r.of("rollouts.measurement")).front(), "35/Successful");
}

TEST(RolloutsSim, CliVerbsPatchTheRolloutAndBadOnesFail) {
  SimRun r = run(scenario("      metrics:\n      - metric: p99\n        canary: 35\n", "result < 50", 3,
                       "  - at: 8m\n    rollouts: promote --full fd -n prod\n"
                       "  - at: 9m\n    rollouts: set image fd nosuch=r/fd:v3 -n prod\n    expectFailure: true\n"
                       "  - at: 9m\n    rollouts: abort missing -n prod\n    expectFailure: true\n"));
  EXPECT_TRUE(r.outcome.event_failures.empty());
  auto cmds = r.of("rollouts.action");
  ASSERT_EQ(cmds.size(), 2u);  // set image, promote --full
  EXPECT_EQ(cmds[1]["details"]["full"], true);
  auto promoted = r.of("rollouts.promoted");
  ASSERT_EQ(promoted.size(), 2u);  // the initial deploy and v2
  EXPECT_EQ(promoted[1]["details"]["initial"], false);
  EXPECT_GE(promoted[1]["t"].get<long>(), 8 * 60000);
}

TEST(RolloutsSim, SameSeedSameTrace) {
  const std::string text = scenario("      metrics:\n      - metric: p99\n        canary: [{at: 0s, value: 35}, {at: 3m, value: 70}]\n");
  SimRun a = run(text), b = run(text);
  EXPECT_EQ(a.outcome.trace_hash, b.outcome.trace_hash);
  EXPECT_FALSE(a.outcome.trace_hash.empty());
}

}  // namespace
}  // namespace rehearse::sim
