#pragma once
// JSONPath as kubectl and Argo Rollouts' web provider evaluate it
// (k8s.io/client-go/util/jsonpath): `{.a.b[0]}`, `{.items[*].name}`, `{$.f1_score}`,
// filters `[?(@.name=="model")]`, `[?(@.x > 3)]`, slices `[1:3]`, recursive `..name`,
// unions `['a','b']`, several templates in one string joined with text.
//
// Scenario expectations use the same engine with the braces optional:
// `.spec.template.spec.containers[?(@.name=="model")].image`.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::expr {

class JsonPath {
 public:
  // Parses a path; braces are optional. Error (code "invalid-jsonpath") with the offset in
  // the message on bad syntax.
  static Result<JsonPath> parse(std::string_view text);

  // Every value the path selects, in document order. An empty vector when nothing matches
  // (missing keys are not errors, as kubectl with allowMissingKeys).
  std::vector<nlohmann::json> select(const nlohmann::json& root) const;
  // The path rendered as kubectl's `-o jsonpath` would print it (text between templates
  // kept, several results joined by a space, strings unquoted).
  std::string render(const nlohmann::json& root) const;
  const std::string& source() const { return source_; }

  // Implementation detail, public for the parser.
  struct Node;

 private:
  std::string source_;
  std::vector<std::shared_ptr<const Node>> parts_;
  friend struct JsonPathParser;
};

}  // namespace rehearse::expr
