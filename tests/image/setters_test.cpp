// The Setters strategy against fluxcd/image-automation-controller internal/update
// (update_test.go TestUpdateWithSetters and its testdata, filereader_test.go,
// internal/policy/applier_test.go) and the byte-preservation rules of reference flux.md 5.2.
#include "engine/image/setters.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace rehearse::image;
namespace fs = std::filesystem;

namespace {

std::string testdata() {
  const char* src = std::getenv("REHEARSE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/image/testdata/setters";
}

std::map<std::string, std::string> read_tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out[fs::relative(e.path(), dir).generic_string()] = ss.str();
  }
  return out;
}

// The three policies of TestUpdateWithSetters.
SetterTable upstream_table() {
  SetterTable t;
  t.add_policy("automation-ns", "policy", parse_image_ref("index.repo.fake/updated:v1.0.1"));
  t.add_policy("automation-ns", "unchanged", parse_image_ref("image:v1.0.0"));
  t.add_policy("automation-ns", "policy-with-digest",
               parse_image_ref("image:v1.0.0@sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be"));
  return t;
}

SetterTable one_policy(const std::string& ref) {
  SetterTable t;
  t.add_policy("ns", "p", parse_image_ref(ref));
  return t;
}

std::string rewrite(const std::string& text, const SetterTable& t) {
  auto r = apply_setters_to_text("f.yaml", text, t);
  EXPECT_TRUE(r.parsed) << text;
  return r.content;
}

}  // namespace

TEST(SetterTestdata, WritesExactlyTheUpstreamExpectedFilesByteForByte) {
  auto original = read_tree(testdata() + "/original");
  auto expected = read_tree(testdata() + "/expected");
  ASSERT_EQ(original.size(), 6u);
  ASSERT_EQ(expected.size(), 3u);
  SetterRun run = apply_setters(original, upstream_table());
  std::map<std::string, std::string> written;
  for (const auto& f : run.files) written[f.path] = f.after;
  ASSERT_EQ(written.size(), expected.size());
  for (const auto& [path, content] : expected) {
    ASSERT_TRUE(written.count(path)) << path;
    EXPECT_EQ(written[path], content) << path;
  }
  EXPECT_TRUE(run.problem_files.empty());
}

TEST(SetterTestdata, ReportsTheUpstreamChangesPerFileAndObject) {
  SetterRun run = apply_setters(read_tree(testdata() + "/original"), upstream_table());
  std::map<std::string, std::vector<std::string>> got;
  for (const auto& c : run.changes())
    got[c.file].push_back(c.object.api_version + "|" + c.object.kind + "|" + c.object.ns + "|" +
                          c.object.name + " " + c.old_value + " -> " + c.new_value + " (" + c.setter + ")");
  const std::string digest = "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";
  const std::string ks = "kustomize.config.k8s.io/v1beta1|Kustomization||";
  std::map<std::string, std::vector<std::string>> want = {
      {"Kustomization",
       {ks + " replaced -> index.repo.fake/updated (automation-ns:policy:name)",
        ks + " v1 -> v1.0.1 (automation-ns:policy:tag)"}},
      {"kustomization.yml",
       {ks + " replaced -> index.repo.fake/updated (automation-ns:policy:name)",
        ks + " v1 -> v1.0.1 (automation-ns:policy:tag)",
        ks + " sha256:1234567890abcdef -> " + digest + " (automation-ns:policy-with-digest:digest)",
        ks + " image -> image:v1.0.0@" + digest + " (automation-ns:policy-with-digest)"}},
      {"marked.yaml",
       {"batch/v1beta1|CronJob|bar|foo image:v1.0.0 -> index.repo.fake/updated:v1.0.1 (automation-ns:policy)"}},
  };
  EXPECT_EQ(got, want);
}

TEST(SetterScreening, OnlyYamlYmlAndKustomizationFilesWithTheQuotedTokenAreRead) {
  // filereader_test.go: of testdata/setters/original only the files holding the token.
  const std::string marked = "a: b # {\"$imagepolicy\": \"ns:p\"}\n";
  EXPECT_TRUE(considered("x/deploy.yaml", marked));
  EXPECT_TRUE(considered("deploy.yml", marked));
  EXPECT_TRUE(considered("base/Kustomization", marked));
  EXPECT_FALSE(considered("base/kustomization", marked));
  EXPECT_FALSE(considered("deploy.json", marked));
  EXPECT_FALSE(considered("chart/templates/deploy.yaml.tpl", marked));
  EXPECT_FALSE(considered("test.yaml", "testing.yaml"));
  // The token includes the quotes.
  EXPECT_FALSE(considered("a.yaml", "a: b # {$imagepolicy: ns:p}\n"));
}

TEST(SetterScreening, ScreenedFilesThatDoNotParseAreSkippedSilently) {
  std::map<std::string, std::string> files = {
      {"bad.yaml", "a: [unclosed # {\"$imagepolicy\": \"ns:p\"}\n"},
      {"list.yaml", "- image: a:v1 # {\"$imagepolicy\": \"ns:p\"}\n"},
      {"dup.yaml", "a: 1\na: 2 # {\"$imagepolicy\": \"ns:p\"}\n"},
      {"ok.yaml", "image: a:v1 # {\"$imagepolicy\": \"ns:p\"}\n"},
  };
  SetterRun run = apply_setters(files, one_policy("a:v2"));
  EXPECT_EQ(run.problem_files, (std::vector<std::string>{"bad.yaml", "dup.yaml", "list.yaml"}));
  ASSERT_EQ(run.files.size(), 1u);
  EXPECT_EQ(run.files[0].after, "image: a:v2 # {\"$imagepolicy\": \"ns:p\"}\n");
}

TEST(SetterApplier, UpstreamAppconfigCaseUpdatesTheMarkedImage) {
  // internal/policy/applier_test.go "valid update strategy and one policy".
  const std::string in =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: test\nspec:\n  template:\n    spec:\n"
      "      containers:\n      - name: hello\n        image: helloworld:1.0.0 # {\"$imagepolicy\": \"automation-ns:policy\"}\n";
  SetterTable t;
  t.add_policy("automation-ns", "policy", parse_image_ref("helloworld:1.0.1"));
  std::string want = in;
  want.replace(want.find("1.0.0"), 5, "1.0.1");
  EXPECT_EQ(rewrite(in, t), want);
}

TEST(SetterBytes, EverythingButTheMarkedScalarIsKept) {
  const std::string in =
      "# leading comment\r\n"
      "apiVersion: apps/v1   # trailing spaces kept\r\n"
      "kind: Deployment\r\n"
      "metadata: {name: x, namespace: \"y\"}\r\n"
      "spec:\r\n"
      "  template:\r\n"
      "    spec:\r\n"
      "      containers:\r\n"
      "          -   name: 'model'\r\n"
      "              image:    reg.example/m:v1.2.3    #    {\"$imagepolicy\": \"ns:p\"}   \r\n"
      "              args: [\"--a\", '--b']\r\n";
  std::string want = in;
  want.replace(want.find("reg.example/m:v1.2.3"), 20, "reg.example/m:v1.3.0");
  EXPECT_EQ(rewrite(in, one_policy("reg.example/m:v1.3.0")), want);
}

TEST(SetterBytes, QuotedScalarsKeepTheirQuoteStyle) {
  auto t = one_policy("reg/m:v2");
  EXPECT_EQ(rewrite("a: \"reg/m:v1\" # {\"$imagepolicy\": \"ns:p\"}\n", t),
            "a: \"reg/m:v2\" # {\"$imagepolicy\": \"ns:p\"}\n");
  EXPECT_EQ(rewrite("a: 'reg/m:v1' # {\"$imagepolicy\": \"ns:p\"}\n", t),
            "a: 'reg/m:v2' # {\"$imagepolicy\": \"ns:p\"}\n");
  EXPECT_EQ(rewrite("a: 'v1' # {\"$imagepolicy\": \"ns:p:tag\"}\n", t),
            "a: 'v2' # {\"$imagepolicy\": \"ns:p:tag\"}\n");
}

TEST(SetterBytes, ValuesThatWouldReadAsNonStringsAreDoubleQuoted) {
  // kyaml FormatNonStringStyle with the setters' string schema (reference 5.2 [code]).
  EXPECT_EQ(rewrite("tag: v1 # {\"$imagepolicy\": \"ns:p:tag\"}\n", one_policy("m:1.10")),
            "tag: \"1.10\" # {\"$imagepolicy\": \"ns:p:tag\"}\n");
  EXPECT_EQ(rewrite("tag: v1 # {\"$imagepolicy\": \"ns:p:tag\"}\n", one_policy("m:123")),
            "tag: \"123\" # {\"$imagepolicy\": \"ns:p:tag\"}\n");
  EXPECT_EQ(rewrite("tag: v1 # {\"$imagepolicy\": \"ns:p:tag\"}\n", one_policy("m:yes")),
            "tag: \"yes\" # {\"$imagepolicy\": \"ns:p:tag\"}\n");
  // A policy without a digest empties a digest field: "" rather than a null.
  EXPECT_EQ(rewrite("d: sha256:abc # {\"$imagepolicy\": \"ns:p:digest\"}\n", one_policy("m:v1")),
            "d: \"\" # {\"$imagepolicy\": \"ns:p:digest\"}\n");
  // Already quoted: the style is kept.
  EXPECT_EQ(rewrite("tag: 'v1' # {\"$imagepolicy\": \"ns:p:tag\"}\n", one_policy("m:1.10")),
            "tag: '1.10' # {\"$imagepolicy\": \"ns:p:tag\"}\n");
  EXPECT_EQ(rewrite("tag: v1 # {\"$imagepolicy\": \"ns:p:tag\"}\n", one_policy("m:v1.10")),
            "tag: v1.10 # {\"$imagepolicy\": \"ns:p:tag\"}\n");
}

TEST(SetterMarkers, OnlyAJsonObjectOfStringsIsAMarker) {
  auto t = one_policy("m:v2");
  // Leading '#'s are trimmed, whitespace inside is JSON whitespace.
  EXPECT_EQ(rewrite("a: m:v1 #{\"$imagepolicy\":\"ns:p\"}\n", t), "a: m:v2 #{\"$imagepolicy\":\"ns:p\"}\n");
  EXPECT_EQ(rewrite("a: m:v1 ## {\"$imagepolicy\": \"ns:p\"}\n", t), "a: m:v2 ## {\"$imagepolicy\": \"ns:p\"}\n");
  // Other string keys are allowed.
  EXPECT_EQ(rewrite("a: m:v1 # {\"note\": \"x\", \"$imagepolicy\": \"ns:p\"}\n", t),
            "a: m:v2 # {\"note\": \"x\", \"$imagepolicy\": \"ns:p\"}\n");
  // Not markers: trailing text, a non-string value, no $imagepolicy key, an unknown setter.
  for (const char* in : {"a: m:v1 # {\"$imagepolicy\": \"ns:p\"} bump me\n",
                         "a: m:v1 # {\"$imagepolicy\": \"ns:p\", \"n\": 1}\n",
                         "a: m:v1 # {\"$imagepolicy\": \"\"}\n", "a: m:v1 # {\"imagepolicy\": \"ns:p\"}\n",
                         "a: m:v1 # {\"$imagepolicy\": \"other-ns:p\"}\n", "a: m:v1 # {\"$imagepolicy\": \"ns:p:sha\"}\n"})
    EXPECT_EQ(rewrite(in, t), in);
}

TEST(SetterMarkers, OnlyScalarValuesAreReplacedNeverKeysOrCollections) {
  auto t = one_policy("m:v2");
  for (const char* in : {"image: # {\"$imagepolicy\": \"ns:p\"}\n  nested: m:v1\n",
                         "images: [m:v1] # {\"$imagepolicy\": \"ns:p\"}\n",
                         "c: {image: m:v1} # {\"$imagepolicy\": \"ns:p\"}\n",
                         "x: 1\n# {\"$imagepolicy\": \"ns:p\"}\nimage: m:v1\n"})
    EXPECT_EQ(rewrite(in, t), in);
}

TEST(SetterMarkers, SequenceItemsAnchorsAndDocumentsAreHandled) {
  auto t = one_policy("m:v2");
  EXPECT_EQ(rewrite("images:\n- m:v1 # {\"$imagepolicy\": \"ns:p\"}\n- m:v1\n", t),
            "images:\n- m:v2 # {\"$imagepolicy\": \"ns:p\"}\n- m:v1\n");
  EXPECT_EQ(rewrite("a: &img m:v1 # {\"$imagepolicy\": \"ns:p\"}\nb: *img\n", t),
            "a: &img m:v2 # {\"$imagepolicy\": \"ns:p\"}\nb: *img\n");
  auto r = apply_setters_to_text(
      "two.yaml",
      "kind: A\nmetadata: {name: one}\ni: m:v1 # {\"$imagepolicy\": \"ns:p\"}\n---\nkind: B\nmetadata:\n  name: two\n"
      "  namespace: n\ni: m:v1 # {\"$imagepolicy\": \"ns:p:tag\"}\n",
      t);
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].object.kind, "A");
  EXPECT_EQ(r.changes[0].line, 3);
  EXPECT_EQ(r.changes[0].col, 4);
  EXPECT_EQ(r.changes[1].object.kind, "B");
  EXPECT_EQ(r.changes[1].object.ns, "n");
  EXPECT_EQ(r.changes[1].new_value, "v2");
  EXPECT_NE(r.content.find("i: v2 # {\"$imagepolicy\": \"ns:p:tag\"}"), std::string::npos);
}

TEST(SetterMarkers, MarkerTextInsideABlockScalarIsContentNotAComment) {
  // flux2#3284 (the kustomization.yml testdata): a patch body is a string.
  const std::string in =
      "patches:\n- patch: |\n    image: m:v1 # {\"$imagepolicy\": \"ns:p\"}\n  target:\n    kind: Deployment\n";
  EXPECT_EQ(rewrite(in, one_policy("m:v2")), in);
}

TEST(SetterMarkers, AnUnchangedValueWritesNothing) {
  std::map<std::string, std::string> files = {{"a.yaml", "image: m:v1 # {\"$imagepolicy\": \"ns:p\"}\n"}};
  EXPECT_TRUE(apply_setters(files, one_policy("m:v1")).files.empty());
}

TEST(SetterValues, TheFourSettersOfAPolicy) {
  SetterTable t;
  t.add_policy("flux-system", "fd", parse_image_ref("reg.io:5000/team/fd:v1.3.0@sha256:abc"));
  EXPECT_EQ(t.find("flux-system:fd")->value, "reg.io:5000/team/fd:v1.3.0@sha256:abc");
  EXPECT_EQ(t.find("flux-system:fd:tag")->value, "v1.3.0");
  EXPECT_EQ(t.find("flux-system:fd:name")->value, "reg.io:5000/team/fd");
  EXPECT_EQ(t.find("flux-system:fd:digest")->value, "sha256:abc");
  EXPECT_EQ(t.find("flux-system:fd:other"), nullptr);
  EXPECT_EQ(parse_image_ref("reg.io:5000/team/fd").tag, "");
}

TEST(SetterDiff, UnifiedDiffWithThreeLinesOfContext) {
  std::string a = "1\n2\n3\n4\nimage: m:v1\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nimage: m:v2\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff("d.yaml", a, b),
            "--- a/d.yaml\n+++ b/d.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-image: m:v1\n+image: m:v2\n 6\n 7\n 8\n");
  EXPECT_EQ(unified_diff("d.yaml", a, a), "");
}
