// The Rollout controller keeps what it read from ReplicaSets between reconciles
// (RolloutController::Caches). These tests change ReplicaSets outside the controller
// between two passes and check that the next pass sees the change, not the cached read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/rollouts/rollout_controller.hpp"
#include "tests/rollouts/fake_cluster.hpp"

using namespace rehearse;
using namespace rehearse::rollouts;
using nlohmann::json;
using rehearse::rollouts::testing::Sim;

namespace {

const char* kRollout = R"(
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:v1"}]}
  strategy:
    canary:
      steps:
      - setWeight: 50
      - pause: {}
)";

const model::ObjectKey kKey{"argoproj.io", "Rollout", "shop", "web"};

json status(Sim& sim) { return sim.cluster.get(kKey)->body()["status"]; }

model::ObjectKey stable_rs_key(Sim& sim) {
  return {"apps", "ReplicaSet", "shop", "web-" + status(sim)["stableRS"].get<std::string>()};
}

bool has_event(const ReconcileResult& r, const std::string& text) {
  for (const auto& e : r.events)
    if (e == text) return true;
  return false;
}

Sim deployed() {
  Sim sim;
  sim.load(kRollout);
  sim.run_for(sim::seconds(5));
  return sim;
}

}  // namespace

TEST(RolloutReplicaSetCache, SpecChangedThroughTheClientIsSeenByTheNextPass) {
  Sim sim = deployed();
  ASSERT_EQ(status(sim)["phase"], "Healthy");
  const model::ObjectKey rs = stable_rs_key(sim);
  json body = sim.cluster.get(rs)->body();
  body["spec"]["replicas"] = 2;
  ASSERT_TRUE(sim.cluster.update(model::Object(model::JsonBox(body))).ok());
  ReconcileResult r = sim.rollouts.reconcile(sim.cluster, kKey, sim.now);
  EXPECT_TRUE(has_event(r, "ScalingReplicaSet: Scaled up ReplicaSet " + rs.name + " from 2 to 4"))
      << json(r.events).dump();
}

TEST(RolloutReplicaSetCache, StatusWrittenInPlaceWithoutANewResourceVersionIsSeen) {
  Sim sim = deployed();
  ASSERT_EQ(status(sim)["availableReplicas"], 4);
  // The stand-in ReplicaSet controller's way: in place, resourceVersion unchanged.
  model::Object& rs = sim.cluster.at(stable_rs_key(sim));
  rs.body()["status"] = {{"replicas", 4}, {"readyReplicas", 1}, {"availableReplicas", 1}};
  rs.freeze();
  (void)sim.rollouts.reconcile(sim.cluster, kKey, sim.now);
  EXPECT_EQ(status(sim)["availableReplicas"], 1);
  EXPECT_EQ(status(sim)["readyReplicas"], 1);
}

TEST(RolloutReplicaSetCache, ReplicaSetDeletedAndRecreatedWithTheSameNameIsSeen) {
  Sim sim = deployed();
  const model::ObjectKey rs = stable_rs_key(sim);
  json body = sim.cluster.get(rs)->body();
  ASSERT_TRUE(sim.cluster.remove(rs, model::DeleteOptions{}).ok());
  body["metadata"].erase("resourceVersion");
  body["metadata"].erase("uid");
  body["spec"]["replicas"] = 1;
  ASSERT_TRUE(sim.cluster.create(model::Object(model::JsonBox(body))).ok());
  ReconcileResult r = sim.rollouts.reconcile(sim.cluster, kKey, sim.now);
  EXPECT_TRUE(has_event(r, "ScalingReplicaSet: Scaled up ReplicaSet " + rs.name + " from 1 to 4"))
      << json(r.events).dump();
}

// A status write through the store gives the ReplicaSet a new stamp (Object::stamp): the
// next pass reads it again instead of the body it read before.
TEST(RolloutReplicaSetCache, StatusWrittenThroughTheStoreIsSeen) {
  Sim sim = deployed();
  ASSERT_EQ(status(sim)["availableReplicas"], 4);
  model::Object& rs = sim.cluster.at(stable_rs_key(sim));
  const std::uint64_t before = rs.stamp();
  sim.cluster.write_status_in_place(rs, {{"replicas", 4}, {"readyReplicas", 2}, {"availableReplicas", 2}});
  ASSERT_NE(rs.stamp(), before);
  (void)sim.rollouts.reconcile(sim.cluster, kKey, sim.now);
  EXPECT_EQ(status(sim)["availableReplicas"], 2);
}

// The run history keeps what it read of each AnalysisRun per stamp: a run changed through
// the client is read again. Here a kept run loses its pod template hash label, which
// FilterAnalysisRunsToDelete (utils/analysis/filter.go) deletes.
TEST(RolloutRunCache, RunChangedThroughTheClientIsReadAgain) {
  Sim sim = deployed();
  const std::string hash = status(sim)["stableRS"];
  const std::string uid = sim.cluster.get(kKey)->body()["metadata"]["uid"];
  json run = {{"apiVersion", "argoproj.io/v1alpha1"},
              {"kind", "AnalysisRun"},
              {"metadata",
               {{"name", "web-old-1"},
                {"namespace", "shop"},
                {"labels", {{kPodTemplateHashLabel, hash}}},
                {"ownerReferences", json::array({{{"apiVersion", "argoproj.io/v1alpha1"},
                                                  {"kind", "Rollout"},
                                                  {"name", "web"},
                                                  {"uid", uid},
                                                  {"controller", true}}})}}},
              {"spec", {{"metrics", json::array()}}}};
  ASSERT_TRUE(sim.cluster.create(model::Object(model::JsonBox(run))).ok());
  const model::ObjectKey key{"argoproj.io", "AnalysisRun", "shop", "web-old-1"};
  ASSERT_TRUE(sim.cluster.edit_status(key, [](json& st) { st["phase"] = "Successful"; }).ok());
  (void)sim.rollouts.reconcile(sim.cluster, kKey, sim.now);
  ASSERT_NE(sim.cluster.find(key), nullptr) << "a Successful run of the stable ReplicaSet is kept";
  model::Object changed = *sim.cluster.find(key);
  changed.body()["metadata"]["labels"].erase(kPodTemplateHashLabel);
  ASSERT_TRUE(sim.cluster.update(std::move(changed)).ok());
  (void)sim.rollouts.reconcile(sim.cluster, kKey, sim.now);
  EXPECT_EQ(sim.cluster.find(key), nullptr) << "a run without a pod template hash label is deleted";
}
