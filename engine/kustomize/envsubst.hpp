#pragma once
// Flux post-build variable substitution (reference flux.md 3.5) and the `flux envsubst`
// grammar (fluxcd/pkg envsubst, a fork of drone/envsubst).
//
// Grammar: only `${...}` is an expression; a bare `$name` is literal text; `$$` emits one `$`
// (`$${x}` -> `${x}`). Forms: ${v}, ${#v}, ${v^}, ${v^^}, ${v,}, ${v,,}, ${v:off[:len]},
// ${v#glob}, ${v##glob}, ${v%glob}, ${v%%glob}, ${v/pat/rep}, ${v//pat/rep}, ${v/#pat/rep},
// ${v/%pat/rep}, ${v=def}, ${v:=def}, ${v:-def} (and ${v:?x} / ${v:+x}, which just yield the
// default rule). Every default form uses the default when the value is *empty*. Defaults may
// nest expressions: ${a=pre${b}-suf}. `${v-def}` is a parse error ("missing closing brace").
// Strict mode: a variable absent from the map is an error ("variable not set (strict mode)")
// in every non-default form; a present-but-empty variable is fine.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"

namespace rehearse::kustomize {

using Vars = std::map<std::string, std::string, std::less<>>;

// Expands `text`. Errors: parse errors ("bad substitution", "missing closing brace",
// "unable to parse variable name", ...) and, when `strict`, `variable not set (strict mode):
// "name"`.
Result<std::string> envsubst(std::string_view text, const Vars& vars, bool strict);

// `flux envsubst`: expands stdin line by line (an expression cannot span lines); every output
// line ends in '\n'.
Result<std::string> envsubst_lines(std::string_view text, const Vars& vars, bool strict);

// ^[_[:alpha:]][_[:alpha:][:digit:]]*$
bool valid_var_name(std::string_view name);

// One `postBuild.substituteFrom` entry, already resolved by the caller: `data` is the
// ConfigMap's data or the Secret's decoded data, or nullopt when the object does not exist.
struct SubstituteSource {
  std::string kind;  // ConfigMap | Secret
  std::string name;
  bool optional = false;
  std::optional<Vars> data;
};

// The final variable map (KC kustomization_controller / PKG kustomize_varsub.go):
// substituteFrom entries in order (later overwrite earlier), then `substitute` (wins over
// all); '\n' removed from every value; a missing non-optional source or an invalid variable
// name is an error.
Result<Vars> resolve_post_build_vars(const std::vector<SubstituteSource>& from,
                                     const Vars& substitute);

struct SubstituteOptions {
  bool strict = true;   // kustomize-controller >= v1.9 default (StrictPostBuildSubstitutions)
  bool always = false;  // substitution strategy Always; WithVariables skips when vars are empty
};

// Post-build substitution over built objects: each object not labelled or annotated
// `kustomize.toolkit.fluxcd.io/substitute: disabled` is written as YAML, expanded, and parsed
// back. Errors name the object; objects are left unchanged on error.
Result<void> substitute_objects(std::vector<model::Object>& objects, const Vars& vars,
                                const SubstituteOptions& options, model::Diagnostics& diags);

}  // namespace rehearse::kustomize
