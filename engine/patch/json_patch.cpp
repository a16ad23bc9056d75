// RFC 7386 (JSON merge patch) and RFC 6902 (JSON patch) with RFC 6901 pointers.

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/patch/patch.hpp"

namespace rehearse::patch {

using nlohmann::json;

void apply_merge_patch(json& target, const json& patch) {
  // RFC 7386 section 2: a non-object patch replaces the target.
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target.erase(it.key());
    } else {
      apply_merge_patch(target[it.key()], it.value());
    }
  }
}

json create_merge_patch(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  json out = json::object();
  for (auto it = from.begin(); it != from.end(); ++it)
    if (!to.contains(it.key())) out[it.key()] = nullptr;
  for (auto it = to.begin(); it != to.end(); ++it) {
    auto f = from.find(it.key());
    if (f == from.end()) {
      out[it.key()] = it.value();
    } else if (*f != it.value()) {
      // A value that is null in `to` cannot be expressed by a merge patch (null deletes); it
      // is emitted as null, which removes the key - the closest RFC 7386 can say.
      if (f->is_object() && it.value().is_object())
        out[it.key()] = create_merge_patch(*f, it.value());
      else
        out[it.key()] = it.value();
    }
  }
  return out;
}

Result<std::vector<std::string>> parse_json_pointer(std::string_view ptr) {
  std::vector<std::string> tokens;
  if (ptr.empty()) return tokens;
  if (ptr[0] != '/')
    return fail("invalid-json-pointer",
                fmt::format("JSON pointer \"{}\" must be empty or start with '/'", ptr));
  size_t i = 1;
  std::string cur;
  for (; i <= ptr.size(); ++i) {
    if (i == ptr.size() || ptr[i] == '/') {
      tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    char c = ptr[i];
    if (c == '~') {
      if (i + 1 >= ptr.size() || (ptr[i + 1] != '0' && ptr[i + 1] != '1'))
        return fail("invalid-json-pointer",
                    fmt::format("JSON pointer \"{}\": '~' must be followed by 0 or 1", ptr));
      cur += ptr[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      cur += c;
    }
  }
  return tokens;
}

namespace {

// Array index per RFC 6901 section 4: digits without leading zeros; "-" only where allowed.
bool parse_index(const std::string& tok, size_t& out) {
  if (tok.empty() || tok.size() > 18) return false;
  if (tok.size() > 1 && tok[0] == '0') return false;
  size_t v = 0;
  for (char c : tok) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  out = v;
  return true;
}

struct OpError {
  std::string code;
  std::string message;
};

// Resolves all but the last token to a container; nullptr + message when missing.
json* walk(json& doc, const std::vector<std::string>& toks, size_t n, std::string& err) {
  json* cur = &doc;
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = toks[i];
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) {
        err = fmt::format("member \"{}\" not found", t);
        return nullptr;
      }
      cur = &*it;
    } else if (cur->is_array()) {
      size_t idx;
      if (!parse_index(t, idx) || idx >= cur->size()) {
        err = fmt::format("array index \"{}\" out of range", t);
        return nullptr;
      }
      cur = &(*cur)[idx];
    } else {
      err = fmt::format("cannot descend into a scalar at \"{}\"", t);
      return nullptr;
    }
  }
  return cur;
}

const json* get(json& doc, const std::vector<std::string>& toks, std::string& err) {
  if (toks.empty()) return &doc;
  json* parent = walk(doc, toks, toks.size() - 1, err);
  if (!parent) return nullptr;
  return walk(*parent, {toks.back()}, 1, err);
}

bool add(json& doc, const std::vector<std::string>& toks, json value, std::string& err) {
  if (toks.empty()) {
    doc = std::move(value);
    return true;
  }
  json* parent = walk(doc, toks, toks.size() - 1, err);
  if (!parent) return false;
  const std::string& last = toks.back();
  if (parent->is_object()) {
    (*parent)[last] = std::move(value);
    return true;
  }
  if (parent->is_array()) {
    if (last == "-") {
      parent->push_back(std::move(value));
      return true;
    }
    size_t idx;
    if (!parse_index(last, idx) || idx > parent->size()) {
      err = fmt::format("array index \"{}\" out of range", last);
      return false;
    }
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(idx), std::move(value));
    return true;
  }
  err = "parent is not an object or array";
  return false;
}

bool remove(json& doc, const std::vector<std::string>& toks, json* removed, std::string& err) {
  if (toks.empty()) {
    err = "cannot remove the document root";
    return false;
  }
  json* parent = walk(doc, toks, toks.size() - 1, err);
  if (!parent) return false;
  const std::string& last = toks.back();
  if (parent->is_object()) {
    auto it = parent->find(last);
    if (it == parent->end()) {
      err = fmt::format("member \"{}\" not found", last);
      return false;
    }
    if (removed) *removed = std::move(*it);
    parent->erase(it);
    return true;
  }
  if (parent->is_array()) {
    size_t idx;
    if (!parse_index(last, idx) || idx >= parent->size()) {
      err = fmt::format("array index \"{}\" out of range", last);
      return false;
    }
    if (removed) *removed = std::move((*parent)[idx]);
    parent->erase(parent->begin() + static_cast<std::ptrdiff_t>(idx));
    return true;
  }
  err = "parent is not an object or array";
  return false;
}

bool is_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() >= b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

namespace {

// Applies the operations to `doc` in order; on error `doc` holds the operations before the
// failing one.
Result<void> apply_operations(json& doc, const json& operations) {
  if (!operations.is_array())
    return fail("invalid-json-patch", "a JSON patch must be an array of operations");
  for (size_t i = 0; i < operations.size(); ++i) {
    const json& op = operations[i];
    auto bad = [&](std::string_view what) {
      return fail("invalid-json-patch", fmt::format("operation {}: {}", i, what));
    };
    if (!op.is_object()) return bad("not an object");
    auto op_it = op.find("op");
    auto path_it = op.find("path");
    if (op_it == op.end() || !op_it->is_string()) return bad("missing \"op\"");
    if (path_it == op.end() || !path_it->is_string()) return bad("missing \"path\"");
    const std::string& name = op_it->get_ref<const std::string&>();
    auto path = parse_json_pointer(path_it->get_ref<const std::string&>());
    if (!path.ok()) return bad(path.error().message);
    std::string err;
    auto value_of = [&]() -> const json* {
      auto v = op.find("value");
      return v == op.end() ? nullptr : &*v;
    };
    auto from_of = [&]() -> Result<std::vector<std::string>> {
      auto f = op.find("from");
      if (f == op.end() || !f->is_string())
        return fail("invalid-json-patch", "missing \"from\"");
      return parse_json_pointer(f->get<std::string>());
    };
    const std::string& where = path_it->get_ref<const std::string&>();
    if (name == "add") {
      const json* v = value_of();
      if (!v) return bad("\"add\" needs a \"value\"");
      if (!add(doc, *path, *v, err)) return bad(fmt::format("add \"{}\": {}", where, err));
    } else if (name == "remove") {
      if (!remove(doc, *path, nullptr, err))
        return bad(fmt::format("remove \"{}\": {}", where, err));
    } else if (name == "replace") {
      const json* v = value_of();
      if (!v) return bad("\"replace\" needs a \"value\"");
      if (path->empty()) {
        doc = *v;
        continue;
      }
      if (!remove(doc, *path, nullptr, err) || !add(doc, *path, *v, err))
        return bad(fmt::format("replace \"{}\": {}", where, err));
    } else if (name == "move" || name == "copy") {
      auto from = from_of();
      if (!from.ok()) return bad(from.error().message);
      if (name == "move" && is_prefix(*from, *path))
        return bad(fmt::format("move: \"from\" is a proper prefix of \"{}\"", where));
      json value;
      if (name == "move") {
        if (*from == *path) continue;
        if (!remove(doc, *from, &value, err)) return bad(fmt::format("move from: {}", err));
      } else {
        const json* src = get(doc, *from, err);
        if (!src) return bad(fmt::format("copy from: {}", err));
        value = *src;
      }
      if (!add(doc, *path, std::move(value), err))
        return bad(fmt::format("{} \"{}\": {}", name, where, err));
    } else if (name == "test") {
      const json* v = value_of();
      if (!v) return bad("\"test\" needs a \"value\"");
      const json* cur = get(doc, *path, err);
      if (!cur) return bad(fmt::format("test \"{}\": {}", where, err));
      if (*cur != *v)
        return fail("json-patch-test-failed",
                    fmt::format("operation {}: test \"{}\" failed: value is {}, expected {}", i,
                                where, cur->dump(), v->dump()));
    } else {
      return bad(fmt::format("unknown op \"{}\"", name));
    }
  }
  return {};
}

}  // namespace

Result<void> apply_json_patch(json& target, const json& operations) {
  json doc = target;  // atomic: work on a copy
  auto r = apply_operations(doc, operations);
  if (r.ok()) target = std::move(doc);
  return r;
}

Result<void> apply_json_patch_in_place(json& target, const json& operations) {
  return apply_operations(target, operations);
}

}  // namespace rehearse::patch
