#pragma once
// YAML text -> JSON documents with source positions.
//
// Typing follows what kustomize/kubectl (go-yaml v3, YAML 1.2 core schema) produce, checked
// against `kubectl kustomize` v5.5: plain `true/True/TRUE/false/...` are booleans,
// `null/Null/NULL/~`/empty are null, `yes/no/on/off/y/n` stay strings, integers accept
// `0x`, `0o`, `0b`, a leading-0 octal and `_` separators, floats accept `.inf/.nan`; quoted
// scalars and `!!str` are always strings. Merge keys (`<<`) are expanded.
//
// yaml-cpp accepts duplicate keys silently; this loader reports them. Limits on document
// size, nesting depth and nodes produced (after alias expansion) turn YAML bombs into
// diagnostics instead of hangs or crashes.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"

namespace rehearse::model {

struct YamlLimits {
  size_t max_bytes = 64u << 20;    // per file
  int max_depth = 256;             // nesting of maps/sequences
  size_t max_nodes = 4'000'000;    // JSON nodes per document after alias expansion
};

struct YamlDocument {
  JsonBox value;
  std::shared_ptr<SourceMap> positions;  // null when positions were not requested
  SourcePos start;                       // where the document's root node starts
  int index = 0;                         // 0-based among the file's documents (empties counted)
};

struct YamlOptions {
  bool keep_positions = true;
  bool skip_empty = true;  // drop documents that are empty or only comments (null)
  YamlLimits limits;
};

// Parses every document of `text`. Problems go to `diags` with `file` positions; documents
// that fail are left out, the others are returned.
std::vector<YamlDocument> parse_yaml(std::string_view text, const std::string& file,
                                     Diagnostics& diags, const YamlOptions& options = {});

// Parses one scalar the way a plain (unquoted) YAML scalar is typed. Exposed for tests and
// for the few places that type text the way YAML would (e.g. `--set k=v` flags).
JsonBox type_plain_scalar(std::string_view text);

// Reads a whole file; an error diagnostic (and false) when it cannot be read or exceeds
// `max_bytes`.
bool read_text_file(const std::string& path, std::string& out, Diagnostics& diags,
                    size_t max_bytes = 64u << 20);

}  // namespace rehearse::model
