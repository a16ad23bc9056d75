// `rehearse run`: exit codes, reports, sharding, filtering and determinism across --jobs.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/cli/cli_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// A scratch folder with scenario files written by the test.
struct Suite {
  fs::path dir;
  explicit Suite(const std::string& name) : dir(fs::temp_directory_path() / name) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Suite() { fs::remove_all(dir); }
  std::string add(const std::string& file, const std::string& name, const std::string& expect) {
    std::ofstream(dir / file) << "apiVersion: rehearse.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: " << name
                              << "\nspec:\n  until: 5m\n  cluster:\n    namespaces: [prod]\n    objects:\n"
                                 "    - {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: prod}, data: {k: v}}\n"
                                 "  events:\n  - at: 1m\n    kubectl: patch cm/cfg -n prod --type merge -p '{\"data\":{\"k\":\"w\"}}'\n"
                                 "  expect:\n"
                              << expect;
    return (dir / file).string();
  }
};
}  // namespace

TEST(Run, PassingSuiteExitsZeroAndPrintsSeedEventsAndHash) {
  Suite s("rehearse-run-pass");
  s.add("a.yaml", "a", "  - object: ConfigMap/prod/cfg\n    path: .data.k\n    equals: w\n");
  auto r = rehearse("run " + s.dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS a  seed=1 events="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("trace-hash="), std::string::npos);
  EXPECT_NE(r.out.find("1 passed, 0 failed"), std::string::npos);
}

TEST(Run, FailedExpectationExitsOneWithExpectedObservedAndReproduceCommand) {
  Suite s("rehearse-run-fail");
  s.add("a.yaml", "a", "  - object: ConfigMap/prod/cfg\n    path: .data.k\n    equals: v\n    always: {from: 0s, to: 5m}\n");
  auto r = rehearse("run " + s.dir.string() + " --json " + (s.dir / "r.json").string() + " --junit " + (s.dir / "j.xml").string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("observed: at 1m: \"w\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reproduce: rehearse run"), std::string::npos);
  EXPECT_NE(r.out.find("--filter a --seed 1"), std::string::npos);
  EXPECT_NE(r.out.find("kubectl.patch"), std::string::npos);  // trace lines around it
  json report = json::parse(read_all((s.dir / "r.json").string()));
  ASSERT_EQ(report["scenarios"].size(), 1u);
  const json& sc = report["scenarios"][0];
  for (const char* k : {"name", "file", "passed", "seed", "events", "traceHash", "failed"})
    EXPECT_TRUE(sc.contains(k)) << k;
  EXPECT_EQ(sc["passed"], false);
  EXPECT_EQ(sc["failed"][0]["at"], "1m");
  std::string junit = read_all((s.dir / "j.xml").string());
  EXPECT_NE(junit.find("<testsuite name=\""), std::string::npos);
  EXPECT_NE(junit.find("<testcase name=\"a\""), std::string::npos);
  EXPECT_NE(junit.find("<failure message="), std::string::npos);
}

TEST(Run, ReportsAreByteStableAcrossRunsAndJobs) {
  Suite s("rehearse-run-stable");
  for (int i = 0; i < 6; ++i)
    s.add("s" + std::to_string(i) + ".yaml", "s" + std::to_string(i), "  - object: ConfigMap/prod/cfg\n    path: .data.k\n    equals: w\n");
  auto a = rehearse("run " + s.dir.string() + " --jobs 1 --junit " + (s.dir / "a.xml").string() + " --json " + (s.dir / "a.json").string());
  auto b = rehearse("run " + s.dir.string() + " --jobs 4 --junit " + (s.dir / "b.xml").string() + " --json " + (s.dir / "b.json").string());
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(read_all((s.dir / "a.xml").string()), read_all((s.dir / "b.xml").string()));
  EXPECT_EQ(read_all((s.dir / "a.json").string()), read_all((s.dir / "b.json").string()));
}

TEST(Run, ShardsPartitionTheSuiteStably) {
  Suite s("rehearse-run-shard");
  for (int i = 0; i < 9; ++i)
    s.add("s" + std::to_string(i) + ".yaml", "s" + std::to_string(i), "  - object: ConfigMap/prod/cfg\n    exists: true\n");
  std::multiset<std::string> seen;
  for (int k = 1; k <= 3; ++k) {
    auto r = rehearse("run " + s.dir.string() + " --list --shard " + std::to_string(k) + "/3");
    ASSERT_EQ(r.exit_code, 0);
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) seen.insert(line.substr(0, line.find('\t')));
    EXPECT_EQ(r.out, rehearse("run " + s.dir.string() + " --list --shard " + std::to_string(k) + "/3").out);
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 9u);
  EXPECT_EQ(rehearse("run " + s.dir.string() + " --shard 4/3").exit_code, 2);
}

TEST(Run, FilterSelectsByGlob) {
  Suite s("rehearse-run-filter");
  s.add("a.yaml", "canary-ok", "  - object: ConfigMap/prod/cfg\n    exists: true\n");
  s.add("b.yaml", "prune-ok", "  - object: ConfigMap/prod/cfg\n    exists: true\n");
  auto r = rehearse("run " + s.dir.string() + " --filter 'canary-*'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("canary-ok"), std::string::npos);
  EXPECT_EQ(r.out.find("prune-ok"), std::string::npos);
}

TEST(Run, InputErrorsExitTwoBeforeAnythingRuns) {
  Suite s("rehearse-run-bad");
  s.add("a.yaml", "a", "  - object: ConfigMap/prod/cfg\n    equals: 3\n    at: 1h\n");  // past 5m horizon
  auto r = rehearse("run " + s.dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("beyond-horizon"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(Run, TraceDirHoldsOneJsonlPerScenario) {
  Suite s("rehearse-run-trace");
  s.add("a.yaml", "a", "  - object: ConfigMap/prod/cfg\n    exists: true\n");
  auto r = rehearse("run " + s.dir.string() + " --trace-dir " + (s.dir / "traces").string());
  EXPECT_EQ(r.exit_code, 0);
  std::string trace = read_all((s.dir / "traces" / "a.jsonl").string());
  ASSERT_FALSE(trace.empty());
  auto first = json::parse(trace.substr(0, trace.find('\n')));
  for (const char* k : {"seq", "t", "at", "kind", "object", "details"}) EXPECT_TRUE(first.contains(k)) << k;
}

TEST(Run, FailingEventsFailTheScenarioUnlessExpected) {
  Suite s("rehearse-run-events");
  std::ofstream(s.dir / "e.yaml") << R"(apiVersion: rehearse.dev/v1alpha1
kind: Scenario
metadata: {name: e}
spec:
  until: 5m
  events:
  - at: 1m
    kubectl: scale deploy/missing --replicas=2
  - at: 2m
    kubectl: scale deploy/missing --replicas=3
    expectFailure: true
  expect:
  - event: {kind: kubectl.error}
    count: 2
)";
  auto r = rehearse("run " + s.dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("event failed:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NotFound"), std::string::npos) << r.out;
}
