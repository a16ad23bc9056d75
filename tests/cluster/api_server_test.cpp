// The fake API server against the Kubernetes API's documented behaviour.

#include "sim/cluster/api_server.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/cluster/cluster.hpp"
#include "sim/cluster/defaults.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"
#include "sim/kernel/trace.hpp"

using nlohmann::json;
using namespace rehearse;
using namespace rehearse::cluster;
using model::Object;
using model::ObjectKey;

namespace {

Object obj(const char* text) { return Object{model::JsonBox(json::parse(text))}; }

struct Fixture {
  sim::EventQueue q;
  sim::Trace trace;
  ClusterSettings settings;
  std::unique_ptr<Cluster> cluster;
  Fixture() { cluster = std::make_unique<Cluster>(q, sim::Rng(42), &trace, settings); }
  ApiServer& api() { return cluster->api(); }
  void run(sim::SimDuration d) { (void)q.run_until(q.now() + d, 1'000'000); }
};

const char* kConfigMap =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},"data":{"a":"1"}})";

std::uint64_t rv_of(const Object& o) {
  return std::stoull(o.body()["metadata"]["resourceVersion"].get<std::string>());
}

}  // namespace

TEST(ApiServer, ResourceVersionIsClusterWideAndMonotonic) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto a = kubectl.create(obj(kConfigMap));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = kubectl.create(obj(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"default"}})"));
  ASSERT_TRUE(b.ok());
  EXPECT_GT(rv_of(*b), rv_of(*a));
  json body = a->body();
  body["data"]["a"] = "2";
  auto c = kubectl.update(Object{model::JsonBox(body)});
  ASSERT_TRUE(c.ok());
  EXPECT_GT(rv_of(*c), rv_of(*b));
  EXPECT_TRUE(a->body()["metadata"]["resourceVersion"].is_string());
  // uid and creationTimestamp are set once.
  EXPECT_EQ(c->body()["metadata"]["uid"], a->body()["metadata"]["uid"]);
  EXPECT_EQ(a->body()["metadata"]["creationTimestamp"], "2025-01-01T00:00:00Z");
  EXPECT_EQ(b->body()["type"], "Opaque");
}

TEST(ApiServer, StaleResourceVersionIsAConflict) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto a = kubectl.create(obj(kConfigMap));
  ASSERT_TRUE(a.ok());
  json first = a->body(), second = a->body();
  first["data"]["a"] = "x";
  ASSERT_TRUE(kubectl.update(Object{model::JsonBox(first)}).ok());
  second["data"]["a"] = "y";
  auto r = kubectl.update(Object{model::JsonBox(second)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "Conflict");
  EXPECT_EQ(r.error().http_status, 409);
  EXPECT_NE(r.error().message.find("the object has been modified"), std::string::npos);
  // Without a resourceVersion the update is unconditional.
  second["metadata"].erase("resourceVersion");
  EXPECT_TRUE(kubectl.update(Object{model::JsonBox(second)}).ok());
}

// The Deployment most tests here write: web:1, selector app=web, no replicas (defaulted).
static Object web_deployment() {
  return obj(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"app","image":"web:1"}]}}}})");
}

TEST(ApiServer, GenerationMovesOnSpecChangesOnly) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto d = kubectl.create(web_deployment());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->body()["metadata"]["generation"], 1);
  auto labelled = kubectl.patch(d->key(), model::PatchType::Merge, json::parse(R"({"metadata":{"labels":{"team":"ml"}}})"));
  ASSERT_TRUE(labelled.ok());
  EXPECT_EQ(labelled->body()["metadata"]["generation"], 1);
  auto scaled = kubectl.patch(d->key(), model::PatchType::Merge, json::parse(R"({"spec":{"replicas":3}})"));
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->body()["metadata"]["generation"], 2);
  json st = scaled->body();
  st["status"] = {{"observedGeneration", 2}};
  auto status = kubectl.update_status(Object{model::JsonBox(st)});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->body()["metadata"]["generation"], 2);
  // A no-op write changes nothing: same resourceVersion.
  auto again = kubectl.patch(d->key(), model::PatchType::Merge, json::parse(R"({"spec":{"replicas":3}})"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body()["metadata"]["resourceVersion"], f.api().get(d->key())->body()["metadata"]["resourceVersion"]);
}

// PATCH on the status subresource (kubectl patch --subresource=status): the patch is written
// against the whole object, only the status changes, and the spec generation stays.
TEST(ApiServer, StatusPatchChangesOnlyTheStatus) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto d = kubectl.create(web_deployment());
  ASSERT_TRUE(d.ok()) << d.error().message;
  auto patched = kubectl.patch_status(d->key(), model::PatchType::JsonPatch, json::parse(R"([
    {"op":"add","path":"/status","value":{"observedGeneration":1,"conditions":[]}},
    {"op":"add","path":"/status/conditions/-","value":{"type":"Available","status":"True"}},
    {"op":"replace","path":"/spec/replicas","value":9}])"));
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ(patched->body()["status"]["conditions"][0]["type"], "Available");
  EXPECT_EQ(patched->body()["spec"]["replicas"], 1);  // not the status: ignored
  EXPECT_EQ(patched->body()["metadata"]["generation"], 1);
  EXPECT_NE(patched->body()["metadata"]["resourceVersion"], d->body()["metadata"]["resourceVersion"]);
  auto bad = kubectl.patch_status(d->key(), model::PatchType::JsonPatch,
                                  json::parse(R"([{"op":"remove","path":"/status/missing"}])"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "Invalid");
  EXPECT_EQ(f.api().get(d->key())->body()["status"]["conditions"].size(), 1u);  // unchanged
}

// ClusterClient::edit_status: the status patch given as an edit of the stored status. The
// edit sees the stored status ({} when there is none) and nothing else changes.
TEST(ApiServer, StatusEditChangesOnlyTheStatus) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto d = kubectl.create(web_deployment());
  ASSERT_TRUE(d.ok()) << d.error().message;
  json seen;
  auto edited = kubectl.edit_status(d->key(), [&](json& st) {
    seen = st;
    st["observedGeneration"] = 1;
  });
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(seen, json::object());
  EXPECT_EQ(edited->body()["status"], json({{"observedGeneration", 1}}));
  EXPECT_EQ(edited->body()["spec"], d->body()["spec"]);
  EXPECT_EQ(edited->body()["metadata"]["generation"], 1);
  EXPECT_NE(edited->body()["metadata"]["resourceVersion"], d->body()["metadata"]["resourceVersion"]);
  auto again = kubectl.edit_status(d->key(), [&](json& st) { seen = st; });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(seen, json({{"observedGeneration", 1}}));
  // An edit that changes nothing is a no-op write: same resourceVersion.
  EXPECT_EQ(again->body()["metadata"]["resourceVersion"], edited->body()["metadata"]["resourceVersion"]);
  auto missing = kubectl.edit_status({"apps", "Deployment", "default", "nope"}, [](json&) {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "NotFound");
}

// Every write stamps the stored object with a number not used before (Object::stamp), so a
// controller can tell an unchanged object without reading its body.
TEST(ApiServer, EveryWriteStampsTheStoredObject) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto d = kubectl.create(web_deployment());
  ASSERT_TRUE(d.ok()) << d.error().message;
  const std::uint64_t created = kubectl.find(d->key())->stamp();
  EXPECT_NE(created, 0u);
  EXPECT_EQ(d->stamp(), created);
  auto scaled = kubectl.patch(d->key(), model::PatchType::Merge, json::parse(R"({"spec":{"replicas":3}})"));
  ASSERT_TRUE(scaled.ok());
  const std::uint64_t patched = kubectl.find(d->key())->stamp();
  EXPECT_GT(patched, created);
  auto status = kubectl.edit_status(d->key(), [](json& st) { st["observedGeneration"] = 2; });
  ASSERT_TRUE(status.ok());
  EXPECT_GT(kubectl.find(d->key())->stamp(), patched);
  // A no-op write keeps the object, and its stamp.
  const std::uint64_t before = kubectl.find(d->key())->stamp();
  ASSERT_TRUE(kubectl.patch(d->key(), model::PatchType::Merge, json::parse(R"({"spec":{"replicas":3}})")).ok());
  EXPECT_EQ(kubectl.find(d->key())->stamp(), before);
}

TEST(ApiServer, AppliesDeploymentAndServiceDefaults) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto d = kubectl.create(obj(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"app","image":"web:1","ports":[{"containerPort":80}]}]}}}})"));
  ASSERT_TRUE(d.ok());
  const json& spec = d->body()["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["revisionHistoryLimit"], 10);
  EXPECT_EQ(spec["progressDeadlineSeconds"], 600);
  EXPECT_EQ(spec["strategy"], json::parse(R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}})"));
  const json& c = spec["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(c["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(spec["template"]["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(default_pull_policy("nginx"), "Always");
  EXPECT_EQ(default_pull_policy("nginx:latest"), "Always");
  EXPECT_EQ(default_pull_policy("registry:5000/nginx"), "Always");
  EXPECT_EQ(default_pull_policy("registry:5000/nginx:1.2"), "IfNotPresent");

  auto s = kubectl.create(obj(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"app":"web"},"ports":[{"port":80}]}})"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->body()["spec"]["type"], "ClusterIP");
  EXPECT_EQ(s->body()["spec"]["ports"][0]["targetPort"], 80);
  EXPECT_TRUE(s->body()["spec"]["clusterIP"].get<std::string>().rfind("10.96.", 0) == 0);
}

TEST(ApiServer, NamespacedObjectsNeedTheirNamespace) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  auto r = kubectl.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ml"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "NotFound");
  EXPECT_EQ(r.error().message, "namespaces \"ml\" not found");
  ASSERT_TRUE(kubectl.create(obj(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml"}})")).ok());
  EXPECT_TRUE(kubectl.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ml"}})")).ok());
  auto dup = kubectl.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ml"}})"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().reason, "AlreadyExists");
  EXPECT_EQ(dup.error().message, "configmaps \"c\" already exists");
  // Cluster-scoped kinds never carry a namespace.
  auto cr = kubectl.create(obj(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r","namespace":"ml"}})"));
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(cr->ns(), "");
  EXPECT_FALSE(cr->body()["metadata"].contains("namespace"));
}

TEST(ApiServer, GenerateNameGivesDeterministicSuffixes) {
  std::string names[2];
  for (auto& n : names) {
    Fixture f;
    auto r = f.cluster->client("x").create(
        obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"job-","namespace":"default"}})"));
    ASSERT_TRUE(r.ok());
    n = r->name();
  }
  EXPECT_EQ(names[0], names[1]);
  EXPECT_EQ(names[0].size(), 4u + 5u);
  EXPECT_EQ(names[0].rfind("job-", 0), 0u);
}

TEST(ApiServer, ListSelectsByLabelsAndSortsByNamespaceThenName) {
  Fixture f;
  auto k = f.cluster->client("kubectl");
  ASSERT_TRUE(k.create(obj(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}})")).ok());
  for (const char* s : {R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"z","namespace":"default","labels":{"app":"x"}}})",
                        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"default","labels":{"app":"y"}}})",
                        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m","namespace":"a","labels":{"app":"x"}}})"})
    ASSERT_TRUE(k.create(obj(s)).ok());
  model::ListOptions lo;
  lo.kind = "ConfigMap";
  auto all = k.list(lo);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key().str(), "ConfigMap/a/m");
  EXPECT_EQ(all[1].name(), "b");
  EXPECT_EQ(all[2].name(), "z");
  lo.selector = *model::Selector::parse("app=x");
  EXPECT_EQ(k.list(lo).size(), 2u);
  lo.ns = "default";
  ASSERT_EQ(k.list(lo).size(), 1u);
  EXPECT_EQ(k.list(lo)[0].name(), "z");
}

TEST(ApiServer, ClientSideApplyIsAThreeWayMergeWithTheLastAppliedAnnotation) {
  Fixture f;
  auto kubectl = f.cluster->client("kubectl");
  const char* v1 = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default",
    "labels":{"app":"web","tier":"fe"}},"data":{"a":"1","b":"2"}})";
  auto a = kubectl.apply(obj(v1), {});
  ASSERT_TRUE(a.ok()) << a.error().message;
  std::string ann = a->body()["metadata"]["annotations"][std::string(kLastAppliedAnnotation)];
  EXPECT_EQ(ann.back(), '\n');
  EXPECT_EQ(json::parse(ann)["data"], json::parse(R"({"a":"1","b":"2"})"));
  // Someone else adds a label and a key.
  ASSERT_TRUE(f.cluster->client("other")
                  .patch(a->key(), model::PatchType::Merge,
                         json::parse(R"({"metadata":{"labels":{"team":"ml"}},"data":{"c":"3"}})"))
                  .ok());
  const char* v2 = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default",
    "labels":{"app":"web"}},"data":{"a":"10"}})";
  auto b = kubectl.apply(obj(v2), {});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->body()["data"], json::parse(R"({"a":"10","c":"3"})"));
  EXPECT_EQ(b->body()["metadata"]["labels"], json::parse(R"({"app":"web","team":"ml"})"));
  std::string ann2 = b->body()["metadata"]["annotations"][std::string(kLastAppliedAnnotation)];
  EXPECT_EQ(json::parse(ann2)["data"], json::parse(R"({"a":"10"})"));
}

TEST(ApiServer, ServerSideApplyRecordsManagersAndRemovesFieldsItStopsApplying) {
  Fixture f;
  auto flux = f.cluster->client("kustomize-controller");
  model::ApplyOptions ssa;
  ssa.server_side = true;
  ssa.field_manager = "kustomize-controller";
  auto a = flux.apply(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},
    "data":{"a":"1","b":"2"}})"), ssa);
  ASSERT_TRUE(a.ok()) << a.error().message;
  const json& mf = a->body()["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["manager"], "kustomize-controller");
  EXPECT_EQ(mf[0]["operation"], "Apply");
  EXPECT_TRUE(mf[0]["fieldsV1"]["f:data"].contains("f:b"));
  // Another manager takes data.c with an update.
  ASSERT_TRUE(f.cluster->client("kubectl-edit")
                  .patch(a->key(), model::PatchType::Merge, json::parse(R"({"data":{"c":"3"}})"))
                  .ok());
  auto b = flux.apply(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},
    "data":{"a":"1"}})"), ssa);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->body()["data"], json::parse(R"({"a":"1","c":"3"})"));
  // Changing a field another manager owns is a conflict unless forced.
  auto c = flux.apply(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},
    "data":{"a":"1","c":"4"}})"), ssa);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().reason, "Conflict");
  EXPECT_NE(c.error().message.find("kubectl-edit"), std::string::npos);
  ssa.force = true;
  auto d = flux.apply(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"},
    "data":{"a":"1","c":"4"}})"), ssa);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->body()["data"]["c"], "4");
}

TEST(ApiServer, StrategicMergePatchOfACustomResourceIsUnsupportedMediaType) {
  Fixture f;
  auto k = f.cluster->client("kubectl");
  auto r = k.create(obj(R"({"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"r","namespace":"default"},"spec":{}})"));
  ASSERT_TRUE(r.ok());
  auto p = k.patch(r->key(), model::PatchType::StrategicMerge, json::parse(R"({"spec":{"replicas":2}})"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().http_status, 415);
  EXPECT_TRUE(k.patch(r->key(), model::PatchType::JsonPatch,
                      json::parse(R"([{"op":"add","path":"/spec/replicas","value":2}])")).ok());
}

TEST(ApiServer, FinalizersKeepTheObjectUntilRemoved) {
  Fixture f;
  auto k = f.cluster->client("kubectl");
  auto a = k.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default","finalizers":["example.com/x"]}})"));
  ASSERT_TRUE(a.ok());
  auto r = k.remove(a->key(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  auto live = k.get(a->key());
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->body()["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(k.patch(a->key(), model::PatchType::Merge, json::parse(R"({"metadata":{"finalizers":null}})")).ok());
  EXPECT_FALSE(k.get(a->key()).ok());
}

namespace {
// owner ConfigMap "o" with two dependents.
std::string make_family(Fixture& f) {
  auto k = f.cluster->client("kubectl");
  auto o = k.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"o","namespace":"default"}})"));
  std::string uid = o->body()["metadata"]["uid"];
  for (const char* n : {"d1", "d2"}) {
    json d = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata",
               {{"name", n},
                {"namespace", "default"},
                {"ownerReferences",
                 json::array({{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "o"}, {"uid", uid},
                               {"blockOwnerDeletion", true}}})}}}};
    EXPECT_TRUE(k.create(Object{model::JsonBox(d)}).ok());
  }
  return uid;
}
ObjectKey cm(const char* n) { return ObjectKey{"", "ConfigMap", "default", n}; }
}  // namespace

TEST(GarbageCollector, BackgroundRemovesTheOwnerFirstThenDependents) {
  Fixture f;
  make_family(f);
  std::vector<std::string> deleted;
  f.api().watch("", "ConfigMap", [&](WatchType t, const Object& o, std::string_view) {
    if (t == WatchType::Deleted) deleted.push_back(o.name());
  });
  auto r = f.cluster->client("kubectl").remove(cm("o"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_TRUE(f.api().get(cm("d1")).ok());  // collected asynchronously
  f.run(sim::seconds(1));
  EXPECT_FALSE(f.api().get(cm("d1")).ok());
  EXPECT_FALSE(f.api().get(cm("d2")).ok());
  EXPECT_EQ(deleted, (std::vector<std::string>{"o", "d1", "d2"}));
}

TEST(GarbageCollector, ForegroundRemovesDependentsBeforeTheOwner) {
  Fixture f;
  make_family(f);
  std::vector<std::string> deleted;
  f.api().watch("", "ConfigMap", [&](WatchType t, const Object& o, std::string_view) {
    if (t == WatchType::Deleted) deleted.push_back(o.name());
  });
  model::DeleteOptions fg;
  fg.propagation = model::Propagation::Foreground;
  auto r = f.cluster->client("kubectl").remove(cm("o"), fg);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  auto owner = f.api().get(cm("o"));
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->body()["metadata"]["finalizers"], json::array({"foregroundDeletion"}));
  EXPECT_TRUE(owner->body()["metadata"].contains("deletionTimestamp"));
  f.run(sim::seconds(1));
  EXPECT_FALSE(f.api().get(cm("o")).ok());
  EXPECT_EQ(deleted, (std::vector<std::string>{"d1", "d2", "o"}));
}

TEST(GarbageCollector, OrphanKeepsDependentsAndDropsTheirOwnerReference) {
  Fixture f;
  make_family(f);
  model::DeleteOptions orphan;
  orphan.propagation = model::Propagation::Orphan;
  ASSERT_TRUE(f.cluster->client("kubectl").remove(cm("o"), orphan).ok());
  f.run(sim::seconds(1));
  EXPECT_FALSE(f.api().get(cm("o")).ok());
  auto d1 = f.api().get(cm("d1"));
  ASSERT_TRUE(d1.ok());
  EXPECT_FALSE(d1->body()["metadata"].contains("ownerReferences"));
}

TEST(ApiServer, WatchersSeeWritesInOrderEvenWhenAWatcherWrites) {
  Fixture f;
  std::vector<std::string> seen_a, seen_b;
  auto k = f.cluster->client("kubectl");
  f.api().watch("", "ConfigMap", [&](WatchType t, const Object& o, std::string_view) {
    seen_a.push_back(std::string(watch_type_name(t)) + " " + o.name());
    if (o.name() == "first" && t == WatchType::Added)
      (void)k.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"second","namespace":"default"}})"));
  });
  f.api().watch("", "ConfigMap", [&](WatchType t, const Object& o, std::string_view) {
    seen_b.push_back(std::string(watch_type_name(t)) + " " + o.name());
  });
  ASSERT_TRUE(k.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"first","namespace":"default"}})")).ok());
  std::vector<std::string> want{"ADDED first", "ADDED second"};
  EXPECT_EQ(seen_a, want);
  EXPECT_EQ(seen_b, want);
}

TEST(ApiServer, TraceRecordsWritesWithTheActor) {
  Fixture f;
  ASSERT_TRUE(f.cluster->client("argocd-application-controller").create(obj(kConfigMap)).ok());
  ASSERT_FALSE(f.trace.entries().empty());
  const auto& e = f.trace.entries().back();
  EXPECT_EQ(e.kind, "api.create");
  EXPECT_EQ(e.object, "ConfigMap/default/cfg");
  EXPECT_EQ((*e.details)["actor"], "argocd-application-controller");
}

TEST(ApiServer, DeletingANamespaceRemovesItsContentThenTheNamespace) {
  Fixture f;
  auto k = f.cluster->client("kubectl");
  ASSERT_TRUE(k.create(obj(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml"}})")).ok());
  ASSERT_TRUE(k.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ml"}})")).ok());
  ASSERT_TRUE(k.remove(ObjectKey{"", "Namespace", "", "ml"}, {}).ok());
  auto ns = k.get(ObjectKey{"", "Namespace", "", "ml"});
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->body()["status"]["phase"], "Terminating");
  auto blocked = k.create(obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","namespace":"ml"}})"));
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().reason, "Forbidden");
  f.run(sim::seconds(1));
  EXPECT_FALSE(k.get(ObjectKey{"", "Namespace", "", "ml"}).ok());
  EXPECT_FALSE(k.get(ObjectKey{"", "ConfigMap", "ml", "c"}).ok());
}
