#pragma once
// JSON values -> YAML text, byte-compatible with what `kubectl kustomize` (kustomize v5.5)
// prints. kustomize turns each resource into JSON and then into YAML with sigs.k8s.io/yaml,
// i.e. go-yaml v2's emitter (checked empirically against kubectl v1.32 / kustomize v5.5):
//
//  1. Map keys are sorted with go-yaml v2's "natural" key order: letters sort after
//     non-letters, runs of digits compare as numbers ("a9" < "a10"), otherwise by code point.
//  2. Block style, 2-space indentation; a sequence under a mapping key is not indented
//     ("key:\n- a"); empty collections are written `{}` / `[]`.
//  3. Strings are plain unless YAML 1.1 would read them as something else (bool words such as
//     `yes`/`off`/`y`, null words, ints incl. 0x/0o/0b/`_`, floats, base-60 `1:20`,
//     timestamps `2024-01-15`) -> double-quoted; unless an indicator forbids a plain scalar
//     (`- a`, `a: b`, ` x`, `#x`, ...) -> single-quoted; strings with non-printable
//     characters -> double-quoted with escapes; strings containing a newline -> literal
//     block (`|`, `|-`, `|+`, with an indentation hint when they start with a space).
//  4. Plain and quoted scalars are folded at spaces once the line passes 80 columns.
//  5. Integers print as integers; floats that are integral print as integers (they went
//     through JSON); other floats print like Go's strconv 'g' shortest (1.2345675e+06).

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rehearse::model {

class Object;

// One YAML document for `value`, ending in '\n' (no "---" marker).
std::string to_yaml(const nlohmann::json& value);
void append_yaml(std::string& out, const nlohmann::json& value);

// Documents separated by "---\n", as `kubectl kustomize` prints a build.
std::string to_yaml_stream(const std::vector<Object>& objects);

// go-yaml v2's map-key ordering (rule 1 above): true when `a` sorts before `b`.
bool yaml_key_less(const std::string& a, const std::string& b);

// How go-yaml v2 would write `s` as a block-context value: 'p' plain, '\'' single-quoted,
// '"' double-quoted, '|' literal block. Exposed for tests.
char yaml_scalar_style(const std::string& s);

// Go's strconv.FormatFloat(x, 'g', -1, 64) after a JSON round trip (rule 5 above).
std::string yaml_format_float(double x);

}  // namespace rehearse::model
