#pragma once
// Field specs: where kustomize's built-in transformers write (kustomize
// api/internal/konfig/builtinpluginconsts/*.go, paraphrased as tables), and the walker that
// visits a path such as "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name" in
// an object, descending into every element of lists met on the way.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rehearse::kustomize {

struct FieldSpec {
  std::string group;    // "" = any
  std::string version;  // "" = any
  std::string kind;     // "" = any
  std::vector<std::string> path;
  bool create = false;

  bool selects(std::string_view g, std::string_view v, std::string_view k) const {
    return (group.empty() || group == g) && (version.empty() || version == v) &&
           (kind.empty() || kind == k);
  }
};

// "spec/template/metadata/labels" -> segments; "\/" escapes a slash; a trailing "[]" on a
// segment is dropped (lists are descended implicitly).
std::vector<std::string> split_field_path(std::string_view path);
FieldSpec make_field_spec(std::string_view group, std::string_view version, std::string_view kind,
                          std::string_view path, bool create);

// Calls `visit(parent, key)` for every place the path reaches, where `parent` is the JSON
// object holding the last segment `key` (which may be absent). Missing intermediate maps are
// created when `create` is set, otherwise that branch is skipped.
void walk_field(nlohmann::json& root, const std::vector<std::string>& path, bool create,
                const std::function<void(nlohmann::json& parent, const std::string& key)>& visit);

// Built-in tables.
const std::vector<FieldSpec>& common_label_specs();    // labels incl. selectors (commonLabels)
const std::vector<FieldSpec>& template_label_specs();  // metadata + pod template labels
const std::vector<FieldSpec>& annotation_specs();      // commonAnnotations
const std::vector<FieldSpec>& replica_specs();

struct NameReference {
  std::string group, version, kind;  // the referred-to kind
  std::vector<FieldSpec> referrers;
};
const std::vector<NameReference>& name_reference_specs();

// Kinds kustomize treats as cluster-scoped (api/resid/gvk.go NotNamespaceableKinds plus the
// built-in schema's cluster-scoped kinds).
bool is_cluster_scoped(std::string_view group, std::string_view kind);

}  // namespace rehearse::kustomize
