#include "sim/scenario/spec_reader.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace rehearse::sim {

using nlohmann::json;

namespace {
const json& null_json() {
  static const json kNull;
  return kNull;
}

std::string escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "a mapping";
    case json::value_t::array: return "a sequence";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

SpecReader::SpecReader(const json& node, std::string pointer, const model::SourceMap& map,
                       model::Diagnostics& diags)
    : node_(node), pointer_(std::move(pointer)), map_(map), diags_(diags) {}

model::SourcePos SpecReader::pos_of(std::string_view key) const {
  return map_.find(pointer_ + "/" + escape(key));
}

bool SpecReader::is_object() const { return node_.is_object(); }

bool SpecReader::has(std::string_view key) const {
  return node_.is_object() && node_.contains(std::string(key));
}

SpecReader SpecReader::child(std::string_view key) const {
  std::string p = pointer_ + "/" + escape(key);
  if (!node_.is_object()) return SpecReader(null_json(), p, map_, diags_);
  auto it = node_.find(std::string(key));
  return SpecReader(it == node_.end() ? null_json() : *it, p, map_, diags_);
}

SpecReader SpecReader::item(size_t index) const {
  std::string p = fmt::format("{}/{}", pointer_, index);
  if (!node_.is_array() || index >= node_.size()) return SpecReader(null_json(), p, map_, diags_);
  return SpecReader(node_[index], p, map_, diags_);
}

size_t SpecReader::size() const { return node_.is_array() ? node_.size() : 0; }

void SpecReader::error(std::string_view key, std::string code, std::string message) const {
  diags_.error(pos_of(key), std::move(code), std::move(message));
}

void SpecReader::error_here(std::string code, std::string message) const {
  diags_.error(pos(), std::move(code), std::move(message));
}

std::optional<std::string> SpecReader::string(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const json& v = node_[std::string(key)];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();  // YAML `name: 42` is fine as text
  error(key, "wrong-type", fmt::format("`{}` must be a string, not {}", key, type_name(v)));
  return std::nullopt;
}

std::optional<long long> SpecReader::integer(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const json& v = node_[std::string(key)];
  if (v.is_number_integer()) return v.get<long long>();
  error(key, "wrong-type", fmt::format("`{}` must be an integer, not {}", key, type_name(v)));
  return std::nullopt;
}

std::optional<bool> SpecReader::boolean(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const json& v = node_[std::string(key)];
  if (v.is_boolean()) return v.get<bool>();
  error(key, "wrong-type", fmt::format("`{}` must be true or false, not {}", key, type_name(v)));
  return std::nullopt;
}

std::optional<SimDuration> SpecReader::duration(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const json& v = node_[std::string(key)];
  if (v.is_number_integer() && v.get<long long>() == 0) return SimDuration{0};
  if (!v.is_string()) {
    error(key, "wrong-type",
          fmt::format("`{}` must be a duration such as \"90s\", \"5m\" or \"1h30m\"", key));
    return std::nullopt;
  }
  auto d = parse_go_duration(v.get<std::string>());
  if (!d) {
    error(key, "invalid-duration",
          fmt::format("{} (use a Go duration such as \"90s\", \"5m\" or \"1h30m\")",
                      d.error().message));
    return std::nullopt;
  }
  if (*d < SimDuration{0}) {
    error(key, "invalid-duration", fmt::format("`{}` must not be negative", key));
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> SpecReader::strings(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const json& v = node_[std::string(key)];
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) {
    error(key, "wrong-type", fmt::format("`{}` must be a list of strings", key));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      diags_.error(map_.find(fmt::format("{}/{}/{}", pointer_, escape(key), i)), "wrong-type",
                   fmt::format("`{}` must be a list of strings", key));
      return std::nullopt;
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

bool SpecReader::required(std::string_view key) const {
  if (has(key)) return true;
  error_here("missing-field", fmt::format("`{}` is required here", key));
  return false;
}

void SpecReader::check_keys(std::initializer_list<std::string_view> known) const {
  check_keys(std::vector<std::string>(known.begin(), known.end()));
}

void SpecReader::check_keys(const std::vector<std::string>& names) const {
  if (!node_.is_object()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (std::find(names.begin(), names.end(), it.key()) != names.end()) continue;
    std::string hint = did_you_mean(it.key(), names);
    error(it.key(), "unknown-field",
          hint.empty() ? fmt::format("unknown field `{}`", it.key())
                       : fmt::format("unknown field `{}`; did you mean `{}`?", it.key(), hint));
  }
}

std::string SpecReader::exactly_one(std::initializer_list<std::string_view> keys) const {
  return exactly_one(std::vector<std::string>(keys.begin(), keys.end()));
}

std::string SpecReader::exactly_one(const std::vector<std::string>& keys) const {
  std::vector<std::string> present;
  for (auto k : keys)
    if (has(k)) present.emplace_back(k);
  if (present.size() == 1) return present[0];
  std::string list;
  for (const auto& k : keys) list += (list.empty() ? "`" : ", `") + k + "`";
  if (present.empty())
    error_here("missing-field", fmt::format("expected one of {}", list));
  else
    error(present[1], "conflicting-fields",
          fmt::format("`{}` and `{}` cannot be used together (one of {})", present[0], present[1],
                      list));
  return {};
}

}  // namespace rehearse::sim
