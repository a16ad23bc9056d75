#include "sim/world/settings.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace rehearse::sim {

void SettingsChecker::bad(const std::string& message) {
  diags_.error(pos_, code_, message);
  ok_ = false;
}

std::optional<SimDuration> SettingsChecker::duration(const nlohmann::json& v, const std::string& where,
                                                     std::string_view example) {
  if (!v.is_string()) {
    bad(fmt::format("{} is a duration such as {}", where, example));
    return std::nullopt;
  }
  auto d = parse_go_duration(v.get<std::string>());
  if (!d || *d < SimDuration{0}) {
    bad(fmt::format("{}: invalid duration \"{}\"", where, v.get<std::string>()));
    return std::nullopt;
  }
  return *d;
}

}  // namespace rehearse::sim
