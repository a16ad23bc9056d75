// `rehearse plan --repo` and `rehearse appset` end to end: a config repository is built in the
// test (GitRepo::from_directory + commits), then the CLI is run on it. Facts checked: a git rm
// of a manifest becomes a prune (§5), pruning a Namespace and emptying an app are warned
// about, only apps whose source path or manifest changed are planned, the user's repository
// is not written, and the git directory generator's parameters (reference §13).

#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/git/git_repo.hpp"
#include "tests/support/git_fixture.hpp"

namespace rehearse::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

CliRun run(const std::string& args) { return run_cli(REHEARSE_BIN, args); }

const char* kApp = R"(apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: fraud-detector, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://github.com/acme/ml.git, path: apps/fraud-detector, targetRevision: HEAD}
  destination: {server: https://kubernetes.default.svc, namespace: ml-serving}
  syncPolicy: {automated: {prune: true}}
)";

const char* kOther = R"(apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: feature-store, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://github.com/acme/ml.git, path: apps/feature-store}
  destination: {server: https://kubernetes.default.svc, namespace: features}
)";

class PlanRepo : public TwoCommitRepo {
 protected:
  PlanRepo() : TwoCommitRepo("rehearse-planrepo") {}

  void SetUp() override {
    write_file(fixture.path / "argocd" / "fraud-detector.yaml", kApp);
    write_file(fixture.path / "argocd" / "feature-store.yaml", kOther);
    write_file(fixture.path / "apps" / "fraud-detector" / "cm.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {MODEL_VERSION: v1}\n");
    write_file(fixture.path / "apps" / "fraud-detector" / "svc-v1.yaml",
               "apiVersion: v1\nkind: Service\nmetadata: {name: fraud-detector-v1}\nspec: {ports: [{port: 80}]}\n");
    write_file(fixture.path / "apps" / "fraud-detector" / "ns.yaml",
               "apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n");
    write_file(fixture.path / "apps" / "feature-store" / "cm.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fs}\ndata: {a: b}\n");
    commit_two({{sim::FileChange::Op::Delete, "apps/fraud-detector/svc-v1.yaml", ""},
                {sim::FileChange::Op::Delete, "apps/fraud-detector/ns.yaml", ""},
                {sim::FileChange::Op::Write, "apps/fraud-detector/cm.yaml",
                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {MODEL_VERSION: v2}\n"}},
               "git rm the v1 service");
  }
};

TEST_F(PlanRepo, AGitRmBecomesAPruneAndANamespacePruneIsWarned) {
  auto before = fs::last_write_time(git_dir());
  CliRun r = run("plan --repo " + git_dir() + " --from " + first + " --to " + second + " -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  json j = json::parse(r.out);
  ASSERT_EQ(j["applications"].size(), 1u);  // feature-store's path did not change
  const json& app = j["applications"][0];
  EXPECT_EQ(app["name"], "fraud-detector");
  EXPECT_EQ(app["path"], "apps/fraud-detector");
  std::map<std::string, std::string> ops;
  for (const auto& t : app["plan"]["tasks"]) ops[t["kind"].get<std::string>() + "/" + t["name"].get<std::string>()] = t["operation"];
  EXPECT_EQ(ops["Service/fraud-detector-v1"], "prune");
  EXPECT_EQ(ops["Namespace/scratch"], "prune");
  EXPECT_EQ(ops["ConfigMap/cfg"], "update");
  bool ns_warning = false;
  for (const auto& w : j["warnings"])
    if (w.get<std::string>().find("pruning Namespace scratch deletes every object in it") != std::string::npos)
      ns_warning = true;
  EXPECT_TRUE(ns_warning) << j["warnings"].dump();
  EXPECT_EQ(fs::last_write_time(git_dir()), before);  // the user's repository is only read
}

TEST_F(PlanRepo, EmptyingAnAppWarnsThatEverythingItOwnsIsPruned) {
  auto c = repo->commit("main",
                        {{sim::FileChange::Op::Delete, "apps/fraud-detector/cm.yaml", ""},
                         {sim::FileChange::Op::Write, "apps/fraud-detector/README.md", "empty\n"}},
                        "empty the app", sim::GitAuthor{}, sim::kSimStart + sim::ms(120'000));
  ASSERT_TRUE(c.ok());
  CliRun r = run("plan --repo " + git_dir() + " --from " + first + " --to " + *c + " --app fraud-detector -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  json j = json::parse(r.out);
  bool wipe = false;
  for (const auto& w : j["warnings"])
    if (w.get<std::string>().find("would prune everything application fraud-detector owns (3 objects)") !=
        std::string::npos)
      wipe = true;
  EXPECT_TRUE(wipe) << j["warnings"].dump();
}

TEST_F(PlanRepo, UnknownRevisionIsAnInputError) {
  CliRun r = run("plan --repo " + git_dir() + " --from nope --to " + second);
  EXPECT_EQ(r.code, 2) << r.out;
}

TEST(AppSetCommand, GitDirectoryGeneratorListsAppsInWalkOrder) {
  TempDir d("rehearse-appset-cmd");
  write_file(d.path / "repo" / "models" / "fraud_detector" / "k.yaml", "a: 1\n");
  write_file(d.path / "repo" / "models" / "churn" / "k.yaml", "a: 1\n");
  write_file(d.path / "repo" / "models" / ".hidden" / "k.yaml", "a: 1\n");
  write_file(d.path / "set.yaml", R"(apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: models, namespace: argocd}
spec:
  generators:
  - git:
      repoURL: https://github.com/acme/ml.git
      directories: [{path: 'models/*'}]
  template:
    metadata: {name: '{{path.basenameNormalized}}'}
    spec:
      project: default
      source: {repoURL: https://github.com/acme/ml.git, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{path.basename}}'}
)");
  CliRun r = run("appset -f " + (d.path / "set.yaml").string() + " --repo " + (d.path / "repo").string() + " -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  json j = json::parse(r.out);
  ASSERT_EQ(j["applications"].size(), 2u);  // .hidden skipped
  EXPECT_EQ(j["applications"][0]["name"], "churn");
  EXPECT_EQ(j["applications"][1]["name"], "fraud-detector");
  EXPECT_EQ(j["applications"][1]["params"]["path[1]"], "fraud_detector");
  EXPECT_EQ(j["applications"][1]["application"]["spec"]["source"]["path"], "models/fraud_detector");

  write_file(d.path / "bad.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: x}\nspec:\n  generators:\n  - matrix: {}\n  template: {metadata: {name: x}, spec: {}}\n");
  r = run("appset -f " + (d.path / "bad.yaml").string() + " --repo " + (d.path / "repo").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("bad.yaml:6:5"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace rehearse::test
