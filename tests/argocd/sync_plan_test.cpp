// Sync task ordering facts from gitops-engine's tests (reference argocd.md §2-§5):
// Test_syncTasks_kindOrder, TestSortSyncTask, TestWaveReorderingOfPruneTasks, TestPruneLast,
// TestSyncTasksSort_NamespaceAndObjectInNamespace, TestSyncTasksSort_CRDAndCR,
// TestUnnamedHooksGetUniqueNames, TestDoNotPrune*, and the seed's fraud-detector app.

#include "engine/argocd/sync_plan.hpp"

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/argocd/test_util.hpp"

using namespace rehearse;
using namespace rehearse::argocd;
using rehearse::testing::objects;

namespace {

std::string cm(const std::string& name, const std::string& extra_annotations = "") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
         "\n  annotations: {" + extra_annotations + "}\n---\n";
}

std::string tracked(const std::string& api, const std::string& kind, const std::string& group,
                    const std::string& name, const std::string& annotations = "") {
  return "apiVersion: " + api + "\nkind: " + kind + "\nmetadata:\n  name: " + name +
         "\n  namespace: ns\n  annotations: {\"argocd.argoproj.io/tracking-id\": \"app:" + group +
         "/" + kind + ":ns/" + name + "\"" + (annotations.empty() ? "" : ", " + annotations) +
         "}\n---\n";
}

SyncSettings settings(bool prune = true) {
  SyncSettings s;
  s.app_name = "app";
  s.dest_namespace = "ns";
  s.prune = prune;
  return s;
}

std::vector<std::string> order(const SyncPlan& p) {
  std::vector<std::string> out;
  for (const auto& t : p.tasks) out.push_back(t.short_name());
  return out;
}

const SyncTask* find(const SyncPlan& p, const std::string& short_name) {
  for (const auto& t : p.tasks)
    if (t.short_name() == short_name) return &t;
  for (const auto& t : p.sync_fail)
    if (t.short_name() == short_name) return &t;
  return nullptr;
}

}  // namespace

TEST(SyncPlan, KindOrderRanksNamespaceFirstApiServiceLastAndUnknownKindsAfterEveryListedKind) {
  EXPECT_EQ(kind_rank("Namespace"), -35);
  EXPECT_EQ(kind_rank("APIService"), -1);
  EXPECT_EQ(kind_rank("Widget"), 0);
  EXPECT_LT(kind_rank("ConfigMap"), kind_rank("Deployment"));
  EXPECT_LT(kind_rank("Service"), kind_rank("Deployment"));
  EXPECT_LT(kind_rank("CustomResourceDefinition"), kind_rank("ClusterRole"));
  EXPECT_LT(kind_rank("IngressClass"), kind_rank("Ingress"));
}

TEST(SyncPlan, TasksSortByPhaseThenWaveThenKindThenName) {
  auto desired = objects(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: b, annotations: {argocd.argoproj.io/hook: PostSync}}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {argocd.argoproj.io/hook: PreSync}}\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: z}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: y}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, annotations: {argocd.argoproj.io/sync-wave: \"1\"}}\n---\n"
      "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: early, annotations: {argocd.argoproj.io/sync-wave: \"-1\"}}\n");
  auto plan = plan_sync(desired, {}, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"Pod/a", "ConfigMap/early", "Service/y", "Service/z",
                                                   "Deployment/a", "Widget/a", "ConfigMap/late", "Pod/b"}));
  // Steps: PreSync 0, Sync -1, Sync 0, Sync 1, PostSync 0.
  ASSERT_EQ(plan.steps.size(), 5u);
  EXPECT_EQ(plan.steps[0].phase, SyncPhase::PreSync);
  EXPECT_EQ(plan.steps[1].wave, -1);
  EXPECT_EQ(plan.steps[3].wave, 1);
  EXPECT_EQ(plan.steps[4].phase, SyncPhase::PostSync);
  EXPECT_TRUE(plan.multi_step);
}

TEST(SyncPlan, NameComparisonIsByteWise) {
  auto plan = plan_sync(objects(cm("b") + cm("B") + cm("a")), {}, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"ConfigMap/B", "ConfigMap/a", "ConfigMap/b"}));
}

TEST(SyncPlan, TiesBeyondNameAreBrokenByGroupThenNamespace) {
  auto desired = objects(
      "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s, namespace: b}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: b}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\n");
  auto plan = plan_sync(desired, {}, settings());
  ASSERT_EQ(plan.tasks.size(), 3u);
  EXPECT_EQ(plan.tasks[0].key.group, "");
  EXPECT_EQ(plan.tasks[0].key.ns, "a");
  EXPECT_EQ(plan.tasks[1].key.ns, "b");
  EXPECT_EQ(plan.tasks[2].key.group, "serving.knative.dev");
}

TEST(SyncPlan, HookWithTwoPhasesGetsOneTaskPerPhase) {
  auto plan = plan_sync(objects("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, annotations: "
                                "{argocd.argoproj.io/hook: \"PreSync, PostSync\"}}\n"),
                        {}, settings());
  ASSERT_EQ(plan.tasks.size(), 2u);
  EXPECT_EQ(plan.tasks[0].phase, SyncPhase::PreSync);
  EXPECT_EQ(plan.tasks[1].phase, SyncPhase::PostSync);
  EXPECT_EQ(plan.tasks[0].operation, TaskOperation::Create);
}

TEST(SyncPlan, SkipAndUnrecognisedHooksProduceNoTaskButSkipPlusPreSyncIsAPreSyncHook) {
  auto plan = plan_sync(objects(cm("skip", "argocd.argoproj.io/hook: Skip") +
                                cm("garbage", "argocd.argoproj.io/hook: Garbage") +
                                cm("both", "argocd.argoproj.io/hook: \"Skip,PreSync\"") +
                                cm("helmtest", "helm.sh/hook: test") +
                                cm("crd", "helm.sh/hook: crd-install")),
                        {}, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"ConfigMap/both", "ConfigMap/crd"}));
  EXPECT_EQ(plan.tasks[0].phase, SyncPhase::PreSync);
  EXPECT_TRUE(plan.tasks[0].is_hook);
  EXPECT_FALSE(plan.tasks[1].is_hook);  // crd-install is not a hook
}

TEST(SyncPlan, SkippedResourceWithALiveCopyIsNeitherAppliedNorPruned) {
  auto live = objects(tracked("v1", "ConfigMap", "", "keep"));
  auto plan = plan_sync(
      objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep, namespace: ns, annotations: "
              "{argocd.argoproj.io/hook: Skip}}\n"),
      live, settings());
  EXPECT_TRUE(plan.tasks.empty());
}

TEST(SyncPlan, HelmHooksMapToPhasesOnlyWhenNoArgoHookIsRecognised) {
  auto plan = plan_sync(objects(cm("pre", "helm.sh/hook: pre-install") +
                                cm("post", "helm.sh/hook: \"post-upgrade\"") +
                                cm("argo", "argocd.argoproj.io/hook: Sync, helm.sh/hook: pre-install")),
                        {}, settings());
  EXPECT_EQ(find(plan, "ConfigMap/pre")->phase, SyncPhase::PreSync);
  EXPECT_EQ(find(plan, "ConfigMap/post")->phase, SyncPhase::PostSync);
  EXPECT_EQ(find(plan, "ConfigMap/argo")->phase, SyncPhase::Sync);
}

TEST(SyncPlan, UnnamedHooksGetGenerateNamePlusRevisionPhaseAndStartTime) {
  EXPECT_EQ(hook_name("my-job-", "FooBarBaz", SyncPhase::PreSync, 1700000000),
            "my-job-foobarb-presync-1700000000");
  EXPECT_EQ(hook_name("x-", "abc", SyncPhase::PostSync, 5), "x-abc-postsync-5");
  SyncSettings s = settings();
  s.revision = "FooBarBaz";
  s.started_at_unix = 42;
  // Tasks point into the desired vector: it must outlive the plan.
  auto desired = objects("apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: mig-, "
                         "annotations: {argocd.argoproj.io/hook: PreSync}}\n");
  auto plan = plan_sync(desired, {}, s);
  ASSERT_EQ(plan.tasks.size(), 1u);
  EXPECT_EQ(plan.tasks[0].key.name, "mig-foobarb-presync-42");
  auto obj = plan.tasks[0].materialize("app", TrackingMethod::Annotation);
  EXPECT_EQ(obj.name(), "mig-foobarb-presync-42");
  EXPECT_EQ(obj.body()["metadata"]["finalizers"][0], "argocd.argoproj.io/hook-finalizer");
}

TEST(SyncPlan, HookDeletePolicyDefaultsToBeforeHookCreationAndDeletesAnExistingHookFirst) {
  auto live = objects("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\n");
  auto plan = plan_sync(objects("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, annotations: "
                                "{argocd.argoproj.io/hook: PreSync}}\n"),
                        live, settings());
  ASSERT_EQ(plan.tasks.size(), 1u);
  EXPECT_EQ(plan.tasks[0].delete_policies, std::vector<DeletePolicy>{DeletePolicy::BeforeHookCreation});
  EXPECT_TRUE(plan.tasks[0].delete_before_creation);
}

TEST(SyncPlan, PruneWavesAreMirroredAndCreatesKeepTheirWaves) {
  // TestWaveReorderingOfPruneTasks: prune waves {1,3,4,5} become {5,4,3,1}.
  std::string live_yaml;
  for (int w : {1, 3, 4, 5})
    live_yaml += tracked("v1", "ConfigMap", "", "p" + std::to_string(w),
                         "\"argocd.argoproj.io/sync-wave\": \"" + std::to_string(w) + "\"");
  auto live = objects(live_yaml);
  auto plan = plan_sync(objects(cm("c3", "argocd.argoproj.io/sync-wave: \"3\"")), live, settings());
  EXPECT_EQ(find(plan, "ConfigMap/p1")->wave, 5);
  EXPECT_EQ(find(plan, "ConfigMap/p3")->wave, 4);
  EXPECT_EQ(find(plan, "ConfigMap/p4")->wave, 3);
  EXPECT_EQ(find(plan, "ConfigMap/p5")->wave, 1);
  EXPECT_EQ(find(plan, "ConfigMap/c3")->wave, 3);
  // Within the wave-3 step the prune comes before the apply.
  for (const auto& s : plan.steps)
    if (s.wave == 3) {
      ASSERT_EQ(s.prunes.size(), 1u);
      EXPECT_EQ(plan.tasks[s.prunes[0]].key.name, "p4");
      EXPECT_LT(s.prunes[0], s.apply_batches[0][0]);
    }
}

TEST(SyncPlan, PruneLastResourcesRunAfterTheFinalWave) {
  auto live = objects(tracked("v1", "ConfigMap", "", "old", "\"argocd.argoproj.io/sync-wave\": \"7\""));
  SyncSettings s = settings();
  s.sync_options = {"PruneLast=true"};
  auto plan = plan_sync(objects(cm("a", "argocd.argoproj.io/sync-wave: \"2\"")), live, s);
  // Max Sync wave after mirroring is 7 (the prune itself), so PruneLast puts it at 8.
  EXPECT_EQ(find(plan, "ConfigMap/old")->wave, 8);
  EXPECT_TRUE(find(plan, "ConfigMap/old")->prune_last);
  EXPECT_EQ(plan.tasks.back().key.name, "old");
}

TEST(SyncPlan, PruneLastWithOnlyNegativeWavesLandsInWaveOne) {
  auto live = objects(tracked("v1", "ConfigMap", "", "old",
                              "\"argocd.argoproj.io/sync-wave\": \"-5\", \"argocd.argoproj.io/sync-options\": \"PruneLast=true\""));
  auto plan = plan_sync(objects(cm("a", "argocd.argoproj.io/sync-wave: \"-3\"")), live, settings());
  EXPECT_EQ(find(plan, "ConfigMap/old")->wave, 1);
}

TEST(SyncPlan, PostSyncHooksStillRunAfterPruneLast) {
  auto live = objects(tracked("v1", "ConfigMap", "", "old"));
  SyncSettings s = settings();
  s.sync_options = {"PruneLast=true"};
  auto plan = plan_sync(objects(cm("a") + cm("post", "argocd.argoproj.io/hook: PostSync")), live, s);
  EXPECT_EQ(order(plan), (std::vector<std::string>{"ConfigMap/a", "ConfigMap/old", "ConfigMap/post"}));
}

TEST(SyncPlan, NamespaceIsHoistedInFrontOfTheFirstTaskInItAndTakesItsWave) {
  auto desired = objects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: team, annotations: {argocd.argoproj.io/sync-wave: \"-1\"}}\n---\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: team, annotations: {argocd.argoproj.io/sync-wave: \"2\"}}\n");
  auto plan = plan_sync(desired, {}, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"Namespace/team", "ConfigMap/cm"}));
  EXPECT_EQ(plan.tasks[0].wave, -1);
  EXPECT_EQ(plan.steps.size(), 1u);
}

TEST(SyncPlan, NamespaceHoistingCanMoveIntoAnEarlierPhase) {
  auto desired = objects(
      "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pre, namespace: team, annotations: {argocd.argoproj.io/hook: PreSync}}\n---\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
  auto plan = plan_sync(desired, {}, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"Namespace/team", "Job/pre"}));
  EXPECT_EQ(plan.tasks[0].phase, SyncPhase::PreSync);
}

TEST(SyncPlan, CrdIsHoistedInFrontOfItsFirstCustomResource) {
  auto desired = objects(
      "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, annotations: {argocd.argoproj.io/sync-wave: \"-2\"}}\n---\n"
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n"
      "spec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgets}}\n");
  auto plan = plan_sync(desired, {}, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"CustomResourceDefinition/widgets.example.com", "Widget/w"}));
  EXPECT_EQ(plan.tasks[0].wave, -2);
}

TEST(SyncPlan, ConsecutiveTasksOfTheSameKindFormOneApplyBatch) {
  auto plan = plan_sync(objects(cm("a") + cm("b") +
                                "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
                                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d1}\n---\n"
                                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d2}\n"),
                        {}, settings());
  ASSERT_EQ(plan.steps.size(), 1u);
  const auto& b = plan.steps[0].apply_batches;
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].size(), 2u);
  EXPECT_EQ(b[1].size(), 1u);
  EXPECT_EQ(b[2].size(), 2u);
  EXPECT_FALSE(plan.multi_step);
}

TEST(SyncPlan, WithoutThePruneFlagPrunesAreSkippedAsRequiringPruning) {
  auto live = objects(tracked("v1", "ConfigMap", "", "old"));
  auto plan = plan_sync(objects(cm("a")), live, settings(false));
  EXPECT_EQ(find(plan, "ConfigMap/old")->prune, PruneDecision::SkipRequiresPruning);
}

TEST(SyncPlan, ResourcePruneOptionWinsOverTheAppLevelDefault) {
  auto live = objects(tracked("v1", "ConfigMap", "", "res-false", "\"argocd.argoproj.io/sync-options\": \"Prune=false\"") +
                      tracked("v1", "ConfigMap", "", "res-confirm", "\"argocd.argoproj.io/sync-options\": \"Prune=confirm\"") +
                      tracked("v1", "ConfigMap", "", "app-default"));
  SyncSettings s = settings();
  s.sync_options = {"Prune=false"};
  auto plan = plan_sync(objects(cm("a")), live, s);
  EXPECT_EQ(find(plan, "ConfigMap/res-false")->prune, PruneDecision::SkipNoPrune);
  EXPECT_EQ(find(plan, "ConfigMap/res-confirm")->prune, PruneDecision::NeedsConfirmation);
  EXPECT_EQ(find(plan, "ConfigMap/app-default")->prune, PruneDecision::SkipNoPrune);
}

TEST(SyncPlan, OnlyLiveObjectsTrackedByTheAppArePruneCandidates) {
  auto live = objects(
      tracked("v1", "ConfigMap", "", "mine") +
      // A copy: the tracking id names another object, so it is not claimed.
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: copy, namespace: ns, annotations: "
      "{argocd.argoproj.io/tracking-id: \"app:/ConfigMap:ns/mine\"}}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: ns, annotations: "
      "{argocd.argoproj.io/tracking-id: \"other:/ConfigMap:ns/other\"}}\n---\n"
      // Live hooks are never pruned.
      "apiVersion: batch/v1\nkind: Job\nmetadata: {name: hook, namespace: ns, annotations: "
      "{argocd.argoproj.io/tracking-id: \"app:batch/Job:ns/hook\", argocd.argoproj.io/hook: PreSync}}\n---\n"
      // Label tracking is ignored in annotation mode.
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: labelled, namespace: ns, labels: "
      "{app.kubernetes.io/instance: app}}\n");
  auto plan = plan_sync(objects(cm("a")), live, settings());
  EXPECT_EQ(order(plan), (std::vector<std::string>{"ConfigMap/mine", "ConfigMap/a"}));
  SyncSettings s = settings();
  s.tracking = TrackingMethod::Label;
  auto by_label = plan_sync(objects(cm("a")), live, s);
  EXPECT_NE(find(by_label, "ConfigMap/labelled"), nullptr);
  EXPECT_EQ(find(by_label, "ConfigMap/mine"), nullptr);
}

TEST(SyncPlan, ExistingUntrackedObjectIsUpdatedNotCreated) {
  auto live = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {k: v}\n");
  auto plan = plan_sync(objects(cm("a")), live, settings());
  ASSERT_EQ(plan.tasks.size(), 1u);
  EXPECT_EQ(plan.tasks[0].operation, TaskOperation::Update);
  EXPECT_EQ(plan.tasks[0].key.ns, "ns");  // defaulted from the destination
}

TEST(SyncPlan, CreateNamespaceAddsAPreSyncNamespaceTaskUnlessTheManifestsHaveIt) {
  SyncSettings s = settings();
  s.sync_options = {"CreateNamespace=true"};
  auto plan = plan_sync(objects(cm("a")), {}, s);
  ASSERT_EQ(plan.tasks.size(), 2u);
  EXPECT_EQ(plan.tasks[0].short_name(), "Namespace/ns");
  EXPECT_EQ(plan.tasks[0].phase, SyncPhase::PreSync);
  EXPECT_EQ(plan.tasks[0].wave, 0);
  auto with_manifest =
      plan_sync(objects(cm("a") + "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, annotations: "
                                  "{argocd.argoproj.io/sync-wave: \"5\"}}\n"),
                {}, s);
  // The manifest wins; hoisting then moves it in front of the ConfigMap.
  EXPECT_EQ(order(with_manifest), (std::vector<std::string>{"Namespace/ns", "ConfigMap/a"}));
  EXPECT_EQ(with_manifest.tasks[0].phase, SyncPhase::Sync);
  auto existing = plan_sync(objects(cm("a")), objects("apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n"), s);
  EXPECT_EQ(order(existing), (std::vector<std::string>{"ConfigMap/a"}));
}

TEST(SyncPlan, SyncFailHooksAreSeparatedFromTheSteps) {
  auto plan = plan_sync(objects(cm("a") + cm("notify", "argocd.argoproj.io/hook: SyncFail")), {}, settings());
  EXPECT_EQ(order(plan), std::vector<std::string>{"ConfigMap/a"});
  ASSERT_EQ(plan.sync_fail.size(), 1u);
  EXPECT_EQ(plan.sync_fail[0].phase, SyncPhase::SyncFail);
}

TEST(SyncPlan, SelectiveSyncSkipsHooksAndUnselectedResources) {
  SyncSettings s = settings();
  s.resources = std::vector<model::ObjectKey>{{"", "ConfigMap", "ns", "b"}};
  auto plan = plan_sync(objects(cm("a") + cm("b") + cm("h", "argocd.argoproj.io/hook: PreSync")), {}, s);
  EXPECT_EQ(order(plan), std::vector<std::string>{"ConfigMap/b"});
}

TEST(SyncPlan, ApplyOutOfSyncOnlySkipsResourcesWithoutDrift) {
  auto live = objects(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same, namespace: ns, uid: u1}\ndata: {k: v}\n---\n"
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: drifted, namespace: ns}\ndata: {k: old}\n");
  SyncSettings s = settings();
  s.sync_options = {"ApplyOutOfSyncOnly=true"};
  auto plan = plan_sync(objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\ndata: {k: v}\n---\n"
                                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: drifted}\ndata: {k: new}\n---\n" +
                                cm("fresh")),
                        live, s);
  EXPECT_EQ(order(plan), (std::vector<std::string>{"ConfigMap/drifted", "ConfigMap/fresh"}));
}

TEST(SyncPlan, WarnsWhenPruningANamespaceOrEverythingTheAppOwns) {
  auto live = objects("apiVersion: v1\nkind: Namespace\nmetadata: {name: team, annotations: "
                      "{argocd.argoproj.io/tracking-id: \"app:/Namespace:/team\"}}\n---\n" +
                      tracked("v1", "ConfigMap", "", "x"));
  auto plan = plan_sync({}, live, settings());
  EXPECT_TRUE(plan.prunes_everything);
  ASSERT_GE(plan.warnings.size(), 2u);
  bool ns_warning = false, all_warning = false;
  for (const auto& w : plan.warnings) {
    if (w.find("Namespace team") != std::string::npos) ns_warning = true;
    if (w.find("everything") != std::string::npos) all_warning = true;
  }
  EXPECT_TRUE(ns_warning);
  EXPECT_TRUE(all_warning);
}

TEST(SyncPlan, DuplicateManifestsAreReportedAsInvalid) {
  auto plan = plan_sync(objects(cm("a") + cm("a")), {}, settings());
  EXPECT_EQ(plan.errors.size(), 1u);
}

TEST(SyncPlan, ReplaceAndServerSideApplyOptionsSetTheApplyMode) {
  SyncSettings s = settings();
  s.sync_options = {"ServerSideApply=true"};
  auto plan = plan_sync(objects(cm("ssa") + cm("csa", "argocd.argoproj.io/sync-options: ServerSideApply=false") +
                                cm("rep", "argocd.argoproj.io/sync-options: \"Replace=true,Validate=false\"")),
                        {}, s);
  EXPECT_EQ(find(plan, "ConfigMap/ssa")->apply_mode, ApplyMode::ServerSideApply);
  EXPECT_EQ(find(plan, "ConfigMap/csa")->apply_mode, ApplyMode::Apply);
  EXPECT_EQ(find(plan, "ConfigMap/rep")->apply_mode, ApplyMode::Replace);
  EXPECT_FALSE(find(plan, "ConfigMap/rep")->validate);
}

TEST(SyncPlan, FraudDetectorAppliesConfigBeforeTheRolloutAndPrunesTheOldModelLast) {
  const char* root = std::getenv("REHEARSE_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  std::string dir = std::string(root) + "/fixtures/argocd/fraud-detector";
  model::Diagnostics diags;
  auto desired = model::load_manifests(dir + "/manifests", diags);
  auto live = model::load_manifests(dir + "/live", diags);
  ASSERT_FALSE(diags.has_errors()) << diags.format();
  SyncSettings s;
  s.app_name = "fraud-detector";
  s.dest_namespace = "ml-serving";
  s.prune = true;
  s.sync_options = {"Validate=true", "CreateNamespace=true", "PrunePropagationPolicy=foreground",
                    "PruneLast=true"};
  s.revision = "0123456789abcdef";
  s.started_at_unix = 1714557600;
  s.compute_diffs = true;
  auto plan = plan_sync(desired, live, s);
  EXPECT_EQ(order(plan), (std::vector<std::string>{
                             "Namespace/ml-serving",
                             "Job/feature-store-migrate-0123456-presync-1714557600",
                             "ConfigMap/fraud-detector-config",
                             "Service/fraud-detector-canary", "Service/fraud-detector-stable",
                             "AnalysisTemplate/fraud-detector-latency", "VirtualService/fraud-detector-vs",
                             "Rollout/fraud-detector",
                             // Kind order within the prune step: Service before Deployment.
                             "Service/fraud-detector-v1", "Deployment/fraud-detector-v1",
                             "Job/fraud-detector-smoke-test"}));
  EXPECT_EQ(find(plan, "ConfigMap/fraud-detector-config")->operation, TaskOperation::Update);
  EXPECT_TRUE(find(plan, "ConfigMap/fraud-detector-config")->modified);  // MODEL_VERSION drifted
  EXPECT_EQ(find(plan, "Rollout/fraud-detector")->wave, 2);
  // Both prunes land in the PruneLast wave 3 (last Sync wave 2, + 1).
  EXPECT_EQ(find(plan, "Deployment/fraud-detector-v1")->wave, 3);
  EXPECT_EQ(find(plan, "Service/fraud-detector-v1")->wave, 3);
  ASSERT_EQ(plan.sync_fail.size(), 1u);
  EXPECT_EQ(plan.sync_fail[0].key.name, "notify-oncall");
  // Steps: PreSync 0 (namespace + migration), Sync 0, 1, 2, 3 (prunes), PostSync 0.
  ASSERT_EQ(plan.steps.size(), 6u);
  EXPECT_EQ(plan.steps[4].prunes.size(), 2u);
  EXPECT_TRUE(plan.steps[4].apply_batches.empty());
}
