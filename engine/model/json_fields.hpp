#pragma once
// Reading fields of a JSON document in place: no copy of the value, no default built, and
// absent or wrongly typed fields read as absent (null, "", nullptr), as a Go controller
// decoding into a typed struct would see them. For code that already includes
// <nlohmann/json.hpp> (this header does; keep it out of widely included headers).
//
// Keys are string_views: a `const char*` key would be measured again at every comparison
// inside the object's map.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rehearse::model {

// j[key], or null when `j` is not an object or has no `key`.
inline const nlohmann::json& field(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// j[key] when it is a string, else "".
inline const std::string& string_field(const nlohmann::json& j, std::string_view key) {
  static const std::string kEmpty;
  const nlohmann::json& v = field(j, key);
  return v.is_string() ? v.get_ref<const std::string&>() : kEmpty;
}

// body.metadata[key] (which may be null), or nullptr when absent.
inline const nlohmann::json* metadata_field(const nlohmann::json& body, std::string_view key) {
  const nlohmann::json& md = field(body, "metadata");
  if (!md.is_object()) return nullptr;
  auto it = md.find(key);
  return it == md.end() ? nullptr : &*it;
}

}  // namespace rehearse::model
