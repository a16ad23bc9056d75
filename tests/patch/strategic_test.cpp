// Strategic merge patch and three-way apply. Cases marked "upstream" are tables of
// k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go (customStrategicMergePatchTestCaseData
// and friends), with the test struct's fields mapped onto real Kubernetes fields of the same
// patch strategy: mergingList -> Pod spec.containers (merge key name), mergingIntList ->
// metadata.finalizers (primitive merge list), nonMergingList -> spec.tolerations.
// Cases marked "kustomize" were checked with `kubectl kustomize` and a `patches:` entry.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/patch/patch.hpp"

using nlohmann::json;
using namespace rehearse::patch;

namespace {

json J(const char* s) { return json::parse(s); }

json smp_pod(json target, const json& patch) {
  auto r = apply_strategic_merge_patch(target, patch, "", "Pod");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return target;
}

// {"spec":{"containers":[...]}} from a list of container objects.
json containers(const char* list) { return json{{"spec", {{"containers", J(list)}}}}; }
json finalizers(const char* list) { return json{{"metadata", {{"finalizers", J(list)}}}}; }

}  // namespace

TEST(MergeKeys, FollowTheStructTagsOfCoreAndAppsKinds) {
  EXPECT_EQ(merge_key_for("", "Pod", "/spec/containers"), "name");
  EXPECT_EQ(merge_key_for("apps", "Deployment", "/spec/template/spec/containers/ports"),
            "containerPort");
  EXPECT_EQ(merge_key_for("apps", "StatefulSet", "/spec/template/spec/initContainers/env"), "name");
  EXPECT_EQ(merge_key_for("batch", "CronJob",
                          "/spec/jobTemplate/spec/template/spec/containers/volumeMounts"),
            "mountPath");
  EXPECT_EQ(merge_key_for("apps", "DaemonSet", "/spec/template/spec/volumes"), "name");
  EXPECT_EQ(merge_key_for("", "Pod", "/spec/hostAliases"), "ip");
  EXPECT_EQ(merge_key_for("", "Pod", "/spec/containers/volumeDevices"), "devicePath");
  EXPECT_EQ(merge_key_for("", "Service", "/spec/ports"), "port");
  EXPECT_EQ(merge_key_for("", "ConfigMap", "/metadata/ownerReferences"), "uid");
  EXPECT_EQ(merge_key_for("", "Pod", "/spec/tolerations"), "");
  EXPECT_EQ(merge_key_for("argoproj.io", "Rollout", "/spec/template/spec/containers"), "");
  EXPECT_TRUE(supports_strategic_merge("apps", "Deployment"));
  EXPECT_FALSE(supports_strategic_merge("argoproj.io", "Rollout"));
}

// upstream: "unique scalars when merging lists".
TEST(StrategicMerge, PrimitiveMergeListsAreUnionedWithoutDuplicates) {
  json out = smp_pod(finalizers("[1,2]"), finalizers("[2,3]"));
  EXPECT_EQ(out, finalizers("[1,2,3]"));
}

// upstream: "delete all items from merging list", "merge empty merging lists",
// "delete all keys from map", "add key and delete all keys from map".
TEST(StrategicMerge, ReplaceDirectiveReplacesListsAndMaps) {
  json out = smp_pod(containers(R"([{"name":"1"},{"name":"2"}])"),
                     containers(R"([{"$patch":"replace"}])"));
  EXPECT_EQ(out, containers("[]"));
  EXPECT_EQ(smp_pod(containers("[]"), containers("[]")), containers("[]"));
  EXPECT_EQ(smp_pod(J(R"({"name":1,"value":1})"), J(R"({"$patch":"replace"})")), json::object());
  EXPECT_EQ(smp_pod(J(R"({"name":1,"value":1})"), J(R"({"other":"a","$patch":"replace"})")),
            J(R"({"other":"a"})"));
}

// upstream: "delete all duplicate entries in a merging list".
TEST(StrategicMerge, DeleteDirectiveRemovesEveryMatchingElement) {
  json out = smp_pod(
      containers(R"([{"name":"1"},{"name":"1"},{"name":"2","image":"a"},{"name":"3"},{"name":"3"}])"),
      containers(R"([{"name":"1","$patch":"delete"},{"name":"3","$patch":"delete"}])"));
  EXPECT_EQ(out, containers(R"([{"name":"2","image":"a"}])"));
}

// upstream: "preserve the order from the patch in a merging list" (1 and 2).
TEST(StrategicMerge, PatchOrderWinsAndServerOnlyItemsKeepTheirPlace) {
  json out = smp_pod(containers(R"([{"name":"1"},{"name":"2","image":"b"},{"name":"3"}])"),
                     containers(R"([{"name":"3","image":"c"},{"name":"1","image":"a"},
                                   {"name":"2","args":["x"]}])"));
  EXPECT_EQ(out, containers(R"([{"name":"3","image":"c"},{"name":"1","image":"a"},
                                {"name":"2","image":"b","args":["x"]}])"));
  out = smp_pod(containers(R"([{"name":"1"},{"name":"2","image":"b"},{"name":"3"}])"),
                containers(R"([{"name":"3","image":"c"},{"name":"1","image":"a"}])"));
  EXPECT_EQ(out, containers(R"([{"name":"2","image":"b"},{"name":"3","image":"c"},
                                {"name":"1","image":"a"}])"));
  // upstream: "preserve the order from the patch in a merging int list" (both cases).
  EXPECT_EQ(smp_pod(finalizers("[1,2,3]"), finalizers("[3,1,2]")), finalizers("[3,1,2]"));
  EXPECT_EQ(smp_pod(finalizers("[1,2,3]"), finalizers("[3,1]")), finalizers("[2,3,1]"));
}

// upstream raw case: "$setElementOrder contains item that is not present in the list to be
// merged".
TEST(StrategicMerge, SetElementOrderDecidesTheFinalOrder) {
  json out = smp_pod(containers(R"([{"name":"1"},{"name":"3"}])"),
                     J(R"({"spec":{"$setElementOrder/containers":[{"name":"3"},{"name":"2"},{"name":"1"}],
                           "containers":[{"name":"3","image":"3"},{"name":"1","image":"1"}]}})"));
  EXPECT_EQ(out, containers(R"([{"name":"3","image":"3"},{"name":"1","image":"1"}])"));
  out = smp_pod(finalizers("[1,3]"), J(R"({"metadata":{"$setElementOrder/finalizers":[3,2,1]}})"));
  EXPECT_EQ(out, finalizers("[3,1]"));
}

// kustomize: a patch adding container "c" and env "Y" puts them first, and a primitive list
// item likewise (the same as the API server's mergeSortedSlice).
TEST(StrategicMerge, NewItemsWithoutElementOrderGoFirst) {
  json dep = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","finalizers":["a","b"]},
    "spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]},
      {"name":"b","image":"b:1"}],"tolerations":[{"key":"k1","operator":"Exists"}]}}}})");
  json patch = J(R"({"metadata":{"finalizers":["c"]},"spec":{"template":{"spec":{
    "containers":[{"name":"c","image":"c:1"},{"name":"a","env":[{"name":"Y","value":"2"}]}],
    "tolerations":[{"key":"k2","operator":"Exists"}]}}}})");
  ASSERT_TRUE(apply_strategic_merge_patch(dep, patch, "apps", "Deployment").ok());
  EXPECT_EQ(dep["metadata"]["finalizers"], J(R"(["c","a","b"])"));
  EXPECT_EQ(dep["spec"]["template"]["spec"]["containers"],
            J(R"([{"name":"c","image":"c:1"},
                  {"name":"a","image":"a:1","env":[{"name":"Y","value":"2"},{"name":"X","value":"1"}]},
                  {"name":"b","image":"b:1"}])"));
  // tolerations have no patch strategy: replaced.
  EXPECT_EQ(dep["spec"]["template"]["spec"]["tolerations"], J(R"([{"key":"k2","operator":"Exists"}])"));
}

// kustomize: `$patch: delete` on a map removes it; on a list element removes the element.
TEST(StrategicMerge, DeleteDirectiveOnAMapRemovesTheField) {
  json dep = J(R"({"spec":{"strategy":{"type":"RollingUpdate"},"template":{"spec":{
    "containers":[{"name":"a"},{"name":"b"}]}}}})");
  ASSERT_TRUE(apply_strategic_merge_patch(dep, J(R"({"spec":{"strategy":{"$patch":"delete"},
    "template":{"spec":{"containers":[{"name":"b","$patch":"delete"}]}}}})"),
                                          "apps", "Deployment")
                  .ok());
  EXPECT_EQ(dep, J(R"({"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}})"));
}

TEST(StrategicMerge, NestedMergeKeysPortsEnvVolumeMountsAndServicePorts) {
  json pod = J(R"({"spec":{"containers":[{"name":"app",
    "ports":[{"containerPort":80,"name":"http"},{"containerPort":9090}],
    "volumeMounts":[{"mountPath":"/data","name":"d"}]}],
    "volumes":[{"name":"d","emptyDir":{}}]}})");
  json out = smp_pod(pod, J(R"({"spec":{"containers":[{"name":"app",
    "ports":[{"containerPort":80,"protocol":"TCP"}],
    "volumeMounts":[{"mountPath":"/data","readOnly":true}]}],
    "volumes":[{"name":"d","emptyDir":{"medium":"Memory"}}]}})"));
  EXPECT_EQ(out["spec"]["containers"][0]["ports"],
            J(R"([{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":9090}])"));
  EXPECT_EQ(out["spec"]["containers"][0]["volumeMounts"],
            J(R"([{"mountPath":"/data","name":"d","readOnly":true}])"));
  EXPECT_EQ(out["spec"]["volumes"], J(R"([{"name":"d","emptyDir":{"medium":"Memory"}}])"));

  json svc = J(R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})");
  ASSERT_TRUE(apply_strategic_merge_patch(svc, J(R"({"spec":{"ports":[{"port":443,"name":"https"}]}})"),
                                          "", "Service")
                  .ok());
  EXPECT_EQ(svc["spec"]["ports"], J(R"([{"port":80,"targetPort":8080},{"port":443,"name":"https"}])"));
}

// upstream: "retainKeys map ..." cases with the $retainKeys directive: keys not listed are
// cleared, and a patch key missing from the list is an error.
TEST(StrategicMerge, RetainKeysClearsUnlistedFields) {
  json dep = J(R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})");
  ASSERT_TRUE(apply_strategic_merge_patch(
                  dep, J(R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"),
                  "apps", "Deployment")
                  .ok());
  EXPECT_EQ(dep, J(R"({"spec":{"strategy":{"type":"Recreate"}}})"));
  json before = dep;
  auto r = apply_strategic_merge_patch(
      dep, J(R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"), "apps",
      "Deployment");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(dep, before);
}

TEST(StrategicMerge, DeleteFromPrimitiveListRemovesValues) {
  json out = smp_pod(finalizers(R"(["a","b","c"])"),
                     J(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})"));
  EXPECT_EQ(out, finalizers(R"(["a","c"])"));
}

TEST(StrategicMerge, CustomResourcesReplaceListsLikeAJsonMergePatch) {
  json ro = J(R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b"}]}},
                  "strategy":{"canary":{"steps":[{"setWeight":20},{"pause":{}}]}}}})");
  ASSERT_TRUE(apply_strategic_merge_patch(ro, J(R"({"spec":{"template":{"spec":{"containers":[
    {"name":"a","image":"a:2"}]}},"strategy":{"canary":{"maxSurge":1}}}})"),
                                          "argoproj.io", "Rollout")
                  .ok());
  EXPECT_EQ(ro["spec"]["template"]["spec"]["containers"], J(R"([{"name":"a","image":"a:2"}])"));
  EXPECT_EQ(ro["spec"]["strategy"]["canary"]["steps"].size(), 2u);
  EXPECT_EQ(ro["spec"]["strategy"]["canary"]["maxSurge"], 1);
}

TEST(StrategicMerge, MalformedPatchesFailAndLeaveTheTargetUnchanged) {
  json pod = containers(R"([{"name":"a"}])");
  json before = pod;
  EXPECT_FALSE(apply_strategic_merge_patch(pod, containers(R"([{"image":"x"}])"), "", "Pod").ok());
  EXPECT_FALSE(apply_strategic_merge_patch(pod, containers(R"([{"name":"a","$patch":"merge"}])"), "",
                                           "Pod")
                   .ok());
  EXPECT_FALSE(apply_strategic_merge_patch(pod, J(R"({"$patch":"explode"})"), "", "Pod").ok());
  EXPECT_FALSE(apply_strategic_merge_patch(pod, J("[1]"), "", "Pod").ok());
  EXPECT_EQ(pod, before);
}

TEST(StrategicMerge, NullDeletesAndOwnerReferencesMergeByUid) {
  json cm = J(R"({"metadata":{"labels":{"a":"1","b":"2"},"ownerReferences":[{"uid":"u1","name":"x"},
                  {"uid":"u2","name":"y"}]}})");
  ASSERT_TRUE(apply_strategic_merge_patch(cm, J(R"({"metadata":{"labels":{"a":null},
    "ownerReferences":[{"uid":"u2","controller":true}]}})"),
                                          "", "ConfigMap")
                  .ok());
  EXPECT_EQ(cm, J(R"({"metadata":{"labels":{"b":"2"},"ownerReferences":[{"uid":"u1","name":"x"},
                  {"uid":"u2","name":"y","controller":true}]}})"));
}

// kubectl apply (CreateThreeWayMergePatch): deletions come from last-applied vs desired,
// values from desired, and fields only in live are kept.
TEST(ThreeWayMerge, RemovesFieldsDroppedFromTheManifestAndKeepsOthersFields) {
  json last = J(R"({"metadata":{"labels":{"app":"web","tier":"fe"}},"spec":{"replicas":3,
    "template":{"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]}]}}}})");
  json desired = J(R"({"metadata":{"labels":{"app":"web"}},"spec":{"replicas":3,
    "template":{"spec":{"containers":[{"name":"a","image":"a:2","env":[{"name":"Z","value":"z"}]}]}}}})");
  json live = J(R"({"metadata":{"labels":{"app":"web","tier":"fe","team":"ml"}},"spec":{"replicas":5,
    "revisionHistoryLimit":10,"template":{"spec":{"containers":[{"name":"a","image":"a:1",
    "imagePullPolicy":"IfNotPresent","env":[{"name":"X","value":"1"},{"name":"INJECTED","value":"y"}]},
    {"name":"istio-proxy","image":"proxy"}]}}}})");
  auto r = three_way_merge(last, desired, live, "apps", "Deployment");
  ASSERT_TRUE(r.ok()) << r.error().message;
  json want = J(R"({"metadata":{"labels":{"app":"web","team":"ml"}},"spec":{"replicas":3,
    "revisionHistoryLimit":10,"template":{"spec":{"containers":[{"name":"a","image":"a:2",
    "imagePullPolicy":"IfNotPresent","env":[{"name":"Z","value":"z"},{"name":"INJECTED","value":"y"}]},
    {"name":"istio-proxy","image":"proxy"}]}}}})");
  EXPECT_EQ(*r, want);
}

TEST(ThreeWayMerge, RemovesListItemsThatLeftTheManifestOnly) {
  json last = containers(R"([{"name":"a"},{"name":"b"}])");
  json desired = containers(R"([{"name":"a"}])");
  json live = containers(R"([{"name":"a"},{"name":"b"},{"name":"sidecar"}])");
  auto r = three_way_merge(last, desired, live, "", "Pod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, containers(R"([{"name":"a"},{"name":"sidecar"}])"));
  // Without last-applied nothing is deleted.
  r = three_way_merge(json(), desired, live, "", "Pod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, live);
  // finalizers: primitive merge list.
  r = three_way_merge(finalizers(R"(["x","y"])"), finalizers(R"(["x"])"),
                      finalizers(R"(["x","y","other"])"), "", "Pod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, finalizers(R"(["x","other"])"));
}

TEST(ThreeWayMerge, CustomResourceListsAreReplacedByTheManifest) {
  json last = J(R"({"spec":{"steps":[{"setWeight":10}],"old":1}})");
  json desired = J(R"({"spec":{"steps":[{"setWeight":20},{"pause":{}}]}})");
  json live = J(R"({"spec":{"steps":[{"setWeight":10}],"old":1,"defaulted":true},"status":{"x":1}})");
  auto r = three_way_merge(last, desired, live, "argoproj.io", "Rollout");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, J(R"({"spec":{"steps":[{"setWeight":20},{"pause":{}}],"defaulted":true},"status":{"x":1}})"));
}
