#include "sim/scenario/scenario_loader.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace rehearse::sim;
using rehearse::model::Diagnostics;

namespace {
std::vector<Scenario> load(const std::string& text, Diagnostics& d,
                           const CommandVocabulary& vocab = {}) {
  return load_scenarios_text(text, "s.yaml", d, vocab);
}
const char* kHeader = "apiVersion: rehearse.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\n";
}  // namespace

TEST(ScenarioLoader, ReadsEventsInTimeOrderWithRelativeTimesAndRepetition) {
  Diagnostics d;
  auto s = load(std::string(kHeader) +
                    "spec:\n  seed: 7\n  until: 1h\n  events:\n"
                    "  - at: 10m\n    kubectl: scale deploy/web --replicas=3 -n prod\n"
                    "  - after: 5m\n    kubectl: \"annotate deploy/web a=b -n prod\"\n"
                    "  - at: 1m\n    every: 20m\n    kubectl: rollout restart deploy/web -n prod\n",
                d);
  ASSERT_FALSE(d.has_errors()) << d.format();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].seed, 7u);
  EXPECT_EQ(s[0].horizon, hours(1));
  ASSERT_EQ(s[0].events.size(), 5u);  // 1m, 10m, 15m, 21m, 41m
  std::vector<long long> at;
  for (const auto& e : s[0].events) at.push_back(to_ms(e.at) / 60000);
  EXPECT_EQ(at, (std::vector<long long>{1, 10, 15, 21, 41}));
  EXPECT_EQ(s[0].events[1].argv, (std::vector<std::string>{"scale", "deploy/web", "--replicas=3", "-n", "prod"}));
}

TEST(ScenarioLoader, CollectsEveryProblemWithPositionsAndHints) {
  Diagnostics d;
  load(std::string(kHeader) +
           "spec:\n"
           "  untill: 1h\n"                                    // line 6: unknown, did you mean until
           "  seed: abc\n"                                     // line 7: wrong type
           "  events:\n"
           "  - at: 2h\n    kubectl: scale x\n"                // line 9: beyond horizon (30m default)
           "  - at: 5m\n"                                      // line 11: no action
           "  expect:\n"
           "  - object: Deployment/prod/web\n    path: .spec.replicas\n    equals: 3\n    at: 5x\n",
       d);
  ASSERT_TRUE(d.has_errors());
  std::string text = d.format();
  EXPECT_NE(text.find("s.yaml:6:3: error[unknown-field]: unknown field `untill`; did you mean `until`?"), std::string::npos) << text;
  EXPECT_NE(text.find("s.yaml:7:3: error[wrong-type]"), std::string::npos) << text;
  EXPECT_NE(text.find("s.yaml:9:5: error[beyond-horizon]"), std::string::npos) << text;
  EXPECT_NE(text.find("s.yaml:11:5: error[missing-field]"), std::string::npos) << text;
  EXPECT_NE(text.find("error[invalid-duration]"), std::string::npos) << text;
}

TEST(ScenarioLoader, UnknownToolCommandsAreInputErrors) {
  CommandVocabulary vocab;
  vocab.tools["argocd"] = {"app sync", "app rollback"};
  Diagnostics d;
  load(std::string(kHeader) +
           "spec:\n  events:\n  - at: 1m\n    argocd: app sink web\n  - at: 2m\n    flux: suspend ks x\n",
       d, vocab);
  std::string text = d.format();
  EXPECT_NE(text.find("unknown `argocd` command"), std::string::npos) << text;
  EXPECT_NE(text.find("no enabled controller handles `flux` commands"), std::string::npos) << text;
}

TEST(ScenarioLoader, ExpectationsParseEveryForm) {
  Diagnostics d;
  auto s = load(std::string(kHeader) +
                    "spec:\n  until: 1h\n  expect:\n"
                    "  - object: Deployment/prod/web\n    path: .spec.replicas\n    equals: 3\n"
                    "  - object: {kind: Namespace, name: prod}\n    exists: false\n    at: 5m\n"
                    "  - object: Rollout/prod/fd\n    path: .status.canary.weights.canary.weight\n    atMost: 10\n    always: {from: 0s, to: 30m}\n"
                    "  - object: Deployment/prod/web\n    path: .spec.template.spec.containers[0].image\n    matches: ':v1$'\n    eventually: 10m\n"
                    "  - event: {kind: argocd.self-heal, object: Deployment/prod/web}\n    count: {min: 1, max: 2}\n"
                    "  - event: kubectl.set-image\n    occurs: false\n"
                    "  - order:\n    - {kind: api.create, object: ConfigMap/prod/cfg}\n    - {kind: api.create, object: Rollout/prod/fd}\n",
                d);
  ASSERT_FALSE(d.has_errors()) << d.format();
  const auto& e = s[0].expectations;
  ASSERT_EQ(e.size(), 7u);
  EXPECT_EQ(e[0].when, Expectation::When::Final);
  EXPECT_EQ(e[0].object.group, "apps");
  EXPECT_EQ(e[1].check.op, ValueCheck::Op::Absent);
  EXPECT_EQ(e[1].object.ns, "");
  EXPECT_EQ(e[2].when, Expectation::When::Always);
  EXPECT_EQ(e[2].object.group, "argoproj.io");
  EXPECT_EQ(e[3].when, Expectation::When::Eventually);
  EXPECT_EQ(e[3].to, SimTime{minutes(10)});
  EXPECT_EQ(*e[4].max_count, 2);
  EXPECT_EQ(*e[5].max_count, 0);
  EXPECT_EQ(e[6].order.size(), 2u);
}

TEST(ScenarioLoader, OtherDocumentsAndVersionsAreChecked) {
  Diagnostics d;
  auto s = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
                "apiVersion: rehearse.dev/v2\nkind: Scenario\nmetadata: {name: y}\nspec: {}\n",
                d);
  EXPECT_TRUE(s.empty());
  EXPECT_NE(d.format().find("apiVersion must be rehearse.dev/v1alpha1"), std::string::npos);
}

TEST(ScenarioLoader, SplitsCommandsLikeAShell) {
  auto a = split_command(R"(patch deploy/web -p '{"spec": {"replicas": 2}}' --type "merge")");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<std::string>{"patch", "deploy/web", "-p", R"({"spec": {"replicas": 2}})", "--type", "merge"}));
  EXPECT_FALSE(split_command("set image 'x").ok());
}

TEST(ScenarioLoader, ObjectReferencesInferGroupsAndScope) {
  auto r = parse_object_ref("Deployment/ml-serving/fraud-detector");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->group, "apps");
  EXPECT_EQ(r->str(), "Deployment.apps/ml-serving/fraud-detector");
  auto ns = parse_object_ref("Namespace/prod");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->ns, "");
  EXPECT_FALSE(parse_object_ref("Namespace/a/b").ok());
  auto custom = parse_object_ref("Widget.example.com/ns/w");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->group, "example.com");
}

TEST(ScenarioLoader, ToolsOfRegisteredControllersAreEventActions) {
  CommandVocabulary vocab;
  vocab.tools["registry"] = {"push"};
  Diagnostics d;
  auto s = load(std::string(kHeader) + "spec:\n  events:\n  - at: 1m\n    registry: push example.com/app:v1.3.0\n", d, vocab);
  ASSERT_FALSE(d.has_errors()) << d.format();
  ASSERT_EQ(s[0].events.size(), 1u);
  EXPECT_EQ(s[0].events[0].tool, "registry");
  EXPECT_EQ(s[0].events[0].argv, (std::vector<std::string>{"push", "example.com/app:v1.3.0"}));
  Diagnostics d2;
  load(std::string(kHeader) + "spec:\n  events:\n  - at: 1m\n    registry: push x\n", d2);
  EXPECT_NE(d2.format().find("unknown field `registry`"), std::string::npos) << d2.format();
}

TEST(ScenarioLoader, ExposureExpectationsAreParsedAndChecked) {
  Diagnostics d;
  auto s = load(std::string(kHeader) +
                    "spec:\n  until: 1h\n  expect:\n"
                    "  - name: canary capped\n"
                    "    exposure: {rollout: Rollout/ml-serving/fraud-detector, maxWeight: 10, maxTrafficMinutes: 2.5}\n"
                    "    window: {from: 1m, to: 30m}\n",
                d);
  ASSERT_FALSE(d.has_errors()) << d.format();
  const Expectation& e = s.at(0).expectations.at(0);
  EXPECT_EQ(e.kind, Expectation::Kind::Exposure);
  EXPECT_EQ(e.exposure.rollout.str(), "Rollout.argoproj.io/ml-serving/fraud-detector");
  EXPECT_EQ(e.exposure.max_weight, 10.0);
  EXPECT_EQ(e.exposure.max_traffic_minutes, 2.5);
  EXPECT_EQ(e.from, SimTime{minutes(1)});
  EXPECT_EQ(e.to, SimTime{minutes(30)});

  Diagnostics bad;
  load(std::string(kHeader) +
           "spec:\n  until: 1h\n  expect:\n"
           "  - exposure: {rollout: Deployment/ml-serving/fd, maxWeight: 10}\n"
           "  - exposure: {rollout: Rollout/ml-serving/fd}\n"
           "  - exposure: {rollout: Rollout/ml-serving/fd, maxWeight: ten, maxTraffic: 1}\n"
           "  - exposure: {maxWeight: 10}\n",
       bad);
  std::string text = bad.format();
  EXPECT_NE(text.find("s.yaml:8:16: error[wrong-kind]"), std::string::npos) << text;
  EXPECT_NE(text.find("names a Rollout, not a Deployment"), std::string::npos) << text;
  EXPECT_NE(text.find("needs `maxWeight`, `maxTrafficMinutes` or both"), std::string::npos) << text;
  EXPECT_NE(text.find("`maxWeight` is a number"), std::string::npos) << text;
  EXPECT_NE(text.find("maxTraffic"), std::string::npos) << text;  // unknown key
  EXPECT_NE(text.find("s.yaml:11:5: error[missing-field]: `rollout` is required"), std::string::npos) << text;
  EXPECT_EQ(bad.items().size(), 5u) << text;
}
