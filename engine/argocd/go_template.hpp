#pragma once
// A small subset of Go's text/template, as the ApplicationSet controller evaluates
// `goTemplate: true` templates (argo-cd applicationset/utils/utils.go Replace, reference
// argocd.md §13): each string of the template is parsed and executed against the
// generator's parameter map.
//
// Supported:
//  - text and `{{ pipeline }}` actions, trim markers `{{- ` / ` -}}`, comments `{{/* */}}`;
//  - operands: `.` , `.a.b` (field chains on maps), `$` / `$.a`, "strings" and `raw`
//    strings, integers, true/false/nil, `( pipeline )`, and chains on them (`(index .x 0).y`);
//  - pipelines `a | f b` (the piped value is the last argument);
//  - functions: index, len, print, printf (%s %d %v %q), and the sprig functions users write
//    in ApplicationSets: lower, upper, title, replace, trunc, trim, trimPrefix, trimSuffix,
//    default, quote, squote, toString, join, splitList, list, contains, hasPrefix, hasSuffix,
//    normalize (argo-cd's SanitizeName), eq, ne, not, and, or.
//  - `if` / `else` / `end` and `with` are NOT supported (an error names the action); control
//    flow in an ApplicationSet template usually belongs in templatePatch upstream as well.
//
// Missing keys follow Go's `missingkey` option: default/"invalid"/"zero" yield no value
// (printed "<no value>" — for map[string]any params "zero" prints the same), "error" fails
// with `map has no entry for key "k"`. Values print as Go's fmt %v does: strings as is,
// lists "[a b]", maps "map[k:v]" with sorted keys, nil "<no value>".

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::argocd {

enum class MissingKey { Default, Zero, Error };

struct GoTemplateOptions {
  MissingKey missing_key = MissingKey::Default;
};

// Parses goTemplateOptions entries ("missingkey=error", ...). Unknown options are errors.
Result<GoTemplateOptions> parse_go_template_options(const std::vector<std::string>& options);

// Executes `tmpl` against `data`. Errors carry Go-like messages (code "template").
Result<std::string> execute_go_template(std::string_view tmpl, const nlohmann::json& data,
                                        const GoTemplateOptions& options);

// Go's fmt %v of a JSON value (see above).
std::string go_print(const nlohmann::json& v);

// argo-cd SanitizeName: lower-case, chars outside [-a-z0-9.] become '-', at most 253
// characters, leading/trailing '-' and '.' trimmed.
std::string sanitize_name(std::string_view name);

}  // namespace rehearse::argocd
