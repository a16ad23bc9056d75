// Strategic merge patch and kubectl's client-side three-way apply, following
// k8s.io/apimachinery/pkg/util/strategicpatch (mergeMap / mergeSlice / normalizeElementOrder
// / CreateThreeWayMergePatch), with the patch metadata of engine/patch/schema.hpp.
//
// Deliberate differences from upstream (documented in docs/cluster.md):
//  - a value added under a key that the original lacks is itself merged into an empty value,
//    so directives and nulls inside it are processed instead of being stored verbatim;
//  - `$patch: delete` inside a map removes the key (kustomize's behaviour) instead of leaving
//    an empty map.

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/patch/patch.hpp"
#include "engine/patch/schema.hpp"

namespace rehearse::patch {

using nlohmann::json;

namespace {

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeletePrefix = "$deleteFromPrimitiveList/";
constexpr std::string_view kOrderPrefix = "$setElementOrder/";

struct PatchFailure {
  std::string message;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Position of `item` in `list`: by merge-key value for maps, by value for scalars.
long index_of(const json& list, const json& item, std::string_view key) {
  if (!list.is_array()) return -1;
  if (key.empty()) {
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] == item) return static_cast<long>(i);
    return -1;
  }
  auto iv = item.is_object() ? item.find(key) : item.end();
  if (!item.is_object() || iv == item.end()) return -1;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) continue;
    auto lv = list[i].find(key);
    if (lv != list[i].end() && *lv == *iv) return static_cast<long>(i);
  }
  return -1;
}

// normalizeSliceOrder: items found in `order` sorted by their position there; others keep
// their relative order after them.
std::vector<json> sort_by_order(std::vector<json> items, const json& order, std::string_view key) {
  std::vector<std::pair<long, size_t>> idx;
  idx.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    long p = index_of(order, items[i], key);
    idx.emplace_back(p < 0 ? std::numeric_limits<long>::max() : p, i);
  }
  std::stable_sort(idx.begin(), idx.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<json> out;
  out.reserve(items.size());
  for (auto& [p, i] : idx) out.push_back(std::move(items[i]));
  return out;
}

// mergeSortedSlice: interleaves server-only items (left) into patch items (right) using the
// live order; a patch item not in the live list goes first (upstream's tie rule).
json merge_sorted(std::vector<json> left, std::vector<json> right, const json& server_order,
                  std::string_view key) {
  json out = json::array();
  size_t i = 0, j = 0;
  while (i < left.size() || j < right.size()) {
    if (i >= left.size()) {
      out.push_back(std::move(right[j++]));
    } else if (j >= right.size()) {
      out.push_back(std::move(left[i++]));
    } else {
      long li = index_of(server_order, left[i], key);
      long ri = index_of(server_order, right[j], key);
      if (li >= 0 && ri >= 0 && li < ri)
        out.push_back(std::move(left[i++]));
      else
        out.push_back(std::move(right[j++]));
    }
  }
  return out;
}

// normalizeElementOrder: items of `merged` present in `patch_order` follow that order; the
// rest keep the live order; both interleaved by the live (server) order.
json normalize_order(const json& merged, const json& patch_order, const json& server_order,
                     std::string_view key) {
  std::vector<json> in_patch, server_only;
  for (const auto& v : merged) {
    if (index_of(patch_order, v, key) >= 0)
      in_patch.push_back(v);
    else
      server_only.push_back(v);
  }
  in_patch = sort_by_order(std::move(in_patch), patch_order, key);
  server_only = sort_by_order(std::move(server_only), server_order, key);
  return merge_sorted(std::move(server_only), std::move(in_patch), server_order, key);
}

bool has_maps(const json& a, const json& b) {
  for (const auto& v : a)
    if (v.is_object()) return true;
  for (const auto& v : b)
    if (v.is_object()) return true;
  return false;
}

class Merger {
 public:
  explicit Merger(const PatchSchema& schema) : schema_(schema) {}

  // Merges object `patch` (no top-level $patch) into object `orig`.
  void merge_map(json& orig, json patch, const std::string& path) {
    if (!orig.is_object()) orig = json::object();
    if (auto it = patch.find(kRetainKeys); it != patch.end()) {
      if (!it->is_array())
        throw PatchFailure{fmt::format("{}: $retainKeys must be a list", display(path))};
      std::set<std::string> keep;
      for (const auto& k : *it)
        if (k.is_string()) keep.insert(k.get<std::string>());
      patch.erase(it);
      for (auto p = patch.begin(); p != patch.end(); ++p) {
        if (p.value().is_null() || starts_with(p.key(), kDeletePrefix) ||
            starts_with(p.key(), kOrderPrefix))
          continue;
        if (!keep.count(p.key()))
          throw PatchFailure{fmt::format("{}: field \"{}\" is not in $retainKeys",
                                         display(path), p.key())};
      }
      for (auto o = orig.begin(); o != orig.end();) {
        if (!keep.count(o.key()))
          o = orig.erase(o);
        else
          ++o;
      }
    }
    // $setElementOrder/<field> with its list, before the other keys (mergePatchIntoOriginal).
    std::vector<std::string> order_keys;
    for (auto p = patch.begin(); p != patch.end(); ++p)
      if (starts_with(p.key(), kOrderPrefix)) order_keys.push_back(p.key());
    for (const auto& ok : order_keys) {
      json order = patch[ok];
      patch.erase(ok);
      std::string field = ok.substr(kOrderPrefix.size());
      if (!order.is_array() || field.empty())
        throw PatchFailure{fmt::format("{}: malformed {}", display(path), ok)};
      std::string sub = path + "/" + field;
      FieldMeta meta = schema_.lookup(sub);
      auto oit = orig.find(field);
      auto pit = patch.find(field);
      bool has_orig = oit != orig.end() && oit->is_array();
      bool has_patch = pit != patch.end() && pit->is_array();
      if (!has_orig && !has_patch) continue;
      json server = has_orig ? *oit : json::array();
      json merged;
      if (has_orig && has_patch) {
        merged = meta.merge ? merge_list(*oit, *pit, meta, sub) : fresh_list(*pit, meta, sub);
      } else if (has_patch) {
        merged = fresh_list(*pit, meta, sub);
      } else {
        merged = *oit;
      }
      if (has_patch) patch.erase(field);
      std::string_view key = meta.merge_key;
      if (!key.empty())
        for (const auto& v : merged)
          if (!v.is_object() || !v.contains(key))
            throw PatchFailure{fmt::format("{}: element has no merge key \"{}\"", display(sub), key)};
      orig[field] = normalize_order(merged, order, server, key);
    }
    for (auto p = patch.begin(); p != patch.end(); ++p) {
      const std::string& k = p.key();
      const json& v = p.value();
      if (starts_with(k, kDeletePrefix)) {
        std::string field = k.substr(kDeletePrefix.size());
        if (!v.is_array())
          throw PatchFailure{fmt::format("{}: {} must be a list", display(path), k)};
        auto oit = orig.find(field);
        if (oit != orig.end() && oit->is_array()) {
          json kept = json::array();
          for (auto& e : *oit) {
            bool drop = false;
            for (const auto& d : v)
              if (d == e) drop = true;
            if (!drop) kept.push_back(std::move(e));
          }
          *oit = std::move(kept);
        }
        continue;
      }
      if (!k.empty() && k[0] == '$') continue;  // other directives carry no data
      std::string sub = path + "/" + k;
      if (v.is_null()) {
        orig.erase(k);
        continue;
      }
      auto oit = orig.find(k);
      if (v.is_object()) {
        if (auto d = v.find(kDirective); d != v.end()) {
          if (*d == "delete") {
            orig.erase(k);
            continue;
          }
          if (*d == "replace") {
            json r = v;
            r.erase(kDirective);
            json fresh = json::object();
            merge_map(fresh, std::move(r), sub);
            orig[k] = std::move(fresh);
            continue;
          }
          if (*d != "merge")
            throw PatchFailure{fmt::format("{}: unknown $patch \"{}\"", display(sub), d->dump())};
          json r = v;
          r.erase(kDirective);
          if (oit == orig.end() || !oit->is_object()) orig[k] = json::object();
          merge_map(orig[k], std::move(r), sub);
          continue;
        }
        if (oit == orig.end() || !oit->is_object()) orig[k] = json::object();
        merge_map(orig[k], v, sub);
      } else if (v.is_array()) {
        FieldMeta meta = schema_.lookup(sub);
        if (oit != orig.end() && oit->is_array() && meta.merge)
          *oit = merge_list(*oit, v, meta, sub);
        else
          orig[k] = fresh_list(v, meta, sub);
      } else {
        orig[k] = v;
      }
    }
  }

  // A list for a key the original lacks (or a non-merge list): directives processed.
  json fresh_list(const json& v, const FieldMeta& meta, const std::string& path) {
    if (meta.merge) return merge_list(json::array(), v, meta, path);
    json out = json::array();
    for (const auto& e : v) {
      if (e.is_object()) {
        json f = json::object();
        merge_map(f, e, path);
        out.push_back(std::move(f));
      } else {
        out.push_back(e);
      }
    }
    return out;
  }

  json merge_list(json orig, const json& patch, const FieldMeta& meta, const std::string& path) {
    if (orig.empty() && patch.empty()) return orig;
    std::string_view key = meta.merge_key;
    if (!has_maps(orig, patch)) {
      // Primitive merge list (finalizers): union, deduplicated.
      json merged = orig;
      for (const auto& v : patch)
        if (index_of(merged, v, "") < 0) merged.push_back(v);
      return normalize_order(merged, patch, orig, "");
    }
    if (key.empty())
      throw PatchFailure{fmt::format("{}: cannot merge lists without a merge key", display(path))};
    // mergeSliceWithSpecialElements.
    json plain = json::array();
    bool replace = false;
    for (const auto& e : patch) {
      if (!e.is_object())
        throw PatchFailure{fmt::format("{}: list mixes objects and scalars", display(path))};
      auto d = e.find(kDirective);
      if (d == e.end()) {
        plain.push_back(e);
        continue;
      }
      if (*d == "delete") {
        auto kv = e.find(key);
        if (kv == e.end())
          throw PatchFailure{fmt::format("{}: $patch: delete element has no merge key \"{}\"",
                                         display(path), key)};
        json kept = json::array();
        for (auto& o : orig) {
          auto ov = o.is_object() ? o.find(key) : o.end();
          if (!(o.is_object() && ov != o.end() && *ov == *kv)) kept.push_back(std::move(o));
        }
        orig = std::move(kept);
      } else if (*d == "replace") {
        replace = true;
      } else if (*d == "merge") {
        throw PatchFailure{
            fmt::format("{}: merging lists cannot yet be specified in the patch", display(path))};
      } else {
        throw PatchFailure{fmt::format("{}: unknown $patch \"{}\"", display(path), d->dump())};
      }
    }
    if (replace) {
      json out = json::array();
      for (const auto& e : plain) {
        json f = json::object();
        merge_map(f, e, path);
        out.push_back(std::move(f));
      }
      return out;
    }
    json server = orig;
    for (const auto& e : plain) {
      auto kv = e.find(key);
      if (kv == e.end())
        throw PatchFailure{fmt::format("{}: element {} does not contain declared merge key \"{}\"",
                                       display(path), e.dump(), key)};
      long at = index_of(orig, e, key);
      if (at >= 0) {
        merge_map(orig[static_cast<size_t>(at)], e, path);
      } else {
        json f = json::object();
        merge_map(f, e, path);
        orig.push_back(std::move(f));
      }
    }
    for (const auto& o : orig)
      if (!o.is_object() || !o.contains(key))
        throw PatchFailure{fmt::format("{}: element {} does not contain declared merge key \"{}\"",
                                       display(path), o.dump(), key)};
    return normalize_order(orig, plain, server, key);
  }

  // kubectl apply: deletions from `last` to `desired`, values of `desired`, live-only kept.
  void three_way_map(json& live, const json* last, const json& desired, const std::string& path) {
    if (!live.is_object()) live = json::object();
    if (last && last->is_object()) {
      for (auto it = last->begin(); it != last->end(); ++it)
        if (!desired.contains(it.key())) live.erase(it.key());
    }
    for (auto it = desired.begin(); it != desired.end(); ++it) {
      const std::string& k = it.key();
      const json& dv = it.value();
      std::string sub = path + "/" + k;
      if (dv.is_null()) {
        live.erase(k);
        continue;
      }
      const json* lastv = nullptr;
      if (last && last->is_object()) {
        auto f = last->find(k);
        if (f != last->end()) lastv = &*f;
      }
      auto lit = live.find(k);
      if (lit == live.end()) {
        if (dv.is_object()) {
          json f = json::object();
          merge_map(f, dv, sub);
          live[k] = std::move(f);
        } else if (dv.is_array()) {
          live[k] = fresh_list(dv, schema_.lookup(sub), sub);
        } else {
          live[k] = dv;
        }
        continue;
      }
      if (dv.is_object() && lit->is_object()) {
        three_way_map(*lit, lastv && lastv->is_object() ? lastv : nullptr, dv, sub);
      } else if (dv.is_array() && lit->is_array()) {
        FieldMeta meta = schema_.lookup(sub);
        if (meta.merge)
          three_way_list(*lit, lastv && lastv->is_array() ? lastv : nullptr, dv, meta, sub);
        else if (*lit != dv)
          *lit = fresh_list(dv, meta, sub);
      } else if (dv.is_object()) {
        json f = json::object();
        merge_map(f, dv, sub);
        *lit = std::move(f);
      } else if (dv.is_array()) {
        *lit = fresh_list(dv, schema_.lookup(sub), sub);
      } else {
        *lit = dv;
      }
    }
  }

  void three_way_list(json& live, const json* last, const json& desired, const FieldMeta& meta,
                      const std::string& path) {
    std::string_view key = meta.merge_key;
    if (!has_maps(live, desired)) {
      json out = json::array();
      for (const auto& v : live) {
        bool deleted = last && index_of(*last, v, "") >= 0 && index_of(desired, v, "") < 0;
        if (!deleted) out.push_back(v);
      }
      json server = out;
      for (const auto& v : desired)
        if (index_of(out, v, "") < 0) out.push_back(v);
      live = out == desired ? out : normalize_order(out, desired, server, "");
      return;
    }
    if (key.empty())
      throw PatchFailure{fmt::format("{}: cannot merge lists without a merge key", display(path))};
    for (const auto& d : desired)
      if (!d.is_object() || !d.contains(key))
        throw PatchFailure{fmt::format("{}: element {} does not contain declared merge key \"{}\"",
                                       display(path), d.dump(), key)};
    json out = json::array();
    for (auto& v : live) {
      bool deleted = last && index_of(*last, v, key) >= 0 && index_of(desired, v, key) < 0;
      if (!deleted) out.push_back(std::move(v));
    }
    json server = out;
    for (const auto& d : desired) {
      long at = index_of(out, d, key);
      const json* lastv = nullptr;
      if (last) {
        long li = index_of(*last, d, key);
        if (li >= 0) lastv = &(*last)[static_cast<size_t>(li)];
      }
      if (at >= 0) {
        three_way_map(out[static_cast<size_t>(at)], lastv, d, path);
      } else {
        json f = json::object();
        merge_map(f, d, path);
        out.push_back(std::move(f));
      }
    }
    live = normalize_order(out, desired, server, key);
  }

 private:
  static std::string display(const std::string& path) { return path.empty() ? "/" : path; }
  const PatchSchema& schema_;
};

}  // namespace

Result<void> apply_strategic_merge_patch(json& target, const json& patch, std::string_view group,
                                         std::string_view kind) {
  if (!patch.is_object())
    return fail("invalid-strategic-patch", "a strategic merge patch must be a JSON object");
  PatchSchema schema(group, kind);
  Merger m(schema);
  try {
    if (auto d = patch.find(kDirective); d != patch.end()) {
      if (*d == "replace") {
        json r = patch;
        r.erase(kDirective);
        json fresh = json::object();
        m.merge_map(fresh, std::move(r), "");
        target = std::move(fresh);
        return {};
      }
      if (*d == "delete") {
        target = json::object();
        return {};
      }
      if (*d != "merge")
        return fail("invalid-strategic-patch", fmt::format("unknown $patch {}", d->dump()));
    }
    json work = target;
    json p = patch;
    p.erase(std::string(kDirective));
    m.merge_map(work, std::move(p), "");
    target = std::move(work);
  } catch (const PatchFailure& f) {
    return fail("invalid-strategic-patch", f.message);
  }
  return {};
}

Result<json> three_way_merge(const json& last_applied, const json& desired, const json& live,
                             std::string_view group, std::string_view kind) {
  if (!desired.is_object())
    return fail("invalid-strategic-patch", "the desired object must be a JSON object");
  PatchSchema schema(group, kind);
  Merger m(schema);
  json out = live.is_object() ? live : json::object();
  try {
    m.three_way_map(out, last_applied.is_object() ? &last_applied : nullptr, desired, "");
  } catch (const PatchFailure& f) {
    return fail("invalid-strategic-patch", f.message);
  }
  return out;
}

std::string merge_key_for(std::string_view group, std::string_view kind, std::string_view path) {
  return std::string(PatchSchema(group, kind).lookup(path).merge_key);
}

}  // namespace rehearse::patch
