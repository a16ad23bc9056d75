// The Go text/template subset against Go's documented behaviour (text/template docs,
// exec.go missingkey handling) and sprig's documented examples (masterminds.github.io/sprig).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/go_template.hpp"

namespace rehearse::argocd {
namespace {

using nlohmann::json;

std::string run(const std::string& t, const json& data, MissingKey mk = MissingKey::Default) {
  auto r = execute_go_template(t, data, GoTemplateOptions{mk});
  return r.ok() ? *r : "ERROR: " + r.error().message;
}

const json kData = {{"path", {{"path", "apps/web"}, {"basename", "web"}, {"segments", {"apps", "web"}}}},
                    {"n", 3}};

TEST(GoTemplate, FieldChainsIndexAndPipelines) {
  EXPECT_EQ(run("{{.path.path}}", kData), "apps/web");
  EXPECT_EQ(run("{{ index .path.segments 1 }}", kData), "web");
  EXPECT_EQ(run("x-{{ .path.basename | upper }}-y", kData), "x-WEB-y");
  EXPECT_EQ(run("{{ $.path.basename }}", kData), "web");
  EXPECT_EQ(run("{{ (index .path.segments 0) | title }}", kData), "Apps");
  EXPECT_EQ(run("{{ .path.segments }}", kData), "[apps web]");
  EXPECT_EQ(run("{{ len .path.segments }}", kData), "2");
  EXPECT_EQ(run("{{ printf \"%s-%d\" .path.basename .n }}", kData), "web-3");
}

TEST(GoTemplate, TrimMarkersEatSurroundingSpace) {
  EXPECT_EQ(run("a  {{- .path.basename -}}  b", kData), "awebb");
}

TEST(GoTemplate, SprigExamplesFromTheDocs) {
  EXPECT_EQ(run("{{ trunc 5 \"hello world\" }}", kData), "hello");
  EXPECT_EQ(run("{{ trunc -5 \"hello world\" }}", kData), "world");
  EXPECT_EQ(run("{{ \"I Am Henry VIII\" | replace \" \" \"-\" }}", kData), "I-Am-Henry-VIII");
  EXPECT_EQ(run("{{ trimSuffix \"-\" \"hello-\" }}", kData), "hello");
  EXPECT_EQ(run("{{ trimPrefix \"-\" \"-hello\" }}", kData), "hello");
  EXPECT_EQ(run("{{ trim \"   hello    \" }}", kData), "hello");
  EXPECT_EQ(run("{{ .missing | default \"foo\" }}", kData), "foo");
  EXPECT_EQ(run("{{ quote .path.basename }}", kData), "\"web\"");
  EXPECT_EQ(run("{{ join \"/\" .path.segments }}", kData), "apps/web");
  EXPECT_EQ(run("{{ normalize \"My_App\" }}", kData), "my-app");
}

TEST(GoTemplate, MissingKeyOptionsBehaveLikeGo) {
  EXPECT_EQ(run("{{ .nope }}", kData), "<no value>");
  EXPECT_EQ(run("{{ .nope.deeper }}", kData), "<no value>");  // invalid value propagates
  EXPECT_EQ(run("{{ .nope }}", kData, MissingKey::Zero), "<no value>");
  EXPECT_EQ(run("{{ .nope.deeper }}", kData, MissingKey::Zero),
            "ERROR: template: {{ .nope.deeper }}: nil pointer evaluating interface {}.deeper");
  EXPECT_EQ(run("{{ .nope }}", kData, MissingKey::Error),
            "ERROR: template: {{ .nope }}: map has no entry for key \"nope\"");
  EXPECT_EQ(run("{{ .path.basename.x }}", kData),
            "ERROR: template: {{ .path.basename.x }}: can't evaluate field x in type string");
}

TEST(GoTemplate, IndexOutOfRangeIsAnError) {
  EXPECT_EQ(run("{{ index .path.segments 5 }}", kData),
            "ERROR: template: {{ index .path.segments 5 }}: error calling index: index out of range: 5");
}

TEST(GoTemplate, UnknownFunctionsAndControlFlowAreErrors) {
  EXPECT_FALSE(execute_go_template("{{ frobnicate .x }}", kData, {}).ok());
  EXPECT_FALSE(execute_go_template("{{ if .x }}a{{ end }}", kData, {}).ok());
  EXPECT_FALSE(execute_go_template("{{ .x ", kData, {}).ok());
  EXPECT_FALSE(parse_go_template_options({"missingkey=bogus"}).ok());
}

}  // namespace
}  // namespace rehearse::argocd
