#pragma once
// Strict reading of our own YAML formats (scenario files): every key must be known, every
// value of the right type, and every problem is reported with its file:line:col and a
// did-you-mean for misspelt keys. Readers are cheap views over a JSON node plus the
// document's SourceMap; problems go to one Diagnostics collection, so one pass reports all.

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/diagnostic.hpp"
#include "engine/model/object.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

class SpecReader {
 public:
  SpecReader(const nlohmann::json& node, std::string pointer, const model::SourceMap& map,
             model::Diagnostics& diags);

  const nlohmann::json& node() const { return node_; }
  const std::string& pointer() const { return pointer_; }
  model::SourcePos pos() const { return map_.find(pointer_); }
  model::SourcePos pos_of(std::string_view key) const;
  model::Diagnostics& diags() const { return diags_; }
  bool is_object() const;
  bool has(std::string_view key) const;

  // Child reader for a key or index; the child's node is null when absent.
  SpecReader child(std::string_view key) const;
  SpecReader item(size_t index) const;
  size_t size() const;  // elements of an array, 0 otherwise

  // Typed getters: a problem is reported and nullopt returned when the key is present with
  // the wrong type; nullopt without a problem when absent (required() adds one).
  std::optional<std::string> string(std::string_view key) const;
  std::optional<long long> integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<SimDuration> duration(std::string_view key) const;
  std::optional<std::vector<std::string>> strings(std::string_view key) const;
  // Reports a problem when `key` is absent.
  bool required(std::string_view key) const;

  // Reports every key not in `known` (with a did-you-mean). Call once per object.
  void check_keys(std::initializer_list<std::string_view> known) const;
  void check_keys(const std::vector<std::string>& known) const;
  // Reports that exactly one of `keys` must be present; returns the one present, or "".
  std::string exactly_one(std::initializer_list<std::string_view> keys) const;
  std::string exactly_one(const std::vector<std::string>& keys) const;

  void error(std::string_view key, std::string code, std::string message) const;
  void error_here(std::string code, std::string message) const;

 private:
  const nlohmann::json& node_;
  std::string pointer_;
  const model::SourceMap& map_;
  model::Diagnostics& diags_;
};

// The closest of `candidates` to `word` within a small edit distance, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace rehearse::sim
