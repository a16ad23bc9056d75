// Substitution cases from fluxcd/pkg envsubst (eval_test.go TestExpand / TestExpandStrict,
// sourced there from tldp.org) and the post-build rules of reference flux.md 3.5.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/kustomize/envsubst.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::kustomize {
namespace {

struct Case {
  Vars params;
  std::string input, output;
};

TEST(Envsubst, UpstreamExpandTable) {
  const std::vector<Case> cases = {
      {{}, "abcdEFGH28ij", "abcdEFGH28ij"},
      {{{"var01", "abcdEFGH28ij"}}, "${#var01}", "12"},
      {{{"var01", "abcdEFGH28ij"}}, "${var01^}", "AbcdEFGH28ij"},
      {{{"var01", "abcdEFGH28ij"}}, "${var01^^}", "ABCDEFGH28IJ"},
      {{{"var01", "ABCDEFGH28IJ"}}, "${var01,}", "aBCDEFGH28IJ"},
      {{{"var01", "ABCDEFGH28IJ"}}, "${var01,,}", "abcdefgh28ij"},
      {{{"path_name", "/home/bozo/ideas/thoughts.for.today"}}, "${path_name:11}",
       "ideas/thoughts.for.today"},
      {{{"path_name", "/home/bozo/ideas/thoughts.for.today"}}, "${path_name:11:5}", "ideas"},
      {{{"var", "abc"}}, "${var=xyz}", "abc"},
      {{}, "${var=xyz}", "xyz"},
      {{{"default_var", "foo"}}, "something ${var=${default_var}}", "something foo"},
      {{{"default_var", "foo1"}}, "foo: ${var=${default_var}-suffix}", "foo: foo1-suffix"},
      {{{"default_var", "foo1"}}, "foo: ${var=prefix${default_var}-suffix}",
       "foo: prefixfoo1-suffix"},
      {{}, "${var:=xyz}", "xyz"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/%abc/XYZ}", "abcABC123ABCXYZ"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/#abc/XYZ}", "XYZABC123ABCabc"},
      {{{"stringZ", "somevalue"}}, "${stringZ/#/prefix-}", "prefix-somevalue"},
      {{{"stringZ", "somevalue"}}, "${stringZ/%/-suffix}", "somevalue-suffix"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ//abc/xyz}", "xyzABC123ABCxyz"},
      {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/abc/xyz}", "xyzABC123ABCabc"},
      {{{"filename", "bash.string.txt"}}, "${filename#*.}", "string.txt"},
      {{{"filename", "path/to/file"}}, "${filename#*/}", "to/file"},
      {{{"filename", "/path/to/file"}}, "${filename#*/}", "path/to/file"},
      {{{"filename", "bash.string.txt"}}, "${filename##*.}", "txt"},
      {{{"filename", "path/to/file"}}, "${filename##*/}", "file"},
      {{{"filename", "/path/to/file"}}, "${filename##*/}", "file"},
      {{{"filename", "bash.string.txt"}}, "${filename%.*}", "bash.string"},
      {{{"filename", "bash.string.txt"}}, "${filename%%.*}", "bash"},
      {{{"var01", "abcdEFGH28ij"}}, "${var=${var01^^}}", "ABCDEFGH28IJ"},
      {{{"var01", "abcdEFGH28ij"}}, "$${var01}", "${var01}"},
      {{{"var01", "abcdEFGH28ij"}}, "some text ${var01}$${var$${var01}$var01${var01}",
       "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"},
      {{{"default_var", "foo"}}, "something $${var=${default_var}}", "something ${var=foo}"},
      {{{"stringZ", "foo/bar"}}, R"(${stringZ/\//-})", "foo-bar"},
      {{{"stringZ", "foo/bar/baz"}}, R"(${stringZ//\//-})", "foo-bar-baz"},
      {{{"default_var", "foo"}}, "\\\\something ${var=${default_var}}", "\\\\something foo"},
      {{{"stringZ", "foo.bar"}}, "${stringZ/./}", "foobar"},
  };
  for (const auto& c : cases) {
    auto r = envsubst(c.input, c.params, /*strict=*/false);
    ASSERT_TRUE(r.ok()) << c.input << ": " << r.error().message;
    EXPECT_EQ(*r, c.output) << c.input;
  }
}

TEST(Envsubst, StrictModeFailsOnMissingVariablesInEveryNonDefaultForm) {
  for (const char* in :
       {"${missing}", "${#missing}", "${missing^}", "${missing^^}", "${missing,}", "${missing,,}",
        "${missing:0}", "${missing:0:10}", "${missing/pattern/replacement}",
        "${missing//pattern/replacement}", "${missing/#pattern/replacement}",
        "${missing/%pattern/replacement}", "${missing#pattern}", "${missing##pattern}",
        "${missing%pattern}", "${missing%%pattern}"}) {
    auto r = envsubst(in, {}, /*strict=*/true);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_NE(r.error().message.find("variable not set (strict mode): \"missing\""),
              std::string::npos)
        << in;
  }
  EXPECT_EQ(*envsubst("${foo}", {{"foo", ""}}, true), "");
  EXPECT_EQ(*envsubst("${missing:-fallback}", {}, true), "fallback");
  EXPECT_EQ(*envsubst("${missing:=assigned}", {}, true), "assigned");
  EXPECT_EQ(*envsubst("${missing=assigned}", {}, true), "assigned");
}

TEST(Envsubst, DefaultsFireOnEmptyValuesNotOnlyUnsetOnes) {
  EXPECT_EQ(*envsubst("${v:=d}", {{"v", ""}}, true), "d");
  EXPECT_EQ(*envsubst("${v=d}", {{"v", ""}}, true), "d");
  EXPECT_EQ(*envsubst("${v:-d}", {{"v", ""}}, true), "d");
}

TEST(Envsubst, BareDollarNamesStayLiteralAndNonStrictMissingIsEmpty) {
  EXPECT_EQ(*envsubst("$HOME and $x", {{"HOME", "/root"}, {"x", "1"}}, false), "$HOME and $x");
  EXPECT_EQ(*envsubst("a${missing}b", {}, false), "ab");
}

TEST(Envsubst, DashWithoutColonAndUnterminatedExpressionsAreParseErrors) {
  auto r = envsubst("${v-def}", {{"v", "x"}}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "missing closing brace");
  EXPECT_FALSE(envsubst("${v", {}, false).ok());
  EXPECT_EQ(envsubst("${}", {}, false).error().message, "unable to parse variable name");
}

TEST(Envsubst, LinesAreExpandedIndependently) {
  auto r = envsubst_lines("a: ${A}\nb: ${B:=2}\n", {{"A", "1"}}, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a: 1\nb: 2\n");
  auto bad = envsubst_lines("ok\n${C}\n", {}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 2"), std::string::npos);
}

TEST(PostBuildVars, LaterSourcesOverrideEarlierAndInlineSubstituteWinsAll) {
  std::vector<SubstituteSource> from = {
      {"ConfigMap", "a", false, Vars{{"X", "a"}, {"Y", "a"}}},
      {"Secret", "b", false, Vars{{"Y", "b"}, {"Z", "b\nline"}}},
      {"ConfigMap", "gone", true, std::nullopt},
  };
  auto v = resolve_post_build_vars(from, {{"X", "inline"}});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, (Vars{{"X", "inline"}, {"Y", "b"}, {"Z", "bline"}}));
}

TEST(PostBuildVars, MissingRequiredSourceAndInvalidNamesFail) {
  EXPECT_FALSE(resolve_post_build_vars({{"ConfigMap", "gone", false, std::nullopt}}, {}).ok());
  EXPECT_FALSE(resolve_post_build_vars({}, {{"1abc", "x"}}).ok());
  EXPECT_FALSE(resolve_post_build_vars({}, {{"a-b", "x"}}).ok());
  EXPECT_TRUE(valid_var_name("_a1"));
  EXPECT_FALSE(valid_var_name(""));
}

std::vector<model::Object> objects(const char* yaml) {
  model::Diagnostics d;
  return model::load_manifests_text(yaml, "t.yaml", d);
}

TEST(PostBuildSubstitution, SubstitutesValuesAsRawYamlTextAndHonoursOptOut) {
  auto objs = objects(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data:
  replicas: "${count}"
  domain: ${domain:=example.com}
  empty: "${nothing}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}
data:
  keep: ${count}
)");
  model::Diagnostics diags;
  auto r = substitute_objects(objs, {{"count", "3"}, {"nothing", ""}}, {}, diags);
  ASSERT_TRUE(r.ok()) << diags.format();
  const auto& a = objs[0].body()["data"];
  EXPECT_EQ(a["replicas"], 3);  // spliced as text: the quotes do not survive re-emission
  EXPECT_EQ(a["domain"], "example.com");
  EXPECT_TRUE(a["empty"].is_null());  // empty value becomes YAML null (reference 3.5)
  EXPECT_EQ(objs[1].body()["data"]["keep"], "${count}");
}

TEST(PostBuildSubstitution, WithVariablesStrategySkipsWhenThereAreNoVariables) {
  auto objs = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: ${y:=z}\n");
  model::Diagnostics diags;
  ASSERT_TRUE(substitute_objects(objs, {}, {}, diags).ok());
  EXPECT_EQ(objs[0].body()["data"]["x"], "${y:=z}");
  SubstituteOptions always;
  always.always = true;
  ASSERT_TRUE(substitute_objects(objs, {}, always, diags).ok());
  EXPECT_EQ(objs[0].body()["data"]["x"], "z");
}

TEST(PostBuildSubstitution, StrictModeReportsTheObjectAndVariable) {
  auto objs = objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: ${y}\n");
  model::Diagnostics diags;
  auto r = substitute_objects(objs, {{"other", "1"}}, {}, diags);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("variable not set"), std::string::npos);
  EXPECT_NE(r.error().message.find("ConfigMap/a"), std::string::npos);
}

}  // namespace
}  // namespace rehearse::kustomize
