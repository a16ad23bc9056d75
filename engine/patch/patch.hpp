#pragma once
// Patches as the Kubernetes API server and kubectl apply them. Used by the fake API server
// (sim/cluster), by kustomize `patches` (engine/kustomize) and by diff (engine/diff).
//
//  - JSON merge patch, RFC 7386 (null deletes, objects merge, everything else replaces).
//  - JSON patch, RFC 6902 (add, remove, replace, move, copy, test).
//  - Strategic merge patch, k8s.io/apimachinery/pkg/util/strategicpatch: lists of the core
//    kinds merge by their patchMergeKey (containers/initContainers/ephemeralContainers/
//    volumes/env/envFrom? by name, ports by containerPort, ...), `$patch: replace|delete|merge`,
//    `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`; lists
//    without a merge key (or of unknown kinds) are replaced, as upstream does for CRDs.
//  - Three-way merge as kubectl client-side apply computes it from
//    (last-applied, new desired, live).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::patch {

// RFC 7386. Never fails.
void apply_merge_patch(nlohmann::json& target, const nlohmann::json& patch);
// The merge patch that turns `from` into `to` (null for removed keys).
nlohmann::json create_merge_patch(const nlohmann::json& from, const nlohmann::json& to);

// RFC 6902. On error `target` is unchanged; the error names the failing operation's index.
Result<void> apply_json_patch(nlohmann::json& target, const nlohmann::json& operations);
// The same without the copy that makes it atomic: on error `target` keeps the operations
// before the failing one. For callers that validated the operations or can discard target.
Result<void> apply_json_patch_in_place(nlohmann::json& target, const nlohmann::json& operations);

// Strategic merge for an object of (group, kind) - the kind decides which lists merge by
// key. On error (malformed directive) `target` is unchanged.
Result<void> apply_strategic_merge_patch(nlohmann::json& target, const nlohmann::json& patch,
                                         std::string_view group, std::string_view kind);

// kubectl apply's three-way patch: fields present in `last_applied` and absent from
// `desired` are deleted; fields of `desired` are set; fields only in `live` (defaults,
// other managers) are kept. Uses strategic-merge semantics for built-in kinds and JSON
// merge semantics otherwise. Returns the new live object.
Result<nlohmann::json> three_way_merge(const nlohmann::json& last_applied,
                                       const nlohmann::json& desired, const nlohmann::json& live,
                                       std::string_view group, std::string_view kind);

// The patch merge key of a list field for a built-in kind, e.g. ("", "Pod",
// "/spec/containers") -> "name"; "" when the list has none (replaced wholesale). `path` is
// a JSON pointer with array indexes removed.
std::string merge_key_for(std::string_view group, std::string_view kind, std::string_view path);

// True when the API server accepts strategic merge patches for the group (built-in groups:
// core, apps, batch, rbac, ...). Custom resources answer 415 to them; kubectl then uses JSON
// merge semantics, and so do apply_strategic_merge_patch / three_way_merge here.
bool supports_strategic_merge(std::string_view group, std::string_view kind);

// RFC 6901: "/a/b~1c/~0d" -> {"a", "b/c", "~d"}; "" -> {} (the whole document).
Result<std::vector<std::string>> parse_json_pointer(std::string_view pointer);

// Notes on apply_strategic_merge_patch:
//  - a top-level `$patch: delete` empties the object (as upstream); kustomize callers that
//    want "delete the resource" check for the directive before calling;
//  - `$patch: delete` on a nested map removes that key;
//  - new list items without `$setElementOrder` go before the live items (upstream's
//    mergeSortedSlice tie rule); with it, the given order wins.

}  // namespace rehearse::patch
