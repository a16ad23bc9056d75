// The CLI's public contract (docs/cli.md): exit codes, did-you-mean, --version, validate.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_support.hpp"

TEST(Cli, VersionAndHelpExitZero) {
  auto v = rehearse("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("rehearse "), std::string::npos);
  EXPECT_EQ(rehearse("run --help").exit_code, 0);
}

TEST(Cli, UnknownSubcommandIsAUsageErrorWithASuggestion) {
  auto r = rehearse("rnu scenarios");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean `rehearse run`?"), std::string::npos) << r.err;
}

TEST(Cli, UnknownFlagGetsADidYouMean) {
  auto r = rehearse("run scenarios --filtr x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean `--filter`?"), std::string::npos) << r.err;
}

TEST(Cli, ValidateReportsEveryProblemWithPositionsAndExitsTwo) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "rehearse-cli-validate";
  fs::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n---\nkind: Secret\nmetadata: {name: s}\n";
  auto r = rehearse("validate " + (dir / "bad.yaml").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:5:3: error[duplicate-key]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.yaml:7:1: error[missing-apiversion]"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(Cli, OutputFormatIsChecked) {
  auto r = rehearse("run scenarios/kernel -o yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-o must be one of text,json"), std::string::npos) << r.err;
}

TEST(Cli, InvalidUtf8IsAnInputErrorNotACrash) {
  // Invalid UTF-8 used to reach JSON strings, and printing them threw (exit 3, internal error).
  auto r = rehearse("validate tests/fuzz/corpus/regression-map-iterator.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tests/fuzz/corpus/regression-map-iterator.yaml:2:25: error[yaml-syntax]: invalid UTF-8 "
                       "(byte 0xFF)"),
            std::string::npos)
      << r.err;
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("rehearse-cli-utf8-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "latin1.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"caf\xe9\"\n";
  auto j = rehearse("validate -o json " + (dir / "latin1.yaml").string());
  EXPECT_EQ(j.exit_code, 2) << j.err;
  EXPECT_NE(j.out.find("latin1.yaml:4:13: error[yaml-syntax]: invalid UTF-8 (byte 0xE9)"), std::string::npos)
      << j.out << j.err;
  fs::remove_all(dir);
}

TEST(Cli, NonUtf8NamesAndArgumentsInJsonOutputAreReplacedNotACrash) {
  // File names from disk and command-line arguments are not checked for UTF-8; -o json used to
  // throw on them (exit 3, internal error). Bad bytes now print as U+FFFD.
  namespace fs = std::filesystem;
  const std::string bad = "caf\xe9";
  const std::string replaced = "caf\xef\xbf\xbd";  // U+FFFD in UTF-8
  fs::path dir = fs::temp_directory_path() / ("rehearse-cli-utf8-names-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "manifests");
  auto parse = [](const CliResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  };

  // A manifest file whose name is not UTF-8.
  std::ofstream(dir / "manifests" / (bad + ".yaml")) << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
  auto v = rehearse("validate -o json '" + (dir / "manifests").string() + "'");
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(parse(v).dump().find(replaced + ".yaml"), std::string::npos) << v.out;

  // A scenario file whose name is not UTF-8, in the --json report.
  fs::path scenario = dir / (bad + ".yaml");
  std::ofstream(scenario) << "apiVersion: rehearse.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: a\nspec:\n"
                             "  until: 1m\n  cluster:\n    namespaces: [prod]\n    objects:\n"
                             "    - {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: prod}, data: {k: v}}\n"
                             "  expect:\n  - object: ConfigMap/prod/cfg\n    path: .data.k\n    equals: v\n";
  fs::path report = dir / "report.json";
  auto run = rehearse("run '" + scenario.string() + "' --json '" + report.string() + "'");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto rj = nlohmann::json::parse(read_all(report.string()), nullptr, false);
  ASSERT_FALSE(rj.is_discarded());
  EXPECT_EQ(rj["scenarios"][0]["file"], (dir / (replaced + ".yaml")).string());

  // A version argument that is not UTF-8: listed as invalid, exit 1 (not every version matches).
  auto s = rehearse("semver '>=1.0.0' 1.0.0 '" + bad + "' -o json");
  EXPECT_EQ(s.exit_code, 1) << s.err;
  auto sj = parse(s);
  EXPECT_EQ(sj["results"][1]["version"], replaced);
  EXPECT_EQ(sj["results"][1]["valid"], false);

  // The selected tag is not UTF-8.
  std::ofstream(dir / "policy.yaml") << "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
                                        "metadata: {name: p, namespace: flux-system}\n"
                                        "spec:\n  imageRepositoryRef: {name: r}\n  policy:\n    alphabetical: {order: asc}\n";
  auto ip = rehearse("image-policy -f '" + (dir / "policy.yaml").string() + "' --tags a1,'z-" + bad + "' -o json");
  EXPECT_EQ(ip.exit_code, 0) << ip.err;
  EXPECT_EQ(parse(ip)["latest"], "z-" + replaced);
  fs::remove_all(dir);
}
