// The CLI's public contract (docs/cli.md): exit codes, did-you-mean, --version, validate.

#include <gtest/gtest.h>

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
