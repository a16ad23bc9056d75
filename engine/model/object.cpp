#include "engine/model/object.hpp"

#include <utility>

#include <algorithm>

#include "engine/model/check.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rehearse::model {

std::string ObjectKey::str() const {
  std::string k = group.empty() ? kind : fmt::format("{}.{}", kind, group);
  if (ns.empty()) return fmt::format("{}/{}", k, name);
  return fmt::format("{}/{}/{}", k, ns, name);
}

void SourceMap::add(std::string pointer, int line, int col) {
  entries_.push_back({std::move(pointer), line, col});
  sealed_ = false;
}

void SourceMap::seal() {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.pointer < b.pointer; });
  sealed_ = true;
}

const std::string& SourceMap::file() const {
  static const std::string kEmpty;
  return file_ ? *file_ : kEmpty;
}

SourcePos SourceMap::find(std::string_view pointer) const {
  REHEARSE_CHECK(sealed_, "SourceMap::find before seal()");
  std::string_view p = pointer;
  while (true) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), p,
                               [](const Entry& e, std::string_view v) { return e.pointer < v; });
    if (it != entries_.end() && it->pointer == p) return {file(), it->line, it->col};
    if (p.empty()) break;
    auto slash = p.rfind('/');
    p = p.substr(0, slash == std::string_view::npos ? 0 : slash);
  }
  return {file(), 0, 0};
}

Object::Object(JsonBox body) : body_(std::move(body)) { refresh_identity(); }

std::string_view Object::version() const { return split_api_version(api_version_).second; }

void Object::refresh_identity() {
  const nlohmann::json& b = *std::as_const(body_);  // reading must not unfreeze the box
  auto str_at = [&](const nlohmann::json& j, const char* k) -> std::string {
    if (!j.is_object()) return {};
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  api_version_ = str_at(b, "apiVersion");
  key_.kind = str_at(b, "kind");
  key_.group = std::string(split_api_version(api_version_).first);
  const nlohmann::json* md = nullptr;
  if (b.is_object()) {
    auto it = b.find("metadata");
    if (it != b.end()) md = &*it;
  }
  key_.name = md ? str_at(*md, "name") : std::string{};
  key_.ns = md ? str_at(*md, "namespace") : std::string{};
  known_ = classify(key_.group, key_.kind);
}

SourcePos Object::pos_of(std::string_view pointer) const {
  if (!source_map_) return origin_;
  SourcePos p = source_map_->find(pointer);
  return p.line > 0 ? p : origin_;
}

}  // namespace rehearse::model
