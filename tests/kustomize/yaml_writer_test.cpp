// The YAML writer against go-yaml v2 facts, as `kubectl kustomize` v5.5 prints them (each
// expectation was checked with kubectl on the same input).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/model/yaml_writer.hpp"

namespace rehearse::model {
namespace {

using nlohmann::json;

TEST(YamlWriter, MapKeysUseGoYamlNaturalOrder) {
  // kubectl printed: ':', "0", "1", "2", "10", A, a-b, a.b, a/b, a_, a9, a10, aB, b
  std::vector<std::string> keys = {"b", "aB", "a10", "a9", "a_", "a/b", "a.b",
                                   "a-b", "A", "10", "2", "1", "0", ":"};
  std::sort(keys.begin(), keys.end(), yaml_key_less);
  EXPECT_EQ(keys, (std::vector<std::string>{":", "0", "1", "2", "10", "A", "a-b", "a.b", "a/b",
                                            "a_", "a9", "a10", "aB", "b"}));
}

TEST(YamlWriter, StringsThatYaml11WouldRetypeAreDoubleQuoted) {
  for (const char* s : {"yes", "off", "N", "y", "true", "null", "~", "", "1", "0.85", ".5",
                        "1_000", "0x1F", "0o17", "+1", "1e5", "1:20", "2024-01-15"})
    EXPECT_EQ(yaml_scalar_style(s), '"') << s;
}

TEST(YamlWriter, IndicatorsForcePlainStringsIntoSingleQuotes) {
  for (const char* s : {"-", "a: b", "#x", "x #y", " lead", "trail ", "@a", "{a}", "- a", "?",
                        "? a", "*", "!x", "%x", "`x"})
    EXPECT_EQ(yaml_scalar_style(s), '\'') << s;
}

TEST(YamlWriter, OrdinaryStringsStayPlain) {
  for (const char* s : {"<<", "a,b", "=", "hello world", "nginx:1.2", "http://x:80/a",
                        "\xC3\xA9", "2024-13-45", "1e400x"})
    EXPECT_EQ(yaml_scalar_style(s), 'p') << s;
}

TEST(YamlWriter, NonPrintableCharactersForceDoubleQuotesWithEscapes) {
  EXPECT_EQ(to_yaml(json{{"k", "tab\tx"}}), "k: \"tab\\tx\"\n");
}

TEST(YamlWriter, MultilineStringsUseLiteralBlocksWithChompingAndIndentHints) {
  EXPECT_EQ(to_yaml(json{{"k", "a\nb\n"}}), "k: |\n  a\n  b\n");
  EXPECT_EQ(to_yaml(json{{"k", "a\nb"}}), "k: |-\n  a\n  b\n");
  EXPECT_EQ(to_yaml(json{{"k", "a\nb\n\n"}}), "k: |+\n  a\n  b\n\n");
  EXPECT_EQ(to_yaml(json{{"k", "  x\ny"}}), "k: |2-\n    x\n  y\n");
}

TEST(YamlWriter, SequencesUnderAKeyAreNotIndentedAndEmptyCollectionsAreFlow) {
  json v = {{"a", json::array({1, json::array({2, 3}), json{{"x", 1}, {"y", 2}}})},
            {"e", json::object()},
            {"f", json::array()}};
  EXPECT_EQ(to_yaml(v), "a:\n- 1\n- - 2\n  - 3\n- x: 1\n  \"y\": 2\ne: {}\nf: []\n");
}

TEST(YamlWriter, LongPlainScalarsFoldAfterColumn80) {
  std::string s;
  for (int i = 0; i < 9; ++i) s += (i ? " " : "") + std::string("long string");
  json v = {{"command", json::array({s})}};
  // As kubectl printed it (sequence item at indent 0, continuation at 2).
  EXPECT_EQ(to_yaml(v),
            "command:\n- long string long string long string long string long string long string "
            "long string\n  long string long string\n");
}

TEST(YamlWriter, FloatsFormatLikeGoAfterAJsonRoundTrip) {
  EXPECT_EQ(yaml_format_float(1.0), "1");
  EXPECT_EQ(yaml_format_float(2.5), "2.5");
  EXPECT_EQ(yaml_format_float(1234567.5), "1.2345675e+06");
  EXPECT_EQ(yaml_format_float(0.000001), "1e-06");
  EXPECT_EQ(yaml_format_float(1e21), "1e+21");
  EXPECT_EQ(yaml_format_float(1e20), "1e+20");
  EXPECT_EQ(yaml_format_float(-0.0), "0");
  EXPECT_EQ(yaml_format_float(0.1), "0.1");
}

}  // namespace
}  // namespace rehearse::model
