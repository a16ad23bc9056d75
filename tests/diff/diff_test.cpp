// Diff facts (reference argocd.md §10.2, §10.3): live-only fields are not drift, Git fields
// that differ are, fields removed from Git but still in last-applied are; ignoreDifferences.

#include "engine/diff/diff.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace rehearse;
using nlohmann::json;

namespace {
json deploy(int replicas, const std::string& image) {
  return json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns"},
    "spec":{"replicas":)" + std::to_string(replicas) + R"(,"template":{"spec":{"containers":[{"name":"app","image":")" +
                     image + R"("}]}}}})");
}
json live_of(json d) {
  d["metadata"]["uid"] = "u1";
  d["metadata"]["resourceVersion"] = "7";
  d["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z";
  d["spec"]["revisionHistoryLimit"] = 10;
  d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
  d["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log";
  d["status"] = {{"replicas", 3}};
  return d;
}
}  // namespace

TEST(Diff, ServerDefaultsAndStatusAreNotDrift) {
  auto r = diff::compare(deploy(3, "a:1"), live_of(deploy(3, "a:1")), "apps", "Deployment");
  EXPECT_FALSE(r.modified) << (r.paths.empty() ? "" : r.paths[0]);
}

TEST(Diff, AChangedGitFieldIsDrift) {
  auto r = diff::compare(deploy(3, "a:2"), live_of(deploy(3, "a:1")), "apps", "Deployment");
  EXPECT_TRUE(r.modified);
  ASSERT_FALSE(r.paths.empty());
  EXPECT_EQ(r.paths[0], "/spec/template/spec/containers/app/image");
}

TEST(Diff, FieldRemovedFromGitButInLastAppliedIsDriftOtherwiseNot) {
  json git = deploy(3, "a:1");
  json live = live_of(deploy(3, "a:1"));
  live["spec"]["paused"] = false;
  EXPECT_FALSE(diff::compare(git, live, "apps", "Deployment").modified);
  json last = deploy(3, "a:1");
  last["spec"]["paused"] = false;
  live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = last.dump();
  auto r = diff::compare(git, live, "apps", "Deployment");
  EXPECT_TRUE(r.modified);
  EXPECT_EQ(r.paths.at(0), "/spec/paused");
}

TEST(Diff, ListElementsMatchByNameAndExtraLiveElementsCountOnlyIfLastAppliedHadThem) {
  json git = deploy(1, "a:1");
  json live = live_of(git);
  live["spec"]["template"]["spec"]["containers"].push_back({{"name", "istio-proxy"}, {"image", "proxy"}});
  EXPECT_FALSE(diff::compare(git, live, "apps", "Deployment").modified);
  json last = git;
  last["spec"]["template"]["spec"]["containers"].push_back({{"name", "istio-proxy"}});
  live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = last.dump();
  EXPECT_TRUE(diff::compare(git, live, "apps", "Deployment").modified);
}

TEST(Diff, SecretStringDataIsComparedAsBase64Data) {
  json git = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"k":"hello"}})");
  json live = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"aGVsbG8="}})");
  EXPECT_FALSE(diff::compare(git, live, "", "Secret").modified);
  live["data"]["k"] = "d29ybGQ=";
  EXPECT_TRUE(diff::compare(git, live, "", "Secret").modified);
}

TEST(IgnoreDifferences, JsonPointersRemoveTheFieldFromBothSides) {
  diff::DiffOptions o;
  o.ignore.push_back({"apps", "Deployment", "", "", {"/spec/replicas", "/spec/missing"}, {}, {}});
  auto r = diff::compare(deploy(3, "a:1"), live_of(deploy(5, "a:1")), "apps", "Deployment", o);
  EXPECT_FALSE(r.modified);
  diff::DiffOptions other_kind;
  other_kind.ignore.push_back({"argoproj.io", "Rollout", "", "", {"/spec/replicas"}, {}, {}});
  EXPECT_TRUE(diff::compare(deploy(3, "a:1"), live_of(deploy(5, "a:1")), "apps", "Deployment", other_kind).modified);
}

TEST(IgnoreDifferences, GroupAndKindAreGlobsNameAndNamespaceExact) {
  diff::IgnoreRule r{"*", "Deploy*", "web", "", {}, {}, {}};
  EXPECT_TRUE(r.matches("apps", "Deployment", "ns", "web"));
  EXPECT_FALSE(r.matches("apps", "Deployment", "ns", "api"));
}

TEST(IgnoreDifferences, JqSubsetSelectsFieldsByPathIterationAndSelect) {
  json doc = deploy(1, "a:1");
  doc["spec"]["template"]["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "s:1"}});
  auto a = diff::jq_locations(".spec.template.spec.containers[] | select(.name == \"sidecar\") | .image", doc);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, std::vector<std::string>{"/spec/template/spec/containers/1/image"});
  auto b = diff::jq_locations(".spec.template.spec.initContainers[]?", doc);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
  auto c = diff::jq_locations(".metadata[\"name\"]", doc);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, std::vector<std::string>{"/metadata/name"});
  EXPECT_FALSE(diff::jq_locations(".spec | keys", doc).ok());

  diff::DiffOptions o;
  o.ignore.push_back({"apps", "Deployment", "", "", {}, {".spec.template.spec.containers[] | select(.name == \"app\") | .image"}, {}});
  EXPECT_FALSE(diff::compare(deploy(1, "a:2"), live_of(deploy(1, "a:1")), "apps", "Deployment", o).modified);
}

TEST(IgnoreDifferences, ManagedFieldsManagersRemoveFieldsTheyOwn) {
  json live = live_of(deploy(7, "a:1"));
  live["metadata"]["managedFields"] = json::parse(R"([
    {"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:spec":{"f:replicas":{}}}},
    {"manager":"kubectl","operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{"f:image":{}}}}}}}}
  ])");
  diff::DiffOptions o;
  o.ignore.push_back({"apps", "*", "", "", {}, {}, {"kube-controller-manager"}});
  EXPECT_FALSE(diff::compare(deploy(3, "a:1"), live, "apps", "Deployment", o).modified);
  EXPECT_TRUE(diff::compare(deploy(3, "a:2"), live, "apps", "Deployment", o).modified);
}

TEST(IgnoreDifferences, RespectIgnoreDifferencesCopiesLiveValuesIntoTheTarget) {
  json target = deploy(3, "a:1");
  json live = live_of(deploy(5, "a:1"));
  diff::respect_ignore_differences(target, live, {{"apps", "Deployment", "", "", {"/spec/replicas"}, {}, {}}},
                                   "apps", "Deployment");
  EXPECT_EQ(target["spec"]["replicas"], 5);
}
