// KustomizationController change tracking (track_changes / object_changed): a settled
// Kustomization only requeues, and a write by someone else to one of its objects (kubectl
// drift) makes the next pass a full one that restores the field Flux manages (flux.md §3.6:
// drift in managed fields is corrected at the next interval).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/flux/kustomization_controller.hpp"
#include "engine/kustomize/file_source.hpp"
#include "sim/cluster/cluster.hpp"

namespace rehearse::flux {
namespace {

using nlohmann::json;

struct World {
  sim::EventQueue queue;
  cluster::Cluster cluster{queue, sim::Rng(1), nullptr};
  kustomize::MemoryFileSource files;
  KustomizationController controller;
  int artifact_fetches = 0;

  World() {
    auto setup = cluster.client("setup");
    for (const char* ns : {"flux-system", "apps"})
      (void)setup.create(model::Object(model::JsonBox(json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})));
    auto r = setup.create(model::Object(model::JsonBox(json{
        {"apiVersion", "source.toolkit.fluxcd.io/v1"}, {"kind", "GitRepository"},
        {"metadata", {{"name", "repo"}, {"namespace", "flux-system"}}}, {"spec", {{"interval", "1m"}, {"url", "ssh://x"}}}})));
    r->body()["status"] = {{"artifact", {{"revision", "main@sha1:0123"}}}};
    (void)setup.update_status(*r);
    files.add("/repo/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: apps}\ndata: {k: v}\n");
    (void)setup.create(model::Object(model::JsonBox(json{
        {"apiVersion", "kustomize.toolkit.fluxcd.io/v1"}, {"kind", "Kustomization"},
        {"metadata", {{"name", "app"}, {"namespace", "flux-system"}}},
        {"spec", {{"interval", "5m"}, {"path", "./app"}, {"prune", true}, {"sourceRef", {{"kind", "GitRepository"}, {"name", "repo"}}}}}})));
    controller.track_changes(true);
    cluster.api().watch("", "", [this](cluster::WatchType, const model::Object& o, std::string_view) {
      controller.object_changed(o.key());
    });
  }

  ReconcileOutcome pass() {
    auto client = cluster.client("kustomize-controller");
    KustomizeEnv e;
    e.client = &client;
    e.now = queue.now();
    e.jitter_percent = 0;
    e.artifact = [this](const model::Object&, const std::string& rev) {
      ++artifact_fetches;
      return std::optional<Artifact>(Artifact{&files, "/repo", rev});
    };
    e.find = [this](const model::ObjectKey& k) { return cluster.api().find(k); };
    return controller.reconcile(kustomization_key("flux-system", "app"), e);
  }

  std::string value() {
    auto o = cluster.api().find({"", "ConfigMap", "apps", "cfg"});
    return o ? o->body()["data"].value("k", "") : "";
  }
};

TEST(FluxChangeTracking, ASettledKustomizationOnlyRequeuesUntilDriftUnsettlesIt) {
  World w;
  auto first = w.pass();  // applies, writes status
  EXPECT_FALSE(first.events.empty());
  (void)w.pass();         // full pass, nothing written: settles
  int fetches = w.artifact_fetches;
  auto settled = w.pass();
  EXPECT_EQ(w.artifact_fetches, fetches);  // no full pass
  EXPECT_TRUE(settled.events.empty());
  ASSERT_TRUE(settled.requeue_after.has_value());
  EXPECT_EQ(*settled.requeue_after, sim::minutes(5));

  // kubectl edits a field Flux manages: the next pass is a full one and corrects it.
  auto kubectl = w.cluster.client("kubectl");
  ASSERT_TRUE(kubectl.patch({"", "ConfigMap", "apps", "cfg"}, model::PatchType::Merge, json{{"data", {{"k", "edited"}}}}).ok());
  EXPECT_EQ(w.value(), "edited");
  auto corrected = w.pass();
  EXPECT_GT(w.artifact_fetches, fetches);
  EXPECT_EQ(w.value(), "v");
  bool drift = false;
  for (const auto& e : corrected.events) drift = drift || e.kind == "flux.kustomization.drift-corrected";
  EXPECT_TRUE(drift);
}

TEST(FluxChangeTracking, AWriteToTheKustomizationItselfUnsettlesIt) {
  World w;
  (void)w.pass();
  (void)w.pass();
  int fetches = w.artifact_fetches;
  auto kubectl = w.cluster.client("kubectl");
  ASSERT_TRUE(kubectl.patch(kustomization_key("flux-system", "app"), model::PatchType::Merge,
                            json{{"spec", {{"interval", "10m"}}}}).ok());
  auto out = w.pass();
  EXPECT_GT(w.artifact_fetches, fetches);
  ASSERT_TRUE(out.requeue_after.has_value());
  EXPECT_EQ(*out.requeue_after, sim::minutes(10));
}

}  // namespace
}  // namespace rehearse::flux
