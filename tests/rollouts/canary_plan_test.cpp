// `rehearse canary` plans: steady-state counts per step (reference 3.2 step A, 3.3, 4.2),
// duration parsing (RolloutPause.DurationSeconds) and spec validation diagnostics.
#include "engine/rollouts/canary_plan.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "engine/model/manifest_loader.hpp"

using namespace rehearse;
using namespace rehearse::rollouts;
using nlohmann::json;

namespace {

std::optional<RolloutSpec> parse(const std::string& yaml, model::Diagnostics& diags) {
  auto objs = model::load_manifests_text(yaml, "r.yaml", diags);
  if (objs.empty()) return std::nullopt;
  return parse_rollout(objs[0], diags);
}

std::string rollout(const std::string& strategy, int replicas = 4) {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n"
         "  replicas: " + std::to_string(replicas) +
         "\n  selector: {matchLabels: {app: r}}\n"
         "  template: {metadata: {labels: {app: r}}, spec: {containers: [{name: c, image: i}]}}\n"
         "  strategy:\n    canary:\n" + strategy;
}

std::string source_dir() {
  const char* d = std::getenv("REHEARSE_SOURCE_DIR");
  return d ? d : REHEARSE_SOURCE_DIR;
}

}  // namespace

TEST(PauseDuration, IntegersAndUnitlessStringsAreSecondsOthersAreGoDurations) {
  EXPECT_EQ(duration_seconds(json(30)), 30);
  EXPECT_EQ(duration_seconds(json("30")), 30);
  EXPECT_EQ(duration_seconds(json("5m")), 300);
  EXPECT_EQ(duration_seconds(json("1h")), 3600);
  EXPECT_EQ(duration_seconds(json("1ms")), 0);
  EXPECT_EQ(duration_seconds(json("20000000000")), -1);
  EXPECT_EQ(duration_seconds(json("soon")), -1);
}

TEST(CanaryPlan, SeedFraudDetectorWithIstio) {
  model::Diagnostics diags;
  auto objs = model::load_manifests(source_dir() + "/docs/examples/rollouts/fraud-detector-rollout.yaml", diags);
  ASSERT_FALSE(diags.has_errors()) << diags.format();
  auto spec = parse_rollout(objs.at(0), diags);
  ASSERT_TRUE(spec.has_value()) << diags.format();
  auto plan = plan_canary(*spec, nullptr);
  ASSERT_EQ(plan.steps.size(), 7u);
  EXPECT_EQ(plan.steps[0].step, "setWeight: 10");
  EXPECT_EQ(plan.steps[0].canary_replicas, 1);  // ceil(10% of 4)
  EXPECT_EQ(plan.steps[0].stable_replicas, 4);  // stable stays at R with trafficRouting
  EXPECT_EQ(plan.steps[0].traffic, std::make_pair(10, 90));
  EXPECT_EQ(plan.steps[1].step, "pause: 5m");
  EXPECT_EQ(plan.steps[1].weight, 10);
  EXPECT_EQ(plan.steps[3].canary_replicas, 2);
  EXPECT_EQ(plan.steps[3].traffic, std::make_pair(50, 50));
  EXPECT_EQ(plan.steps[5].canary_replicas, 4);
  EXPECT_EQ(plan.steps[6].step, "promoted");
}

TEST(CanaryPlan, BasicCanaryUsesTheApproximatedSplitAndWarns) {
  model::Diagnostics diags;
  auto spec = parse(rollout("      steps:\n      - setWeight: 10\n      - pause: {}\n"), diags);
  ASSERT_TRUE(spec.has_value()) << diags.format();
  auto plan = plan_canary(*spec, nullptr);
  // R=4, w=10, surge ceil(25% of 4)=1: candidates (1,4) 25%, (1,5) 20% -> 1 canary, 4 stable.
  EXPECT_EQ(plan.steps[0].canary_replicas, 1);
  EXPECT_EQ(plan.steps[0].stable_replicas, 4);
  EXPECT_FALSE(plan.steps[0].traffic.has_value());
  bool approx = false, indefinite = false, no_analysis = false;
  for (const auto& w : plan.warnings) {
    approx = approx || w.find("approximated by pods") != std::string::npos;
    indefinite = indefinite || w.find("indefinite pause") != std::string::npos;
    no_analysis = no_analysis || w.find("no analysis") != std::string::npos;
  }
  EXPECT_TRUE(approx);
  EXPECT_TRUE(indefinite);
  EXPECT_TRUE(no_analysis);
}

TEST(CanaryPlan, WarnsAboutAJumpFromZeroToHundred) {
  model::Diagnostics diags;
  auto spec = parse(rollout("      steps:\n      - setWeight: 100\n"), diags);
  ASSERT_TRUE(spec.has_value()) << diags.format();
  auto plan = plan_canary(*spec, nullptr);
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_NE(plan.warnings[0].find("jumps from 0 to 100"), std::string::npos);
}

TEST(RolloutSpec, UnknownStepTypesAndBadDurationsAreReportedAtTheirLines) {
  model::Diagnostics diags;
  auto spec = parse(rollout("      steps:\n      - setWieght: 10\n      - pause: {duration: soon}\n"), diags);
  EXPECT_FALSE(spec.has_value());
  ASSERT_EQ(diags.size(), 2u) << diags.format();
  EXPECT_EQ(diags.items()[0].code, "rollout-step");
  EXPECT_EQ(diags.items()[0].pos.line, 11);
  EXPECT_EQ(diags.items()[1].code, "rollout-duration");
  EXPECT_EQ(diags.items()[1].pos.line, 12);
}

TEST(RolloutSpec, SetCanaryScaleRequiresTrafficRoutingAndOneExclusiveField) {
  model::Diagnostics diags;
  EXPECT_FALSE(parse(rollout("      steps:\n      - setCanaryScale: {replicas: 2}\n"), diags));
  model::Diagnostics d2;
  EXPECT_FALSE(parse(rollout("      steps:\n      - {setWeight: 10, pause: {}}\n"), d2));
  model::Diagnostics d3;
  EXPECT_FALSE(parse(rollout("      maxSurge: 0\n      maxUnavailable: \"0%\"\n"), d3));
}
