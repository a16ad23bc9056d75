#pragma once
// Loading Kubernetes manifests from files and directories.
//
// Directory walks are sorted by byte-wise path (deterministic), take `.yaml`, `.yml` (and
// `.json`) files, optionally recurse, and skip hidden entries (".git"). Each non-empty YAML
// document must be a mapping with apiVersion, kind and metadata.name (or a `kind: List`,
// which is expanded like kubectl does). Every problem is collected as a diagnostic.

#include <string>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "engine/model/object.hpp"
#include "engine/model/yaml_loader.hpp"

namespace rehearse::model {

struct LoadOptions {
  bool recursive = true;
  bool keep_positions = true;
  YamlLimits limits;
};

// Objects of one YAML text (already read). `file` is used for positions.
std::vector<Object> load_manifests_text(std::string_view text, const std::string& file,
                                        Diagnostics& diags, const LoadOptions& opts = {});
// Objects of a file, or of every manifest file under a directory.
std::vector<Object> load_manifests(const std::string& path, Diagnostics& diags,
                                   const LoadOptions& opts = {});
// The manifest files `load_manifests` would read for `path`, in the order it reads them.
std::vector<std::string> list_manifest_files(const std::string& path, bool recursive,
                                             Diagnostics& diags);

// Turns one parsed document into objects (a List expands to its items). Checks the identity
// fields and reports what is missing.
void document_to_objects(YamlDocument doc, std::vector<Object>& out, Diagnostics& diags);

}  // namespace rehearse::model
