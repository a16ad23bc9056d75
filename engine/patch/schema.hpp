#pragma once
// The patch metadata of built-in kinds: which list fields merge by key (patchMergeKey /
// patchStrategy struct tags of k8s.io/api) and which maps retain keys. Paths are JSON
// pointers with array indexes removed, relative to the object root
// ("/spec/template/spec/containers/env").
//
// Kinds outside the API server's own groups are CRDs: no table, lists are atomic (replaced),
// as kubectl does when it falls back to JSON merge patch for custom resources.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rehearse::patch {

struct FieldMeta {
  std::string_view merge_key;  // "" for primitive merge lists or non-merge fields
  bool merge = false;          // patchStrategy "merge" (lists)
  bool retain_keys = false;    // patchStrategy "retainKeys"
};

// True for groups served by kube-apiserver (core, apps, batch, rbac, ...): the API server
// accepts application/strategic-merge-patch+json for them, and returns 415 for CRDs.
bool supports_strategic_merge(std::string_view group, std::string_view kind);

class PatchSchema {
 public:
  PatchSchema(std::string_view group, std::string_view kind);
  bool builtin() const { return builtin_; }
  // Metadata of the field at `path`; a default FieldMeta (replace) when none.
  FieldMeta lookup(std::string_view path) const;

 private:
  bool builtin_ = false;
  std::vector<std::pair<std::string, FieldMeta>> fields_;  // sorted by path
};

}  // namespace rehearse::patch
