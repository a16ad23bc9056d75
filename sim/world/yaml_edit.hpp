#pragma once
// yq-style edits of one scalar in a YAML file that keep every other byte as it was
// (comments, quoting style, indentation, key order): what a scenario's `commit: {set: ...}`
// does, like `yq e '.spec.replicas = 3' -i` but without reformatting the file.
//
// The path is a simple yq path: `.a.b[0].c`, `.["key.with.dots"]`. The key must exist and
// hold a single-line scalar; it is set in every document of the file where it exists.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::sim {

Result<std::string> set_yaml_value(std::string_view text, std::string_view path,
                                   const nlohmann::json& value);
// The JSON pointer of a simple yq path ("/a/b/0/c"). Error for unsupported syntax.
Result<std::string> yq_path_to_pointer(std::string_view path);
// A value rendered as a YAML scalar that reads back as the same value.
std::string yaml_scalar(const nlohmann::json& value);

}  // namespace rehearse::sim
