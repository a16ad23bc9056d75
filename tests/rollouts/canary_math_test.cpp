// Replica arithmetic against upstream tables: utils/replicaset/canary_test.go and
// replicaset_test.go (reference sections 3.1-3.3).
#include "engine/rollouts/canary_math.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace rehearse::rollouts;
using nlohmann::json;

namespace {
std::pair<int, int> pair(int a, int b) { return {a, b}; }
}  // namespace

TEST(Fenceposts, DefaultsAreTheString25MeaningTwentyFivePercent) {
  auto f = resolve_fenceposts(nullptr, nullptr, 10);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->surge, 3);        // ceil(2.5)
  EXPECT_EQ(f->unavailable, 2);  // floor(2.5)
}

TEST(Fenceposts, AnyStringIsAPercentageWithOrWithoutTheSign) {
  json a = "50", b = "50%";
  EXPECT_EQ(*int_or_percent(a, 10, true), 5);
  EXPECT_EQ(*int_or_percent(b, 10, true), 5);
  json bad = "oops";
  EXPECT_FALSE(int_or_percent(bad, 10, true).ok());
}

TEST(Fenceposts, BothZeroAfterRoundingMakesUnavailableOne) {
  json s = "0%", u = "10%";
  auto f = resolve_fenceposts(&s, &u, 5);  // floor(0.5) = 0
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->surge, 0);
  EXPECT_EQ(f->unavailable, 1);
}

TEST(Fenceposts, UnavailableIsCappedAtReplicasAndZeroForZeroReplicas) {
  json s = 0, u = 7;
  EXPECT_EQ(resolve_fenceposts(&s, &u, 3)->unavailable, 3);
  EXPECT_EQ(resolve_fenceposts(&s, &u, 0)->unavailable, 0);
}

TEST(ApproximateWeightedCounts, MatchesUpstreamTable) {
  EXPECT_EQ(approximate_weighted_counts(10, 24, 1), pair(3, 8));
  EXPECT_EQ(approximate_weighted_counts(3, 49, 0), pair(1, 2));
  EXPECT_EQ(approximate_weighted_counts(3, 49, 1), pair(2, 2));
  for (int w = 1; w <= 99; ++w) EXPECT_EQ(approximate_weighted_counts(1, w, 1), pair(1, 1)) << w;
  EXPECT_EQ(approximate_weighted_counts(10, 10, 1), pair(1, 9));   // docs: 10 -> 1/9
  EXPECT_EQ(approximate_weighted_counts(10, 41, 1), pair(4, 6));   // docs: 41% -> 4/6
  EXPECT_EQ(approximate_weighted_counts(0, 50, 1), pair(0, 0));
  EXPECT_EQ(approximate_weighted_counts(4, 100, 1), pair(4, 0));
  EXPECT_EQ(approximate_weighted_counts(4, 0, 1), pair(0, 4));
}

TEST(ApproximateWeightedCounts, WithSurgeNeverRoundsAMiddleWeightToZeroPods) {
  for (int r = 2; r <= 20; ++r)
    for (int w = 1; w <= 99; ++w) {
      auto [c, s] = approximate_weighted_counts(r, w, 1);
      EXPECT_GE(c, 1) << r << " " << w;
      EXPECT_GE(s, 1) << r << " " << w;
    }
}

TEST(BasicCanary, SurgesTheCanaryFirstWhenUnavailableIsZero) {
  BasicCanaryInput in{10, 20, {2, 0}, RsCounts{0, 0}, RsCounts{10, 10}, {}};
  EXPECT_EQ(basic_canary_counts(in), pair(2, 10));
}

TEST(BasicCanary, DrainsTheStableOnceTheCanaryIsAvailable) {
  auto f = resolve_fenceposts(nullptr, nullptr, 10);
  json s = "20%", u = 0;
  BasicCanaryInput in{10, 20, *resolve_fenceposts(&s, &u, 10), RsCounts{2, 2}, RsCounts{10, 10}, {}};
  EXPECT_EQ(basic_canary_counts(in), pair(2, 8));
  (void)f;
}

TEST(BasicCanary, UsesUnavailabilityFirstWhenSurgeIsZero) {
  BasicCanaryInput in{10, 20, {0, 2}, RsCounts{0, 0}, RsCounts{10, 10}, {}};
  EXPECT_EQ(basic_canary_counts(in), pair(0, 8));
}

TEST(BasicCanary, SurgeAndUnavailableTogether) {
  BasicCanaryInput in{10, 50, {2, 1}, RsCounts{0, 0}, RsCounts{10, 10}, {}};
  EXPECT_EQ(basic_canary_counts(in), pair(2, 9));
}

TEST(BasicCanary, SingleReplicaWithoutSurgeScalesDownThenUp) {
  BasicCanaryInput in{1, 51, {0, 1}, RsCounts{0, 0}, RsCounts{1, 1}, {}};
  EXPECT_EQ(basic_canary_counts(in), pair(0, 0));
  BasicCanaryInput next{1, 51, {0, 1}, RsCounts{0, 0}, RsCounts{0, 0}, {}};
  EXPECT_EQ(basic_canary_counts(next), pair(1, 0));
}

TEST(BasicCanary, ReducingWeightSurgesTheStableBeforeDrainingTheCanary) {
  BasicCanaryInput in{4, 0, {1, 0}, RsCounts{4, 4}, RsCounts{0, 0}, {}};
  EXPECT_EQ(basic_canary_counts(in), pair(4, 1));
}

TEST(BasicCanary, WithoutAStableTheCanaryGoesToAllReplicas) {
  BasicCanaryInput in{4, 10, {1, 1}, RsCounts{0, 0}, std::nullopt, {}};
  auto [c, s] = basic_canary_counts(in);
  EXPECT_EQ(c, 4);  // R + surge room (0 + 5) covers the 4 wanted
  EXPECT_EQ(s, 0);
}

TEST(BasicCanary, OlderReplicaSetsAreDrainedBeforeScalingDown) {
  BasicCanaryInput in{10, 20, {0, 2}, RsCounts{0, 0}, RsCounts{10, 10}, {RsCounts{2, 2}}};
  EXPECT_EQ(basic_canary_counts(in), pair(0, 10));
}

TEST(TrafficCanary, CanaryIsCeilOfWeightAndStableStaysFull) {
  TrafficCanaryInput in;
  in.replicas = 10;
  in.weight = 25;
  EXPECT_EQ(traffic_canary_counts(in), pair(3, 10));
  in.weight = 33;
  EXPECT_EQ(traffic_canary_counts(in), pair(4, 10));
  in.weight = 99;
  EXPECT_EQ(traffic_canary_counts(in), pair(10, 10));
}

TEST(TrafficCanary, SetCanaryScaleIsNotClamped) {
  TrafficCanaryInput in;
  in.replicas = 1;
  in.scale_replicas = 9;
  EXPECT_EQ(traffic_canary_counts(in).first, 9);
  TrafficCanaryInput w;
  w.replicas = 4;
  w.weight = 200;
  EXPECT_EQ(traffic_canary_counts(w).first, 8);
}

TEST(TrafficCanary, DynamicStableScaleKeepsStableUntilTrafficLeaves) {
  TrafficCanaryInput in;
  in.replicas = 10;
  in.weight = 50;
  in.dynamic_stable_scale = true;
  EXPECT_EQ(traffic_canary_counts(in), pair(5, 5));
  in.current_weights = std::make_pair(20, 80);
  EXPECT_EQ(traffic_canary_counts(in), pair(5, 8));
}

TEST(TrafficCanary, MinPodsPerReplicaSetIsCappedAtReplicas) {
  TrafficCanaryInput in;
  in.replicas = 3;
  in.weight = 10;
  in.min_pods_per_replica_set = 5;
  EXPECT_EQ(traffic_canary_counts(in).first, 3);
}
