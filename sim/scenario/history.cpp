#include "sim/scenario/history.hpp"

#include <nlohmann/json.hpp>

namespace rehearse::sim {

void ObjectHistory::record(const model::ObjectKey& key, SimTime t, const nlohmann::json* body) {
  if (!wants(key)) return;
  ObjectVersion v;
  v.t = t;
  v.seq = ++seq_;
  v.deleted = body == nullptr;
  if (body) v.body = model::JsonBox(*body);
  versions_[key].push_back(std::move(v));
}

const std::vector<ObjectVersion>& ObjectHistory::versions(const model::ObjectKey& key) const {
  static const std::vector<ObjectVersion> kNone;
  auto it = versions_.find(key);
  return it == versions_.end() ? kNone : it->second;
}

const ObjectVersion* ObjectHistory::at(const model::ObjectKey& key, SimTime t) const {
  const auto& vs = versions(key);
  const ObjectVersion* found = nullptr;
  for (const auto& v : vs) {
    if (v.t > t) break;
    found = &v;
  }
  if (found && found->deleted) return nullptr;
  return found;
}

}  // namespace rehearse::sim
