// AppProject checks against argo-cd pkg/apis/application/v1alpha1/types_test.go
// (TestAppProject_IsSourcePermitted, IsNegatedSourcePermitted, IsDestinationPermitted,
// IsNegatedDestinationPermitted, IsGroupKindPermitted) and the messages of
// util/argo/argo.go ValidatePermissions and controller/sync.go validateSyncPermissions.

#include <gtest/gtest.h>

#include "engine/argocd/project.hpp"
#include "tests/argocd/test_util.hpp"

namespace rehearse::argocd {
namespace {

AppProject with_sources(std::vector<std::string> s) {
  AppProject p;
  p.name = "p";
  p.source_repos = std::move(s);
  return p;
}

TEST(AppProjectSources, MatchUpstreamTable) {
  struct C {
    std::vector<std::string> proj;
    const char* src;
    bool ok;
  } cases[] = {
      {{"*"}, "https://github.com/argoproj/test.git", true},
      {{"https://github.com/argoproj/test.git"}, "https://github.com/argoproj/test.git", true},
      {{"ssh://git@GITHUB.com:argoproj/test"}, "ssh://git@github.com:argoproj/test", true},
      {{"https://github.com/argoproj/*"}, "https://github.com/argoproj/argoproj.git", true},
      {{"https://github.com/test1/test.git", "https://github.com/test2/test.git"}, "https://github.com/test2/test.git", true},
      {{"https://github.com/argoproj/test1.git"}, "https://github.com/argoproj/test2.git", false},
      {{"https://github.com/argoproj/*.git"}, "https://github.com/argoproj1/test2.git", false},
      {{"https://github.com/argoproj/foo"}, "https://github.com/argoproj/foo1", false},
      {{"https://gitlab.com/group/*"}, "https://gitlab.com/group/repo/owner", false},
      {{"https://gitlab.com/group/*/*"}, "https://gitlab.com/group/repo/owner", true},
      {{"https://gitlab.com/group/*/*/*"}, "https://gitlab.com/group/sub-group/repo/owner", true},
      {{"https://gitlab.com/group/**"}, "https://gitlab.com/group/sub-group/repo/owner", true},
      // negated
      {{"!https://github.com/argoproj/test.git"}, "https://github.com/argoproj/test.git", false},
      {{"!ssh://git@GITHUB.com:argoproj/test"}, "ssh://git@github.com:argoproj/test", false},
      {{"!https://github.com/argoproj/*"}, "https://github.com/argoproj/argoproj.git", false},
      {{"https://github.com/test1/test.git", "!https://github.com/test2/test.git"}, "https://github.com/test2/test.git", false},
      {{"!https://github.com/argoproj/foo*"}, "https://github.com/argoproj/foo1", false},
      {{"!https://gitlab.com/group/*/*"}, "https://gitlab.com/group/repo/owner", false},
      {{"!https://gitlab.com/group/**"}, "https://gitlab.com/group/sub-group/repo/owner", false},
      {{"https://github.com/argoproj/test1.git", "*"}, "https://github.com/argoproj/test2.git", true},
      {{"!https://github.com/argoproj/*.git", "*"}, "https://github.com/argoproj1/test2.git", true},
  };
  for (const auto& c : cases) EXPECT_EQ(is_source_permitted(with_sources(c.proj), c.src), c.ok) << c.src;
}

TEST(AppProjectSources, ScpStyleUrlsNormalizeLikeUpstream) {
  EXPECT_EQ(normalize_git_url(" git@GitHub.com:Acme/ML.git "), "git@github.com/acme/ml");
  EXPECT_EQ(normalize_git_url("https://github.com/acme/ml.git"), "https://github.com/acme/ml");
}

bool dest_ok(std::vector<ProjectDestination> d, Destination app) {
  AppProject p;
  p.name = "p";
  p.destinations = std::move(d);
  return is_destination_permitted(p, app);
}

TEST(AppProjectDestinations, MatchUpstreamTable) {
  const std::string k = "https://kubernetes.default.svc";
  EXPECT_TRUE(dest_ok({{k, "", "default"}}, {k, "", "default"}));
  EXPECT_FALSE(dest_ok({{k, "", "default"}}, {k, "", "kube-system"}));
  EXPECT_FALSE(dest_ok({{"https://my-cluster", "", "default"}}, {k, "", "default"}));
  EXPECT_TRUE(dest_ok({{k, "", "*"}}, {k, "", "kube-system"}));
  EXPECT_TRUE(dest_ok({{"https://*.default.svc", "", "default"}}, {k, "", "default"}));
  EXPECT_FALSE(dest_ok({{"https://team1-*", "", "default"}}, {"https://test2-dev-cluster", "", "default"}));
  EXPECT_TRUE(dest_ok({{k, "", "test-*"}}, {k, "", "test-foo"}));
  EXPECT_FALSE(dest_ok({{k, "", "test-*"}}, {k, "", "test"}));
  EXPECT_TRUE(dest_ok({{"*", "", "*"}}, {k, "", "test"}));
  EXPECT_TRUE(dest_ok({{"", "test", "*"}}, {"", "test", "test"}));
  EXPECT_FALSE(dest_ok({{"", "test2", "*"}}, {"", "test", "test"}));
  const std::string eks = "https://eks-cluster-endpoint.ap-southeast-1.eks.amazonaws.com";
  EXPECT_TRUE(dest_ok({{k, "host-cluster", "!{kube-system,argocd}"}, {eks, "destination-cluster-01", "*"}},
                      {eks, "", "kube-system"}));
}

TEST(AppProjectDestinations, NegationsMatchUpstreamTable) {
  const std::string k = "https://kubernetes.default.svc";
  EXPECT_FALSE(dest_ok({{"!" + k, "", "default"}}, {k, "", "default"}));
  EXPECT_TRUE(dest_ok({{k, "", "!default"}}, {k, "", "kube-system"}));
  EXPECT_TRUE(dest_ok({{"!https://my-cluster", "", "default"}}, {k, "", "default"}));
  EXPECT_FALSE(dest_ok({{"!" + k, "", "*"}}, {k, "", "kube-system"}));
  EXPECT_FALSE(dest_ok({{"!https://*.default.svc", "", "default"}}, {k, "", "default"}));
}

TEST(AppProjectKinds, MatchUpstreamIsGroupKindPermitted) {
  AppProject p1;
  p1.namespace_resource_whitelist = std::vector<GroupKindRule>{};
  p1.namespace_resource_blacklist = {{"apps", "Deployment", ""}};
  EXPECT_FALSE(is_group_kind_permitted(p1, "apps", "ReplicaSet", "", true));
  EXPECT_FALSE(is_group_kind_permitted(p1, "apps", "Deployment", "", true));
  AppProject p2;
  p2.namespace_resource_whitelist = std::vector<GroupKindRule>{{"apps", "ReplicaSet", ""}};
  p2.namespace_resource_blacklist = {{"apps", "Deployment", ""}};
  EXPECT_TRUE(is_group_kind_permitted(p2, "apps", "ReplicaSet", "", true));
  EXPECT_FALSE(is_group_kind_permitted(p2, "apps", "Action", "", true));
  AppProject p3;
  p3.cluster_resource_blacklist = {{"", "Namespace", ""}};
  EXPECT_FALSE(is_group_kind_permitted(p3, "", "Namespace", "", false));
  AppProject p4;
  p4.cluster_resource_whitelist = {{"*", "*", ""}};
  p4.cluster_resource_blacklist = {{"*", "*", ""}};
  EXPECT_FALSE(is_group_kind_permitted(p4, "", "Namespace", "", false));
  EXPECT_TRUE(is_group_kind_permitted(p4, "apps", "Action", "", true));
  AppProject p6;  // empty spec: cluster kinds denied, namespaced allowed
  EXPECT_FALSE(is_group_kind_permitted(p6, "", "Namespace", "", false));
  EXPECT_TRUE(is_group_kind_permitted(p6, "apps", "Action", "", true));
  AppProject p7;
  p7.cluster_resource_whitelist = {{"", "Namespace", "team1-*"}};
  EXPECT_FALSE(is_group_kind_permitted(p7, "", "Namespace", "other-namespace", false));
  EXPECT_TRUE(is_group_kind_permitted(p7, "", "Namespace", "team1-namespace", false));
}

Application app_for(const std::string& repo, const std::string& ns) {
  Application a;
  a.name = "fraud-detector";
  ApplicationSource src;
  src.repo_url = repo;
  a.spec.sources.push_back(src);
  a.spec.destination = Destination{"https://kubernetes.default.svc", "", ns};
  return a;
}

TEST(CheckProject, RefusesWithUpstreamMessages) {
  model::Diagnostics diags;
  auto objs = testing::objects(R"(apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: ml, namespace: argocd}
spec:
  sourceRepos: ['https://github.com/acme/*']
  destinations: [{server: https://kubernetes.default.svc, namespace: 'ml-*'}]
  namespaceResourceBlacklist: [{group: '', kind: ResourceQuota}]
)");
  auto proj = parse_app_project(objs.at(0), diags);
  ASSERT_TRUE(proj.has_value()) << diags.format();
  auto desired = testing::objects(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: v1
kind: Namespace
metadata: {name: ml-serving}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: kube-system}
)");
  auto ok = check_project(*proj, app_for("https://github.com/acme/ml.git", "ml-serving"), {desired[0]});
  EXPECT_TRUE(ok.ok());

  auto bad_repo = check_project(*proj, app_for("https://github.com/evil/ml.git", "ml-serving"), {});
  ASSERT_FALSE(bad_repo.ok());
  EXPECT_EQ(bad_repo.error().code, "InvalidSpecError");
  EXPECT_EQ(bad_repo.error().message, "application repo https://github.com/evil/ml.git is not permitted in project 'ml'");

  auto bad_dest = check_project(*proj, app_for("https://github.com/acme/ml", "default"), {});
  ASSERT_FALSE(bad_dest.ok());
  EXPECT_EQ(bad_dest.error().message,
            "application destination server 'https://kubernetes.default.svc' and namespace 'default' do not "
            "match any of the allowed destinations in project 'ml'");

  auto v = project_violations(*proj, app_for("https://github.com/acme/ml", "ml-serving"), desired);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].message, "resource :Namespace is not permitted in project ml");  // no cluster whitelist
  EXPECT_EQ(v[1].message, "resource :ResourceQuota is not permitted in project ml");
  EXPECT_EQ(v[2].message, "namespace kube-system is not permitted in project 'ml'");
  EXPECT_EQ(v[2].code, "SyncPermission");
}

TEST(CheckProject, DefaultProjectPermitsEverything) {
  auto desired = testing::objects(R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
)");
  EXPECT_TRUE(check_project(default_project(), app_for("https://x/y", "anything"), desired).ok());
}

}  // namespace
}  // namespace rehearse::argocd
