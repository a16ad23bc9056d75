#include "engine/model/manifest_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace rehearse::model {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_manifest_file(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void walk(const fs::path& dir, bool recursive, std::vector<std::string>& out, Diagnostics& diags) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  if (ec) {
    diags.error({dir.string(), 0, 0}, "dir-unreadable", ec.message());
    return;
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().string() < b.path().string(); });
  for (const auto& e : entries) {
    auto name = e.path().filename().string();
    if (!name.empty() && name[0] == '.') continue;
    std::error_code sec;
    if (e.is_directory(sec)) {
      if (recursive) walk(e.path(), recursive, out, diags);
    } else if (e.is_regular_file(sec) && is_manifest_file(e.path())) {
      out.push_back(e.path().string());
    }
  }
}

void check_identity(const Object& obj, const YamlDocument& doc, const std::string& prefix,
                    Diagnostics& diags, bool& ok) {
  const json& b = obj.body();
  auto where = [&](const std::string& ptr) {
    return doc.positions ? doc.positions->find(prefix + ptr) : doc.start;
  };
  if (!b.contains("apiVersion") || !b["apiVersion"].is_string() ||
      b["apiVersion"].get<std::string>().empty()) {
    diags.error(where(""), "missing-apiversion", "object has no apiVersion");
    ok = false;
  }
  if (!b.contains("kind") || !b["kind"].is_string() || b["kind"].get<std::string>().empty()) {
    diags.error(where(""), "missing-kind", "object has no kind");
    ok = false;
  }
  if (!b.contains("metadata") || !b["metadata"].is_object()) {
    diags.error(where(""), "missing-metadata", "object has no metadata");
    ok = false;
    return;
  }
  const json& md = b["metadata"];
  bool has_name = md.contains("name") && md["name"].is_string() &&
                  !md["name"].get<std::string>().empty();
  bool has_generate = md.contains("generateName") && md["generateName"].is_string();
  if (!has_name && !has_generate) {
    diags.error(where("/metadata"), "missing-name", "object has no metadata.name");
    ok = false;
  }
  if (md.contains("namespace") && !md["namespace"].is_string() && !md["namespace"].is_null()) {
    diags.error(where("/metadata/namespace"), "invalid-namespace",
                "metadata.namespace must be a string");
    ok = false;
  }
}

}  // namespace

void document_to_objects(YamlDocument doc, std::vector<Object>& out, Diagnostics& diags) {
  json& v = *doc.value;
  if (!v.is_object()) {
    diags.error(doc.start, "not-an-object", "a manifest document must be a mapping");
    return;
  }
  auto kind_it = v.find("kind");
  if (kind_it != v.end() && kind_it->is_string() && kind_it->get<std::string>() == "List" &&
      v.contains("items")) {
    if (!v["items"].is_array()) {
      diags.error(doc.positions ? doc.positions->find("/items") : doc.start, "invalid-list",
                  "List items must be a sequence");
      return;
    }
    std::shared_ptr<const SourceMap> map = doc.positions;
    size_t i = 0;
    for (auto& item : v["items"]) {
      std::string prefix = fmt::format("/items/{}", i++);
      if (!item.is_object()) {
        diags.error(doc.positions ? doc.positions->find(prefix) : doc.start, "not-an-object",
                    "List item must be a mapping");
        continue;
      }
      Object obj{JsonBox(std::move(item))};
      bool ok = true;
      check_identity(obj, doc, prefix, diags, ok);
      if (!ok) continue;
      // Item positions are relative to the List; keep the List's map and origin.
      obj.set_origin(doc.positions ? doc.positions->find(prefix) : doc.start);
      out.push_back(std::move(obj));
    }
    return;
  }
  Object obj{std::move(doc.value)};
  bool ok = true;
  check_identity(obj, doc, "", diags, ok);
  if (!ok) return;
  obj.set_origin(doc.start);
  obj.set_source_map(std::move(doc.positions));
  out.push_back(std::move(obj));
}

std::vector<Object> load_manifests_text(std::string_view text, const std::string& file,
                                        Diagnostics& diags, const LoadOptions& opts) {
  YamlOptions yo;
  yo.keep_positions = opts.keep_positions;
  yo.limits = opts.limits;
  std::vector<Object> out;
  for (auto& doc : parse_yaml(text, file, diags, yo)) document_to_objects(std::move(doc), out, diags);
  return out;
}

std::vector<std::string> list_manifest_files(const std::string& path, bool recursive,
                                             Diagnostics& diags) {
  std::vector<std::string> files;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    diags.error({path, 0, 0}, "not-found", "no such file or directory");
    return files;
  }
  if (fs::is_directory(st))
    walk(path, recursive, files, diags);
  else
    files.push_back(path);
  return files;
}

std::vector<Object> load_manifests(const std::string& path, Diagnostics& diags,
                                   const LoadOptions& opts) {
  std::vector<Object> out;
  for (const auto& file : list_manifest_files(path, opts.recursive, diags)) {
    std::string text;
    if (!read_text_file(file, text, diags, opts.limits.max_bytes)) continue;
    auto objs = load_manifests_text(text, file, diags, opts);
    for (auto& o : objs) out.push_back(std::move(o));
  }
  return out;
}

}  // namespace rehearse::model
