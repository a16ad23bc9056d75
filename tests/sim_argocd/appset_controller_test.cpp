// The ApplicationSet controller (sim/argocd/appset_controller.hpp) and the Application
// deletion it relies on (AppController::finalize_deletion). Expected values are upstream
// facts: argo-cd applicationset/controllers/applicationset_controller.go (policies, preserved
// annotations/finalizers, requeue), applicationset/generators/{git,list}.go (3 min default,
// none for list), pkg/apis/application/v1alpha1/applicationset_types.go AllowUpdate/
// AllowDelete, controller/appcontroller.go finalizeApplicationDeletion (reference argocd.md
// §5 "Cascade deletion", §7.4, §13).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/argocd/appset.hpp"
#include "sim/argocd/argocd_controller.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/runner.hpp"

namespace rehearse::sim {
namespace {

using nlohmann::json;

argocd::ApplicationSet parse_set(const json& spec) {
  json body = {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "ApplicationSet"},
               {"metadata", {{"name", "s"}, {"namespace", "argocd"}}}, {"spec", spec}};
  model::Diagnostics diags;
  auto set = argocd::parse_application_set(model::Object(model::JsonBox(body)), diags);
  EXPECT_FALSE(diags.has_errors()) << diags.format();
  return set.value_or(argocd::ApplicationSet{});
}

json tmpl() {
  return {{"metadata", {{"name", "{{path.basename}}"}}},
          {"spec", {{"project", "default"},
                    {"source", {{"repoURL", "r"}, {"path", "{{path}}"}}},
                    {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", "x"}}}}}};
}

TEST(AppSetPolicy, AllowUpdateAndAllowDeleteFollowUpstreamTable) {
  using P = argocd::ApplicationsSyncPolicy;
  EXPECT_TRUE(argocd::allows_update(P::Sync));
  EXPECT_TRUE(argocd::allows_delete(P::Sync));
  EXPECT_FALSE(argocd::allows_update(P::CreateOnly));
  EXPECT_FALSE(argocd::allows_delete(P::CreateOnly));
  EXPECT_TRUE(argocd::allows_update(P::CreateUpdate));
  EXPECT_FALSE(argocd::allows_delete(P::CreateUpdate));
  EXPECT_FALSE(argocd::allows_update(P::CreateDelete));
  EXPECT_TRUE(argocd::allows_delete(P::CreateDelete));
}

TEST(AppSetPolicy, TheSetsOwnPolicyAppliesOnlyWhenGivenAndOverrideIsEnabled) {
  using P = argocd::ApplicationsSyncPolicy;
  json spec = {{"generators", json::array({{{"list", {{"elements", json::array()}}}}})}, {"template", tmpl()}};
  auto plain = parse_set(spec);
  EXPECT_EQ(argocd::effective_policy(plain, P::Sync, true), P::Sync);
  EXPECT_EQ(argocd::effective_policy(plain, P::CreateUpdate, false), P::CreateUpdate);
  spec["syncPolicy"] = {{"applicationsSync", "create-only"}};
  auto own = parse_set(spec);
  EXPECT_EQ(argocd::effective_policy(own, P::Sync, true), P::CreateOnly);
  // --policy given without --enable-policy-override: the controller's policy wins.
  EXPECT_EQ(argocd::effective_policy(own, P::Sync, false), P::Sync);
}

TEST(AppSetRequeue, GitDefaultIsThreeMinutesRequeueAfterSecondsWinsListHasNone) {
  json git = {{"git", {{"repoURL", "r"}, {"directories", json::array({{{"path", "*"}}})}}}};
  json list = {{"list", {{"elements", json::array()}}}};
  EXPECT_EQ(argocd::requeue_after_ms(parse_set({{"generators", {git}}, {"template", tmpl()}}), 180'000), 180'000);
  EXPECT_EQ(argocd::requeue_after_ms(parse_set({{"generators", {list}}, {"template", tmpl()}}), 180'000), 0);
  // getMinRequeueAfter: the smallest non-zero interval, whatever the generator order.
  EXPECT_EQ(argocd::requeue_after_ms(parse_set({{"generators", {list, git}}, {"template", tmpl()}}), 180'000), 180'000);
  json fast = git;
  fast["git"]["requeueAfterSeconds"] = 30;
  EXPECT_EQ(argocd::requeue_after_ms(parse_set({{"generators", {git, fast}}, {"template", tmpl()}}), 180'000), 30'000);
}

TEST(AppSetMerge, KeepsPreservedAnnotationsAndDeleteHookFinalizersAndSetsTheControllerReference) {
  json generated = {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Application"},
                    {"metadata", {{"name", "a"}, {"namespace", "argocd"}, {"labels", {{"team", "ml"}}},
                                  {"finalizers", {"resources-finalizer.argocd.argoproj.io"}}}},
                    {"spec", {{"project", "default"}}}};
  json found = generated;
  found["metadata"]["annotations"] = {{"argocd.argoproj.io/refresh", "normal"}, {"someone/else", "x"}};
  found["metadata"]["finalizers"] = {"resources-finalizer.argocd.argoproj.io", "pre-delete-finalizer.argocd.argoproj.io/cleanup"};
  found["metadata"]["resourceVersion"] = "7";
  found["status"] = {{"sync", {{"status", "Synced"}}}};
  auto m = argocd::merge_generated_application(found, generated, {"s", "uid-1"});
  ASSERT_TRUE(m.ok());
  const json& md = (*m->body)["metadata"];
  EXPECT_EQ(md["annotations"], (json{{"argocd.argoproj.io/refresh", "normal"}}));
  EXPECT_EQ(md["finalizers"], (json{"resources-finalizer.argocd.argoproj.io", "pre-delete-finalizer.argocd.argoproj.io/cleanup"}));
  EXPECT_EQ(md["ownerReferences"][0], (json{{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "ApplicationSet"}, {"name", "s"},
                                            {"uid", "uid-1"}, {"controller", true}, {"blockOwnerDeletion", true}}));
  EXPECT_EQ((*m->body)["status"], found["status"]);  // status is not the set's
  EXPECT_EQ(md["resourceVersion"], "7");
  EXPECT_TRUE(m->changed);
  EXPECT_EQ(m->fields, (std::vector<std::string>{"metadata.annotations", "metadata.ownerReferences"}));
  // Merging again changes nothing; empty and missing maps are equal (cmpopts.EquateEmpty).
  json again = *m->body;
  again["metadata"]["labels"] = {{"team", "ml"}};
  generated["spec"]["syncPolicy"] = json::object();
  auto m2 = argocd::merge_generated_application(again, generated, {"s", "uid-1"});
  ASSERT_TRUE(m2.ok());
  EXPECT_FALSE(m2->changed) << json(m2->fields).dump();
}

TEST(AppSetMerge, AnApplicationControlledBySomethingElseIsAnError) {
  json app = {{"metadata", {{"name", "a"}, {"namespace", "argocd"},
                            {"ownerReferences", {{{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "ApplicationSet"},
                                                  {"name", "other"}, {"uid", "u"}, {"controller", true}}}}}}};
  EXPECT_EQ(argocd::owning_application_set(app), "other");
  auto m = argocd::merge_generated_application(app, {{"metadata", {{"name", "a"}}}, {"spec", json::object()}}, {"s", "u2"});
  EXPECT_FALSE(m.ok());
}

// ---- in the simulation ------------------------------------------------------------------

struct Run {
  bool loaded = false;
  std::string diagnostics;
  ScenarioOutcome outcome;
};

std::string fixture() { return std::string(REHEARSE_SOURCE_DIR) + "/fixtures/argocd/appset/repo"; }

// An ApplicationSet over models/* of the appset fixture (churn, fraud_detector), with
// `sync_policy` and generator extras, plus the scenario's `tail` (events, expect).
Run run(const std::string& settings, const std::string& sync_policy, const std::string& tail,
        const std::string& git_extra = "") {
  std::string text = R"(apiVersion: rehearse.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  seed: 5
  until: 12m
  repo:
    fixture: )" + fixture() + R"(
  controllers:
    argocd: )" + settings + R"(
  cluster:
    namespaces: [argocd]
    objects:
    - apiVersion: argoproj.io/v1alpha1
      kind: ApplicationSet
      metadata: {name: models, namespace: argocd}
      spec:
        generators:
        - git:
            repoURL: https://example.com/ml.git
            revision: HEAD
            directories: [{path: models/*}]
)" + git_extra + R"(
        syncPolicy: )" + sync_policy + R"(
        template:
          metadata: {name: '{{path.basenameNormalized}}'}
          spec:
            project: default
            source: {repoURL: https://example.com/ml.git, targetRevision: HEAD, path: '{{path}}'}
            destination: {server: https://kubernetes.default.svc, namespace: '{{path.basenameNormalized}}'}
            syncPolicy:
              automated: {prune: true}
              syncOptions: [CreateNamespace=true]
)" + tail;
  ControllerCatalog catalog;
  register_argocd(catalog);
  CommandVocabulary vocab;
  for (const auto& f : catalog.all())
    for (const auto& t : f.tools) vocab.tools[t] = f.verbs;
  model::Diagnostics diags;
  auto scenarios = load_scenarios_text(text, "inline.yaml", diags, vocab);
  Run r;
  r.diagnostics = diags.format();
  if (diags.has_errors() || scenarios.size() != 1) return r;
  r.loaded = true;
  r.outcome = run_scenario(scenarios[0], catalog, RunOptions{}, 0);
  return r;
}

std::string failures(const Run& r) {
  std::string s = r.diagnostics + r.outcome.error;
  for (const auto& f : r.outcome.event_failures) s += "\n" + f;
  for (const auto& e : r.outcome.results)
    if (!e.passed) s += "\n" + e.title + ": expected " + e.expected + ", observed " + e.observed;
  return s;
}

const char* kRemoveChurn = R"(  events:
  - at: 1m
    commit: {message: retire churn, delete: [models/churn]}
)";

TEST(AppSetSim, CreateOnlyNeverDeletesAnApplicationWhoseDirectoryIsGone) {
  auto r = run("{}", "{applicationsSync: create-only}", std::string(kRemoveChurn) + R"(  expect:
  - event: {kind: argocd.appset.created}
    count: 2
  - event: {kind: argocd.appset.deleted}
    occurs: false
  - object: Application/argocd/churn
    exists: true
  - object: Deployment/churn/churn
    exists: true
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r);
}

TEST(AppSetSim, SyncPolicyRevertsAManualSpecChangeAtOnceButCreateDeleteDoesNot) {
  const char* tail = R"(  events:
  - at: 2m
    kubectl: patch app churn -n argocd --type merge -p '{"spec":{"source":{"targetRevision":"v0"}}}'
  expect:
  - object: Application/argocd/churn
    path: .spec.source.targetRevision
    equals: HEAD
    eventually: {from: 2m, to: 2m}
)";
  auto sync = run("{}", "{}", std::string(tail) + R"(  - event: {kind: argocd.appset.updated, object: Application/argocd/churn, details: {fields: [spec]}}
    count: 1
    window: {from: 2m, to: 2m}
)");
  ASSERT_TRUE(sync.loaded) << sync.diagnostics;
  EXPECT_TRUE(sync.outcome.passed) << failures(sync);
  auto create_delete = run("{}", "{applicationsSync: create-delete}", R"(  events:
  - at: 2m
    kubectl: patch app churn -n argocd --type merge -p '{"spec":{"source":{"targetRevision":"v0"}}}'
  expect:
  - object: Application/argocd/churn
    path: .spec.source.targetRevision
    equals: v0
  - event: {kind: argocd.appset.updated}
    occurs: false
)");
  ASSERT_TRUE(create_delete.loaded) << create_delete.diagnostics;
  EXPECT_TRUE(create_delete.outcome.passed) << failures(create_delete);
}

TEST(AppSetSim, PreserveResourcesOnDeletionDeletesTheApplicationButKeepsItsResources) {
  auto r = run("{}", "{preserveResourcesOnDeletion: true}", std::string(kRemoveChurn) + R"(  expect:
  - object: Application/argocd/churn
    path: .metadata.finalizers
    exists: false
    at: 30s
  - event: {kind: argocd.appset.deleted, object: Application/argocd/churn, details: {cascade: false}}
    count: 1
    window: {from: 3m, to: 3m}
  - object: Application/argocd/churn
    exists: false
    eventually: {from: 3m, to: 3m}
  - object: Deployment/churn/churn
    exists: true
  - event: {kind: argocd.app.delete-resource}
    occurs: false
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r);
}

TEST(AppSetSim, RequeueAfterSecondsSetsTheGeneratorInterval) {
  auto r = run("{}", "{}", std::string(kRemoveChurn) + R"(  expect:
  - event: {kind: argocd.appset.deleted, object: Application/argocd/churn}
    count: 1
    window: {from: 1m30s, to: 1m30s}
)", "            requeueAfterSeconds: 45\n");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r);
}

TEST(AppSetSim, TheControllerPolicyWinsOverTheSetsWhenOverrideIsNotEnabled) {
  auto r = run("{applicationSet: {policy: create-update, requeueAfter: 1m}}", "{applicationsSync: sync}",
               std::string(kRemoveChurn) + R"(  expect:
  - event: {kind: argocd.appset.deleted}
    occurs: false
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r);
  auto allowed = run("{applicationSet: {policy: create-update, enablePolicyOverride: true, requeueAfter: 1m}}",
                     "{applicationsSync: sync}", std::string(kRemoveChurn) + R"(  expect:
  - event: {kind: argocd.appset.deleted}
    window: {from: 1m, to: 2m}
)");
  ASSERT_TRUE(allowed.loaded) << allowed.diagnostics;
  EXPECT_TRUE(allowed.outcome.passed) << failures(allowed);
}

TEST(AppSetSim, DeletingTheSetGarbageCollectsItsApplicationsWhichDeleteTheirResources) {
  auto r = run("{}", "{}", R"(  events:
  - at: 1m
    kubectl: delete applicationset models -n argocd
  expect:
  - object: Deployment/churn/churn
    exists: true
    at: 59s
  - object: Application/argocd/churn
    exists: false
    eventually: {from: 1m, to: 2m}
  - object: Deployment/churn/churn
    exists: false
    eventually: {from: 1m, to: 2m}
  - event: {kind: argocd.app.finalized, object: Application/argocd/fraud-detector}
    count: 1
  - name: the set itself deletes nothing (ownerReference garbage collection does)
    event: {kind: argocd.appset.deleted}
    occurs: false
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r);
}

TEST(AppSetSim, DisabledControllerCreatesNothing) {
  auto r = run("{applicationSet: {enabled: false}}", "{}", R"(  expect:
  - object: Application/argocd/churn
    exists: false
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r);
}

TEST(AppSetSettings, UnknownKeysAndBadValuesAreReported) {
  ControllerCatalog catalog;
  register_argocd(catalog);
  const ControllerFactory* f = catalog.find("argocd");
  ASSERT_NE(f, nullptr);
  model::Diagnostics diags;
  EXPECT_EQ(f->create(json::parse(R"({"applicationSet": {"requeue": "1m", "policy": "delete-all", "requeueAfter": "0s"}})"),
                      {"s.yaml", 3, 5}, diags),
            nullptr);
  std::string text = diags.format();
  EXPECT_NE(text.find("unknown applicationSet setting `requeue`"), std::string::npos) << text;
  EXPECT_NE(text.find("`applicationSet.policy` is sync, create-only, create-update or create-delete"), std::string::npos) << text;
  EXPECT_NE(text.find("between 1s and 8760h"), std::string::npos) << text;
}

}  // namespace
}  // namespace rehearse::sim
