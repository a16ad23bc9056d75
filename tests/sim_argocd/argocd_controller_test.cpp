// The Argo CD application controller and operation loop (engine/argocd/app_controller.hpp,
// operation.hpp) against the fake cluster, and the simulation adapter's settings. Expected
// values are upstream facts from the reference (argocd.md section numbers in the names).

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "engine/argocd/app_controller.hpp"
#include "engine/argocd/operation.hpp"
#include "sim/argocd/argocd_controller.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/world/controller.hpp"

namespace rehearse::argocd {
namespace {

using nlohmann::json;

model::Object obj(json body) { return model::Object(model::JsonBox(std::move(body))); }

model::Object config_map(const std::string& name, json annotations = json::object()) {
  return obj({{"apiVersion", "v1"}, {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"annotations", annotations}}}, {"data", {{"k", name}}}});
}

model::Object deployment(const std::string& name, const std::string& image, json annotations = json::object()) {
  return obj({{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", name}, {"annotations", annotations}}},
              {"spec",
               {{"replicas", 1},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template", {{"metadata", {{"labels", {{"app", name}}}}},
                              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}});
}

model::Object job_hook(const std::string& name, const std::string& image, const std::string& hook,
                       const std::string& policy = "") {
  json ann = {{"argocd.argoproj.io/hook", hook}};
  if (!policy.empty()) ann["argocd.argoproj.io/hook-delete-policy"] = policy;
  return obj({{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", name}, {"annotations", ann}}},
              {"spec", {{"backoffLimit", 0},
                        {"template", {{"spec", {{"restartPolicy", "Never"},
                                                {"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}});
}

// An app "app" in namespace argocd deploying to "apps", rendered from `revisions[rev]`.
struct Harness {
  sim::EventQueue q;
  sim::Trace trace;
  cluster::Cluster cluster;
  AppController ctrl;
  std::map<std::string, std::vector<model::Object>> revisions;
  std::string head = "rev-1";
  std::vector<std::pair<std::int64_t, json>> events;  // (sim ms, {kind, object, details})
  model::ObjectKey app{"argoproj.io", "Application", "argocd", "app"};
  std::unique_ptr<cluster::ApiClient> argo;

  explicit Harness(json sync_policy, ControllerSettings settings = {}, json extra_spec = json::object())
      : cluster(q, sim::Rng(1), &trace, make_cluster_settings()), ctrl(settings) {
    auto c = cluster.client("setup");
    for (const char* ns : {"argocd", "apps"})
      (void)c.create(obj({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
    json spec = {{"project", "default"},
                 {"source", {{"repoURL", "https://example.com/repo.git"}, {"path", "app"}, {"targetRevision", "main"}}},
                 {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", "apps"}}},
                 {"syncPolicy", sync_policy}};
    for (auto& [k, v] : extra_spec.items()) spec[k] = v;
    auto r = c.create(obj({{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Application"},
                           {"metadata", {{"name", "app"}, {"namespace", "argocd"}}}, {"spec", spec}}));
    EXPECT_TRUE(r.ok());
  }

  static cluster::ClusterSettings make_cluster_settings() {
    cluster::ClusterSettings s;
    s.profiles.add("*never-ready*", cluster::WorkloadProfile::never_ready());
    s.profiles.add("*slow*", cluster::WorkloadProfile::ready_after(sim::seconds(20)));
    s.profiles.add("*job-ok*", cluster::WorkloadProfile::ready_after(sim::seconds(10)));
    s.profiles.add("*job-fails*", cluster::WorkloadProfile::exits_with_failure(sim::seconds(5)));
    return s;
  }

  std::int64_t now_ms() const { return sim::kEpochUnixSeconds * 1000 + sim::to_ms(q.now()); }
  std::int64_t sim_ms() const { return sim::to_ms(q.now()); }

  AppEnv env() {
    AppEnv e;
    if (!argo) argo = std::make_unique<cluster::ApiClient>(cluster.client("argocd-application-controller"));
    e.client = argo.get();
    e.now_ms = now_ms();
    e.kinds = &cluster.api().kinds();
    e.render = [this](const Application&, const std::string& rev) {
      RenderedApp r;
      std::string resolved = rev == "main" || rev == "HEAD" ? head : rev;
      auto it = revisions.find(resolved);
      if (it == revisions.end()) {
        r.error = "unknown revision " + rev;
        return r;
      }
      r.ok = true;
      r.revision = resolved;
      r.objects = it->second;
      return r;
    };
    e.live = [this](const Application& a, const std::vector<model::Object>& desired) {
      std::vector<model::Object> out;
      std::set<model::ObjectKey> seen;
      for (const char* kind : {"ConfigMap", "Service", "Namespace"})
        for (auto& o : cluster.api().list({"", kind, std::nullopt, {}})) add(out, seen, o, a.name);
      for (const char* kind : {"Deployment"})
        for (auto& o : cluster.api().list({"apps", kind, std::nullopt, {}})) add(out, seen, o, a.name);
      for (auto& o : cluster.api().list({"batch", "Job", std::nullopt, {}})) add(out, seen, o, a.name);
      if (const model::Object* ns = cluster.api().find({"", "Namespace", "", "apps"}); ns && seen.insert(ns->key()).second)
        out.push_back(*ns);
      for (const auto& d : desired) {
        model::ObjectKey k = d.key();
        if (k.ns.empty() && cluster.api().kinds().is_namespaced(k.group, k.kind)) k.ns = "apps";
        if (const model::Object* o = cluster.api().find(k); o && seen.insert(k).second) out.push_back(*o);
      }
      return out;
    };
    e.emit = [this](std::string_view kind, std::string_view object, const json& details) {
      events.push_back({sim_ms(), {{"kind", kind}, {"object", object}, {"details", details}}});
    };
    return e;
  }

  static void add(std::vector<model::Object>& out, std::set<model::ObjectKey>& seen, const model::Object& o,
                  const std::string& app) {
    if (is_tracked_by(o, app, TrackingMethod::Annotation) && seen.insert(o.key()).second) out.push_back(o);
  }

  AppOutcome refresh() { return ctrl.refresh(app, env()); }
  AppOutcome op() { return ctrl.process_operation(app, env()); }
  void advance(std::int64_t ms) { q.run_until(q.now() + sim::ms(ms), 10'000'000); }

  // Drives the operation like the adapter: at the requested time, else polling every second
  // (standing in for watch events). Stops when it completes or after `limit_ms`.
  void run_op(std::int64_t limit_ms) {
    std::int64_t end = sim_ms() + limit_ms;
    for (int i = 0; i < 100'000 && sim_ms() <= end; ++i) {
      AppOutcome o = op();
      if (!o.operation_running) return;
      std::int64_t d = o.operation_after_ms.value_or(1000);
      if (d >= ctrl.settings().operation_backstop_ms) d = 1000;
      advance(d);
    }
  }

  const OperationState& state() const { return *ctrl.operation(app); }
  int count(std::string_view kind, std::string_view object = "") const {
    int n = 0;
    for (const auto& [t, e] : events)
      if (e["kind"] == kind && (object.empty() || e["object"] == object)) ++n;
    return n;
  }
  std::optional<std::int64_t> first(std::string_view kind, std::string_view object = "") const {
    for (const auto& [t, e] : events)
      if (e["kind"] == kind && (object.empty() || e["object"] == object)) return t;
    return std::nullopt;
  }
  const model::Object* live(const std::string& group, const std::string& kind, const std::string& name) {
    return cluster.api().find({group, kind, kind == "Namespace" ? "" : "apps", name});
  }
  json app_status() { return cluster.api().find(app)->body().value("status", json::object()); }
};

json automated(bool prune = true, bool self_heal = false, bool allow_empty = false) {
  return {{"automated", {{"prune", prune}, {"selfHeal", self_heal}, {"allowEmpty", allow_empty}}}};
}

// --- §7.3 self-heal backoff ---------------------------------------------------------------

TEST(SelfHealBackoff, DefaultsGiveZeroThenTwoSixEighteenUpToTheFiveMinuteCap) {
  ControllerSettings s;
  std::vector<std::int64_t> got;
  for (int n = 0; n < 8; ++n) got.push_back(self_heal_delay_ms(s, n));
  EXPECT_EQ(got, (std::vector<std::int64_t>{0, 2'000, 6'000, 18'000, 54'000, 162'000, 300'000, 300'000}));
}

TEST(SelfHealBackoff, UpstreamTestCaseTwoSecondsFactorThreeCapTwoMinutes) {
  // argo-cd TestSelfHealRemainingBackoff: 2s/3/2m -> 2, 6, 18, 54, 120.
  ControllerSettings s;
  s.self_heal_backoff_cap_ms = 120'000;
  std::vector<std::int64_t> got;
  for (int n = 1; n <= 5; ++n) got.push_back(self_heal_delay_ms(s, n));
  EXPECT_EQ(got, (std::vector<std::int64_t>{2'000, 6'000, 18'000, 54'000, 120'000}));
}

TEST(SelfHealBackoff, ZeroBackoffStartFallsBackToTheFixedTimeout) {
  ControllerSettings s;
  s.self_heal_backoff_ms = 0;
  s.self_heal_timeout_ms = 5'000;
  EXPECT_EQ(self_heal_delay_ms(s, 0), 5'000);
  EXPECT_EQ(self_heal_delay_ms(s, 4), 5'000);
}

// --- §4 operation loop ----------------------------------------------------------------------

TEST(OperationLoop, SingleStepSyncSucceedsOnApplyWithoutAwaitingHealth) {
  Harness h(automated());
  h.revisions["rev-1"] = {deployment("web", "img:never-ready")};
  h.refresh();
  h.op();
  EXPECT_EQ(h.state().phase, OperationPhase::Succeeded);
  EXPECT_EQ(h.state().message, "successfully synced (all tasks run)");
  ASSERT_NE(h.live("apps", "Deployment", "web"), nullptr);
}

TEST(OperationLoop, AWaveWaitsForTheHealthOfThePreviousWaveAndTheTwoSecondDelay) {
  Harness h(automated());
  h.revisions["rev-1"] = {deployment("store", "img:slow", {{"argocd.argoproj.io/sync-wave", "0"}}),
                          config_map("late", {{"argocd.argoproj.io/sync-wave", "1"}})};
  h.refresh();
  h.run_op(120'000);
  EXPECT_EQ(h.state().phase, OperationPhase::Succeeded);
  auto wave0 = h.first("argocd.apply", "Deployment.apps/apps/store");
  auto wave1 = h.first("argocd.apply", "ConfigMap/apps/late");
  ASSERT_TRUE(wave0 && wave1);
  // The Deployment becomes ready after 20 s; wave 1 cannot start before that.
  EXPECT_GE(*wave1 - *wave0, 20'000);
}

TEST(OperationLoop, ADegradedResourceInAnIntermediateWaveFailsTheSyncAndLaterWavesAreNeverApplied) {
  Harness h(json{{"automated", {{"prune", true}}}, {"retry", {{"limit", 0}}}});
  auto d = deployment("store", "img:never-ready", {{"argocd.argoproj.io/sync-wave", "0"}});
  d.body()["spec"]["progressDeadlineSeconds"] = 30;
  h.revisions["rev-1"] = {d, config_map("late", {{"argocd.argoproj.io/sync-wave", "1"}})};
  h.refresh();
  h.run_op(300'000);
  const model::Object* live = h.live("apps", "Deployment", "store");
  ASSERT_NE(live, nullptr);
  EXPECT_TRUE(is_completed(h.state().phase)) << live->body()["status"].dump() << " " << h.state().message;
  EXPECT_EQ(h.state().phase, OperationPhase::Failed);
  EXPECT_EQ(h.live("", "ConfigMap", "late"), nullptr);
  EXPECT_NE(h.state().message.find("one or more synchronization tasks completed unsuccessfully"), std::string::npos);
}

TEST(OperationLoop, PreSyncHookMustCompleteBeforeSyncPhaseAndHookSucceededDeletesItAtTheEnd) {
  Harness h(automated());
  h.revisions["rev-1"] = {job_hook("migrate", "img:job-ok", "PreSync", "HookSucceeded"), config_map("cfg")};
  h.refresh();
  h.run_op(120'000);
  EXPECT_EQ(h.state().phase, OperationPhase::Succeeded);
  auto created = h.first("argocd.hook.created", "Job.batch/apps/migrate");
  auto succeeded = h.first("argocd.hook.succeeded", "Job.batch/apps/migrate");
  auto applied = h.first("argocd.apply", "ConfigMap/apps/cfg");
  ASSERT_TRUE(created && succeeded && applied);
  EXPECT_GE(*succeeded - *created, 10'000);
  EXPECT_GE(*applied, *succeeded);
  h.advance(1'000);
  EXPECT_EQ(h.live("batch", "Job", "migrate"), nullptr);
}

TEST(OperationLoop, AFailedHookRunsSyncFailHooksAndEndsFailed) {
  Harness h(json{{"automated", {{"prune", true}}}, {"retry", {{"limit", 0}}}});
  h.revisions["rev-1"] = {job_hook("backfill", "img:job-fails", "PreSync"), job_hook("notify", "img:job-ok", "SyncFail"),
                          config_map("cfg")};
  h.refresh();
  h.run_op(120'000);
  EXPECT_EQ(h.state().phase, OperationPhase::Failed);
  EXPECT_EQ(h.live("", "ConfigMap", "cfg"), nullptr);
  EXPECT_EQ(h.count("argocd.hook.created", "Job.batch/apps/notify"), 1);
  EXPECT_EQ(h.count("argocd.hook.succeeded", "Job.batch/apps/notify"), 1);
  EXPECT_EQ(h.state().message, "one or more synchronization tasks completed unsuccessfully");
}

TEST(OperationLoop, TerminateDeletesRunningHooksAndEndsFailedOperationTerminated) {
  Harness h(json::object());
  h.revisions["rev-1"] = {job_hook("long", "img:never-ready", "PreSync"), config_map("cfg")};
  SyncRequest req;
  req.initiated_by = "admin";
  ASSERT_TRUE(h.ctrl.sync(h.app, req, h.env()).ok());
  h.run_op(5'000);
  ASSERT_EQ(h.state().phase, OperationPhase::Running);
  ASSERT_NE(h.live("batch", "Job", "long"), nullptr);
  ASSERT_TRUE(h.ctrl.terminate(h.app, h.env()).ok());
  h.op();
  EXPECT_EQ(h.state().phase, OperationPhase::Failed);
  EXPECT_EQ(h.state().message, "Operation terminated");
  h.advance(1'000);
  EXPECT_EQ(h.live("batch", "Job", "long"), nullptr);
  EXPECT_FALSE(h.ctrl.terminate(h.app, h.env()).ok());
}

TEST(OperationLoop, AppliedObjectsCarryTheTrackingIdAndTheLastAppliedAnnotation) {
  Harness h(automated());
  h.revisions["rev-1"] = {config_map("cfg")};
  h.refresh();
  h.op();
  const model::Object* cm = h.live("", "ConfigMap", "cfg");
  ASSERT_NE(cm, nullptr);
  const json& ann = cm->body()["metadata"]["annotations"];
  EXPECT_EQ(ann.value("argocd.argoproj.io/tracking-id", ""), "app:/ConfigMap:apps/cfg");
  EXPECT_TRUE(ann.contains("kubectl.kubernetes.io/last-applied-configuration"));
}

// --- §5 prune ----------------------------------------------------------------------------------

TEST(Prune, ManualSyncWithoutPruneSkipsWithRequiresPruningAndTheAppStaysOutOfSync) {
  Harness h(json::object());
  h.revisions["rev-1"] = {config_map("a"), config_map("b")};
  SyncRequest req;
  ASSERT_TRUE(h.ctrl.sync(h.app, req, h.env()).ok());
  h.op();
  h.revisions["rev-2"] = {config_map("a")};
  h.head = "rev-2";
  h.refresh();
  EXPECT_EQ(h.app_status()["sync"]["status"], "OutOfSync");
  ASSERT_TRUE(h.ctrl.sync(h.app, req, h.env()).ok());
  h.op();
  EXPECT_NE(h.live("", "ConfigMap", "b"), nullptr);
  const ResourceResult* r = h.state().find({"", "ConfigMap", "apps", "b"}, SyncPhase::Sync);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, ResultCode::PruneSkipped);
  EXPECT_EQ(r->message, "ignored (requires pruning)");
  h.refresh();
  EXPECT_EQ(h.app_status()["sync"]["status"], "OutOfSync");
}

TEST(Prune, AutomatedPruneDeletesWithForegroundPropagationButKeepsPruneFalse) {
  Harness h(automated(true));
  h.revisions["rev-1"] = {config_map("a"), config_map("b"), config_map("keep", {{"argocd.argoproj.io/sync-options", "Prune=false"}})};
  h.refresh();
  h.op();
  h.revisions["rev-2"] = {config_map("a")};
  h.head = "rev-2";
  h.refresh();
  h.run_op(10'000);
  h.advance(100);
  EXPECT_EQ(h.live("", "ConfigMap", "b"), nullptr);
  EXPECT_NE(h.live("", "ConfigMap", "keep"), nullptr);
  ASSERT_EQ(h.count("argocd.prune", "ConfigMap/apps/b"), 1);
  for (const auto& [t, e] : h.events) {
    if (e["kind"] == "argocd.prune") {
      EXPECT_EQ(e["details"]["propagation"], "foreground");
    }
  }
  const ResourceResult* r = h.state().find({"", "ConfigMap", "apps", "keep"}, SyncPhase::Sync);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->message, "ignored (no prune)");
}

TEST(Prune, AllowEmptyFalseRefusesAnAutomatedSyncThatWouldPruneEverything) {
  Harness h(automated(true, false, false));
  h.revisions["rev-1"] = {config_map("a")};
  h.refresh();
  h.op();
  h.revisions["rev-2"] = {};
  h.head = "rev-2";
  h.refresh();
  EXPECT_FALSE(h.ctrl.operation_running(h.app));
  EXPECT_EQ(h.count("argocd.auto-sync.skipped"), 1);
  EXPECT_NE(h.live("", "ConfigMap", "a"), nullptr);
  std::string msg = h.app_status()["conditions"][0]["message"];
  EXPECT_NE(msg.find("auto-sync will wipe out all resources"), std::string::npos);
}

TEST(Prune, AllowEmptyTrueLetsTheAutomatedSyncEmptyTheApp) {
  Harness h(automated(true, false, true));
  h.revisions["rev-1"] = {config_map("a")};
  h.refresh();
  h.op();
  h.revisions["rev-2"] = {};
  h.head = "rev-2";
  h.refresh();
  h.run_op(10'000);
  EXPECT_EQ(h.live("", "ConfigMap", "a"), nullptr);
}

// --- §7.2 automated sync, §7.3 self-heal ----------------------------------------------------------

TEST(AutoSync, AFailedRevisionIsNotAttemptedAgainButANewRevisionIs) {
  Harness h(json{{"automated", {{"prune", true}}}, {"retry", {{"limit", 0}}}});
  auto bad = config_map("x");
  bad.body()["metadata"]["namespace"] = "missing-ns";
  bad.refresh_identity();
  h.revisions["rev-1"] = {bad};
  h.refresh();
  h.op();
  EXPECT_EQ(h.state().phase, OperationPhase::Failed);
  h.refresh();
  h.refresh();
  EXPECT_EQ(h.count("argocd.sync.started"), 1);
  EXPECT_EQ(h.count("argocd.auto-sync.skipped"), 1);
  h.revisions["rev-2"] = {config_map("x")};
  h.head = "rev-2";
  h.refresh();
  EXPECT_EQ(h.count("argocd.sync.started"), 2);
}

TEST(AutoSync, WithoutSelfHealLiveDriftIsReportedButNotReverted) {
  Harness h(automated(true, false));
  h.revisions["rev-1"] = {config_map("cfg")};
  h.refresh();
  h.op();
  auto kubectl = h.cluster.client("kubectl");
  ASSERT_TRUE(kubectl.patch({"", "ConfigMap", "apps", "cfg"}, model::PatchType::Merge, json{{"data", {{"k", "edited"}}}}).ok());
  h.refresh();
  EXPECT_EQ(h.app_status()["sync"]["status"], "OutOfSync");
  EXPECT_EQ(h.count("argocd.sync.started"), 1);
  EXPECT_EQ(h.live("", "ConfigMap", "cfg")->body()["data"]["k"], "edited");
}

TEST(AutoSync, SelfHealSyncsOnlyTheDriftedResourcesWithoutHooksOrHistory) {
  Harness h(automated(true, true));
  h.revisions["rev-1"] = {config_map("a"), config_map("b"), job_hook("pre", "img:job-ok", "PreSync")};
  h.refresh();
  h.run_op(60'000);
  ASSERT_EQ(h.state().phase, OperationPhase::Succeeded);
  auto kubectl = h.cluster.client("kubectl");
  ASSERT_TRUE(kubectl.patch({"", "ConfigMap", "apps", "b"}, model::PatchType::Merge, json{{"data", {{"k", "edited"}}}}).ok());
  h.refresh();
  h.run_op(10'000);
  EXPECT_EQ(h.live("", "ConfigMap", "b")->body()["data"]["k"], "b");
  ASSERT_TRUE(h.state().request.resources.has_value());
  EXPECT_EQ(h.state().request.resources->size(), 1u);
  EXPECT_EQ(h.count("argocd.hook.created"), 1);  // only the first, full sync ran the hook
  EXPECT_EQ(h.app_status()["history"].size(), 1u);
  EXPECT_EQ(h.state().request.self_heal_attempts, 1);
}

TEST(AutoSync, ASecondSelfHealWaitsForTheBackoffFromThePreviousFinish) {
  Harness h(automated(true, true));
  h.revisions["rev-1"] = {config_map("cfg")};
  h.refresh();
  h.op();
  auto kubectl = h.cluster.client("kubectl");
  auto edit = [&](const char* v) {
    ASSERT_TRUE(kubectl.patch({"", "ConfigMap", "apps", "cfg"}, model::PatchType::Merge, json{{"data", {{"k", v}}}}).ok());
  };
  edit("one");
  h.refresh();  // first heal: immediate
  h.op();
  EXPECT_EQ(h.count("argocd.self-heal"), 1);
  h.advance(500);
  edit("two");
  AppOutcome o = h.refresh();
  EXPECT_EQ(h.count("argocd.self-heal"), 1);
  ASSERT_TRUE(o.refresh_after_ms.has_value());
  EXPECT_EQ(*o.refresh_after_ms, 1'500);  // 2 s after the previous operation finished
  h.advance(1'500);
  h.refresh();
  EXPECT_EQ(h.count("argocd.self-heal"), 2);
}

// --- §8 retry ---------------------------------------------------------------------------------------

TEST(Retry, EffectiveWaitsAreOneFactorLongerThanTheAnnouncedOnes) {
  Harness h(json{{"automated", {{"prune", true}}}});  // default automated retry: limit 5, 5s x2
  auto bad = config_map("x");
  bad.body()["metadata"]["namespace"] = "missing-ns";
  bad.refresh_identity();
  h.revisions["rev-1"] = {bad};
  h.refresh();
  for (int i = 0; i < 400 && h.ctrl.operation_running(h.app); ++i) {
    AppOutcome o = h.op();
    if (!o.operation_running) break;
    h.advance(o.operation_after_ms.value_or(1000));
  }
  std::vector<std::int64_t> retries;
  for (const auto& [t, e] : h.events)
    if (e["kind"] == "argocd.retry") retries.push_back(t);
  ASSERT_EQ(retries.size(), 5u);
  EXPECT_EQ(retries, (std::vector<std::int64_t>{10'000, 30'000, 70'000, 150'000, 310'000}));
  EXPECT_EQ(h.state().retry_count, 5);
  EXPECT_NE(h.state().message.find("(retried 5 times)."), std::string::npos);
}

TEST(Retry, ManualSyncsDoNotRetryByDefault) {
  Harness h(json::object());
  auto bad = config_map("x");
  bad.body()["metadata"]["namespace"] = "missing-ns";
  bad.refresh_identity();
  h.revisions["rev-1"] = {bad};
  ASSERT_TRUE(h.ctrl.sync(h.app, SyncRequest{}, h.env()).ok());
  AppOutcome o = h.op();
  EXPECT_FALSE(o.operation_running);
  EXPECT_EQ(h.state().phase, OperationPhase::Failed);
  EXPECT_EQ(h.count("argocd.retry"), 0);
}

// --- §12 history and rollback ---------------------------------------------------------------------

TEST(History, EntriesAreNumberedFromZeroAndTruncatedToRevisionHistoryLimit) {
  Harness h(json::object(), {}, json{{"revisionHistoryLimit", 2}});
  for (int i = 1; i <= 3; ++i) {
    std::string rev = "rev-" + std::to_string(i);
    h.revisions[rev] = {config_map("cfg-" + std::to_string(i))};
    SyncRequest req;
    req.revision = rev;
    ASSERT_TRUE(h.ctrl.sync(h.app, req, h.env()).ok());
    h.op();
  }
  h.refresh();
  json hist = h.app_status()["history"];
  ASSERT_EQ(hist.size(), 2u);
  EXPECT_EQ(hist[0]["id"], 1);
  EXPECT_EQ(hist[1]["id"], 2);
  EXPECT_EQ(hist[1]["revision"], "rev-3");
}

TEST(History, RollbackIsRefusedWhileAutomatedSyncIsEnabled) {
  Harness h(automated());
  h.revisions["rev-1"] = {config_map("cfg")};
  h.refresh();
  h.op();
  auto r = h.ctrl.rollback(h.app, 0, false, h.env());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "rollback cannot be initiated when auto-sync is enabled");
}

TEST(History, RollbackSyncsTheEntryRevisionWithoutHooksAndAddsAnEntry) {
  Harness h(json::object());
  h.revisions["rev-1"] = {config_map("cfg"), job_hook("pre", "img:job-ok", "PreSync")};
  h.revisions["rev-2"] = {config_map("cfg2"), job_hook("pre", "img:job-ok", "PreSync")};
  for (const char* rev : {"rev-1", "rev-2"}) {
    SyncRequest req;
    req.revision = rev;
    ASSERT_TRUE(h.ctrl.sync(h.app, req, h.env()).ok());
    h.run_op(60'000);
  }
  EXPECT_EQ(h.count("argocd.hook.created"), 2);
  EXPECT_FALSE(h.ctrl.rollback(h.app, 7, false, h.env()).ok());
  ASSERT_TRUE(h.ctrl.rollback(h.app, std::nullopt, false, h.env()).ok());  // second-to-last = id 0
  h.run_op(10'000);
  EXPECT_EQ(h.state().phase, OperationPhase::Succeeded);
  EXPECT_EQ(h.state().sync_revision, "rev-1");
  EXPECT_EQ(h.count("argocd.hook.created"), 2);  // apply strategy: no hooks
  h.refresh();
  json hist = h.app_status()["history"];
  ASSERT_EQ(hist.size(), 3u);
  EXPECT_EQ(hist[2]["revision"], "rev-1");
  EXPECT_EQ(h.app_status()["sync"]["status"], "OutOfSync");  // the target is still rev-2
}

TEST(Operations, ASecondSyncIsRefusedWhileOneIsInProgress) {
  Harness h(json::object());
  h.revisions["rev-1"] = {job_hook("long", "img:never-ready", "PreSync")};
  ASSERT_TRUE(h.ctrl.sync(h.app, SyncRequest{}, h.env()).ok());
  h.op();
  auto r = h.ctrl.sync(h.app, SyncRequest{}, h.env());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "another operation is already in progress");
}

TEST(OperationState, SerializesUpstreamFieldNames) {
  Harness h(json::object());
  h.revisions["rev-1"] = {config_map("cfg")};
  SyncRequest req;
  req.initiated_by = "admin";
  ASSERT_TRUE(h.ctrl.sync(h.app, req, h.env()).ok());
  h.op();
  json st = h.app_status()["operationState"];
  EXPECT_EQ(st["phase"], "Succeeded");
  EXPECT_EQ(st["operation"]["initiatedBy"]["username"], "admin");
  EXPECT_EQ(st["syncResult"]["revision"], "rev-1");
  EXPECT_EQ(st["syncResult"]["resources"][0]["status"], "Synced");
  EXPECT_EQ(st["startedAt"], "2025-01-01T00:00:00Z");
}

TEST(FormatUnixMs, IsRfc3339Utc) {
  EXPECT_EQ(format_unix_ms(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_unix_ms(1735689600000 + 90'500), "2025-01-01T00:01:30Z");
  EXPECT_EQ(format_unix_ms(951782400000), "2000-02-29T00:00:00Z");
}

// --- the simulation adapter's settings ------------------------------------------------------------

TEST(ArgoCdSettings, UnknownKeysAndBadDurationsAreReportedAtTheSettingsPosition) {
  sim::ControllerCatalog catalog;
  sim::register_argocd(catalog);
  const sim::ControllerFactory* f = catalog.find("argocd");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->tools, (std::vector<std::string>{"argocd"}));
  model::SourcePos pos{"s.yaml", 12, 5};
  model::Diagnostics diags;
  EXPECT_EQ(f->create(json{{"reconcilationTimeout", "3m"}}, pos, diags), nullptr);
  ASSERT_TRUE(diags.has_errors());
  EXPECT_NE(diags.format().find("s.yaml:12:5"), std::string::npos);
  EXPECT_NE(diags.format().find("reconcilationTimeout"), std::string::npos);
  model::Diagnostics d2;
  EXPECT_EQ(f->create(json{{"jitter", "soon"}}, pos, d2), nullptr);
  model::Diagnostics d3;
  EXPECT_NE(f->create(json{{"reconciliationTimeout", "180s"}, {"jitter", 0}, {"selfHealBackoffFactor", 2}}, pos, d3), nullptr);
  EXPECT_FALSE(d3.has_errors());
}

}  // namespace
}  // namespace rehearse::argocd
