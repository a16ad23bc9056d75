// Upstream facts of Flux's controllers (reference flux.md §1-3, 6), checked on engine/flux.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/flux/flux.hpp"
#include "engine/flux/helm_release.hpp"

namespace rehearse::flux {
namespace {

using nlohmann::json;
using sim::minutes;
using sim::seconds;

model::ObjectKey K(std::string group, std::string kind, std::string ns, std::string name) {
  return {std::move(group), std::move(kind), std::move(ns), std::move(name)};
}

model::Object obj(json body) { return model::Object(model::JsonBox(std::move(body))); }

KustomizationSpec ks_spec(json spec) {
  json body = {{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
               {"kind", "Kustomization"},
               {"metadata", {{"name", "apps"}, {"namespace", "flux-system"}}},
               {"spec", spec}};
  body["spec"]["sourceRef"] = {{"kind", "GitRepository"}, {"name", "repo"}};
  auto r = parse_kustomization(body);
  EXPECT_TRUE(r.ok());
  return *r;
}

TEST(GitRef, CommitWinsOverEverythingThenNameThenTagThenSemverThenBranch) {
  GitRef all{"main", "v1.0.0", ">=1.0.0", "abc123", "refs/pull/1/head"};
  EXPECT_EQ(choose_ref(all).kind, RefChoice::Kind::Commit);
  EXPECT_EQ(choose_ref(all).branch, "main");
  all.commit.clear();
  EXPECT_EQ(choose_ref(all).kind, RefChoice::Kind::Name);
  all.name.clear();
  // The clone code checks tag before semver, contrary to the API docs (§9.5).
  EXPECT_EQ(choose_ref(all).kind, RefChoice::Kind::Tag);
  all.tag.clear();
  EXPECT_EQ(choose_ref(all).kind, RefChoice::Kind::Semver);
  all.semver.clear();
  EXPECT_EQ(choose_ref(all).kind, RefChoice::Kind::Branch);
}

TEST(GitRef, NoRefAtAllMeansTheMasterBranch) {
  RefChoice c = choose_ref(GitRef{});
  EXPECT_EQ(c.kind, RefChoice::Kind::Branch);
  EXPECT_EQ(c.value, "master");
}

TEST(ArtifactRevision, DropsTheFirstTwoRefSegments) {
  EXPECT_EQ(artifact_revision("refs/heads/main", "1234"), "main@sha1:1234");
  EXPECT_EQ(artifact_revision("refs/tags/v1.2.0", "1234"), "v1.2.0@sha1:1234");
  EXPECT_EQ(artifact_revision("refs/heads/feature/x", "1234"), "feature/x@sha1:1234");
}

TEST(ArtifactRevision, BareCommitHasNoRefAndNamedRefsKeepTheFullName) {
  EXPECT_EQ(artifact_revision("", "1234"), "sha1:1234");
  EXPECT_EQ(artifact_revision("refs/pull/420/head", "1234", true), "refs/pull/420/head@sha1:1234");
  EXPECT_EQ(revision_sha("main@sha1:1234"), "1234");
}

TEST(SemverTag, HighestMatchingVersionWinsAndTwoPartTagsAreIgnored) {
  std::vector<TagCandidate> tags = {{"v1.0.0", {}}, {"v1.2.0", {}}, {"v2.0.0", {}}, {"v1.3", {}}, {"latest", {}}};
  auto r = select_semver_tag(tags, "<2.0.0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "v1.2.0");  // v1.3 fails Flux ParseVersion (needs three parts)
  EXPECT_FALSE(select_semver_tag(tags, ">=3.0.0").ok());
}

TEST(SemverTag, EqualVersionsAreOrderedByTheTaggedCommitTimeNewestFirst) {
  std::vector<TagCandidate> tags = {{"v1.0.0+a", SimTime{seconds(10)}}, {"v1.0.0+b", SimTime{seconds(20)}},
                                    {"v1.0.0+c", SimTime{seconds(5)}}};
  EXPECT_EQ(*select_semver_tag(tags, "1.x"), "v1.0.0+b");
}

TEST(KustomizationTimeout, DefaultsToIntervalMinusThirtySeconds) {
  EXPECT_EQ(effective_timeout(ks_spec({{"interval", "5m"}})), seconds(270));
  EXPECT_EQ(effective_timeout(ks_spec({{"interval", "10m"}, {"timeout", "5m"}})), minutes(5));
}

TEST(KustomizationTimeout, HasAThirtySecondFloorEvenWhenSetExplicitly) {
  EXPECT_EQ(effective_timeout(ks_spec({{"interval", "30s"}})), seconds(30));
  EXPECT_EQ(effective_timeout(ks_spec({{"interval", "10m"}, {"timeout", "10s"}})), seconds(30));
}

TEST(KustomizationRetry, RetryIntervalDefaultsToInterval) {
  EXPECT_EQ(retry_interval(ks_spec({{"interval", "5m"}})), minutes(5));
  EXPECT_EQ(retry_interval(ks_spec({{"interval", "5m"}, {"retryInterval", "1m"}})), minutes(1));
}

TEST(KustomizationSpec, HealthChecksDefaultToAppsV1AndTheKustomizationNamespace) {
  auto s = ks_spec({{"interval", "5m"}, {"healthChecks", {{{"kind", "Deployment"}, {"name", "web"}}}}});
  ASSERT_EQ(s.health_checks.size(), 1u);
  EXPECT_EQ(s.health_checks[0].group, "apps");
  EXPECT_EQ(s.health_checks[0].ns, "flux-system");
  EXPECT_EQ(s.source.ns, "flux-system");
}

TEST(KustomizationSpec, MissingIntervalIsAnError) {
  json body = {{"metadata", {{"name", "x"}, {"namespace", "y"}}}, {"spec", {{"sourceRef", {{"name", "r"}}}}}};
  EXPECT_FALSE(parse_kustomization(body).ok());
}

TEST(Jitter, StaysWithinFivePercentOfTheInterval) {
  EXPECT_EQ(jittered(minutes(10), 0.0), seconds(570));
  EXPECT_LT(jittered(minutes(10), 0.999999), seconds(630));
  EXPECT_GE(jittered(minutes(10), 0.999999), seconds(629));
  EXPECT_EQ(jittered(minutes(10), 0.5), minutes(10));
  EXPECT_EQ(jittered(minutes(10), 0.0, 0), minutes(10));
}

TEST(ApplyOrder, ClusterDefinitionsFirstThenClassKindsThenTheRest) {
  EXPECT_EQ(apply_stage("apiextensions.k8s.io", "CustomResourceDefinition"), 0);
  EXPECT_EQ(apply_stage("", "Namespace"), 0);
  EXPECT_EQ(apply_stage("rbac.authorization.k8s.io", "ClusterRole"), 0);
  EXPECT_EQ(apply_stage("storage.k8s.io", "StorageClass"), 1);
  EXPECT_EQ(apply_stage("networking.k8s.io", "IngressClass"), 1);
  EXPECT_EQ(apply_stage("rbac.authorization.k8s.io", "ClusterRoleBinding"), 2);
  EXPECT_EQ(apply_stage("apps", "Deployment"), 2);
}

TEST(ApplyOrder, KindRankThenUnknownKindsThenWebhooksLast) {
  auto stages = apply_stages({K("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "", "v"),
                              K("argoproj.io", "Rollout", "ml", "r"), K("apps", "Deployment", "ml", "d"),
                              K("", "ConfigMap", "ml", "c"), K("", "ServiceAccount", "ml", "sa"),
                              K("", "Service", "ml", "s"), K("", "Secret", "ml", "x"), K("", "Namespace", "", "ml"),
                              K("apiextensions.k8s.io", "CustomResourceDefinition", "", "rollouts.argoproj.io"),
                              K("storage.k8s.io", "StorageClass", "", "fast")});
  ASSERT_EQ(stages.size(), 3u);
  ASSERT_EQ(stages[0].size(), 2u);
  EXPECT_EQ(stages[0][0].kind, "CustomResourceDefinition");
  EXPECT_EQ(stages[0][1].kind, "Namespace");
  EXPECT_EQ(stages[1][0].kind, "StorageClass");
  std::vector<std::string> kinds;
  for (const auto& k : stages[2]) kinds.push_back(k.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"ServiceAccount", "ConfigMap", "Secret", "Service", "Deployment", "Rollout",
                                             "ValidatingWebhookConfiguration"}));
}

TEST(ApplyOrder, SameKindIsOrderedByNamespaceThenName) {
  auto stages = apply_stages({K("", "ConfigMap", "b", "a"), K("", "ConfigMap", "a", "z"), K("", "ConfigMap", "a", "b")});
  EXPECT_EQ(stages[0][0].name, "b");
  EXPECT_EQ(stages[0][1].name, "z");
  EXPECT_EQ(stages[0][2].ns, "b");
}

TEST(Inventory, IdsAreNamespaceNameGroupKind) {
  EXPECT_EQ(inventory_id(K("", "Service", "default", "podinfo")), "default_podinfo__Service");
  EXPECT_EQ(inventory_id(K("apps", "Deployment", "ml", "web")), "ml_web_apps_Deployment");
  EXPECT_EQ(inventory_id(K("", "Namespace", "", "ml")), "_ml__Namespace");
}

TEST(Inventory, ColonsInRbacNamesAreStoredAsDoubleUnderscoresAndRoundTrip) {
  auto k = K("rbac.authorization.k8s.io", "ClusterRole", "", "system:flux:view");
  std::string id = inventory_id(k);
  EXPECT_EQ(id, "_system__flux__view_rbac.authorization.k8s.io_ClusterRole");
  auto back = parse_inventory_id(id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, k);
  EXPECT_EQ(*parse_inventory_id("default_podinfo__Service"), K("", "Service", "default", "podinfo"));
}

json owned(json extra_meta = json::object()) {
  json b = {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", "c"}, {"namespace", "ml"},
                          {"labels", {{kNameLabel, "apps"}, {kNamespaceLabel, "flux-system"}}}}}};
  b["metadata"].update(extra_meta, true);
  return b;
}

TEST(Prune, ObjectsWithoutThisKustomizationsOwnerLabelsAreNeverDeleted) {
  EXPECT_EQ(prune_blocker(owned(), "apps", "flux-system"), "");
  EXPECT_NE(prune_blocker(owned(), "other", "flux-system"), "");
  json unlabelled = {{"metadata", {{"name", "c"}}}};
  EXPECT_NE(prune_blocker(unlabelled, "apps", "flux-system"), "");
}

TEST(Prune, DisabledByLabelOrAnnotationCaseInsensitively) {
  EXPECT_NE(prune_blocker(owned({{"annotations", {{kPruneKey, "Disabled"}}}}), "apps", "flux-system"), "");
  EXPECT_NE(prune_blocker(owned({{"labels", {{kReconcileKey, "disabled"}}}}), "apps", "flux-system"), "");
  EXPECT_NE(prune_blocker(owned({{"annotations", {{kSsaKey, "Ignore"}}}}), "apps", "flux-system"), "");
  // ssa: IfNotPresent objects are still pruned (§9.8).
  EXPECT_EQ(prune_blocker(owned({{"annotations", {{kSsaKey, "IfNotPresent"}}}}), "apps", "flux-system"), "");
}

TEST(Plan, StaleObjectsArePrunedInReverseApplyOrder) {
  auto ns = obj({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ml"}}}});
  auto cm = obj({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}, {"namespace", "ml"}}}});
  auto dep = obj({{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "d"}, {"namespace", "ml"}}}});
  auto keep = obj({{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                   {"metadata", {{"name", "keep"}, {"namespace", "ml"}, {"annotations", {{kPruneKey, "disabled"}}}}}});
  auto plan = plan_kustomization({ns, cm, dep, keep}, {cm}, ks_spec({{"interval", "1m"}, {"prune", true}}));
  ASSERT_EQ(plan.prune.size(), 2u);
  EXPECT_EQ(plan.prune[0].kind, "Deployment");
  EXPECT_EQ(plan.prune[1].kind, "Namespace");
  ASSERT_EQ(plan.prune_skipped.size(), 1u);
  EXPECT_EQ(plan.prune_skipped[0].name, "keep");
  ASSERT_EQ(plan.stages.size(), 1u);
}

TEST(Plan, NothingIsPrunedWithoutSpecPrune) {
  auto cm = obj({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}, {"namespace", "ml"}}}});
  auto plan = plan_kustomization({cm}, {}, ks_spec({{"interval", "1m"}}));
  EXPECT_TRUE(plan.prune.empty());
}

TEST(DependsOn, DependenciesComeFirstAndTiesAreByName) {
  std::vector<DependencyNode> nodes = {{"flux-system", "routing", {{"Kustomization", "models", ""}}},
                                       {"flux-system", "models", {{"Kustomization", "infra", ""}}},
                                       {"flux-system", "infra", {}},
                                       {"flux-system", "addons", {}}};
  auto order = dependency_order(nodes);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(*order, (std::vector<std::string>{"flux-system/addons", "flux-system/infra", "flux-system/models",
                                              "flux-system/routing"}));
}

TEST(DependsOn, ACycleIsAnInputErrorNamingItsMembers) {
  std::vector<DependencyNode> nodes = {{"ns", "a", {{"Kustomization", "b", "ns"}}},
                                       {"ns", "b", {{"Kustomization", "c", "ns"}}},
                                       {"ns", "c", {{"Kustomization", "a", "ns"}}},
                                       {"ns", "d", {}}};
  auto order = dependency_order(nodes);
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().code, "flux-dependency-cycle");
  EXPECT_NE(order.error().message.find("ns/a"), std::string::npos);
  EXPECT_NE(order.error().message.find("ns/c"), std::string::npos);
  EXPECT_EQ(order.error().message.find("ns/d"), std::string::npos);
  EXPECT_FALSE(dependency_order({{"ns", "self", {{"Kustomization", "self", "ns"}}}}).ok());
}

json deployment(int want, int replicas, int updated, int ready, int available, std::string progressing = "NewReplicaSetAvailable") {
  return {{"metadata", {{"name", "d"}, {"generation", 2}}},
          {"spec", {{"replicas", want}, {"progressDeadlineSeconds", 600}}},
          {"status", {{"observedGeneration", 2}, {"replicas", replicas}, {"updatedReplicas", updated},
                      {"readyReplicas", ready}, {"availableReplicas", available},
                      {"conditions", {{{"type", "Progressing"}, {"status", "True"}, {"reason", progressing}},
                                      {{"type", "Available"}, {"status", "True"}}}}}}};
}

TEST(KStatus, DeploymentIsCurrentOnlyWhenEveryReplicaIsUpdatedReadyAndAvailable) {
  json ok = deployment(3, 3, 3, 3, 3);
  EXPECT_EQ(compute_kstatus(&ok, "apps", "Deployment"), KStatus::Current);
  json rolling = deployment(3, 4, 1, 3, 3, "ReplicaSetUpdated");
  EXPECT_EQ(compute_kstatus(&rolling, "apps", "Deployment"), KStatus::InProgress);
  json notready = deployment(3, 3, 3, 2, 2);
  EXPECT_EQ(compute_kstatus(&notready, "apps", "Deployment"), KStatus::InProgress);
}

TEST(KStatus, ProgressDeadlineExceededIsFailed) {
  json d = deployment(3, 4, 1, 3, 3, "ProgressDeadlineExceeded");
  EXPECT_EQ(compute_kstatus(&d, "apps", "Deployment"), KStatus::Failed);
}

TEST(KStatus, AnOldObservedGenerationIsInProgress) {
  json d = deployment(3, 3, 3, 3, 3);
  d["metadata"]["generation"] = 3;
  EXPECT_EQ(compute_kstatus(&d, "apps", "Deployment"), KStatus::InProgress);
}

TEST(KStatus, GenericObjectsFollowReadyAndStalledConditions) {
  json no_conditions = {{"metadata", {{"name", "x"}}}};
  EXPECT_EQ(compute_kstatus(&no_conditions, "example.com", "Widget"), KStatus::Current);
  json not_ready = {{"metadata", {{"name", "x"}}}, {"status", {{"conditions", {{{"type", "Ready"}, {"status", "False"}}}}}}};
  EXPECT_EQ(compute_kstatus(&not_ready, "helm.toolkit.fluxcd.io", "HelmRelease"), KStatus::InProgress);
  json stalled = not_ready;
  stalled["status"]["conditions"].push_back({{"type", "Stalled"}, {"status", "True"}});
  EXPECT_EQ(compute_kstatus(&stalled, "helm.toolkit.fluxcd.io", "HelmRelease"), KStatus::Failed);
  json reconciling = {{"metadata", {{"name", "x"}}}, {"status", {{"conditions", {{{"type", "Reconciling"}, {"status", "True"}}, {{"type", "Ready"}, {"status", "True"}}}}}}};
  EXPECT_EQ(compute_kstatus(&reconciling, "x", "Y"), KStatus::InProgress);
}

TEST(KStatus, ARunningJobIsInProgressUnlikeUpstreamKstatus) {
  json running = {{"metadata", {{"name", "j"}}}, {"spec", json::object()}, {"status", {{"active", 1}}}};
  EXPECT_EQ(compute_kstatus(&running, "batch", "Job"), KStatus::InProgress);
  json done = {{"metadata", {{"name", "j"}}}, {"status", {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
  EXPECT_EQ(compute_kstatus(&done, "batch", "Job"), KStatus::Current);
  json failed = {{"metadata", {{"name", "j"}}}, {"status", {{"conditions", {{{"type", "Failed"}, {"status", "True"}}}}}}};
  EXPECT_EQ(compute_kstatus(&failed, "batch", "Job"), KStatus::Failed);
}

TEST(KStatus, MissingObjectsAreNotFoundAndDeletingOnesTerminating) {
  EXPECT_EQ(compute_kstatus(nullptr, "", "ConfigMap"), KStatus::NotFound);
  json deleting = {{"metadata", {{"name", "c"}, {"deletionTimestamp", "2025-01-01T00:00:00Z"}}}};
  EXPECT_EQ(compute_kstatus(&deleting, "", "ConfigMap"), KStatus::Terminating);
  json cm = {{"metadata", {{"name", "c"}}}};
  EXPECT_EQ(compute_kstatus(&cm, "", "ConfigMap"), KStatus::Current);
}

TEST(Conditions, TransitionTimeMovesOnlyWhenTheStatusChanges) {
  json status = json::object();
  set_condition(status, "Ready", "False", "BuildFailed", "x", SimTime{seconds(1)}, 1);
  set_condition(status, "Ready", "False", "HealthCheckFailed", "y", SimTime{seconds(60)}, 1);
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], sim::format_rfc3339(SimTime{seconds(1)}));
  set_condition(status, "Ready", "True", "ReconciliationSucceeded", "z", SimTime{seconds(90)}, 1);
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], sim::format_rfc3339(SimTime{seconds(90)}));
}

TEST(Dependency, ReadyMeansReadyTrueAtTheCurrentGeneration) {
  json k = {{"metadata", {{"generation", 2}}},
            {"status", {{"observedGeneration", 1}, {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
  EXPECT_FALSE(ready_at_generation(k));
  k["status"]["observedGeneration"] = 2;
  EXPECT_TRUE(ready_at_generation(k));
}

TEST(HelmChartVersion, StarMeansLatestStableAndRangesPickTheHighestMatch) {
  std::vector<ChartVersion> index = {{"0.7.1", {}}, {"0.7.2", {}}, {"0.8.0", {}}, {"0.9.0-rc.1", {}}};
  EXPECT_EQ(*select_chart_version(index, "*"), "0.8.0");
  EXPECT_EQ(*select_chart_version(index, ""), "0.8.0");
  EXPECT_EQ(*select_chart_version(index, "0.7.x"), "0.7.2");
  EXPECT_EQ(*select_chart_version(index, "0.9.0-rc.1"), "0.9.0-rc.1");  // exact match first
  EXPECT_FALSE(select_chart_version(index, "1.x").ok());
}

TEST(HelmRemediation, RetriesAreExhaustedWhenFailuresExceedRetries) {
  EXPECT_FALSE(retries_exhausted(3, 3));
  EXPECT_TRUE(retries_exhausted(4, 3));
  EXPECT_TRUE(retries_exhausted(1, 0));
  EXPECT_FALSE(retries_exhausted(100, -1));  // negative = unlimited
}

TEST(HelmRemediation, UpgradeRemediateLastFailureDefaultsToTrueOnlyWithRetries) {
  json hr = {{"metadata", {{"name", "mlflow"}, {"namespace", "mlops"}}},
             {"spec", {{"interval", "10m"}, {"chart", {{"spec", {{"chart", "mlflow"}, {"sourceRef", {{"kind", "HelmRepository"}, {"name", "mlflow"}}}}}}}}}};
  auto none = parse_helm_release(hr);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(upgrade_remediates_last_failure(*none));
  EXPECT_EQ(none->upgrade_strategy, "rollback");
  EXPECT_EQ(none->timeout, minutes(5));
  EXPECT_EQ(none->version, "*");
  hr["spec"]["upgrade"] = {{"remediation", {{"retries", 3}}}};
  EXPECT_TRUE(upgrade_remediates_last_failure(*parse_helm_release(hr)));
  hr["spec"]["upgrade"]["remediation"]["remediateLastFailure"] = false;
  EXPECT_FALSE(upgrade_remediates_last_failure(*parse_helm_release(hr)));
}

}  // namespace
}  // namespace rehearse::flux
