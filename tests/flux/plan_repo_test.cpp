// `rehearse plan --repo` for Flux Kustomizations, end to end: a config repository is built in
// the test (GitRepo::from_directory + a commit that adds, modifies and `git rm`s files under a
// Kustomization's path), then the CLI is run on it. Facts checked against the reference:
// staged apply order (flux.md §3.6: CRDs/Namespaces/ClusterRoles, then *Class kinds, then the
// rest), stale objects pruned in reverse apply order and `prune: disabled` kept (§3.7),
// dependsOn order (§3.3), inline `substitute` applied while substituteFrom values stay unknown
// (§3.5), Kustomizations whose output did not change are not planned.

#include <filesystem>
#include <fstream>
#include <iterator>
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

std::string kustomization(const std::string& name, const std::string& path, const std::string& extra) {
  return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: " + name +
         ", namespace: flux-system}\nspec:\n  interval: 5m\n  sourceRef: {kind: GitRepository, name: ml-platform}\n"
         "  path: ./" + path + "\n  prune: true\n" + extra;
}

const char* kAppsExtra = R"(  dependsOn: [{name: infra}]
  postBuild:
    substitute: {CLUSTER_ENV: prod}
    substituteFrom: [{kind: ConfigMap, name: cluster-vars}]
)";

class FluxPlanRepo : public TwoCommitRepo {
 protected:
  FluxPlanRepo() : TwoCommitRepo("rehearse-fluxplan") {}

  void SetUp() override {
    // "apps" sorts before "infra": only dependsOn puts infra first.
    write_file(fixture.path / "clusters/prod/apps.yaml", kustomization("apps", "apps", kAppsExtra));
    write_file(fixture.path / "clusters/prod/infra.yaml", kustomization("infra", "infra", ""));
    write_file(fixture.path / "clusters/prod/monitoring.yaml", kustomization("monitoring", "monitoring", ""));
    write_file(fixture.path / "infra/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ml-serving}\n");
    write_file(fixture.path / "monitoring/cm.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mon, namespace: monitoring}\ndata: {a: b}\n");
    write_file(fixture.path / "apps/cm.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: ml-serving}\n"
               "data: {MODEL_VERSION: v1, ENV: '${CLUSTER_ENV}', REGION: '${AWS_REGION}'}\n");
    write_file(fixture.path / "apps/svc-v1.yaml",
               "apiVersion: v1\nkind: Service\nmetadata: {name: fraud-detector-v1, namespace: ml-serving}\n"
               "spec: {ports: [{port: 80}]}\n");
    write_file(fixture.path / "apps/keep.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: ml-serving\n"
               "  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\ndata: {a: b}\n");
    write_file(fixture.path / "apps/deploy.yaml",
               "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: fraud-detector, namespace: ml-serving}\n"
               "spec: {selector: {matchLabels: {app: fd}}, template: {metadata: {labels: {app: fd}}, spec: {containers: [{name: c, image: 'fd:1'}]}}}\n");
    commit_two(
        {{sim::FileChange::Op::Delete, "apps/svc-v1.yaml", ""},
         {sim::FileChange::Op::Delete, "apps/keep.yaml", ""},
         {sim::FileChange::Op::Write, "apps/cm.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: ml-serving}\n"
          "data: {MODEL_VERSION: v2, ENV: '${CLUSTER_ENV}', REGION: '${AWS_REGION}'}\n"},
         {sim::FileChange::Op::Write, "apps/svc-v2.yaml",
          "apiVersion: v1\nkind: Service\nmetadata: {name: fraud-detector-v2, namespace: ml-serving}\n"
          "spec: {ports: [{port: 80}]}\n"},
         {sim::FileChange::Op::Write, "apps/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shadow}\n"},
         {sim::FileChange::Op::Write, "infra/priority.yaml",
          "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: serving}\nvalue: 1000\n"}},
        "v2 service, drop v1");
  }
};

std::vector<std::string> ops(const json& plan) {
  std::vector<std::string> out;
  for (const auto& t : plan["tasks"])
    out.push_back(t["operation"].get<std::string>() + " " + std::to_string(t["stage"].get<int>()) + " " +
                  t["kind"].get<std::string>() + "/" + t["name"].get<std::string>());
  return out;
}

TEST_F(FluxPlanRepo, ChangedKustomizationsInDependsOnOrderWithStagesAndPrunes) {
  CliRun r = run("plan --repo " + git_dir() + " --from " + first + " --to " + second + " -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  json j = json::parse(r.out);
  EXPECT_TRUE(j["applications"].empty());
  ASSERT_EQ(j["kustomizations"].size(), 2u) << j.dump(2);  // monitoring's output did not change
  const json& infra = j["kustomizations"][0];
  const json& apps = j["kustomizations"][1];
  EXPECT_EQ(infra["name"], "infra");  // dependsOn first, although "apps" sorts before it
  EXPECT_EQ(apps["name"], "apps");
  EXPECT_EQ(apps["namespace"], "flux-system");
  EXPECT_EQ(apps["path"], "apps");
  EXPECT_EQ(apps["dependsOn"], json::array({"flux-system/infra"}));

  // infra: a *Class kind is stage 2, the unchanged Namespace is not re-listed as modified.
  EXPECT_EQ(ops(infra["plan"]), (std::vector<std::string>{"update 1 Namespace/ml-serving", "create 2 PriorityClass/serving"}));
  EXPECT_EQ(infra["plan"]["tasks"][0]["modified"], false);

  // apps: Namespace first (stage 1), then the rest by kind rank (ConfigMap, Service,
  // Deployment); stale objects in reverse apply order (Service before ConfigMap).
  EXPECT_EQ(ops(apps["plan"]), (std::vector<std::string>{
                                   "create 1 Namespace/shadow", "update 3 ConfigMap/cfg",
                                   "create 3 Service/fraud-detector-v2", "update 3 Deployment/fraud-detector",
                                   "prune 3 Service/fraud-detector-v1", "prune 3 ConfigMap/keep"}));
  const json& tasks = apps["plan"]["tasks"];
  EXPECT_EQ(tasks[1]["modified"], true);
  EXPECT_EQ(tasks[3]["modified"], false);
  EXPECT_FALSE(tasks[4].contains("pruneSkipped"));
  EXPECT_EQ(tasks[5]["pruneSkipped"], "kustomize.toolkit.fluxcd.io/prune: disabled");
  EXPECT_EQ(apps["plan"]["prune"], json::array({"Service/fraud-detector-v1"}));
  EXPECT_EQ(apps["plan"]["pruneSkipped"], json::array({"ConfigMap/keep"}));
  ASSERT_EQ(apps["plan"]["stages"].size(), 2u);
  EXPECT_EQ(apps["plan"]["stages"][0]["stage"], 1);
  EXPECT_EQ(apps["plan"]["stages"][1]["apply"], json::array({"ConfigMap/cfg", "Service/fraud-detector-v2", "Deployment/fraud-detector"}));

  // Inline substitute is applied; the substituteFrom variable stays and is warned about.
  bool region = false;
  for (const auto& w : j["warnings"]) {
    std::string s = w.get<std::string>();
    EXPECT_EQ(s.find("CLUSTER_ENV"), std::string::npos) << s;
    if (s.find("kustomization flux-system/apps: ${AWS_REGION} left as written") != std::string::npos &&
        s.find("ConfigMap/cluster-vars") != std::string::npos)
      region = true;
  }
  EXPECT_TRUE(region) << j["warnings"].dump();
}

TEST_F(FluxPlanRepo, TextShowsStagesAndKeptObjects) {
  CliRun r = run("plan --repo " + git_dir() + " --from " + first + " --to " + second);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("kustomization flux-system/infra (path infra"), std::string::npos) << r.out;
  EXPECT_LT(r.out.find("kustomization flux-system/infra"), r.out.find("kustomization flux-system/apps"));
  EXPECT_NE(r.out.find("stage 2: *Class kinds\n    create  PriorityClass/serving"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    prune   ConfigMap/keep (ml-serving) [kept: kustomize.toolkit.fluxcd.io/prune: disabled]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("depends on flux-system/infra"), std::string::npos) << r.out;
}

TEST_F(FluxPlanRepo, ABrokenBuildIsReportedAndADependsOnCycleIsAnInputError) {
  auto c = repo->commit("main", {{sim::FileChange::Op::Write, "apps/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n"}},
                        "break apps", sim::GitAuthor{}, sim::kSimStart + sim::ms(120'000));
  ASSERT_TRUE(c.ok());
  CliRun r = run("plan --repo " + git_dir() + " --from " + first + " --to " + *c + " -o json");
  EXPECT_EQ(r.code, 2) << r.out;
  json j = json::parse(r.out);
  bool failed = false;
  for (const auto& k : j["kustomizations"])
    if (k["name"] == "apps") failed = k["plan"].contains("errors");
  EXPECT_TRUE(failed) << j.dump(2);

  auto cyc = repo->commit("main",
                          {{sim::FileChange::Op::Delete, "apps/bad.yaml", ""},
                           {sim::FileChange::Op::Write, "clusters/prod/infra.yaml",
                            kustomization("infra", "infra", "  dependsOn: [{name: apps}]\n")}},
                          "cycle", sim::GitAuthor{}, sim::kSimStart + sim::ms(180'000));
  ASSERT_TRUE(cyc.ok());
  r = run("plan --repo " + git_dir() + " --from " + first + " --to " + *cyc);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("dependsOn cycle"), std::string::npos) << r.out;
}

// The seed's repository: a PR bumping the model version and removing the mlflow values
// override plans model-deployments only. Its manifests use ${CLUSTER_ENV} and ${AWS_REGION}
// under strict substitution (§3.5): the plan succeeding means the inline values were applied.
TEST(FluxPlanSeedRepo, ModelDeploymentsUpdateAndPrune) {
  TempDir priv("rehearse-fluxplan-seed");
  auto repo = test::commit_tree(fs::path(REHEARSE_SOURCE_DIR) / "fixtures/repos/ml-platform", priv.path);
  ASSERT_TRUE(repo);
  std::string first = repo->resolve("main").value();
  std::string config;
  {
    std::ifstream in(std::string(REHEARSE_SOURCE_DIR) + "/fixtures/repos/ml-platform/clusters/prod/model-deployments/fraud-detector/config.yaml");
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t at = config.find("MODEL_VERSION: \"v2.1\"");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 21, "MODEL_VERSION: \"v2.2\"");
  auto c = repo->commit("main",
                        {{sim::FileChange::Op::Write, "clusters/prod/model-deployments/fraud-detector/config.yaml", config},
                         {sim::FileChange::Op::Delete, "clusters/prod/model-deployments/mlflow-values.yaml", ""}},
                        "model v2.2", sim::GitAuthor{}, sim::kSimStart + sim::ms(60'000));
  ASSERT_TRUE(c.ok()) << c.error().message;
  CliRun out = run("plan --repo " + test::git_dir(priv.path) + " --from " + first + " --to " + *c + " -o json");
  ASSERT_EQ(out.code, 0) << out.out;
  json j = json::parse(out.out);
  ASSERT_EQ(j["kustomizations"].size(), 1u) << j.dump(2);
  const json& k = j["kustomizations"][0];
  EXPECT_EQ(k["name"], "model-deployments");
  EXPECT_EQ(k["path"], "clusters/prod/model-deployments");
  EXPECT_EQ(k["plan"]["prune"], json::array({"ConfigMap/mlflow-values-override"}));
  bool updated = false;
  for (const auto& t : k["plan"]["tasks"])
    if (t["name"] == "fraud-detector-config") updated = t["operation"] == "update" && t["modified"] == true;
  EXPECT_TRUE(updated) << k.dump(2);
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();
}

}  // namespace
}  // namespace rehearse::test
