#pragma once
// Field sets as server-side apply records them in metadata.managedFields (fieldsV1): a path
// per leaf field, with segments "f:<field>", "k:{<merge key>:<value>}" for elements of lists
// that merge by key, "v:<value>" for primitive merge lists (finalizers); other lists are
// atomic leaves. Identity metadata (name, uid, resourceVersion, ...) and status are not
// owned by appliers and are left out.

#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/patch/schema.hpp"

namespace rehearse::cluster {

// Path (segments joined by '\n') -> the leaf's JSON text, to compare values.
using FieldSet = std::map<std::string, std::string>;

FieldSet field_set(const nlohmann::json& body, const patch::PatchSchema& schema);
// {"f:spec":{"f:replicas":{}}, ...} as the API server renders fieldsV1.
nlohmann::json render_fields_v1(const FieldSet& fields);
// ".spec.template.spec.containers[name=\"app\"].image" for conflict messages.
std::string display_path(const std::string& path);
// Removes the field at `path` from `body` (no-op when absent).
void remove_field(nlohmann::json& body, const std::string& path);

}  // namespace rehearse::cluster
