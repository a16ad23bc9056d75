// App-level health aggregation and sync status (reference argocd.md §10.1, §11; argo-cd
// controller/health_test.go).

#include "engine/argocd/app_status.hpp"

#include <gtest/gtest.h>

#include "tests/argocd/test_util.hpp"

using namespace rehearse;
using namespace rehearse::argocd;
using rehearse::testing::objects;

namespace {
const char* kProgressingDeploy =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns, generation: 2}\n"
    "spec: {replicas: 2}\nstatus: {observedGeneration: 1}\n";
const char* kDegradedPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {restartPolicy: Never}\n"
    "status: {phase: Failed}\n";
}  // namespace

TEST(AppHealth, WorstStatusWinsInUpstreamOrder) {
  auto live = objects(std::string(kProgressingDeploy) + "---\n" + kDegradedPod);
  std::vector<AppResource> rs;
  for (const auto& o : live) rs.push_back({nullptr, &o, health::assess(o)});
  EXPECT_EQ(aggregate_app_health(rs), health::Status::Degraded);
  rs.pop_back();
  EXPECT_EQ(aggregate_app_health(rs), health::Status::Progressing);
}

TEST(AppHealth, HooksIgnoredHealthChecksAndResourcesWithoutHealthAreLeftOut) {
  auto live = objects(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: hook, namespace: ns, annotations: {argocd.argoproj.io/hook: PreSync}}\n"
      "spec: {restartPolicy: Never}\nstatus: {phase: Failed}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: ignored, namespace: ns, annotations: {argocd.argoproj.io/ignore-healthcheck: \"true\"}}\n"
      "spec: {restartPolicy: Never}\nstatus: {phase: Failed}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\n");
  std::vector<AppResource> rs;
  for (const auto& o : live) rs.push_back({nullptr, &o, health::assess(o)});
  EXPECT_EQ(aggregate_app_health(rs), health::Status::Healthy);
}

TEST(AppHealth, MissingResourcesDoNotCountUnlessNothingIsLive) {
  auto objs = objects(std::string("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n") + kProgressingDeploy);
  std::vector<AppResource> only_missing = {{&objs[0], nullptr, std::nullopt}};
  EXPECT_EQ(aggregate_app_health(only_missing), health::Status::Missing);
  std::vector<AppResource> mixed = {{&objs[0], nullptr, std::nullopt}, {nullptr, &objs[1], health::assess(objs[1])}};
  EXPECT_EQ(aggregate_app_health(mixed), health::Status::Progressing);
}

TEST(AppHealth, ChildApplicationsReportingMissingOrUnknownAreIgnored) {
  auto live = objects("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: child, namespace: argocd}\n");
  std::vector<AppResource> rs = {{nullptr, &live[0], health::HealthResult{health::Status::Unknown, "", {}}}};
  EXPECT_EQ(aggregate_app_health(rs), health::Status::Healthy);
  rs[0].health = health::HealthResult{health::Status::Degraded, "", {}};
  EXPECT_EQ(aggregate_app_health(rs), health::Status::Degraded);
}

TEST(AppHealth, SuspendedJobsAggregateAsHealthy) {
  auto live = objects("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\n"
                      "status: {conditions: [{type: Suspended, status: \"True\"}]}\n");
  std::vector<AppResource> rs = {{nullptr, &live[0], health::assess(live[0])}};
  EXPECT_EQ(rs[0].health->status, health::Status::Suspended);
  EXPECT_EQ(aggregate_app_health(rs), health::Status::Healthy);
}

TEST(AppStatus, DefaultsAreNotDriftButChangedAndExtraneousResourcesAre) {
  auto desired = objects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\ndata: {k: v}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: changed}\ndata: {k: v}\n");
  auto live = objects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: ns, uid: u, resourceVersion: \"3\"}\ndata: {k: v}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: changed, namespace: ns}\ndata: {k: edited}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: ns, annotations: {argocd.argoproj.io/tracking-id: \"app:/ConfigMap:ns/extra\", argocd.argoproj.io/compare-options: IgnoreExtraneous}}\n");
  CompareSettings s{"app", "ns", TrackingMethod::Annotation, {}, nullptr};
  auto st = compare_app(desired, live, s);
  ASSERT_EQ(st.resources.size(), 3u);
  EXPECT_EQ(st.resources[0].status, SyncStatus::Synced);
  EXPECT_EQ(st.resources[1].status, SyncStatus::OutOfSync);
  EXPECT_EQ(st.resources[2].status, SyncStatus::OutOfSync);
  EXPECT_TRUE(st.resources[2].requires_pruning);
  EXPECT_EQ(st.sync, SyncStatus::OutOfSync);
  // Without the changed one, the IgnoreExtraneous prune candidate alone keeps the app Synced.
  auto st2 = compare_app({desired[0]}, live, s);
  EXPECT_EQ(st2.sync, SyncStatus::Synced);
}
