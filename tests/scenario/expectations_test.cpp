#include "sim/scenario/expectations.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario_loader.hpp"

using namespace rehearse::sim;
using nlohmann::json;
using rehearse::model::Diagnostics;

namespace {
Scenario scenario_with(const std::string& expect_yaml) {
  Diagnostics d;
  auto s = load_scenarios_text(
      "apiVersion: rehearse.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\nspec:\n  until: 1h\n  expect:\n" +
          expect_yaml,
      "s.yaml", d);
  EXPECT_FALSE(d.has_errors()) << d.format();
  return s.at(0);
}
json deployment(int replicas, const std::string& image) {
  return json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod"},
    "spec":{"replicas":)" + std::to_string(replicas) +
                     R"(,"template":{"spec":{"containers":[{"name":"model","image":")" + image + R"("}]}}}})");
}
}  // namespace

TEST(Expectations, StateChecksUseTheVersionInEffectAtEachTime) {
  Scenario sc = scenario_with(
      "  - object: Deployment/prod/web\n    path: .spec.replicas\n    equals: 3\n    at: 5m\n"
      "  - object: Deployment/prod/web\n    path: .spec.replicas\n    equals: 3\n"
      "  - object: Deployment/prod/web\n    path: .spec.template.spec.containers[?(@.name==\"model\")].image\n    matches: ':v1$'\n    always: {from: 1m, to: 10m}\n"
      "  - object: Deployment/prod/web\n    path: .spec.replicas\n    equals: 5\n    eventually: {from: 0s, to: 30m}\n");
  ObjectHistory h;
  h.watch_all();
  auto key = sc.expectations[0].object.key();
  json v1 = deployment(3, "fd:v1"), v2 = deployment(5, "fd:v2");
  h.record(key, SimTime{minutes(1)}, &v1);
  h.record(key, SimTime{minutes(20)}, &v2);
  Trace trace;
  auto r = evaluate_expectations(sc, h, trace);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0].passed) << r[0].observed;
  EXPECT_FALSE(r[1].passed);  // final value is 5
  EXPECT_EQ(r[1].observed, "at 1h: 5");
  EXPECT_TRUE(r[2].passed) << r[2].observed;  // v2 arrives after the window
  EXPECT_TRUE(r[3].passed);
}

TEST(Expectations, AlwaysFailsAtTheFirstViolationAndReportsTheValue) {
  Scenario sc = scenario_with(
      "  - object: Deployment/prod/web\n    path: .spec.template.spec.containers[0].image\n    equals: fd:v1\n    always: {from: 0s, to: 30m}\n");
  ObjectHistory h;
  h.watch_all();
  auto key = sc.expectations[0].object.key();
  json v1 = deployment(3, "fd:v1"), v2 = deployment(3, "fd:v2");
  h.record(key, SimTime{}, &v1);
  h.record(key, SimTime{minutes(7)}, &v2);
  h.record(key, SimTime{minutes(9)}, &v1);
  Trace trace;
  trace.record(SimTime{minutes(7)}, "kubectl.set-image", "Deployment.apps/prod/web");
  auto r = evaluate_expectations(sc, h, trace);
  ASSERT_FALSE(r[0].passed);
  EXPECT_EQ(r[0].observed, "at 7m: \"fd:v2\"");
  ASSERT_FALSE(r[0].context.empty());
  EXPECT_NE(r[0].context.back().find("kubectl.set-image"), std::string::npos);
}

TEST(Expectations, MissingObjectsAreAbsentAndDeletionsCount) {
  Scenario sc = scenario_with(
      "  - object: Deployment/prod/web\n    exists: false\n"
      "  - object: Deployment/prod/web\n    exists: true\n    at: 2m\n");
  ObjectHistory h;
  h.watch_all();
  auto key = sc.expectations[0].object.key();
  json v1 = deployment(1, "x");
  h.record(key, SimTime{minutes(1)}, &v1);
  h.record(key, SimTime{minutes(3)}, nullptr);
  Trace trace;
  auto r = evaluate_expectations(sc, h, trace);
  EXPECT_TRUE(r[0].passed);
  EXPECT_TRUE(r[1].passed);
}

TEST(Expectations, EventCountsWindowsAndOrder) {
  Scenario sc = scenario_with(
      "  - event: {kind: 'argocd.*', object: Deployment/prod/web}\n    count: {min: 2, max: 2}\n"
      "  - event: kubectl.set-image\n    occurs: false\n    window: {from: 10m, to: 1h}\n"
      "  - order: [{kind: api.create, object: 'ConfigMap/*'}, {kind: api.create, object: 'Rollout/*'}]\n"
      "  - order: [{kind: api.create, object: 'Rollout/*'}, {kind: api.create, object: 'ConfigMap/*'}]\n");
  Trace t;
  t.record(SimTime{minutes(1)}, "kubectl.set-image", "Deployment.apps/prod/web");
  t.record(SimTime{minutes(2)}, "argocd.drift", "Deployment.apps/prod/web");
  t.record(SimTime{minutes(2)}, "argocd.self-heal", "Deployment.apps/prod/web");
  t.record(SimTime{minutes(3)}, "api.create", "ConfigMap/prod/cfg");
  t.record(SimTime{minutes(4)}, "api.create", "Rollout.argoproj.io/prod/fd");
  ObjectHistory h;
  auto r = evaluate_expectations(sc, h, t);
  EXPECT_TRUE(r[0].passed) << r[0].observed;
  EXPECT_TRUE(r[1].passed) << r[1].observed;
  EXPECT_TRUE(r[2].passed) << r[2].observed;
  EXPECT_FALSE(r[3].passed);
}

TEST(Expectations, GlobMatching) {
  EXPECT_TRUE(glob_match("argocd.*", "argocd.sync.started"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a*d", "abc"));
}

namespace {
void weight(Trace& t, int minute, int canary, const char* object = "Rollout.argoproj.io/prod/fd") {
  t.record(SimTime{minutes(minute)}, "rollouts.weight", object, json{{"canary", canary}, {"stable", 100 - canary}});
}
}  // namespace

TEST(Expectations, ExposureIntegratesTheCanaryWeightOverTheWindow) {
  // 10 % from 2m to 12m (1.0 traffic-minute), 50 % from 12m to 22m (5.0), then 0.
  Trace trace;
  weight(trace, 2, 10);
  weight(trace, 12, 50);
  weight(trace, 22, 0);
  weight(trace, 5, 90, "Rollout.argoproj.io/prod/other");  // another Rollout: ignored
  Scenario sc = scenario_with(
      "  - exposure: {rollout: Rollout/prod/fd, maxWeight: 50, maxTrafficMinutes: 6}\n"
      "  - exposure: {rollout: Rollout/prod/fd, maxTrafficMinutes: 5.5}\n"
      "  - exposure: {rollout: Rollout/prod/fd, maxWeight: 10}\n"
      "  - exposure: {rollout: Rollout/prod/fd, maxWeight: 10, maxTrafficMinutes: 0.5}\n"
      "    window: {from: 0s, to: 11m}\n"
      "  - exposure: {rollout: Rollout/prod/fd, maxWeight: 10}\n"
      "    window: {from: 30m, to: 40m}\n");
  ObjectHistory h;
  auto r = evaluate_expectations(sc, h, trace);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(r[0].passed) << r[0].observed;
  EXPECT_EQ(r[0].observed, "peak canary weight 50% (at 12m), 6.00 traffic-minutes");
  EXPECT_FALSE(r[1].passed);  // 6.0 > 5.5
  EXPECT_EQ(r[1].observed_at, SimTime{minutes(21)});  // when the budget ran out
  EXPECT_FALSE(r[2].passed);  // 50 % at 12m
  EXPECT_EQ(r[2].observed_at, SimTime{minutes(12)});
  EXPECT_FALSE(r[3].passed);  // 10 % x 9 minutes = 0.9 > 0.5
  EXPECT_NE(r[3].observed.find("0.90 traffic-minutes"), std::string::npos) << r[3].observed;
  EXPECT_TRUE(r[4].passed) << r[4].observed;  // back to 0 before 30m
}

TEST(Expectations, ExposureCarriesTheWeightInEffectIntoTheWindow) {
  Trace trace;
  weight(trace, 2, 30);
  Scenario sc = scenario_with(
      "  - exposure: {rollout: Rollout/prod/fd, maxWeight: 20}\n"
      "    window: {from: 10m, to: 20m}\n"
      "  - exposure: {rollout: Rollout/prod/fd, maxTrafficMinutes: 3}\n"
      "    window: {from: 10m, to: 20m}\n");
  ObjectHistory h;
  auto r = evaluate_expectations(sc, h, trace);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].passed);
  EXPECT_EQ(r[0].observed_at, SimTime{minutes(10)});
  EXPECT_TRUE(r[1].passed) << r[1].observed;  // 30 % x 10 minutes = 3.0
}

TEST(Expectations, ExposureWithoutWeightEventsIsZero) {
  Trace trace;
  Scenario sc = scenario_with("  - exposure: {rollout: Rollout/prod/fd, maxWeight: 0, maxTrafficMinutes: 0}\n");
  ObjectHistory h;
  auto r = evaluate_expectations(sc, h, trace);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].passed) << r[0].observed;
}
