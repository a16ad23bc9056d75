// Built-in workload controllers against the upstream controllers' arithmetic and status.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/cluster/cluster.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"

using nlohmann::json;
using namespace rehearse;
using namespace rehearse::cluster;
using model::Object;
using model::ObjectKey;

namespace {

struct Sim {
  sim::EventQueue q;
  std::unique_ptr<Cluster> cluster;
  explicit Sim(ClusterSettings s = {}) { cluster = std::make_unique<Cluster>(q, sim::Rng(7), nullptr, s); }
  ApiClient kubectl() { return cluster->client("kubectl"); }
  void run_for(sim::SimDuration d) {
    auto stop = q.run_until(q.now() + d, 2'000'000);
    ASSERT_NE(stop, sim::EventQueue::Stop::EventBudgetExhausted);
  }
  json get(const char* group, const char* kind, const char* name) {
    auto r = cluster->api().get(ObjectKey{group, kind, "default", name});
    return r.ok() ? r->body() : json();
  }
  std::vector<Object> pods() {
    model::ListOptions lo;
    lo.kind = "Pod";
    lo.ns = "default";
    return cluster->api().list(lo);
  }
};

json deployment(int replicas, const std::string& image, const char* extra = "{}") {
  json d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"app"}]}}}})");
  d["spec"]["replicas"] = replicas;
  d["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  d["spec"].update(json::parse(extra));
  return d;
}

const json* condition(const json& obj, const char* type) {
  if (!obj.contains("status") || !obj["status"].contains("conditions")) return nullptr;
  for (const auto& c : obj["status"]["conditions"])
    if (c["type"] == type) return &c;
  return nullptr;
}

}  // namespace

TEST(Fenceposts, SurgeRoundsUpUnavailableRoundsDownBothZeroMeansOneUnavailable) {
  EXPECT_EQ(resolve_fenceposts("25%", "25%", 10), std::make_pair(3, 2));
  EXPECT_EQ(resolve_fenceposts("25%", "25%", 1), std::make_pair(1, 0));
  EXPECT_EQ(resolve_fenceposts(0, 0, 5), std::make_pair(0, 1));
  EXPECT_EQ(resolve_fenceposts("0%", "0%", 5), std::make_pair(0, 1));
  EXPECT_EQ(resolve_fenceposts(2, "50%", 5), std::make_pair(2, 2));
}

TEST(PodTemplateHash, IsDeterministicSafeEncodedAndIgnoresItsOwnLabel) {
  json t = json::parse(R"({"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"x:1"}]}})");
  std::string h = pod_template_hash(t);
  EXPECT_GE(h.size(), 1u);
  EXPECT_LE(h.size(), 10u);
  EXPECT_EQ(h.find_first_not_of("bcdfghjklmnpqrstvwxz2456789"), std::string::npos);
  json labelled = t;
  labelled["metadata"]["labels"]["pod-template-hash"] = h;
  EXPECT_EQ(pod_template_hash(labelled), h);
  t["spec"]["containers"][0]["image"] = "x:2";
  EXPECT_NE(pod_template_hash(t), h);
}

TEST(WorkloadProfiles, FirstMatchingGlobWins) {
  WorkloadProfiles p;
  p.add("*:broken*", WorkloadProfile::never_ready());
  p.add("ghcr.io/acme/*", WorkloadProfile::ready_after(sim::seconds(30)));
  EXPECT_EQ(p.lookup("ghcr.io/acme/api:broken-1").behavior, WorkloadProfile::Behavior::NeverReady);
  EXPECT_EQ(p.lookup("ghcr.io/acme/api:1").duration, sim::seconds(30));
  EXPECT_EQ(p.lookup("nginx").duration, sim::seconds(0));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a", "ab"));
}

TEST(Deployment, CreatesAReplicaSetAndBecomesAvailable) {
  ClusterSettings s;
  s.profiles.add("web:*", WorkloadProfile::ready_after(sim::seconds(5)));
  Sim sim(s);
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(deployment(3, "web:1"))}).ok());
  sim.run_for(sim::seconds(2));
  json d = sim.get("apps", "Deployment", "web");
  EXPECT_EQ(sim.pods().size(), 3u);
  const json* prog = condition(d, "Progressing");
  ASSERT_NE(prog, nullptr);
  EXPECT_EQ((*prog)["reason"], "ReplicaSetUpdated");
  EXPECT_EQ((*condition(d, "Available"))["status"], "False");
  EXPECT_EQ(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
  sim.run_for(sim::seconds(10));
  d = sim.get("apps", "Deployment", "web");
  EXPECT_EQ(d["status"]["availableReplicas"], 3);
  EXPECT_EQ(d["status"]["updatedReplicas"], 3);
  EXPECT_EQ(d["status"]["readyReplicas"], 3);
  EXPECT_FALSE(d["status"].contains("unavailableReplicas"));
  EXPECT_EQ(d["status"]["observedGeneration"], 1);
  EXPECT_EQ((*condition(d, "Available"))["reason"], "MinimumReplicasAvailable");
  EXPECT_EQ((*condition(d, "Progressing"))["reason"], "NewReplicaSetAvailable");
  // The ReplicaSet is <deploy>-<pod-template-hash>; pods <rs>-<5 chars>.
  std::string hash = sim.pods()[0].body()["metadata"]["labels"]["pod-template-hash"];
  std::string rs = "web-" + hash;
  EXPECT_TRUE(sim.cluster->api().get(ObjectKey{"apps", "ReplicaSet", "default", rs}).ok());
  EXPECT_EQ(sim.pods()[0].name().size(), rs.size() + 6);
  EXPECT_EQ(sim.pods()[0].body()["status"]["phase"], "Running");
}

TEST(Deployment, RollingUpdateOfTenReplicasKeepsAtMostThirteenPodsAndEightAvailable) {
  ClusterSettings s;
  s.profiles.add("web:*", WorkloadProfile::ready_after(sim::seconds(5)));
  Sim sim(s);
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(deployment(10, "web:1"))}).ok());
  sim.run_for(sim::seconds(30));
  ASSERT_EQ(sim.get("apps", "Deployment", "web")["status"]["availableReplicas"], 10);

  int max_pods = 0, min_ready = 100;
  sim.cluster->api().watch("", "Pod", [&](WatchType, const Object&, std::string_view) {
    int total = 0, ready = 0;
    for (const auto& p : sim.pods()) {
      ++total;
      if (!p.body().contains("status")) continue;
      for (const auto& c : p.body()["status"].value("conditions", json::array()))
        if (c["type"] == "Ready" && c["status"] == "True") ++ready;
    }
    max_pods = std::max(max_pods, total);
    min_ready = std::min(min_ready, ready);
  });
  ASSERT_TRUE(sim.kubectl()
                  .patch(ObjectKey{"apps", "Deployment", "default", "web"}, model::PatchType::StrategicMerge,
                         json::parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"web:2"}]}}}})"))
                  .ok());
  sim.run_for(sim::minutes(3));
  EXPECT_EQ(max_pods, 13);
  EXPECT_EQ(min_ready, 8);
  json d = sim.get("apps", "Deployment", "web");
  EXPECT_EQ(d["status"]["updatedReplicas"], 10);
  EXPECT_EQ(d["status"]["replicas"], 10);
  EXPECT_EQ(d["status"]["availableReplicas"], 10);
  EXPECT_EQ(d["status"]["observedGeneration"], 2);
  EXPECT_EQ((*condition(d, "Progressing"))["reason"], "NewReplicaSetAvailable");
  EXPECT_EQ(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  model::ListOptions lo;
  lo.group = "apps";
  lo.kind = "ReplicaSet";
  auto rss = sim.cluster->api().list(lo);
  ASSERT_EQ(rss.size(), 2u);  // the old one is kept (revisionHistoryLimit 10) at 0 replicas
  for (const auto& rs : rss) {
    if (rs.body()["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1") {
      EXPECT_EQ(rs.body()["spec"]["replicas"], 0);
    }
  }
  for (const auto& p : sim.pods())
    EXPECT_EQ(p.body()["spec"]["containers"][0]["image"], "web:2");
}

TEST(Deployment, ANeverReadyImageStallsAndExceedsTheProgressDeadline) {
  ClusterSettings s;
  s.profiles.add("web:bad", WorkloadProfile::never_ready());
  Sim sim(s);
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(deployment(10, "web:1"))}).ok());
  sim.run_for(sim::seconds(30));
  ASSERT_TRUE(sim.kubectl()
                  .patch(ObjectKey{"apps", "Deployment", "default", "web"}, model::PatchType::StrategicMerge,
                         json::parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"web:bad"}]}}}})"))
                  .ok());
  sim.run_for(sim::seconds(60));
  json d = sim.get("apps", "Deployment", "web");
  // maxUnavailable (2) old pods are gone; maxSurge allows 13 pods: 8 old + 5 new.
  EXPECT_EQ(d["status"]["replicas"], 13);
  EXPECT_EQ(d["status"]["updatedReplicas"], 5);
  EXPECT_EQ(d["status"]["availableReplicas"], 8);
  EXPECT_EQ(d["status"]["unavailableReplicas"], 5);
  EXPECT_EQ((*condition(d, "Available"))["status"], "True");  // 8 >= 10 - 2
  EXPECT_EQ((*condition(d, "Progressing"))["status"], "True");
  sim.run_for(sim::seconds(480));  // 540 s after the last progress: still within 600 s
  d = sim.get("apps", "Deployment", "web");
  EXPECT_EQ((*condition(d, "Progressing"))["reason"], "ReplicaSetUpdated");
  sim.run_for(sim::seconds(120));
  d = sim.get("apps", "Deployment", "web");
  const json* prog = condition(d, "Progressing");
  ASSERT_NE(prog, nullptr);
  EXPECT_EQ((*prog)["status"], "False");
  EXPECT_EQ((*prog)["reason"], "ProgressDeadlineExceeded");
  EXPECT_NE((*prog)["message"].get<std::string>().find("has timed out progressing"), std::string::npos);
}

TEST(Deployment, ScaleDownDeletesPods) {
  Sim sim;
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(deployment(5, "web:1"))}).ok());
  sim.run_for(sim::seconds(5));
  ASSERT_EQ(sim.pods().size(), 5u);
  ASSERT_TRUE(sim.kubectl()
                  .patch(ObjectKey{"apps", "Deployment", "default", "web"}, model::PatchType::Merge,
                         json::parse(R"({"spec":{"replicas":2}})"))
                  .ok());
  sim.run_for(sim::seconds(5));
  EXPECT_EQ(sim.pods().size(), 2u);
  EXPECT_EQ(sim.get("apps", "Deployment", "web")["status"]["availableReplicas"], 2);
  // Deleting the Deployment garbage-collects its ReplicaSet and pods.
  ASSERT_TRUE(sim.kubectl().remove(ObjectKey{"apps", "Deployment", "default", "web"}, {}).ok());
  sim.run_for(sim::seconds(5));
  EXPECT_TRUE(sim.pods().empty());
}

TEST(Deployment, RecreateRemovesOldPodsBeforeCreatingNewOnes) {
  Sim sim;
  ASSERT_TRUE(sim.kubectl()
                  .create(Object{model::JsonBox(deployment(3, "web:1", R"({"strategy":{"type":"Recreate"}})"))})
                  .ok());
  sim.run_for(sim::seconds(5));
  bool mixed = false;
  sim.cluster->api().watch("", "Pod", [&](WatchType, const Object&, std::string_view) {
    bool v1 = false, v2 = false;
    for (const auto& p : sim.pods()) {
      if (p.body()["spec"]["containers"][0]["image"] == "web:1") v1 = true;
      else v2 = true;
    }
    mixed = mixed || (v1 && v2);
  });
  ASSERT_TRUE(sim.kubectl()
                  .patch(ObjectKey{"apps", "Deployment", "default", "web"}, model::PatchType::StrategicMerge,
                         json::parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"web:2"}]}}}})"))
                  .ok());
  sim.run_for(sim::seconds(30));
  EXPECT_FALSE(mixed);
  EXPECT_EQ(sim.pods().size(), 3u);
  EXPECT_EQ(sim.get("apps", "Deployment", "web")["status"]["updatedReplicas"], 3);
  EXPECT_FALSE(sim.get("apps", "Deployment", "web")["spec"]["strategy"].contains("rollingUpdate"));
}

namespace {
json job(const char* image, int backoff_limit) {
  json j = json::parse(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"train","namespace":"default"},
    "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"t"}]}}}})");
  j["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  j["spec"]["backoffLimit"] = backoff_limit;
  return j;
}
}  // namespace

TEST(Job, CompletesAfterTheProfileDuration) {
  ClusterSettings s;
  s.profiles.add("trainer:*", WorkloadProfile::ready_after(sim::seconds(30)));
  Sim sim(s);
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(job("trainer:1", 6))}).ok());
  sim.run_for(sim::seconds(10));
  json j = sim.get("batch", "Job", "train");
  EXPECT_EQ(j["status"]["active"], 1);
  EXPECT_EQ(condition(j, "Complete"), nullptr);
  EXPECT_EQ(j["spec"]["template"]["metadata"]["labels"]["job-name"], "train");
  sim.run_for(sim::seconds(30));
  j = sim.get("batch", "Job", "train");
  ASSERT_NE(condition(j, "Complete"), nullptr);
  EXPECT_EQ((*condition(j, "Complete"))["status"], "True");
  EXPECT_EQ(j["status"]["succeeded"], 1);
  EXPECT_FALSE(j["status"].contains("active"));
  EXPECT_TRUE(j["status"].contains("completionTime"));
}

TEST(Job, FailsWithBackoffLimitExceededAfterBackoffLimitPlusOneFailures) {
  ClusterSettings s;
  s.profiles.add("trainer:bad", WorkloadProfile::exits_with_failure(sim::seconds(1)));
  Sim sim(s);
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(job("trainer:bad", 2))}).ok());
  sim.run_for(sim::seconds(5));
  json j = sim.get("batch", "Job", "train");
  EXPECT_EQ(j["status"]["failed"], 1);
  EXPECT_EQ(condition(j, "Failed"), nullptr);
  sim.run_for(sim::minutes(5));
  j = sim.get("batch", "Job", "train");
  const json* failed = condition(j, "Failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ((*failed)["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(j["status"]["failed"], 3);
  EXPECT_EQ(sim.pods().size(), 3u);
}

TEST(Pod, CrashLoopGrowsRestartCountWithCrashLoopBackOff) {
  ClusterSettings s;
  s.profiles.add("api:crash", WorkloadProfile::crash_loop(sim::seconds(2)));
  Sim sim(s);
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(deployment(1, "api:crash"))}).ok());
  sim.run_for(sim::minutes(3));
  auto pods = sim.pods();
  ASSERT_EQ(pods.size(), 1u);
  const json& cs = pods[0].body()["status"]["containerStatuses"][0];
  EXPECT_GE(cs["restartCount"].get<int>(), 3);
  EXPECT_FALSE(cs["ready"].get<bool>());
  bool waiting = cs["state"].contains("waiting");
  if (waiting) {
    EXPECT_EQ(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
  }
  EXPECT_TRUE(cs.contains("lastState"));
}

TEST(StatefulSet, CreatesPodsInOrderAndReportsRevisions) {
  ClusterSettings s;
  s.profiles.add("db:*", WorkloadProfile::ready_after(sim::seconds(10)));
  Sim sim(s);
  json sts = json::parse(R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"default"},
    "spec":{"replicas":3,"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
    "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"db:1"}]}},
    "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1Gi"}}}}]}})");
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(sts)}).ok());
  sim.run_for(sim::seconds(5));
  auto pods = sim.pods();
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].name(), "db-0");
  sim.run_for(sim::seconds(40));
  pods = sim.pods();
  ASSERT_EQ(pods.size(), 3u);
  json st = sim.get("apps", "StatefulSet", "db");
  EXPECT_EQ(st["status"]["readyReplicas"], 3);
  EXPECT_EQ(st["status"]["currentRevision"], st["status"]["updateRevision"]);
  EXPECT_EQ(st["status"]["observedGeneration"], 1);
  json pvc = sim.get("", "PersistentVolumeClaim", "data-db-0");
  EXPECT_EQ(pvc["status"]["phase"], "Bound");
}

TEST(DaemonSet, RunsOnePodPerNode) {
  ClusterSettings s;
  s.nodes = 3;
  Sim sim(s);
  json ds = json::parse(R"({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"default"},
    "spec":{"selector":{"matchLabels":{"app":"agent"}},
    "template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"a","image":"agent:1"}]}}}})");
  ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(ds)}).ok());
  sim.run_for(sim::seconds(5));
  json d = sim.get("apps", "DaemonSet", "agent");
  EXPECT_EQ(d["status"]["desiredNumberScheduled"], 3);
  EXPECT_EQ(d["status"]["numberReady"], 3);
  EXPECT_EQ(d["status"]["updatedNumberScheduled"], 3);
  EXPECT_EQ(d["status"]["observedGeneration"], 1);
  EXPECT_EQ(sim.pods().size(), 3u);
}

TEST(Cluster, SameSeedGivesTheSameObjects) {
  std::string dumps[2];
  for (auto& out : dumps) {
    Sim sim;
    ASSERT_TRUE(sim.kubectl().create(Object{model::JsonBox(deployment(3, "web:1"))}).ok());
    sim.run_for(sim::seconds(10));
    for (const auto& p : sim.pods()) out += p.body().dump();
  }
  EXPECT_EQ(dumps[0], dumps[1]);
}
