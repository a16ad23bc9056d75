#include "engine/model/yaml_loader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

using rehearse::model::Diagnostics;
using rehearse::model::parse_yaml;
using rehearse::model::type_plain_scalar;
using nlohmann::json;

namespace {
json one(const std::string& text) {
  Diagnostics d;
  auto docs = parse_yaml(text, "t.yaml", d);
  EXPECT_FALSE(d.has_errors()) << d.format();
  EXPECT_EQ(docs.size(), 1u);
  return docs.empty() ? json() : *docs[0].value;
}
}  // namespace

// Values checked against `kubectl kustomize` v5.5 output on the same ConfigMap.
TEST(YamlTyping, FollowsKustomizeYaml12CoreSchema) {
  json v = one("a: yes\nb: on\nc: 0o17\nd: 017\ne: 0x1F\nf: 1e3\nh: ~\ni: 1_000\nj: \"0.85\"\n"
               "k: 0.85\nl: Yes\nm: y\nn: True\no: FALSE\np: null\nq: ''\nr: -12\ns: 1.5e-3\n");
  EXPECT_EQ(v["a"], "yes");
  EXPECT_EQ(v["b"], "on");
  EXPECT_EQ(v["c"], 15);
  EXPECT_EQ(v["d"], 15);
  EXPECT_EQ(v["e"], 31);
  EXPECT_TRUE(v["f"].is_number_float());
  EXPECT_DOUBLE_EQ(v["f"].get<double>(), 1000.0);
  EXPECT_TRUE(v["h"].is_null());
  EXPECT_EQ(v["i"], 1000);
  EXPECT_EQ(v["j"], "0.85");
  EXPECT_TRUE(v["k"].is_number_float());
  EXPECT_EQ(v["l"], "Yes");
  EXPECT_EQ(v["m"], "y");
  EXPECT_EQ(v["n"], true);
  EXPECT_EQ(v["o"], false);
  EXPECT_TRUE(v["p"].is_null());
  EXPECT_EQ(v["q"], "");
  EXPECT_EQ(v["r"], -12);
  EXPECT_DOUBLE_EQ(v["s"].get<double>(), 0.0015);
}

TEST(YamlTyping, SpecialFloatsAndStrings) {
  EXPECT_TRUE(std::isinf(type_plain_scalar(".inf")->get<double>()));
  EXPECT_LT(type_plain_scalar("-.Inf")->get<double>(), 0);
  EXPECT_TRUE(std::isnan(type_plain_scalar(".nan")->get<double>()));
  EXPECT_EQ(*type_plain_scalar("1.2.3"), "1.2.3");
  EXPECT_EQ(*type_plain_scalar("v1.0.0"), "v1.0.0");
  EXPECT_EQ(*type_plain_scalar("-"), "-");
  EXPECT_EQ(*type_plain_scalar("."), ".");
  EXPECT_EQ(*type_plain_scalar("0"), 0);
  // Not valid octal, but a YAML float: kubectl kustomize prints 8.
  EXPECT_DOUBLE_EQ(type_plain_scalar("08")->get<double>(), 8.0);
}

TEST(YamlTyping, QuotedAndTaggedScalarsStayStrings) {
  json v = one("a: \"true\"\nb: '10'\nc: !!str 10\nd: !!float 3\n");
  EXPECT_EQ(v["a"], "true");
  EXPECT_EQ(v["b"], "10");
  EXPECT_EQ(v["c"], "10");
  EXPECT_TRUE(v["d"].is_number_float());
}

TEST(YamlLoader, SkipsEmptyDocumentsAndKeepsIndexes) {
  Diagnostics d;
  auto docs = parse_yaml("---\n# only a comment\n---\na: 1\n---\n---\nb: 2\n", "f.yaml", d);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ((*docs[0].value)["a"], 1);
  EXPECT_EQ((*docs[1].value)["b"], 2);
  EXPECT_EQ(docs[1].start.line, 7);
}

TEST(YamlLoader, PositionsAreOneBasedPerKey) {
  Diagnostics d;
  auto docs = parse_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n",
                         "cm.yaml", d);
  ASSERT_EQ(docs.size(), 1u);
  auto pos = docs[0].positions->find("/metadata/name");
  EXPECT_EQ(pos.file, "cm.yaml");
  EXPECT_EQ(pos.line, 4);
  EXPECT_EQ(pos.col, 3);
  // A missing key falls back to its nearest ancestor.
  EXPECT_EQ(docs[0].positions->find("/data/missing").line, 5);
}

TEST(YamlLoader, DuplicateKeysAreErrorsWithPosition) {
  Diagnostics d;
  parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items()[0].code, "duplicate-key");
  EXPECT_EQ(d.items()[0].pos.line, 3);
  EXPECT_EQ(d.items()[0].pos.col, 1);
  EXPECT_NE(d.format().find("dup.yaml:3:1: error[duplicate-key]"), std::string::npos);
}

TEST(YamlLoader, SyntaxErrorReportsLineAndColumn) {
  Diagnostics d;
  auto docs = parse_yaml("a: [1, 2\nb: 3\n", "bad.yaml", d);
  EXPECT_TRUE(docs.empty());
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items()[0].code, "yaml-syntax");
  EXPECT_GT(d.items()[0].pos.line, 0);
}

TEST(YamlLoader, AliasBombIsAnErrorNotAHang) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
    prev = c;
  }
  Diagnostics d;
  auto docs = parse_yaml(bomb, "bomb.yaml", d);
  EXPECT_TRUE(docs.empty());
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.items().back().code, "yaml-too-large");
}

TEST(YamlLoader, MisplacedCommaIsAnErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll loops forever on these (found by the fuzzer).
  for (const char* text : {",\n", "a\n---\n,\n", "--- ,\n", "# c\n  ,x\n", "!tag ,\n", "&a ,\n",
                           "a\n...\n,\n", "%YAML 1.2\n--- ,\n", "a: 1\n---\n\n  , k\n", "[x],\n", "[x] ,\n",
                           "{a: 1}, x\n", "\"s\", x\n", "'s', x\n", "[x]\n,\n", "&a [x], *a]\n", "[\"]\", [1]], 2\n",
                           "'it''s', x\n", "--- [x]\n# c\n, y\n", "&a/data/a,\n", "!t,\n", "&a [k\"\"\"x],\n", "[&a \"],\", x], y\n", "[k\"], x\"]\n"}) {
    Diagnostics d;
    auto docs = parse_yaml(text, "c.yaml", d);
    EXPECT_TRUE(docs.empty()) << text;
    ASSERT_TRUE(d.has_errors()) << text;
    EXPECT_EQ(d.items().back().code, "yaml-syntax") << text;
  }
  Diagnostics d;
  parse_yaml("a: 1\n---\n\n  , k\n", "c.yaml", d);
  EXPECT_EQ(d.format(), "c.yaml:4:3: error[yaml-syntax]: unexpected `,` outside a flow collection (quote the value if it is a string)\n");
  // Commas elsewhere, and markers inside lines, are left to the parser.
  for (const char* text : {"a: [1, 2]\n", "a: \",x\"\n---\nb: c, d\n", "--- |\n  ,literal\n", "a: x---\n,b: 1\n",
                           "[1, 2]\n", "b: [x], y\n", "\"a,b\"\n", "{a: [1, {b: c}]}\n# x, y\n", "[&a \"],\", x]\n", "{\"a\":\"]\"}\n"}) {
    Diagnostics ok;
    parse_yaml(text, "ok.yaml", ok);
    EXPECT_EQ(ok.format().find("outside a flow collection"), std::string::npos) << text << ok.format();
  }
}

TEST(YamlLoader, AStalledParserIsAnErrorNotAHang) {
  // The general net: yaml-cpp 0.7 stops advancing after `[x] y` and would yield empty
  // documents forever; more documents than markers is reported where it stalled.
  Diagnostics d;
  EXPECT_TRUE(parse_yaml("[x] y,\n", "s.yaml", d).empty());
  EXPECT_EQ(d.format(), "s.yaml:1:5: error[yaml-syntax]: the YAML parser cannot continue here (malformed document)\n");
  Diagnostics ok;
  EXPECT_EQ(parse_yaml("a: 1\n---\nb: 2\n...\n---\nc: 3\n", "ok.yaml", ok).size(), 3u);
  EXPECT_FALSE(ok.has_errors()) << ok.format();
}

TEST(YamlLoader, ControlCharactersAreErrors) {
  Diagnostics d;
  EXPECT_TRUE(parse_yaml(std::string("a: 1\nb: x\0y\n", 13), "n.yaml", d).empty());
  EXPECT_EQ(d.format(), "n.yaml:2:5: error[yaml-syntax]: control character U+0000 is not allowed in YAML\n");
  Diagnostics ok;
  EXPECT_EQ(parse_yaml("a:\t1\r\nb: \"\\t\"\n", "ok.yaml", ok).size(), 1u);
  EXPECT_FALSE(ok.has_errors()) << ok.format();
}

TEST(YamlLoader, DeepNestingIsAnError) {
  std::string deep(300, '[');
  deep += std::string(300, ']');
  Diagnostics d;
  auto docs = parse_yaml("a: " + deep + "\n", "deep.yaml", d);
  EXPECT_TRUE(docs.empty());
  EXPECT_TRUE(d.has_errors());
}

TEST(YamlLoader, MergeKeysExpandWithExplicitKeysWinning) {
  json v = one("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
  EXPECT_EQ(v["derived"]["x"], 1);
  EXPECT_EQ(v["derived"]["y"], 3);
}
