#pragma once
// The Setters update strategy of Flux's image-automation-controller (IAC internal/update/
// setters.go, filter.go, filereader.go; reference flux.md section 5.2) as a pure text
// transformation: files in, rewritten files out, no file system.
//
// Rules (upstream behaviour, with the places rehearse differs called out):
//  1. Files considered: names ending `.yaml` / `.yml` or exactly `Kustomization`, whose raw
//     bytes contain the token `"$imagepolicy"` (with the quotes). `considered()` says so.
//  2. A considered file that does not parse as YAML, or whose non-empty documents are not all
//     mappings (kyaml's ByteReader cannot annotate them), is a "problem file": skipped
//     silently, never rewritten.
//  3. A marker is a line comment on a *scalar value* (mapping value or sequence item, never a
//     key) whose text, after stripping leading `#`s, is a JSON object of strings with a
//     non-empty `$imagepolicy` key: `# {"$imagepolicy": "ns:name[:tag|:name|:digest]"}`.
//     Anything else after the `#` (extra text, non-string values) is an ordinary comment.
//  4. Markers naming a setter not in the table (unknown policy, other namespace, policy
//     without latestRef) are ignored.
//  5. Only the marked scalar's characters change; every other byte of the file (comments,
//     indentation, quoting of other scalars, key order, line endings) is kept. A
//     double-quoted scalar stays double-quoted, a single-quoted one single-quoted. A plain
//     scalar stays plain unless the new value would read as a non-string (YAML 1.1 or 1.2:
//     `1.10`, `true`, `yes`, `123`, empty), then it is double-quoted (kyaml
//     FormatNonStringStyle), or unless it cannot be written plain, then single-quoted
//     (libyaml's emitter fallback).
//  6. A file is rewritten only when at least one value changed.
//
// Not handled (documented in docs/setters.md): markers in a scalar's head comment (the line
// above a sequence item), on block scalars (`|`, `>`), on quoted scalars spanning lines, and on
// empty values (`key: # marker`); those markers are left alone.

#include <compare>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rehearse::image {

// An ImagePolicy's status.latestRef: repository name, tag and optional digest.
struct ImageRef {
  std::string name;
  std::string tag;
  std::string digest;
  // name:tag, plus "@digest" when a digest is known (ImageRef.String upstream).
  std::string str() const;
  auto operator<=>(const ImageRef&) const = default;
};

// Splits "repo[:tag][@digest]" (the tag is after the last ':' that follows the last '/').
ImageRef parse_image_ref(std::string_view text);

// The identity of the YAML document holding a change (kyaml ResourceIdentifier); empty
// fields when the document has none.
struct ObjectId {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;
  auto operator<=>(const ObjectId&) const = default;
};

// The four setters per usable policy (setters.go): "ns:name" -> name:tag[@digest],
// "ns:name:tag" -> tag, "ns:name:name" -> name, "ns:name:digest" -> digest.
class SetterTable {
 public:
  struct Setter {
    std::string value;
    std::string policy;  // "ns:name"
    ImageRef ref;
  };
  void add_policy(const std::string& ns, const std::string& name, const ImageRef& ref);
  const Setter* find(std::string_view setter) const;
  bool empty() const { return setters_.empty(); }

 private:
  std::map<std::string, Setter, std::less<>> setters_;
};

struct SetterChange {
  std::string file;  // path as given
  int line = 0;      // 1-based line of the scalar
  int col = 0;       // 1-based column where the scalar (its quote, for quoted ones) starts
  std::string old_value;
  std::string new_value;
  std::string setter;  // the marker's value, e.g. "flux-system:fraud-detector:tag"
  ObjectId object;
};

struct FileRewrite {
  std::string path;
  std::string before;
  std::string after;
  std::vector<SetterChange> changes;  // in file order
};

struct SetterRun {
  std::vector<FileRewrite> files;          // changed files only, sorted by path
  std::vector<std::string> problem_files;  // considered but unparsable (rule 2)
  std::vector<SetterChange> changes() const;
};

// Rule 1: does the automation look at this file (name and content)?
bool considered(std::string_view path, std::string_view content);

// Applies the setters to one file's text (rule 1 is the caller's business). `parsed` is
// false for a problem file. `content` is the new text (== input when nothing changed).
struct TextOutcome {
  bool parsed = true;
  std::string content;
  std::vector<SetterChange> changes;
};
TextOutcome apply_setters_to_text(std::string_view path, std::string_view content,
                                  const SetterTable& table);

// Applies the setters to a tree: `files` maps relative paths to contents (every file under
// the update path; rule 1 is applied here).
SetterRun apply_setters(const std::map<std::string, std::string>& files, const SetterTable& table);

// A unified diff (`--- a/path`, `+++ b/path`, 3 lines of context) between two versions of a
// file. Setters never add or remove lines, so lines are compared by position.
std::string unified_diff(const std::string& path, std::string_view before, std::string_view after);

// How a new value is written in place of a scalar of the given original style (rule 5).
enum class ScalarStyle { Plain, SingleQuoted, DoubleQuoted };
std::string render_scalar(std::string_view value, ScalarStyle original, bool in_flow);
// True when a YAML 1.1 or 1.2 resolver would read `value`, unquoted, as a non-string.
bool reads_as_non_string(std::string_view value);

}  // namespace rehearse::image
