// ApplicationSet generators and rendering against upstream facts: Go's path.Match table
// (go/src/path/match_test.go), argo-cd applicationset/generators/git_test.go
// (TestGitGenerateParamsFromDirectories), list_test.go, utils_test.go
// (TestRenderTemplateParamsFinalizers), and sprig's documented examples.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/appset.hpp"
#include "tests/argocd/test_util.hpp"

namespace rehearse::argocd {
namespace {

using nlohmann::json;

struct MatchCase {
  const char* pattern;
  const char* name;
  int want;  // 1 match, 0 no match, -1 ErrBadPattern
};

TEST(GoPathMatch, FollowsGoPathMatchTable) {
  const MatchCase cases[] = {
      {"abc", "abc", 1}, {"*", "abc", 1}, {"*c", "abc", 1}, {"a*", "a", 1}, {"a*", "abc", 1},
      {"a*", "ab/c", 0}, {"a*/b", "abc/b", 1}, {"a*/b", "a/c/b", 0},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", 1}, {"a*b*c*d*e*/f", "axbxcxdxexxx/f", 1},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0}, {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0},
      {"a*b?c*x", "abxbbxdbxebxczzx", 1}, {"a*b?c*x", "abxbbxdbxebxczzy", 0},
      {"ab[c]", "abc", 1}, {"ab[b-d]", "abc", 1}, {"ab[e-g]", "abc", 0}, {"ab[^c]", "abc", 0},
      {"ab[^b-d]", "abc", 0}, {"ab[^e-g]", "abc", 1}, {"a\\*b", "a*b", 1}, {"a\\*b", "ab", 0},
      {"a?b", "a/b", 0}, {"a*b", "a/b", 0}, {"[\\]a]", "]", 1}, {"[\\-]", "-", 1},
      {"[x\\-]", "x", 1}, {"[x\\-]", "-", 1}, {"[x\\-]", "z", 0}, {"[\\-x]", "x", 1},
      {"[\\-x]", "-", 1}, {"[\\-x]", "a", 0}, {"[]a]", "]", -1}, {"[-]", "-", -1},
      {"[x-]", "x", -1}, {"[x-]", "-", -1}, {"[-x]", "x", -1}, {"\\", "a", -1},
      {"[a-b-c]", "a", -1}, {"[", "a", -1}, {"[^", "a", -1}, {"[^bc", "a", -1}, {"a[", "a", -1},
      {"a[", "ab", -1}, {"a[", "x", -1}, {"a/b[", "x", -1}, {"*x", "xxx", 1}};
  for (const auto& c : cases) {
    auto got = go_path_match(c.pattern, c.name);
    if (c.want < 0) {
      EXPECT_FALSE(got.has_value()) << c.pattern << " " << c.name;
    } else {
      ASSERT_TRUE(got.has_value()) << c.pattern << " " << c.name;
      EXPECT_EQ(*got, c.want == 1) << c.pattern << " " << c.name;
    }
  }
}

TEST(GitDirectories, ExcludeWinsRegardlessOfOrder) {
  // git_test.go "It filters application according to the paths with Exclude" and
  // "Expecting same exclude behavior with different order".
  std::vector<std::string> dirs = {"app1", "app2", "p1/app2", "p1/app3", "p2/app3"};
  std::vector<std::string> want = {"app1", "app2", "p2/app3"};
  EXPECT_EQ(filter_directories({{"p1/*", true}, {"*", false}, {"*/*", false}}, dirs), want);
  EXPECT_EQ(filter_directories({{"*", false}, {"*/*", false}, {"p1/*", true}}, dirs), want);
}

TEST(GitDirectories, APatternMatchesExactlyOneDepth) {
  // git_test.go "It filters application according to the paths".
  std::vector<std::string> dirs = {"app1", "p1/app2", "p1/p2/app3", "p1/p2/p3/app4"};
  EXPECT_EQ(filter_directories({{"p1/*", false}, {"p1/*/*", false}}, dirs),
            (std::vector<std::string>{"p1/app2", "p1/p2/app3"}));
}

ApplicationSet parse(const std::string& yaml) {
  model::Diagnostics diags;
  auto objs = testing::objects(yaml);
  auto set = parse_application_set(objs.at(0), diags);
  EXPECT_TRUE(set.has_value()) << diags.format();
  return set.value_or(ApplicationSet{});
}

const char* kFlatSet = R"(
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: models, namespace: argocd}
spec:
  generators:
  - git:
      repoURL: https://github.com/acme/ml.git
      revision: HEAD
      directories:
      - path: '*'
      - path: '*/*'
      values:
        foo: bar
        aaa: '{{ path[0] }}'
        no-op: '{{ this-does-not-exist }}'
  template:
    metadata:
      name: '{{path.basename}}'
      labels: {team: '{{ path[0] }}'}
    spec:
      project: default
      source: {repoURL: https://github.com/acme/ml.git, path: '{{path}}', targetRevision: HEAD}
      destination: {server: https://kubernetes.default.svc, namespace: '{{path.basenameNormalized}}'}
)";

TEST(AppSetGit, FlatParamsAndValuesAreThoseUpstreamGenerates) {
  // git_test.go "Value variable interpolation": repo apps app1 and p1/app2.
  auto set = parse(kFlatSet);
  auto apps = generate_applications(set, RepoListing{{"app1", "p1", "p1/app2"}});
  ASSERT_TRUE(apps.ok()) << apps.error().message;
  ASSERT_EQ(apps->size(), 3u);  // "p1" itself matches '*'
  EXPECT_EQ(*(*apps)[0].params, json({{"values.foo", "bar"}, {"values.no-op", "{{ this-does-not-exist }}"},
                                      {"values.aaa", "app1"}, {"path", "app1"}, {"path.basename", "app1"},
                                      {"path[0]", "app1"}, {"path.basenameNormalized", "app1"}}));
  EXPECT_EQ(*(*apps)[2].params,
            json({{"values.foo", "bar"}, {"values.no-op", "{{ this-does-not-exist }}"}, {"values.aaa", "p1"},
                  {"path", "p1/app2"}, {"path.basename", "app2"}, {"path[0]", "p1"}, {"path[1]", "app2"},
                  {"path.basenameNormalized", "app2"}}));
  const json& app = *(*apps)[2].application;
  EXPECT_EQ(app["metadata"]["name"], "app2");
  EXPECT_EQ(app["metadata"]["labels"]["team"], "p1");
  EXPECT_EQ(app["spec"]["source"]["path"], "p1/app2");
  EXPECT_EQ(app["kind"], "Application");
}

TEST(AppSetGit, BasenameNormalizedIsSanitized) {
  // git_test.go "happy flow": app_3 -> app-3.
  EXPECT_EQ(sanitize_name("app_3"), "app-3");
  EXPECT_EQ(sanitize_name("-My_App.v1-"), "my-app.v1");
  EXPECT_EQ(sanitize_name(std::string(300, 'a')).size(), 253u);
}

TEST(AppSetGit, PathParamPrefixPrefixesEveryName) {
  // git_test.go "It prefixes path parameters with PathParamPrefix".
  auto set = parse(R"(
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: s, namespace: argocd}
spec:
  generators:
  - git: {repoURL: r, pathParamPrefix: myRepo, directories: [{path: '*'}]}
  template:
    metadata: {name: '{{myRepo.path.basename}}'}
    spec: {project: default}
)");
  auto apps = generate_applications(set, RepoListing{{"app_3", "p1/app4"}});
  ASSERT_TRUE(apps.ok());
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ(*(*apps)[0].params, json({{"myRepo.path", "app_3"}, {"myRepo.path.basename", "app_3"},
                                      {"myRepo.path.basenameNormalized", "app-3"}, {"myRepo.path[0]", "app_3"}}));
  EXPECT_EQ((*(*apps)[0].application)["metadata"]["name"], "app_3");
}

const char* kGoSet = R"(
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: models, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - git:
      repoURL: https://github.com/acme/ml.git
      directories: [{path: 'models/*'}]
      values: {env: '{{ index .path.segments 0 }}'}
  template:
    metadata:
      name: '{{ .path.basename | lower | trunc 10 }}-{{ index .path.segments 0 }}'
    spec:
      project: default
      source: {repoURL: https://github.com/acme/ml.git, path: '{{.path.path}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{ .path.basename | replace "_" "-" }}'}
)";

TEST(AppSetGit, GoTemplateParamsNestPathWithSegments) {
  auto set = parse(kGoSet);
  auto apps = generate_applications(set, RepoListing{{"models", "models/Fraud_Detector"}});
  ASSERT_TRUE(apps.ok()) << apps.error().message;
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ(*(*apps)[0].params,
            json({{"path", {{"path", "models/Fraud_Detector"}, {"basename", "Fraud_Detector"},
                            {"basenameNormalized", "fraud-detector"}, {"segments", {"models", "Fraud_Detector"}}}},
                  {"values", {{"env", "models"}}}}));
  const json& app = *(*apps)[0].application;
  EXPECT_EQ(app["metadata"]["name"], "fraud_dete-models");
  EXPECT_EQ(app["spec"]["destination"]["namespace"], "Fraud-Detector");
  EXPECT_EQ(app["spec"]["source"]["path"], "models/Fraud_Detector");
}

TEST(AppSetGit, MissingKeyErrorFailsRendering) {
  auto set = parse(kGoSet);
  (*set.template_)["metadata"]["labels"] = {{"x", "{{ .nope }}"}};
  auto apps = generate_applications(set, RepoListing{{"models/a"}});
  ASSERT_FALSE(apps.ok());
  EXPECT_NE(apps.error().message.find("map has no entry for key \"nope\""), std::string::npos);
  set.go_template_options.clear();  // default: Go prints "<no value>"
  apps = generate_applications(set, RepoListing{{"models/a"}});
  ASSERT_TRUE(apps.ok());
  EXPECT_EQ((*(*apps)[0].application)["metadata"]["labels"]["x"], "<no value>");
}

TEST(AppSetRender, FinalizerAddedUnlessPreserveResourcesOnDeletion) {
  // utils_test.go TestRenderTemplateParamsFinalizers; namespace from the set (template.go).
  auto set = parse(kFlatSet);
  auto apps = generate_applications(set, RepoListing{{"app1"}});
  ASSERT_TRUE(apps.ok());
  const json& app = *(*apps)[0].application;
  EXPECT_EQ(app["metadata"]["finalizers"], json::array({"resources-finalizer.argocd.argoproj.io"}));
  EXPECT_EQ(app["metadata"]["namespace"], "argocd");
  set.preserve_resources_on_deletion = true;
  apps = generate_applications(set, RepoListing{{"app1"}});
  ASSERT_TRUE(apps.ok());
  EXPECT_FALSE((*(*apps)[0].application)["metadata"].contains("finalizers"));
  (*set.template_)["metadata"]["finalizers"] = {"custom"};
  set.preserve_resources_on_deletion = false;
  apps = generate_applications(set, RepoListing{{"app1"}});
  ASSERT_TRUE(apps.ok());
  EXPECT_EQ((*(*apps)[0].application)["metadata"]["finalizers"], json::array({"custom"}));
}

TEST(AppSetRender, FlatModeLeavesUnknownTagsAndRendersMapKeys) {
  auto r = render_flat("{{ a }}-{{b}}-{{}}", json{{"a", "x"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "x-{{b}}-{{}}");
  EXPECT_FALSE(render_flat("{{ a ", json{{"a", "x"}}).ok());
}

TEST(AppSetRender, DuplicateNamesAreRefusedWithUpstreamMessage) {
  auto set = parse(R"(
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: dup, namespace: argocd}
spec:
  generators:
  - list: {elements: [{cluster: a}, {cluster: b}]}
  template:
    metadata: {name: same}
    spec: {project: default}
)");
  auto apps = generate_applications(set, RepoListing{});
  ASSERT_FALSE(apps.ok());
  EXPECT_EQ(apps.error().message, "ApplicationSet dup contains applications with duplicate name: same");
}

TEST(AppSetList, FlatElementsBecomeStringParamsAndValues) {
  // list.go: string fields as is, `values` map flattened to values.<k>.
  auto set = parse(R"(
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: l, namespace: argocd}
spec:
  generators:
  - list:
      elements:
      - {cluster: engineering-dev, url: https://1.2.3.4, values: {tier: gold}}
  templatePatch: |
    spec:
      project: '{{values.tier}}'
  template:
    metadata: {name: '{{cluster}}-guestbook'}
    spec: {project: default, destination: {server: '{{url}}', namespace: guestbook}}
)");
  auto apps = generate_applications(set, RepoListing{});
  ASSERT_TRUE(apps.ok()) << apps.error().message;
  EXPECT_EQ(*(*apps)[0].params,
            json({{"cluster", "engineering-dev"}, {"url", "https://1.2.3.4"}, {"values.tier", "gold"}}));
  const json& app = *(*apps)[0].application;
  EXPECT_EQ(app["metadata"]["name"], "engineering-dev-guestbook");
  EXPECT_EQ(app["spec"]["destination"]["server"], "https://1.2.3.4");
  EXPECT_EQ(app["spec"]["project"], "gold");  // templatePatch applied after rendering
}

TEST(AppSetList, NonStringFieldsNeedGoTemplate) {
  auto set = parse(R"(
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: l, namespace: argocd}
spec:
  generators:
  - list: {elements: [{replicas: 3}]}
  template: {metadata: {name: x}, spec: {project: default}}
)");
  EXPECT_FALSE(generate_applications(set, RepoListing{}).ok());
}

TEST(AppSetParse, UnsupportedGeneratorIsReportedAtItsKey) {
  model::Diagnostics diags;
  auto objs = testing::objects(R"(apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: c}
spec:
  generators:
  - clusters: {}
  template: {metadata: {name: x}, spec: {project: default}}
)");
  EXPECT_FALSE(parse_application_set(objs.at(0), diags).has_value());
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.items()[0].pos.line, 6);
  EXPECT_EQ(diags.items()[0].pos.col, 5);
}

TEST(AppSetController, CreatesUpdatesAndDeletesAsGeneratorOutputChanges) {
  auto set = parse(kFlatSet);
  auto before = generate_applications(set, RepoListing{{"app1", "app2"}});
  ASSERT_TRUE(before.ok());
  std::map<std::string, model::JsonBox> existing;
  for (const auto& g : *before) existing[g.name] = g.application;
  (*existing["app1"])["spec"]["project"] = "changed-by-hand";
  auto after = generate_applications(set, RepoListing{{"app1", "app3"}});
  ASSERT_TRUE(after.ok());
  auto actions = plan_appset_changes(set, *after, existing);
  ASSERT_EQ(actions.size(), 3u);
  EXPECT_EQ(actions[0].type, AppSetActionType::Update);
  EXPECT_EQ(actions[0].name, "app1");
  EXPECT_EQ(actions[1].type, AppSetActionType::Create);
  EXPECT_EQ(actions[1].name, "app3");
  EXPECT_EQ(actions[2].type, AppSetActionType::Delete);
  EXPECT_EQ(actions[2].name, "app2");
  EXPECT_TRUE(actions[2].cascade);  // resources finalizer: its resources go too

  set.applications_sync = ApplicationsSyncPolicy::CreateOnly;
  actions = plan_appset_changes(set, *after, existing);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].type, AppSetActionType::Create);
  set.applications_sync = ApplicationsSyncPolicy::CreateUpdate;
  EXPECT_EQ(plan_appset_changes(set, *after, existing).size(), 2u);
}

TEST(AppSetController, PreservedResourcesAreNotCascaded) {
  auto set = parse(kFlatSet);
  set.preserve_resources_on_deletion = true;
  auto before = generate_applications(set, RepoListing{{"app1"}});
  ASSERT_TRUE(before.ok());
  std::map<std::string, model::JsonBox> existing{{"app1", (*before)[0].application}};
  auto actions = plan_appset_changes(set, {}, existing);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].type, AppSetActionType::Delete);
  EXPECT_FALSE(actions[0].cascade);
}

}  // namespace
}  // namespace rehearse::argocd
