#pragma once
// What expectations look at after a run: every version of the objects they name, as the
// API server wrote them, in write order. Versions are recorded from the fake API server's
// watch stream; objects no expectation names are not kept (record_all for reports).

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

struct ObjectVersion {
  SimTime t{};
  std::uint64_t seq = 0;  // write order across all objects
  bool deleted = false;
  model::JsonBox body;    // null when deleted
};

class ObjectHistory {
 public:
  void watch(const model::ObjectKey& key) { watched_.insert(key); }
  void watch_all() { all_ = true; }
  bool wants(const model::ObjectKey& key) const { return all_ || watched_.count(key) > 0; }

  // `body` null for a deletion.
  void record(const model::ObjectKey& key, SimTime t, const nlohmann::json* body);

  // Versions of `key` in write order; empty when never written.
  const std::vector<ObjectVersion>& versions(const model::ObjectKey& key) const;
  // The version in effect at `t` (last written at or before t), or nullptr when the object
  // did not exist then.
  const ObjectVersion* at(const model::ObjectKey& key, SimTime t) const;

 private:
  std::set<model::ObjectKey> watched_;
  bool all_ = false;
  std::uint64_t seq_ = 0;
  std::map<model::ObjectKey, std::vector<ObjectVersion>> versions_;
};

}  // namespace rehearse::sim
