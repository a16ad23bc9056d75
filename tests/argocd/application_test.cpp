// Application spec parsing and defaults (reference argocd.md §7.2, §8, §12).

#include "engine/argocd/application.hpp"

#include <gtest/gtest.h>

#include "engine/argocd/source.hpp"
#include "tests/argocd/test_util.hpp"

using namespace rehearse;
using namespace rehearse::argocd;
using rehearse::testing::objects;

TEST(Application, DefaultsFollowUpstream) {
  auto objs = objects("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: argocd}\n"
                      "spec:\n  source: {repoURL: r, path: p}\n  destination: {server: s, namespace: ns}\n"
                      "  syncPolicy: {automated: {}}\n");
  model::Diagnostics d;
  auto app = parse_application(objs[0], d);
  ASSERT_TRUE(app.has_value()) << d.format();
  EXPECT_EQ(app->spec.project, "default");
  EXPECT_EQ(app->spec.revision_history_limit, 10);
  EXPECT_EQ(app->spec.sources[0].target_revision, "HEAD");
  ASSERT_TRUE(app->spec.sync_policy.automated.has_value());
  EXPECT_FALSE(app->spec.sync_policy.automated->prune);
  EXPECT_FALSE(app->spec.sync_policy.automated->self_heal);
  // Automated syncs retry 5 times by default with 5s x2 up to 3m (§7.2, §8).
  RetryStrategy r = app->spec.sync_policy.automated_retry();
  EXPECT_EQ(r.limit, 5);
  std::vector<int64_t> waits;
  for (int n = 0; n < 7; ++n) waits.push_back(r.wait_ms(n) / 1000);
  EXPECT_EQ(waits, (std::vector<int64_t>{5, 10, 20, 40, 80, 160, 180}));
}

TEST(Application, SeedFraudDetectorParses) {
  const char* root = std::getenv("REHEARSE_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  model::Diagnostics d;
  auto objs = model::load_manifests(std::string(root) + "/fixtures/argocd/fraud-detector/application.yaml", d);
  ASSERT_EQ(objs.size(), 1u);
  auto app = parse_application(objs[0], d);
  ASSERT_TRUE(app.has_value()) << d.format();
  EXPECT_EQ(app->spec.destination.ns, "ml-serving");
  EXPECT_TRUE(app->spec.sync_policy.automated->prune);
  EXPECT_TRUE(app->spec.sync_policy.options().has("PruneLast", "true"));
  EXPECT_EQ(app->spec.sync_policy.retry->backoff.max_duration_ms, 180'000);
  ASSERT_EQ(app->spec.ignore_differences.size(), 2u);
  EXPECT_EQ(app->spec.ignore_differences[1].json_pointers[0], "/spec/replicas");
}

TEST(Application, CustomBackoffMatchesUpstreamTable) {
  // TestRetryStrategy_NextRetryAtCustomBackoff: 2s, factor 3, max 1m -> 2, 6, 18, 54, 60.
  RetryStrategy r;
  r.backoff = {2'000, 3, 60'000};
  std::vector<int64_t> waits;
  for (int n = 0; n < 5; ++n) waits.push_back(r.wait_ms(n) / 1000);
  EXPECT_EQ(waits, (std::vector<int64_t>{2, 6, 18, 54, 60}));
}

TEST(Application, BadFieldsAreReportedWithTheirPosition) {
  auto objs = objects("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
                      "  source: {repoURL: r}\n  syncPolicy:\n    retry:\n      backoff: {duration: soon}\n");
  model::Diagnostics d;
  EXPECT_FALSE(parse_application(objs[0], d).has_value());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.items()[0].pos.line, 8);
  EXPECT_NE(d.items()[0].message.find("duration"), std::string::npos);
}

TEST(Application, UnsupportedJqExpressionIsAnInputError) {
  auto objs = objects("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
                      "  source: {repoURL: r}\n  ignoreDifferences:\n  - kind: Deployment\n"
                      "    jqPathExpressions: ['.spec | keys']\n");
  model::Diagnostics d;
  EXPECT_FALSE(parse_application(objs[0], d).has_value());
}

TEST(DirectorySource, RecurseIncludeAndExcludeSelectFiles) {
  std::vector<SourceFile> files = {{"app/a.yaml", ""}, {"app/b.json", ""}, {"app/readme.md", ""},
                                   {"app/sub/c.yaml", ""}, {"app/sub/skip.yaml", ""},
                                   {"app/.hidden/d.yaml", ""}, {"other/e.yaml", ""}};
  ApplicationSource src;
  src.path = "app";
  auto names = [&](const ApplicationSource& s) {
    std::vector<std::string> out;
    for (auto* f : select_directory_files(s, files)) out.push_back(f->path);
    return out;
  };
  EXPECT_EQ(names(src), (std::vector<std::string>{"app/a.yaml", "app/b.json"}));
  src.directory = DirectorySource{true, "", "*skip*"};
  EXPECT_EQ(names(src), (std::vector<std::string>{"app/a.yaml", "app/b.json", "app/sub/c.yaml"}));
  src.directory = DirectorySource{true, "{*.json,sub/*}", "sub/skip.yaml"};
  EXPECT_EQ(names(src), (std::vector<std::string>{"app/b.json", "app/sub/c.yaml"}));
}
