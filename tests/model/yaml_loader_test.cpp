#include "engine/model/yaml_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using rehearse::model::Diagnostics;
using rehearse::model::parse_yaml;
using rehearse::model::read_text_file;
using rehearse::model::YamlOptions;
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

// go-yaml (kubectl, kustomize, Flux) refuses input that is not UTF-8; here it would also reach
// JSON strings that nlohmann's dump() cannot print. The first bad byte is reported, with the
// column counted in bytes as for control characters.
TEST(YamlLoader, InvalidUtf8IsAnErrorAtTheFirstBadByte) {
  struct Case {
    std::string text;
    const char* diagnostic;
  };
  const std::vector<Case> cases = {
      {"a: 1\nb: caf\xe9\n",  // Latin-1
       "u.yaml:2:7: error[yaml-syntax]: invalid UTF-8 (byte 0xE9): a 3-byte sequence cut short by byte 0x0A; "
       "save the file as UTF-8\n"},
      {"a: \xff\n", "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xFF): no character starts with this byte; "
                    "save the file as UTF-8\n"},
      {"a: x\x80y\n",
       "u.yaml:1:5: error[yaml-syntax]: invalid UTF-8 (byte 0x80): a continuation byte where a character should "
       "start; save the file as UTF-8\n"},
      {"a: \xe2\x9c",  // ✓ without its last byte, at the end of the file
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xE2): a 3-byte sequence cut short by the end of the "
       "file; save the file as UTF-8\n"},
      {"a: \xf0\x9f\x9a",  // 🚀 without its last byte
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xF0): a 4-byte sequence cut short by the end of the "
       "file; save the file as UTF-8\n"},
      {"a: \xc0\xaf\n",  // '/' in two bytes
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xC0): an overlong encoding; save the file as UTF-8\n"},
      {"a: \xe0\x80\xaf\n",
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (bytes 0xE0 0x80): an overlong encoding; save the file as "
       "UTF-8\n"},
      {"a: \xf0\x8f\xbf\xbf\n",  // U+FFFF in four bytes
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (bytes 0xF0 0x8F): an overlong encoding; save the file as "
       "UTF-8\n"},
      {"a: ok\n  # \xed\xa0\x80\n",  // U+D800, in a comment too
       "u.yaml:2:5: error[yaml-syntax]: invalid UTF-8 (bytes 0xED 0xA0): a UTF-16 surrogate (U+D800..U+DFFF); save "
       "the file as UTF-8\n"},
      {"a: \xf4\x90\x80\x80\n",  // U+110000
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (bytes 0xF4 0x90): a code point above U+10FFFF; save the file "
       "as UTF-8\n"},
      {"a: \xf5\x80\x80\x80\n",
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xF5): no character starts with this byte; save the file "
       "as UTF-8\n"},
      {"\"\xc3\xa9\xc3\"\n",  // a quote right after a cut-short é
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xC3): a 2-byte sequence cut short by byte 0x22; save "
       "the file as UTF-8\n"},
      // Well-formed, but not c-printable (YAML 1.2, go-yaml): C1 controls and U+FFFE / U+FFFF.
      {"a: \xc2\x80\n", "u.yaml:1:4: error[yaml-syntax]: control character U+0080 is not allowed in YAML\n"},
      {"a: \xef\xbf\xbe\n", "u.yaml:1:4: error[yaml-syntax]: noncharacter U+FFFE is not allowed in YAML\n"},
      // Whichever comes first: a control character after invalid UTF-8 is not the one reported.
      {std::string("a: \xff\0\n", 6),
       "u.yaml:1:4: error[yaml-syntax]: invalid UTF-8 (byte 0xFF): no character starts with this byte; save the "
       "file as UTF-8\n"},
      {std::string("a: \0\xff\n", 6),
       "u.yaml:1:4: error[yaml-syntax]: control character U+0000 is not allowed in YAML\n"},
  };
  for (const auto& c : cases) {
    Diagnostics d;
    EXPECT_TRUE(parse_yaml(c.text, "u.yaml", d).empty()) << c.diagnostic;
    EXPECT_EQ(d.format(), c.diagnostic);
  }
}

TEST(YamlLoader, MultiByteUtf8LoadsWithItsValue) {
  // 2-, 3- and 4-byte characters, the largest code point, NEL, and a BOM at the start (which
  // yaml-cpp drops, as go-yaml does).
  json v = one("mod\xc3\xa8le: caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80\n"
               "max: \"\xf4\x8f\xbf\xbf\"\nnel: \"a\xc2\x85\"\nnbsp: \"\xc2\xa0\xed\x9f\xbf\xee\x80\x80\"\n");
  EXPECT_EQ(v["modèle"], "café ✓ 🚀");
  EXPECT_EQ(v["max"], "\U0010FFFF");
  EXPECT_EQ(v["nbsp"], "\u00a0\ud7ff\ue000");
  EXPECT_EQ(v.dump(), json::parse(v.dump()).dump());
  json bom = one("\xef\xbb\xbf" "a: \xc3\xa9\n");
  EXPECT_EQ(bom, json::parse(R"({"a":"é"})"));
  // Columns count bytes, as for control characters: the 0xFF is the 6th byte of line 2 (its 5th character).
  Diagnostics d;
  parse_yaml("a: 1\nb: \xc3\xa9\xff\n", "c.yaml", d);
  EXPECT_EQ(d.format(), "c.yaml:2:6: error[yaml-syntax]: invalid UTF-8 (byte 0xFF): no character starts with "
                        "this byte; save the file as UTF-8\n");
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

TEST(YamlLoader, AStalledOrBrokenLaterDocumentIsTheOnlyDiagnostic) {
  // The file is parsed once and each document converted as it arrives; a stall or syntax
  // error further on still drops every document and every conversion problem found before.
  Diagnostics d;
  EXPECT_TRUE(parse_yaml("a: 1\na: 2\n---\n[x] y,\n", "s.yaml", d).empty());
  EXPECT_EQ(d.format(), "s.yaml:4:5: error[yaml-syntax]: the YAML parser cannot continue here (malformed document)\n");
  Diagnostics e;
  EXPECT_TRUE(parse_yaml("a: 1\na: 2\n---\nb: [1\n", "e.yaml", e).empty());
  EXPECT_EQ(e.format(), "e.yaml:5:1: error[yaml-syntax]: end of sequence flow not found\n");
  for (const char* text : {"{a: 1} b,\n", "\"s\" x,\n", "[x] y\n"}) {
    Diagnostics s;
    EXPECT_TRUE(parse_yaml(text, "s.yaml", s).empty()) << text;
    EXPECT_NE(s.format().find("error[yaml-syntax]: the YAML parser cannot continue here"), std::string::npos)
        << text << s.format();
  }
}

TEST(YamlLoader, FuzzCorpusEndsInDocumentsOrDiagnostics) {
  // The regression-* inputs made yaml-cpp 0.7 stall (LoadAll looped until out of memory) or
  // crash. Some hold invalid UTF-8, now reported before the parser runs: their *-utf8 copies,
  // with each bad byte replaced by `z`, keep the original path covered.
  struct Expected {
    const char* file;
    const char* diagnostics;
    size_t documents;
  };
  const std::vector<Expected> expected = {
      {"aliases.yaml", "aliases.yaml:1:8: error[yaml-too-deep]: nesting deeper than 256 levels\n", 1},
      {"configmap.yaml", "", 1},
      {"list.yaml", "", 1},
      {"regression-comma-after-anchor.yaml",
       "regression-comma-after-anchor.yaml:1:10: error[yaml-syntax]: unexpected `,` outside a flow collection (quote the value if it is a string)\n", 0},
      {"regression-comma-after-flow-root-utf8.yaml",
       "regression-comma-after-flow-root-utf8.yaml:1:7: error[yaml-syntax]: unexpected `,` outside a flow collection (quote the value if it is a string)\n", 0},
      {"regression-comma-after-flow-root.yaml",
       "regression-comma-after-flow-root.yaml:1:8: error[yaml-syntax]: invalid UTF-8 (byte 0x80): a continuation byte where a character should start; save the file as UTF-8\n", 0},
      {"regression-junk-after-flow-root-utf8.yaml",
       "regression-junk-after-flow-root-utf8.yaml:1:12: error[yaml-syntax]: the YAML parser cannot continue here (malformed document)\n", 0},
      {"regression-junk-after-flow-root.yaml",
       "regression-junk-after-flow-root.yaml:1:10: error[yaml-syntax]: invalid UTF-8 (byte 0xCD): a 2-byte sequence cut short by byte 0x5D; save the file as UTF-8\n", 0},
      {"regression-leading-comma.yaml",
       "regression-leading-comma.yaml:4:1: error[yaml-syntax]: unexpected `,` outside a flow collection (quote the value if it is a string)\n", 0},
      {"regression-map-iterator-utf8.yaml", "", 1},
      {"regression-map-iterator.yaml",
       "regression-map-iterator.yaml:2:25: error[yaml-syntax]: invalid UTF-8 (byte 0xFF): no character starts with this byte; save the file as UTF-8\n", 0},
      {"regression-nul-byte.yaml",
       "regression-nul-byte.yaml:1:2: error[yaml-syntax]: control character U+0000 is not allowed in YAML\n", 0},
      {"regression-quote-in-plain-scalar-utf8.yaml",
       "regression-quote-in-plain-scalar-utf8.yaml:1:11: error[yaml-syntax]: unexpected `,` outside a flow collection (quote the value if it is a string)\n", 0},
      {"regression-quote-in-plain-scalar.yaml",
       "regression-quote-in-plain-scalar.yaml:1:12: error[yaml-syntax]: invalid UTF-8 (byte 0xA8): a continuation byte where a character should start; save the file as UTF-8\n", 0},
      {"regression-stall-after-flow-root.yaml",
       "regression-stall-after-flow-root.yaml:1:5: error[yaml-syntax]: the YAML parser cannot continue here (malformed document)\n", 0},
      {"regression-stall-in-later-document.yaml",
       "regression-stall-in-later-document.yaml:4:5: error[yaml-syntax]: the YAML parser cannot continue here (malformed document)\n", 0},
  };
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(REHEARSE_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& e : expected)
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), std::string(e.file))) << e.file;
  for (const auto& name : names) {
    std::string text;
    Diagnostics d;
    ASSERT_TRUE(read_text_file((dir / name).string(), text, d));
    auto docs = parse_yaml(text, name, d);
    EXPECT_TRUE(!docs.empty() || d.has_errors()) << name;
    auto known = std::find_if(expected.begin(), expected.end(), [&](const Expected& e) { return name == e.file; });
    if (known == expected.end()) continue;  // a new input: it loads without hanging, at least
    EXPECT_EQ(d.format(), known->diagnostics) << name;
    EXPECT_EQ(docs.size(), known->documents) << name;
  }
}

TEST(YamlLoader, AliasesRepeatTheAnchoredValueItsPositionsAndItsProblems) {
  Diagnostics d;
  auto docs = parse_yaml("a: &a {x: 1, x: 2}\nb: *a\nc:\n  - *a\n", "a.yaml", d);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(*docs[0].value, json::parse(R"({"a":{"x":1},"b":{"x":1},"c":[{"x":1}]})"));
  // Each expansion is converted again, so the duplicate is reported once per use.
  EXPECT_EQ(d.format(), "a.yaml:1:14: error[duplicate-key]: mapping key \"x\" already defined earlier in this mapping\n"
            "a.yaml:1:14: error[duplicate-key]: mapping key \"x\" already defined earlier in this mapping\n"
            "a.yaml:1:14: error[duplicate-key]: mapping key \"x\" already defined earlier in this mapping\n");
  const auto& pos = *docs[0].positions;
  EXPECT_EQ(pos.find("/b").line, 2);
  // Inside an expansion, and for an alias item, positions are the anchored node's.
  EXPECT_EQ(pos.find("/b/x").line, 1);
  EXPECT_EQ(pos.find("/b/x").col, 8);
  EXPECT_EQ(pos.find("/c/0").line, 1);
  EXPECT_EQ(pos.find("/c/0").col, 4);
  EXPECT_EQ(pos.find("/c/0/x").col, 8);
}

TEST(YamlLoader, SharedNodesKeepTheirTextAcrossExpansions) {
  json v = one("a: &a {k1: v1, k2: [yes, \"1\", 2, !!str 3, ~]}\nb: *a\nc: [*a, *a]\nd: {<<: *a, k3: x}\n");
  json a = json::parse(R"({"k1":"v1","k2":["yes","1",2,"3",null]})");
  EXPECT_EQ(v["a"], a);
  EXPECT_EQ(v["b"], a);
  EXPECT_EQ(v["c"], json::array({a, a}));
  a["k3"] = "x";
  EXPECT_EQ(v["d"], a);
  // An alias used as a key is the anchored scalar, at the anchor's position.
  Diagnostics d;
  auto docs = parse_yaml("&k key: 1\n*k : 2\nother: *k\n", "k.yaml", d);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(*docs[0].value, json::parse(R"({"key":1,"other":"key"})"));
  EXPECT_EQ(d.format(), "k.yaml:1:1: error[duplicate-key]: mapping key \"key\" already defined earlier in this mapping\n");
}

TEST(YamlLoader, RecursiveAliasesAreTooDeepNotAHang) {
  Diagnostics d;
  EXPECT_TRUE(parse_yaml("a: &a [x, *a]\n", "r.yaml", d).empty());
  EXPECT_EQ(d.format(), "r.yaml:1:8: error[yaml-too-deep]: nesting deeper than 256 levels\n");
  Diagnostics m;
  EXPECT_TRUE(parse_yaml("k: &m {<<: *m}\n", "m.yaml", m).empty());
  EXPECT_EQ(m.format(), "m.yaml:1:4: error[yaml-too-deep]: nesting deeper than 256 levels\n");
}

TEST(YamlLoader, PositionsOfItemsAndEscapedKeys) {
  Diagnostics d;
  auto docs = parse_yaml("list:\n- name: a\n  a/b: 1\n  t~: 2\n- [x, {y: 1}]\n", "p.yaml", d);
  ASSERT_EQ(docs.size(), 1u);
  const auto& pos = *docs[0].positions;
  auto at = [&](const char* pointer) {
    auto p = pos.find(pointer);
    return std::to_string(p.line) + ":" + std::to_string(p.col);
  };
  EXPECT_EQ(at(""), "1:1");
  EXPECT_EQ(at("/list/0"), "2:3");
  EXPECT_EQ(at("/list/0/a~1b"), "3:3");
  EXPECT_EQ(at("/list/0/t~0"), "4:3");
  EXPECT_EQ(at("/list/1"), "5:3");
  EXPECT_EQ(at("/list/1/0"), "5:4");
  EXPECT_EQ(at("/list/1/1"), "5:7");
  EXPECT_EQ(at("/list/1/1/y"), "5:8");
  EXPECT_EQ(pos.size(), 10u);
}

TEST(YamlLoader, MergedKeysKeepTheirPositionsAndExplicitKeysWin) {
  Diagnostics d;
  auto docs = parse_yaml("base: &b\n  x: 1\n  y: 2\nd:\n  <<: *b\n  y: 3\n", "m.yaml", d);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ((*docs[0].value)["d"], json::parse(R"({"x":1,"y":3})"));
  EXPECT_EQ(docs[0].positions->find("/d/x").line, 2);
  EXPECT_EQ(docs[0].positions->find("/d/y").line, 6);
  Diagnostics e;
  auto bad = parse_yaml("m: {<<: [1, {x: 1}]}\n", "e.yaml", e);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ((*bad[0].value)["m"], json::parse(R"({"x":1})"));
  EXPECT_EQ(e.format(), "e.yaml:1:10: error[yaml-merge]: merge key `<<` needs a mapping\n");
}

TEST(YamlLoader, EmptyDocumentsKeptWhenAsked) {
  Diagnostics d;
  YamlOptions keep;
  keep.skip_empty = false;
  auto docs = parse_yaml("---\n---\na: 1\n---\n", "e.yaml", d, keep);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_TRUE(docs[0].value->is_null());
  EXPECT_EQ(docs[2].index, 2);
  EXPECT_TRUE(docs[2].value->is_null());
  EXPECT_EQ((*docs[1].value)["a"], 1);
}
