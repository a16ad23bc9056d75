#include "sim/cluster/field_paths.hpp"

#include <vector>

#include <nlohmann/json.hpp>

namespace rehearse::cluster {

using nlohmann::json;

namespace {

constexpr char kSep = '\n';

void walk(const json& v, const patch::PatchSchema& schema, const std::string& schema_path,
          const std::string& prefix, FieldSet& out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string seg = prefix.empty() ? "f:" + it.key() : prefix + kSep + "f:" + it.key();
      const json& c = it.value();
      std::string sp = schema_path + "/" + it.key();
      if (c.is_array()) {
        patch::FieldMeta meta = schema.lookup(sp);
        if (meta.merge && !meta.merge_key.empty()) {
          bool keyed = true;
          for (const auto& e : c)
            if (!e.is_object() || !e.contains(meta.merge_key)) keyed = false;
          if (keyed) {
            for (const auto& e : c) {
              json k = json::object();
              k[std::string(meta.merge_key)] = e[std::string(meta.merge_key)];
              std::string es = seg + kSep + "k:" + k.dump();
              out[es + kSep + "."] = "";
              walk(e, schema, sp, es, out);
            }
            continue;
          }
        } else if (meta.merge) {
          bool scalar = true;
          for (const auto& e : c)
            if (e.is_object() || e.is_array()) scalar = false;
          if (scalar) {
            for (const auto& e : c) out[seg + kSep + "v:" + e.dump()] = "";
            continue;
          }
        }
        out[seg] = c.dump();
      } else if (c.is_object() && !c.empty()) {
        walk(c, schema, sp, seg, out);
      } else {
        out[seg] = c.dump();
      }
    }
  }
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> segs;
  size_t start = 0;
  while (true) {
    size_t p = path.find(kSep, start);
    segs.push_back(path.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return segs;
}

}  // namespace

FieldSet field_set(const json& body, const patch::PatchSchema& schema) {
  FieldSet out;
  if (!body.is_object()) return out;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (k == "apiVersion" || k == "kind" || k == "status") continue;
    if (k == "metadata") {
      if (!it->is_object()) continue;
      json owned = json::object();
      for (const char* f : {"labels", "annotations", "finalizers", "ownerReferences"})
        if (it->contains(f)) owned[f] = (*it)[f];
      if (!owned.empty()) {
        FieldSet sub;
        walk(owned, schema, "/metadata", "f:metadata", sub);
        out.insert(sub.begin(), sub.end());
      }
      continue;
    }
    json single = json::object();
    single[k] = it.value();
    walk(single, schema, "", "", out);
  }
  return out;
}

json render_fields_v1(const FieldSet& fields) {
  json root = json::object();
  for (const auto& [path, leaf] : fields) {
    json* cur = &root;
    for (const auto& seg : split(path)) {
      json& next = (*cur)[seg];
      if (!next.is_object()) next = json::object();
      cur = &next;
    }
  }
  return root;
}

std::string display_path(const std::string& path) {
  std::string out;
  for (const auto& seg : split(path)) {
    if (seg.rfind("f:", 0) == 0) {
      out += "." + seg.substr(2);
    } else if (seg.rfind("k:", 0) == 0) {
      json k = json::parse(seg.substr(2), nullptr, false);
      if (k.is_object() && !k.empty()) out += "[" + k.begin().key() + "=" + k.begin()->dump() + "]";
    } else if (seg.rfind("v:", 0) == 0) {
      out += "[" + seg.substr(2) + "]";
    }
  }
  return out;
}

void remove_field(json& body, const std::string& path) {
  std::vector<std::string> segs = split(path);
  if (!segs.empty() && segs.back() == ".") segs.pop_back();
  json* cur = &body;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    bool last = i + 1 == segs.size();
    if (seg.rfind("f:", 0) == 0) {
      if (!cur->is_object()) return;
      std::string f = seg.substr(2);
      auto it = cur->find(f);
      if (it == cur->end()) return;
      if (last) {
        cur->erase(it);
        return;
      }
      cur = &*it;
    } else if (seg.rfind("k:", 0) == 0) {
      if (!cur->is_array()) return;
      json k = json::parse(seg.substr(2), nullptr, false);
      if (!k.is_object() || k.empty()) return;
      const std::string& key = k.begin().key();
      size_t idx = cur->size();
      for (size_t j = 0; j < cur->size(); ++j)
        if ((*cur)[j].is_object() && (*cur)[j].contains(key) && (*cur)[j][key] == k.begin().value())
          idx = j;
      if (idx == cur->size()) return;
      if (last) {
        cur->erase(idx);
        return;
      }
      cur = &(*cur)[idx];
    } else if (seg.rfind("v:", 0) == 0) {
      if (!cur->is_array()) return;
      json v = json::parse(seg.substr(2), nullptr, false);
      for (size_t j = 0; j < cur->size(); ++j)
        if ((*cur)[j] == v) {
          cur->erase(j);
          return;
        }
      return;
    } else {
      return;
    }
  }
}

}  // namespace rehearse::cluster
