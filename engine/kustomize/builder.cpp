// kustomize build: accumulation of resources, components, generators and the built-in
// transformers, in the order kustomize v5.5 runs them (api/internal/target/kusttarget.go).
// See kustomize.hpp for the contract.

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "engine/kustomize/field_spec.hpp"
#include "engine/kustomize/kustomize.hpp"
#include "engine/model/labels.hpp"
#include "engine/model/manifest_loader.hpp"
#include "engine/model/yaml_loader.hpp"
#include "engine/patch/patch.hpp"

namespace rehearse::kustomize {

using model::SourcePos;
using nlohmann::json;

namespace {

const char* const kKustomizationFiles[] = {"kustomization.yaml", "kustomization.yml",
                                           "Kustomization"};

struct Id {
  std::string group, version, kind, name, ns;
};

std::string effective_ns(const Id& id) {
  if (is_cluster_scoped(id.group, id.kind)) return "";
  return id.ns.empty() ? "default" : id.ns;
}

std::string id_key(const Id& id) {
  return id.group + "|" + id.version + "|" + id.kind + "|" + effective_ns(id) + "|" + id.name;
}

// kustomize's ResId text in messages: Kind.version.group/name.namespace
std::string id_text(const Id& id) {
  return fmt::format("{}.{}.{}/{}.{}", id.kind, id.version.empty() ? "[noVer]" : id.version,
                     id.group.empty() ? "[noGrp]" : id.group, id.name,
                     id.ns.empty() ? "[noNs]" : id.ns);
}

struct Res {
  model::Object obj;
  std::vector<Id> prev;  // earlier ids, oldest first (kustomize's previousNames/Namespaces)
  bool needs_hash = false;
  std::string behavior;  // generators: create|merge|replace

  Id cur() const {
    auto [g, v] = model::split_api_version(obj.api_version());
    return Id{std::string(g), std::string(v), obj.kind(), obj.name(), obj.ns()};
  }
  Id org() const { return prev.empty() ? cur() : prev.front(); }
  void store_prev() { prev.push_back(cur()); }
  json& body() { return obj.body(); }
  const json& body() const { return obj.body(); }
  void refresh() { obj.refresh_identity(); }
  bool any_name(const std::string& n) const {
    if (obj.name() == n) return true;
    for (const auto& p : prev)
      if (p.name == n) return true;
    return false;
  }
};

struct ResMap {
  std::vector<Res> items;
  // Current ids for the duplicate check on append; rebuilt after transformers ran.
  std::set<std::string> ids;
  bool ids_valid = false;
};

struct Kust {
  std::string dir;
  std::string file;
  json k;
  std::shared_ptr<model::SourceMap> pos;

  SourcePos at(const std::string& pointer) const {
    if (pos) return pos->find(pointer);
    return {file, 0, 0};
  }
};

bool is_remote(const std::string& s) {
  return s.find("://") != std::string::npos || s.rfind("github.com/", 0) == 0 ||
         s.rfind("gitlab.com/", 0) == 0 || s.rfind("bitbucket.org/", 0) == 0 ||
         s.rfind("git@", 0) == 0 || s.rfind("git::", 0) == 0 ||
         s.find("?ref=") != std::string::npos;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string base64(const std::string& in) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) |
                 uint8_t(in[i + 2]);
    out += kAlpha[(n >> 18) & 63];
    out += kAlpha[(n >> 12) & 63];
    out += kAlpha[(n >> 6) & 63];
    out += kAlpha[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    out += kAlpha[(n >> 18) & 63];
    out += kAlpha[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += kAlpha[(n >> 18) & 63];
    out += kAlpha[(n >> 12) & 63];
    out += kAlpha[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || i + static_cast<size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) {
      if (n != 0) return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + static_cast<size_t>(k) >= s.size()) return false;
      if ((static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0xC0) != 0x80) return false;
    }
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

// A target selector of `patches` / `patchesJson6902` (kustomize types.Selector): group,
// version, kind, name and namespace are anchored regular expressions; label and annotation
// selectors use the API server's syntax.
struct Target {
  std::string group, version, kind, name, ns;
  std::optional<std::regex> group_re, version_re, kind_re, name_re, ns_re;
  model::Selector labels, annotations;
  bool has_labels = false, has_annotations = false;
};

bool re_match(const std::optional<std::regex>& re, const std::string& s) {
  return !re || std::regex_match(s, *re);
}

class Builder {
 public:
  Builder(const FileSource& fs, model::Diagnostics& diags, const BuildOptions& opts)
      : fs_(fs), diags_(diags), opts_(opts) {}

  bool build_top(const std::string& dir, std::vector<model::Object>& out) {
    ResMap ra;
    std::string root = path_clean(dir);
    std::optional<Kust> top;
    if (!accumulate(root, ra, Mode::Top, nullptr, &top)) return false;
    add_hashes(ra);
    if (!fix_name_references(ra)) return false;
    bool fifo = false;
    if (top && top->k.contains("sortOptions")) {
      const json& so = top->k["sortOptions"];
      if (so.is_object() && so.value("order", "") == "fifo") fifo = true;
    }
    out.reserve(ra.items.size());
    for (auto& r : ra.items) out.push_back(std::move(r.obj));
    if (!fifo) sort_legacy(out);
    return !diags_.has_errors();
  }

 private:
  enum class Mode { Top, Resource, Component };

  // ------------------------------------------------------------------------------------------
  // Loading

  std::optional<std::string> find_kustomization_file(const std::string& dir) const {
    for (const char* f : kKustomizationFiles) {
      std::string p = path_join(dir, f);
      if (fs_.is_file(p)) return p;
    }
    return std::nullopt;
  }

  bool load_kustomization(const std::string& dir, const std::string& file, Kust& out) {
    std::string text;
    if (!fs_.read(file, text)) {
      diags_.error({file, 0, 0}, "kustomize-unreadable", "cannot read kustomization file");
      return false;
    }
    model::YamlOptions yo;
    yo.keep_positions = true;
    size_t before = diags_.size();
    auto docs = model::parse_yaml(text, file, diags_, yo);
    if (diags_.size() != before && diags_.has_errors()) return false;
    out.dir = dir;
    out.file = file;
    if (docs.empty()) {
      out.k = json::object();
      return true;
    }
    if (docs.size() > 1) {
      diags_.error(docs[1].start, "kustomize-invalid",
                   "a kustomization file holds one YAML document");
      return false;
    }
    out.k = std::move(*docs[0].value);
    out.pos = docs[0].positions;
    if (!out.k.is_object()) {
      diags_.error(docs[0].start, "kustomize-invalid", "a kustomization must be a mapping");
      return false;
    }
    return check_fields(out);
  }

  bool check_fields(const Kust& k) {
    static const std::set<std::string, std::less<>> kSupported = {
        "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace",
        "namePrefix", "nameSuffix", "commonLabels", "labels", "commonAnnotations", "images",
        "replicas", "patches", "patchesStrategicMerge", "patchesJson6902", "configMapGenerator",
        "secretGenerator", "generatorOptions", "buildMetadata", "sortOptions"};
    static const std::set<std::string, std::less<>> kUnsupported = {
        "crds", "configurations", "generators", "transformers", "validators", "vars",
        "replacements", "helmCharts", "helmGlobals", "helmChartInflationGenerator", "openapi",
        "imageTags", "inventory"};
    bool ok = true;
    for (auto it = k.k.begin(); it != k.k.end(); ++it) {
      if (kSupported.count(it.key())) continue;
      if (kUnsupported.count(it.key())) {
        diags_.error(k.at("/" + it.key()), "kustomize-unsupported-field",
                     fmt::format("kustomization field '{}' is not supported by rehearse (see "
                                 "docs/kustomize.md)",
                                 it.key()));
      } else {
        diags_.error(k.at("/" + it.key()), "kustomize-invalid",
                     fmt::format("invalid Kustomization: json: unknown field \"{}\"", it.key()));
      }
      ok = false;
    }
    if (k.k.contains("kind")) {
      std::string kind = scalar_text(k.k["kind"]);
      if (kind != "Kustomization" && kind != "Component") {
        diags_.error(k.at("/kind"), "kustomize-invalid",
                     fmt::format("kind must be Kustomization or Component, not '{}'", kind));
        ok = false;
      }
    }
    return ok;
  }

  // Flux's generated kustomization (reference flux.md 3.4): every *.yaml/*.yml below `dir`,
  // subdirectories with their own kustomization added whole.
  void generate_resources(const std::string& dir, const std::string& rel, json& resources) {
    for (const auto& name : fs_.list(dir)) {
      if (!name.empty() && name[0] == '.') continue;
      std::string p = path_join(dir, name);
      std::string r = rel.empty() ? name : rel + "/" + name;
      if (fs_.is_dir(p)) {
        if (find_kustomization_file(p))
          resources.push_back(r);
        else
          generate_resources(p, r, resources);
      } else {
        auto ends = [&](const char* suf) {
          size_t n = std::strlen(suf);
          return name.size() >= n && name.compare(name.size() - n, n, suf) == 0;
        };
        if (ends(".yaml") || ends(".yml")) resources.push_back(r);
      }
    }
  }

  bool within_root(const std::string& root, const std::string& path) const {
    if (!opts_.load_restrictor_root_only) return true;
    std::string r = path_clean(root), p = path_clean(path);
    if (r == ".") return p.rfind("../", 0) != 0 && p != ".." && p[0] != '/';
    return p == r || p.rfind(r + "/", 0) == 0;
  }

  bool read_relative(const Kust& k, const std::string& rel, const SourcePos& where,
                     std::string& text, std::string& path) {
    path = path_join(k.dir, rel);
    if (!within_root(k.dir, path)) {
      diags_.error(where, "kustomize-load-restriction",
                   fmt::format("security; file '{}' is not in or below '{}'", path, k.dir));
      return false;
    }
    if (!fs_.is_file(path) || !fs_.read(path, text)) {
      diags_.error(where, "kustomize-missing-resource",
                   fmt::format("file '{}' not found (no such file or directory)", path));
      return false;
    }
    return true;
  }

  bool load_resource_file(const std::string& path, std::vector<Res>& out) {
    std::string text;
    if (!fs_.read(path, text)) {
      diags_.error({path, 0, 0}, "kustomize-missing-resource", "cannot read file");
      return false;
    }
    model::YamlOptions yo;
    yo.keep_positions = opts_.keep_positions;
    size_t before = diags_.size();
    auto docs = model::parse_yaml(text, path, diags_, yo);
    std::vector<model::Object> objs;
    for (auto& d : docs) model::document_to_objects(std::move(d), objs, diags_);
    for (auto& o : objs) {
      Res r;
      if (!o.source_map() && o.origin().file.empty()) o.set_origin({path, 0, 0});
      r.obj = std::move(o);
      out.push_back(std::move(r));
    }
    return diags_.size() == before || !diags_.has_errors();
  }

  bool append(ResMap& ra, Res r, const SourcePos& where) {
    if (!ra.ids_valid) {
      ra.ids.clear();
      for (const auto& e : ra.items) ra.ids.insert(id_key(e.cur()));
      ra.ids_valid = true;
    }
    if (!ra.ids.insert(id_key(r.cur())).second) {
      diags_.error(where, "kustomize-duplicate-id",
                   fmt::format("may not add resource with an already registered id: {}",
                               id_text(r.cur())));
      return false;
    }
    ra.items.push_back(std::move(r));
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Accumulation

  bool accumulate(const std::string& dir, ResMap& ra, Mode mode, const SourcePos* from,
                  std::optional<Kust>* top_out = nullptr) {
    if (std::find(stack_.begin(), stack_.end(), dir) != stack_.end()) {
      std::string chain;
      for (const auto& s : stack_) chain += s + " -> ";
      diags_.error(from ? *from : SourcePos{dir, 0, 0}, "kustomize-cycle",
                   fmt::format("cycle detected: {}{}", chain, dir));
      return false;
    }
    Kust k;
    auto file = find_kustomization_file(dir);
    if (file) {
      if (!load_kustomization(dir, *file, k)) return false;
    } else if (mode == Mode::Top && opts_.generate_if_missing) {
      k.dir = dir;
      k.file = dir;
      k.k = json::object();
      json res = json::array();
      generate_resources(dir, "", res);
      k.k["resources"] = std::move(res);
    } else {
      diags_.error(from ? *from : SourcePos{dir, 0, 0}, "kustomize-missing-resource",
                   fmt::format("unable to find one of 'kustomization.yaml', 'kustomization.yml' "
                               "or 'Kustomization' in directory '{}'",
                               dir));
      return false;
    }
    if (mode == Mode::Top && opts_.flux_overlay->is_object()) apply_flux_overlay(k.k, *opts_.flux_overlay);
    std::string kind = k.k.contains("kind") ? scalar_text(k.k["kind"]) : "Kustomization";
    if (mode == Mode::Component && kind != "Component") {
      diags_.error(from ? *from : k.at(""), "kustomize-invalid",
                   fmt::format("expected kind 'Component' for path '{}' but got '{}'", dir, kind));
      return false;
    }
    if (mode != Mode::Component && kind == "Component") {
      diags_.error(from ? *from : k.at(""), "kustomize-invalid",
                   fmt::format("expected kind != 'Component' for path '{}'", dir));
      return false;
    }
    stack_.push_back(dir);
    bool ok = accumulate_body(k, ra);
    stack_.pop_back();
    if (top_out) *top_out = std::move(k);
    return ok;
  }

  // kustomize-controller's generator overlay (reference flux.md 3.4).
  static void apply_flux_overlay(json& k, const json& overlay) {
    for (auto it = overlay.begin(); it != overlay.end(); ++it) {
      const std::string& f = it.key();
      if (f == "patches" || f == "components") {
        if (!k.contains(f) || !k[f].is_array()) k[f] = json::array();
        for (const auto& e : *it) k[f].push_back(e);
      } else if (f == "images") {
        if (!k.contains(f) || !k[f].is_array()) k[f] = json::array();
        for (const auto& img : *it) {
          bool merged = false;
          for (auto& cur : k[f]) {
            if (!cur.is_object() || !img.is_object() || cur.value("name", "") != img.value("name", ""))
              continue;
            if (!img.value("newName", "").empty()) cur["newName"] = img["newName"];
            if (!img.value("newTag", "").empty() || !img.value("digest", "").empty()) {
              cur["newTag"] = img.value("newTag", "");
              cur["digest"] = img.value("digest", "");
            }
            merged = true;
          }
          if (!merged) k[f].push_back(img);
        }
      } else {
        k[f] = *it;
      }
    }
  }

  bool accumulate_body(Kust& k, ResMap& ra) {
    bool ok = true;
    for (const char* field : {"resources", "bases"}) {
      if (!k.k.contains(field)) continue;
      const json& list = k.k[field];
      if (!list.is_array()) {
        if (!list.is_null()) {
          diags_.error(k.at(std::string("/") + field), "kustomize-invalid",
                       fmt::format("{} must be a list of paths", field));
          ok = false;
        }
        continue;
      }
      for (size_t i = 0; i < list.size(); ++i) {
        SourcePos where = k.at(fmt::format("/{}/{}", field, i));
        if (!list[i].is_string()) {
          diags_.error(where, "kustomize-invalid", "resource entries must be strings");
          ok = false;
          continue;
        }
        ok = add_resource(k, list[i].get<std::string>(), where, ra) && ok;
      }
    }
    if (!ok) return false;
    if (k.k.contains("components") && k.k["components"].is_array()) {
      const json& list = k.k["components"];
      for (size_t i = 0; i < list.size(); ++i) {
        SourcePos where = k.at(fmt::format("/components/{}", i));
        std::string entry = scalar_text(list[i]);
        if (is_remote(entry)) {
          diags_.error(where, "kustomize-remote-unsupported",
                       fmt::format("remote component '{}' is not supported: rehearse never "
                                   "fetches remote bases; vendor it into the repository",
                                   entry));
          return false;
        }
        std::string p = path_join(k.dir, entry);
        if (!fs_.is_dir(p)) {
          diags_.error(where, "kustomize-missing-resource",
                       fmt::format("accumulating components: '{}' is not a directory", p));
          return false;
        }
        if (!accumulate(p, ra, Mode::Component, &where)) return false;
      }
    }
    if (!run_generators(k, ra)) return false;
    return run_transformers(k, ra);
  }

  bool add_resource(const Kust& k, const std::string& entry, const SourcePos& where, ResMap& ra) {
    if (is_remote(entry)) {
      diags_.error(where, "kustomize-remote-unsupported",
                   fmt::format("remote resource '{}' is not supported: rehearse never fetches "
                               "remote bases; vendor it into the repository",
                               entry));
      return false;
    }
    std::string p = path_join(k.dir, entry);
    if (fs_.is_dir(p)) {
      ResMap sub;
      if (!accumulate(p, sub, Mode::Resource, &where)) return false;
      bool ok = true;
      for (auto& r : sub.items) ok = append(ra, std::move(r), where) && ok;
      return ok;
    }
    if (!fs_.is_file(p)) {
      diags_.error(where, "kustomize-missing-resource",
                   fmt::format("accumulating resources from '{}': no such file or directory",
                               entry));
      return false;
    }
    if (!within_root(k.dir, p)) {
      diags_.error(where, "kustomize-load-restriction",
                   fmt::format("security; file '{}' is not in or below '{}'", p, k.dir));
      return false;
    }
    std::vector<Res> loaded;
    if (!load_resource_file(p, loaded)) return false;
    bool ok = true;
    for (auto& r : loaded) {
      SourcePos at = r.obj.origin().file.empty() ? where : r.obj.origin();
      ok = append(ra, std::move(r), at) && ok;
    }
    return ok;
  }

  // ------------------------------------------------------------------------------------------
  // Generators (configMapGenerator, secretGenerator)

  struct GenOptions {
    json labels = json::object();
    json annotations = json::object();
    bool disable_hash = false;
    bool immutable = false;
  };

  GenOptions read_options(const json& o) {
    GenOptions g;
    if (!o.is_object()) return g;
    if (o.contains("labels") && o["labels"].is_object())
      for (auto it = o["labels"].begin(); it != o["labels"].end(); ++it)
        g.labels[it.key()] = scalar_text(*it);
    if (o.contains("annotations") && o["annotations"].is_object())
      for (auto it = o["annotations"].begin(); it != o["annotations"].end(); ++it)
        g.annotations[it.key()] = scalar_text(*it);
    g.disable_hash = o.value("disableNameSuffixHash", false);
    g.immutable = o.value("immutable", false);
    return g;
  }

  // kustomize api/kv: env files, then literals, then files.
  bool collect_pairs(const Kust& k, const json& gen, const std::string& ptr,
                     std::vector<std::pair<std::string, std::string>>& pairs) {
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<std::pair<std::string, std::string>> envs;  // (rel, ptr)
    if (gen.contains("envs") && gen["envs"].is_array())
      for (size_t i = 0; i < gen["envs"].size(); ++i)
        envs.push_back({scalar_text(gen["envs"][i]), fmt::format("{}/envs/{}", ptr, i)});
    if (gen.contains("env") && gen["env"].is_string())
      envs.push_back({gen["env"].get<std::string>(), ptr + "/env"});
    for (const auto& [rel, p] : envs) {
      std::string text, path;
      if (!read_relative(k, rel, k.at(p), text, path)) return false;
      size_t line_no = 0, start = 0;
      while (start <= text.size()) {
        size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        start = nl == std::string::npos ? text.size() + 1 : nl + 1;
        if (line_no == 0 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t b = line.find_first_not_of(" \t\r\f\v");
        line = b == std::string::npos ? "" : line.substr(b);
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        std::string key = line.substr(0, eq);
        std::string val = eq == std::string::npos ? "" : line.substr(eq + 1);
        if (!valid_env_name(key)) {
          diags_.error({path, static_cast<int>(line_no), 1}, "kustomize-invalid",
                       fmt::format("\"{}\" is not a valid key name: a valid environment variable "
                                   "name must consist of alphabetic characters, digits, '_', "
                                   "'-', or '.', and must not start with a digit",
                                   key));
          return false;
        }
        out.push_back({key, val});
      }
    }
    if (gen.contains("literals") && gen["literals"].is_array()) {
      for (size_t i = 0; i < gen["literals"].size(); ++i) {
        std::string lit = scalar_text(gen["literals"][i]);
        auto eq = lit.find('=');
        if (eq == std::string::npos || eq == 0) {
          diags_.error(k.at(fmt::format("{}/literals/{}", ptr, i)), "kustomize-invalid",
                       fmt::format("invalid literal source {}, expected key=value", lit));
          return false;
        }
        std::string v = lit.substr(eq + 1);
        if (v.size() >= 2 && v.front() == v.back() && (v.front() == '"' || v.front() == '\''))
          v = v.substr(1, v.size() - 2);
        out.push_back({lit.substr(0, eq), v});
      }
    }
    if (gen.contains("files") && gen["files"].is_array()) {
      for (size_t i = 0; i < gen["files"].size(); ++i) {
        std::string src = scalar_text(gen["files"][i]);
        std::string key, rel;
        auto eq = src.find('=');
        if (eq == std::string::npos) {
          rel = src;
          key = path_base(src);
        } else {
          key = src.substr(0, eq);
          rel = src.substr(eq + 1);
        }
        std::string text, path;
        if (!read_relative(k, rel, k.at(fmt::format("{}/files/{}", ptr, i)), text, path))
          return false;
        out.push_back({key, text});
      }
    }
    pairs = std::move(out);
    return true;
  }

  static bool valid_env_name(const std::string& k) {
    if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
    for (char c : k)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
        return false;
    return true;
  }

  bool run_generators(const Kust& k, ResMap& ra) {
    GenOptions global = read_options(k.k.contains("generatorOptions") ? k.k["generatorOptions"]
                                                                       : json());
    for (const char* field : {"configMapGenerator", "secretGenerator"}) {
      if (!k.k.contains(field) || !k.k[field].is_array()) continue;
      bool secret = std::string(field) == "secretGenerator";
      const json& list = k.k[field];
      for (size_t i = 0; i < list.size(); ++i) {
        std::string ptr = fmt::format("/{}/{}", field, i);
        const json& gen = list[i];
        if (!gen.is_object() || !gen.contains("name")) {
          diags_.error(k.at(ptr), "kustomize-invalid", "a generator needs a name");
          return false;
        }
        std::vector<std::pair<std::string, std::string>> pairs;
        if (!collect_pairs(k, gen, ptr, pairs)) return false;
        GenOptions o = read_options(gen.contains("options") ? gen["options"] : json());
        // kustomize MergeGlobalOptionsIntoLocal: global labels/annotations override local.
        for (auto it = global.labels.begin(); it != global.labels.end(); ++it)
          o.labels[it.key()] = *it;
        for (auto it = global.annotations.begin(); it != global.annotations.end(); ++it)
          o.annotations[it.key()] = *it;
        o.disable_hash = o.disable_hash || global.disable_hash;
        o.immutable = o.immutable || global.immutable;

        json obj = json::object();
        obj["apiVersion"] = "v1";
        obj["kind"] = secret ? "Secret" : "ConfigMap";
        json md = json::object();
        md["name"] = scalar_text(gen["name"]);
        if (gen.contains("namespace") && !scalar_text(gen["namespace"]).empty())
          md["namespace"] = scalar_text(gen["namespace"]);
        if (!o.labels.empty()) md["labels"] = o.labels;
        if (!o.annotations.empty()) md["annotations"] = o.annotations;
        obj["metadata"] = std::move(md);
        json data = json::object(), binary = json::object();
        for (const auto& [key, val] : pairs) {
          if (data.contains(key) || binary.contains(key)) {
            diags_.error(k.at(ptr), "kustomize-invalid",
                         fmt::format("{} {} illegally repeats the key `{}`",
                                     secret ? "secret" : "configmap", scalar_text(gen["name"]),
                                     key));
            return false;
          }
          if (secret)
            data[key] = base64(val);
          else if (valid_utf8(val))
            data[key] = val;
          else
            binary[key] = base64(val);
        }
        if (!data.empty()) obj["data"] = std::move(data);
        if (!binary.empty()) obj["binaryData"] = std::move(binary);
        if (secret) obj["type"] = gen.contains("type") ? scalar_text(gen["type"]) : "Opaque";
        if (o.immutable) obj["immutable"] = true;

        Res r;
        r.obj = model::Object(model::JsonBox(std::move(obj)));
        r.obj.set_origin(k.at(ptr));
        r.needs_hash = !o.disable_hash;
        r.behavior = gen.contains("behavior") ? scalar_text(gen["behavior"]) : "create";
        if (r.behavior.empty()) r.behavior = "create";
        if (!absorb(ra, std::move(r), k.at(ptr))) return false;
      }
    }
    return true;
  }

  // kustomize resWrangler.appendReplaceOrMerge.
  bool absorb(ResMap& ra, Res r, const SourcePos& where) {
    Id id = r.cur();
    std::string want = id_key(id);
    std::vector<size_t> matches;
    for (size_t i = 0; i < ra.items.size(); ++i) {
      const Res& e = ra.items[i];
      bool hit = id_key(e.cur()) == want;
      for (const auto& p : e.prev) hit = hit || id_key(p) == want;
      if (hit) matches.push_back(i);
    }
    if (matches.empty()) {
      if (r.behavior == "merge" || r.behavior == "replace") {
        diags_.error(where, "kustomize-generator-behavior",
                     fmt::format("id {} does not exist; cannot merge or replace", id_text(id)));
        return false;
      }
      return append(ra, std::move(r), where);
    }
    if (matches.size() > 1) {
      diags_.error(where, "kustomize-generator-behavior",
                   fmt::format("id {} matches more than one resource", id_text(id)));
      return false;
    }
    Res& old = ra.items[matches[0]];
    if (r.behavior != "merge" && r.behavior != "replace") {
      diags_.error(where, "kustomize-duplicate-id",
                   fmt::format("id {} exists; behavior must be merge or replace", id_text(id)));
      return false;
    }
    json& nb = r.body();
    const json& ob = old.body();
    // CopyMergeMetaDataFieldsFrom: labels and annotations merged (new wins), name and
    // namespace taken from the existing resource.
    for (const char* f : {"labels", "annotations"}) {
      json merged = json::object();
      if (ob["metadata"].contains(f) && ob["metadata"][f].is_object()) merged = ob["metadata"][f];
      if (nb["metadata"].contains(f) && nb["metadata"][f].is_object())
        for (auto it = nb["metadata"][f].begin(); it != nb["metadata"][f].end(); ++it)
          merged[it.key()] = *it;
      if (!merged.empty()) nb["metadata"][f] = std::move(merged);
    }
    nb["metadata"]["name"] = ob["metadata"]["name"];
    if (ob["metadata"].contains("namespace"))
      nb["metadata"]["namespace"] = ob["metadata"]["namespace"];
    else
      nb["metadata"].erase("namespace");
    if (r.behavior == "merge") {
      for (const char* f : {"data", "binaryData"}) {
        if (!ob.contains(f) || !ob[f].is_object()) continue;
        json merged = ob[f];
        if (nb.contains(f) && nb[f].is_object())
          for (auto it = nb[f].begin(); it != nb[f].end(); ++it) merged[it.key()] = *it;
        nb[f] = std::move(merged);
      }
    }
    r.refresh();
    r.prev = old.prev;
    r.needs_hash = r.needs_hash || old.needs_hash;
    if (!r.needs_hash) r.needs_hash = false;
    r.obj.set_origin(old.obj.origin());
    old = std::move(r);
    ra.ids_valid = false;
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Transformers

  bool run_transformers(const Kust& k, ResMap& ra) {
    ra.ids_valid = false;
    if (!patches_strategic_merge(k, ra)) return false;
    if (!patches(k, ra)) return false;
    if (!set_namespace(k, ra)) return false;
    prefix_suffix(k, ra);
    labels(k, ra);
    annotations(k, ra);
    if (!patches_json6902(k, ra)) return false;
    if (!replicas(k, ra)) return false;
    images(k, ra);
    return true;
  }

  // Loads patch text: a file path relative to the kustomization, or inline YAML.
  bool patch_docs(const Kust& k, const std::string& text, const std::string& file,
                  std::vector<json>& docs) {
    model::YamlOptions yo;
    yo.keep_positions = false;
    size_t before = diags_.size();
    auto parsed = model::parse_yaml(text, file, diags_, yo);
    if (diags_.size() != before && diags_.has_errors()) return false;
    for (auto& d : parsed) docs.push_back(std::move(*d.value));
    return true;
  }

  bool load_patch(const Kust& k, const json& entry, const std::string& ptr,
                  std::vector<json>& docs, std::string& source) {
    if (entry.contains("path")) {
      std::string text, path;
      if (!read_relative(k, scalar_text(entry["path"]), k.at(ptr + "/path"), text, path))
        return false;
      source = path;
      return patch_docs(k, text, path, docs);
    }
    if (entry.contains("patch")) {
      source = k.at(ptr + "/patch").str();
      return patch_docs(k, scalar_text(entry["patch"]), k.file, docs);
    }
    diags_.error(k.at(ptr), "kustomize-invalid", "a patch needs `path` or `patch`");
    return false;
  }

  bool parse_target(const Kust& k, const json& t, const std::string& ptr, Target& out) {
    if (!t.is_object()) {
      diags_.error(k.at(ptr), "kustomize-invalid", "target must be a mapping");
      return false;
    }
    auto compile = [&](const char* field, std::string& s, std::optional<std::regex>& re) -> bool {
      if (!t.contains(field)) return true;
      s = scalar_text(t[field]);
      if (s.empty()) return true;
      try {
        re.emplace("^(?:" + s + ")$", std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        diags_.error(k.at(ptr + "/" + field), "kustomize-invalid",
                     fmt::format("invalid regular expression '{}': {}", s, e.what()));
        return false;
      }
      return true;
    };
    if (!compile("group", out.group, out.group_re) ||
        !compile("version", out.version, out.version_re) ||
        !compile("kind", out.kind, out.kind_re) || !compile("name", out.name, out.name_re) ||
        !compile("namespace", out.ns, out.ns_re))
      return false;
    for (auto [field, sel, has] :
         {std::tuple{"labelSelector", &out.labels, &out.has_labels},
          std::tuple{"annotationSelector", &out.annotations, &out.has_annotations}}) {
      if (!t.contains(field)) continue;
      auto parsed = model::Selector::parse(scalar_text(t[field]));
      if (!parsed) {
        diags_.error(k.at(ptr + "/" + field), "kustomize-invalid",
                     fmt::format("invalid {}: {}", field, parsed.error().message));
        return false;
      }
      *sel = *parsed;
      *has = true;
    }
    return true;
  }

  // kustomize resWrangler.Select: original or current namespace and name, GVK, selectors.
  bool selected(const Target& t, const Res& r) const {
    Id cur = r.cur(), org = r.org();
    if (t.ns_re && !re_match(t.ns_re, effective_ns(org)) && !re_match(t.ns_re, effective_ns(cur)))
      return false;
    if (t.name_re && !re_match(t.name_re, org.name) && !re_match(t.name_re, cur.name)) return false;
    if (!re_match(t.group_re, cur.group) || !re_match(t.version_re, cur.version) ||
        !re_match(t.kind_re, cur.kind))
      return false;
    if (t.has_labels && !t.labels.matches(model::labels_of(r.body()))) return false;
    if (t.has_annotations) {
      model::Labels ann;
      const json& b = r.body();
      if (b.contains("metadata") && b["metadata"].contains("annotations") &&
          b["metadata"]["annotations"].is_object())
        for (auto it = b["metadata"]["annotations"].begin();
             it != b["metadata"]["annotations"].end(); ++it)
          ann[it.key()] = scalar_text(*it);
      if (!t.annotations.matches(ann)) return false;
    }
    return true;
  }

  // kustomize merges with kyaml (merge2), not apimachinery: in a list merged by key, the
  // patch's elements come first in patch order, then the elements only the target had
  // (checked against `kubectl kustomize`). rehearse_patch keeps the API server's order, so
  // reorder afterwards.
  static void reorder_like_kyaml(json& result, const json& patch, std::string_view group,
                                 std::string_view kind, std::string& path) {
    if (!result.is_object() || !patch.is_object()) return;
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (it.key().empty() || it.key()[0] == '$') continue;
      auto rit = result.find(it.key());
      if (rit == result.end()) continue;
      size_t mark = path.size();
      path += '/';
      path += it.key();
      if (it->is_object()) {
        reorder_like_kyaml(*rit, *it, group, kind, path);
      } else if (it->is_array() && rit->is_array()) {
        std::string key = patch::merge_key_for(group, kind, path);
        if (!key.empty()) {
          json ordered = json::array();
          std::vector<bool> used(rit->size(), false);
          for (const auto& pe : *it) {
            if (!pe.is_object() || !pe.contains(key)) continue;
            for (size_t i = 0; i < rit->size(); ++i) {
              const json& re = (*rit)[i];
              if (!used[i] && re.is_object() && re.contains(key) && re[key] == pe[key]) {
                used[i] = true;
                json moved = re;
                reorder_like_kyaml(moved, pe, group, kind, path);
                ordered.push_back(std::move(moved));
                break;
              }
            }
          }
          for (size_t i = 0; i < rit->size(); ++i)
            if (!used[i]) ordered.push_back((*rit)[i]);
          *rit = std::move(ordered);
        }
      }
      path.resize(mark);
    }
  }

  // Resource::ApplySmPatch: merge, then keep name, namespace and kind.
  bool apply_smp(Res& r, const json& patch, const std::string& source, bool& deleted) {
    deleted = false;
    if (patch.is_object() && patch.value("$patch", "") == "delete") {
      deleted = true;
      return true;
    }
    std::string name = r.obj.name(), ns = r.obj.ns(), kind = r.obj.kind();
    Id id = r.cur();
    auto res = patch::apply_strategic_merge_patch(r.body(), patch, id.group, id.kind);
    if (!res) {
      diags_.error(r.obj.origin(), "kustomize-patch-failed",
                   fmt::format("applying patch {} to {}: {}", source, id_text(id),
                               res.error().message));
      return false;
    }
    json& b = r.body();
    if (!b.is_object() || b.empty()) {
      deleted = true;
      return true;
    }
    std::string path;
    reorder_like_kyaml(b, patch, id.group, id.kind, path);
    b["kind"] = kind;
    b["metadata"]["name"] = name;
    if (ns.empty())
      b["metadata"].erase("namespace");
    else
      b["metadata"]["namespace"] = ns;
    r.refresh();
    return true;
  }

  bool apply_smp_to_id(ResMap& ra, const json& patch, const std::string& source,
                       const SourcePos& where) {
    if (!patch.is_object()) {
      diags_.error(where, "kustomize-invalid", "a strategic merge patch must be a mapping");
      return false;
    }
    model::Object pid{model::JsonBox(patch)};
    auto [g, v] = model::split_api_version(pid.api_version());
    Id want{std::string(g), std::string(v), pid.kind(), pid.name(), pid.ns()};
    std::string key = id_key(want);
    for (size_t i = 0; i < ra.items.size(); ++i) {
      Res& r = ra.items[i];
      bool hit = id_key(r.cur()) == key;
      for (const auto& p : r.prev) hit = hit || id_key(p) == key;
      if (!hit) continue;
      bool deleted = false;
      if (!apply_smp(r, patch, source, deleted)) return false;
      if (deleted) ra.items.erase(ra.items.begin() + static_cast<long>(i));
      return true;
    }
    diags_.error(where, "kustomize-patch-target",
                 fmt::format("no resource matches strategic merge patch \"{}\": failed to find "
                             "unique target for patch {}",
                             want.kind + "." + want.version + "." + want.group + "/" + want.name,
                             id_text(want)));
    return false;
  }

  bool patches_strategic_merge(const Kust& k, ResMap& ra) {
    if (!k.k.contains("patchesStrategicMerge") || !k.k["patchesStrategicMerge"].is_array())
      return true;
    const json& list = k.k["patchesStrategicMerge"];
    for (size_t i = 0; i < list.size(); ++i) {
      std::string ptr = fmt::format("/patchesStrategicMerge/{}", i);
      std::string entry = scalar_text(list[i]);
      std::vector<json> docs;
      std::string source;
      std::string path = path_join(k.dir, entry);
      bool looks_inline = entry.find('\n') != std::string::npos || entry.find(": ") != std::string::npos;
      if (!looks_inline) {
        std::string text;
        if (!read_relative(k, entry, k.at(ptr), text, path)) return false;
        source = path;
        if (!patch_docs(k, text, path, docs)) return false;
      } else {
        source = k.at(ptr).str();
        if (!patch_docs(k, entry, k.file, docs)) return false;
      }
      for (const auto& d : docs)
        if (!apply_smp_to_id(ra, d, source, k.at(ptr))) return false;
    }
    return true;
  }

  static bool is_json_patch(const std::vector<json>& docs) {
    return docs.size() == 1 && docs[0].is_array();
  }

  bool patches(const Kust& k, ResMap& ra) {
    if (!k.k.contains("patches") || !k.k["patches"].is_array()) return true;
    const json& list = k.k["patches"];
    for (size_t i = 0; i < list.size(); ++i) {
      std::string ptr = fmt::format("/patches/{}", i);
      const json& entry = list[i];
      std::vector<json> docs;
      std::string source;
      if (!load_patch(k, entry, ptr, docs, source)) return false;
      bool has_target = entry.contains("target") && !entry["target"].is_null();
      Target t;
      if (has_target && !parse_target(k, entry["target"], ptr + "/target", t)) return false;
      if (is_json_patch(docs)) {
        if (!has_target) {
          diags_.error(k.at(ptr), "kustomize-invalid",
                       "unable to apply a JSON 6902 patch without a target");
          return false;
        }
        if (!apply_json6902(ra, t, docs[0], source, k.at(ptr))) return false;
        continue;
      }
      if (!has_target) {
        for (const auto& d : docs)
          if (!apply_smp_to_id(ra, d, source, k.at(ptr))) return false;
        continue;
      }
      for (const auto& d : docs) {
        std::vector<Res> kept;
        kept.reserve(ra.items.size());
        for (auto& r : ra.items) {
          bool deleted = false;
          if (selected(t, r) && !apply_smp(r, d, source, deleted)) return false;
          if (!deleted) kept.push_back(std::move(r));
        }
        ra.items = std::move(kept);
      }
    }
    return true;
  }

  bool apply_json6902(ResMap& ra, const Target& t, const json& ops, const std::string& source,
                      const SourcePos& where) {
    for (auto& r : ra.items) {
      if (!selected(t, r)) continue;
      auto res = patch::apply_json_patch(r.body(), ops);
      if (!res) {
        diags_.error(where, "kustomize-patch-failed",
                     fmt::format("applying JSON 6902 patch {} to {}: {}", source,
                                 id_text(r.cur()), res.error().message));
        return false;
      }
      r.refresh();
    }
    return true;
  }

  bool patches_json6902(const Kust& k, ResMap& ra) {
    if (!k.k.contains("patchesJson6902") || !k.k["patchesJson6902"].is_array()) return true;
    const json& list = k.k["patchesJson6902"];
    for (size_t i = 0; i < list.size(); ++i) {
      std::string ptr = fmt::format("/patchesJson6902/{}", i);
      const json& entry = list[i];
      if (!entry.contains("target")) {
        diags_.error(k.at(ptr), "kustomize-invalid", "patchesJson6902 entries need a target");
        return false;
      }
      Target t;
      if (!parse_target(k, entry["target"], ptr + "/target", t)) return false;
      std::vector<json> docs;
      std::string source;
      if (!load_patch(k, entry, ptr, docs, source)) return false;
      if (!is_json_patch(docs)) {
        diags_.error(k.at(ptr), "kustomize-invalid",
                     "a patchesJson6902 patch must be a list of operations");
        return false;
      }
      if (!apply_json6902(ra, t, docs[0], source, k.at(ptr))) return false;
    }
    return true;
  }

  bool set_namespace(const Kust& k, ResMap& ra) {
    if (!k.k.contains("namespace")) return true;
    std::string ns = scalar_text(k.k["namespace"]);
    if (ns.empty()) return true;
    for (auto& r : ra.items) {
      r.store_prev();
      Id id = r.cur();
      json& b = r.body();
      if (!is_cluster_scoped(id.group, id.kind)) b["metadata"]["namespace"] = ns;
      if (id.kind == "Namespace" && id.group.empty()) b["metadata"]["name"] = ns;
      if ((id.kind == "RoleBinding" || id.kind == "ClusterRoleBinding") &&
          b.contains("subjects") && b["subjects"].is_array()) {
        // kustomize namespace filter, setRoleBindingSubjects=defaultOnly: subjects named
        // "default" follow the namespace.
        for (auto& s : b["subjects"])
          if (s.is_object() && s.value("name", "") == "default") s["namespace"] = ns;
      }
      r.refresh();
    }
    std::set<std::string> seen;
    for (const auto& r : ra.items) {
      if (!seen.insert(id_key(r.cur())).second) {
        diags_.error(k.at("/namespace"), "kustomize-duplicate-id",
                     fmt::format("namespace transformation produces ID conflict: {}",
                                 id_text(r.cur())));
        return false;
      }
    }
    return true;
  }

  void prefix_suffix(const Kust& k, ResMap& ra) {
    for (const char* field : {"namePrefix", "nameSuffix"}) {
      if (!k.k.contains(field)) continue;
      std::string v = scalar_text(k.k[field]);
      if (v.empty()) continue;
      bool prefix = std::string(field) == "namePrefix";
      for (auto& r : ra.items) {
        Id id = r.cur();
        if (id.kind == "CustomResourceDefinition" || id.kind == "Namespace" ||
            (id.kind == "APIService" && id.group == "apiregistration.k8s.io"))
          continue;
        r.store_prev();
        r.body()["metadata"]["name"] = prefix ? v + id.name : id.name + v;
        r.refresh();
      }
    }
  }

  void set_map_entries(Res& r, const std::vector<FieldSpec>& specs, const json& pairs) {
    Id id = r.cur();
    for (const auto& s : specs) {
      if (!s.selects(id.group, id.version, id.kind)) continue;
      walk_field(r.body(), s.path, s.create, [&](json& parent, const std::string& key) {
        auto it = parent.find(key);
        if (it == parent.end() || it->is_null()) {
          if (!s.create) return;
          parent[key] = json::object();
          it = parent.find(key);
        }
        if (!it->is_object()) return;
        for (auto p = pairs.begin(); p != pairs.end(); ++p) (*it)[p.key()] = p.value();
      });
    }
  }

  static json string_map(const json& m) {
    json out = json::object();
    if (m.is_object())
      for (auto it = m.begin(); it != m.end(); ++it) out[it.key()] = scalar_text(*it);
    return out;
  }

  void labels(const Kust& k, ResMap& ra) {
    if (k.k.contains("labels") && k.k["labels"].is_array()) {
      for (const auto& entry : k.k["labels"]) {
        if (!entry.is_object()) continue;
        json pairs = string_map(entry.contains("pairs") ? entry["pairs"] : json());
        if (pairs.empty()) continue;
        std::vector<FieldSpec> specs;
        if (entry.value("includeSelectors", false)) {
          specs = common_label_specs();
        } else {
          specs.push_back(make_field_spec("", "", "", "metadata/labels", true));
          if (entry.value("includeTemplates", false))
            for (const auto& s : template_label_specs())
              if (s.path.size() > 2 || s.kind.size()) specs.push_back(s);
        }
        if (entry.contains("fields") && entry["fields"].is_array())
          for (const auto& f : entry["fields"])
            specs.push_back(make_field_spec(f.value("group", ""), f.value("version", ""),
                                            f.value("kind", ""), f.value("path", ""),
                                            f.value("create", false)));
        for (auto& r : ra.items) set_map_entries(r, specs, pairs);
      }
    }
    if (k.k.contains("commonLabels")) {
      json pairs = string_map(k.k["commonLabels"]);
      if (!pairs.empty())
        for (auto& r : ra.items) set_map_entries(r, common_label_specs(), pairs);
    }
  }

  void annotations(const Kust& k, ResMap& ra) {
    if (!k.k.contains("commonAnnotations")) return;
    json pairs = string_map(k.k["commonAnnotations"]);
    if (pairs.empty()) return;
    for (auto& r : ra.items) set_map_entries(r, annotation_specs(), pairs);
  }

  bool replicas(const Kust& k, ResMap& ra) {
    if (!k.k.contains("replicas") || !k.k["replicas"].is_array()) return true;
    const json& list = k.k["replicas"];
    for (size_t i = 0; i < list.size(); ++i) {
      const json& e = list[i];
      std::string name = scalar_text(e.value("name", json()));
      json count = e.contains("count") ? e["count"] : json(0);
      bool found = false;
      for (const auto& s : replica_specs()) {
        for (auto& r : ra.items) {
          bool hit = false;
          Id c = r.cur();
          if (s.selects(c.group, c.version, c.kind) && c.name == name) hit = true;
          for (const auto& p : r.prev)
            if (s.selects(p.group, p.version, p.kind) && p.name == name) hit = true;
          if (!hit) continue;
          found = true;
          walk_field(r.body(), s.path, true,
                     [&](json& parent, const std::string& key) { parent[key] = count; });
        }
      }
      if (!found) {
        diags_.error(k.at(fmt::format("/replicas/{}", i)), "kustomize-replicas-target",
                     fmt::format("resource with name {} does not match a config with the "
                                 "following GVK [~G_~V_Deployment ~G_~V_ReplicationController "
                                 "~G_~V_ReplicaSet apps_~V_StatefulSet]",
                                 name));
        return false;
      }
    }
    return true;
  }

  struct ImageRule {
    std::string name, new_name, new_tag, digest;
  };

  // kustomize api/image: IsImageMatched and Split.
  // kustomize api/image.IsImageMatched: ^NAME(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$
  // (NAME taken literally here; upstream splices it into the regular expression).
  static bool image_matches(const std::string& image, const std::string& name) {
    if (image.compare(0, name.size(), name) != 0) return false;
    std::string_view rest(image);
    rest.remove_prefix(name.size());
    auto tag_chars = [](std::string_view& r) {
      size_t i = 0;
      while (i < r.size() && (std::isalnum(static_cast<unsigned char>(r[i])) || r[i] == '_' ||
                              r[i] == '.' || r[i] == '{' || r[i] == '}' || r[i] == '-'))
        ++i;
      r.remove_prefix(i);
    };
    if (!rest.empty() && rest[0] == ':') {
      rest.remove_prefix(1);
      tag_chars(rest);
    }
    if (rest.rfind("@sha256:", 0) == 0) {
      rest.remove_prefix(8);
      tag_chars(rest);
    }
    return rest.empty();
  }

  static void split_image(const std::string& image, std::string& name, std::string& tag,
                          std::string& digest) {
    size_t slash = image.find('/');
    size_t off = (slash != std::string::npos && slash > 0) ? slash : 0;
    std::string_view search(image);
    search.remove_prefix(off);
    size_t id = search.find('@'), ic = search.find(':');
    tag.clear();
    digest.clear();
    if (ic == std::string_view::npos && id == std::string_view::npos) {
      name = image;
      return;
    }
    if (id != std::string_view::npos && (ic == std::string_view::npos || id < ic)) {
      name = image.substr(0, id + off);
      digest = image.substr(id + off + 1);
      return;
    }
    if (id != std::string_view::npos) {
      name = image.substr(0, ic + off);
      tag = image.substr(ic + off + 1, id - ic - 1);
      digest = image.substr(id + off + 1);
      return;
    }
    name = image.substr(0, ic + off);
    tag = image.substr(ic + off + 1);
  }

  static void update_image(json& c, const ImageRule& rule) {
    if (!c.is_object()) return;
    auto it = c.find("image");
    if (it == c.end() || !it->is_string()) return;
    const std::string& value = it->get_ref<const std::string&>();
    if (!image_matches(value, rule.name)) return;
    std::string name, tag, digest;
    split_image(value, name, tag, digest);
    if (!rule.new_name.empty()) name = rule.new_name;
    if (!rule.new_tag.empty() && !rule.digest.empty()) {
      tag = rule.new_tag;
      digest = rule.digest;
    } else if (!rule.new_tag.empty()) {
      tag = rule.new_tag;
      digest.clear();
    } else if (!rule.digest.empty()) {
      tag.clear();
      digest = rule.digest;
    }
    if (!tag.empty()) name += ":" + tag;
    if (!digest.empty()) name += "@" + digest;
    *it = name;
  }

  // imagetag.LegacyFilter: every `containers` / `initContainers` list anywhere in the object.
  static void walk_images(json& node, const ImageRule& rule) {
    if (node.is_array()) {
      for (auto& el : node) walk_images(el, rule);
      return;
    }
    if (!node.is_object()) return;
    for (auto it = node.begin(); it != node.end(); ++it) {
      walk_images(*it, rule);
      if ((it.key() == "containers" || it.key() == "initContainers") && it->is_array())
        for (auto& c : *it) update_image(c, rule);
    }
  }

  void images(const Kust& k, ResMap& ra) {
    if (!k.k.contains("images") || !k.k["images"].is_array()) return;
    for (const auto& e : k.k["images"]) {
      if (!e.is_object()) continue;
      ImageRule rule{scalar_text(e.value("name", json())), scalar_text(e.value("newName", json())),
                     scalar_text(e.value("newTag", json())), scalar_text(e.value("digest", json()))};
      if (rule.name.empty()) continue;
      for (auto& r : ra.items) walk_images(r.body(), rule);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Top-level finishing steps

  void add_hashes(ResMap& ra) {
    for (auto& r : ra.items) {
      if (!r.needs_hash) continue;
      std::string h = config_hash(r.body());
      r.store_prev();
      r.body()["metadata"]["name"] = r.obj.name() + "-" + h;
      r.refresh();
    }
  }

  // kustomize api/filters/nameref: candidates the referrer may see, whose earlier names
  // include the referenced name and whose kind is the referral kind.
  const Res* select_referral(const ResMap& ra, const NameReference& ref, const Res& referrer,
                             const std::string& old_name, const std::vector<std::string>& path,
                             const std::string* map_ns, bool& ambiguous) {
    ambiguous = false;
    auto it = by_prev_name_.find(old_name);
    if (it == by_prev_name_.end()) return nullptr;
    Id rid = referrer.cur();
    bool referrer_cluster = is_cluster_scoped(rid.group, rid.kind);
    std::set<std::string> rb_namespaces;
    if (rid.kind == "RoleBinding" && referrer.body().contains("subjects") &&
        referrer.body()["subjects"].is_array())
      for (const auto& s : referrer.body()["subjects"])
        if (s.is_object() && s.contains("namespace")) rb_namespaces.insert(scalar_text(s["namespace"]));
    std::string role_ref_kind;
    if (path.size() >= 2 && path[path.size() - 2] == "roleRef" && path.back() == "name") {
      const json& b = referrer.body();
      if (b.contains("roleRef") && b["roleRef"].is_object())
        role_ref_kind = scalar_text(b["roleRef"].value("kind", json()));
    }
    std::vector<const Res*> cands;
    for (size_t idx : it->second) {
      const Res& c = ra.items[idx];
      Id cid = c.cur();
      // Subset the referrer could reference.
      if (!referrer_cluster && !is_cluster_scoped(cid.group, cid.kind) &&
          effective_ns(cid) != effective_ns(rid) && !rb_namespaces.count(cid.ns))
        continue;
      bool gvk_ok = false;
      for (const auto& p : c.prev)
        if ((ref.group.empty() || ref.group == p.group) &&
            (ref.version.empty() || ref.version == p.version) && ref.kind == p.kind)
          gvk_ok = true;
      if (!gvk_ok) continue;
      if (!role_ref_kind.empty() && cid.kind != role_ref_kind) continue;
      if (map_ns) {
        bool ns_ok = false;
        for (const auto& p : c.prev)
          if (effective_ns(p) == *map_ns || p.ns == *map_ns) ns_ok = true;
        if (effective_ns(cid) == *map_ns || cid.ns == *map_ns) ns_ok = true;
        if (!ns_ok) continue;
      }
      bool name_ok = false;
      for (const auto& p : c.prev)
        if (p.name == old_name) name_ok = true;
      if (!name_ok) continue;
      cands.push_back(&c);
    }
    if (cands.empty()) return nullptr;
    if (cands.size() == 1) return cands[0];
    bool same = true;
    for (const Res* c : cands) same = same && c->obj.name() == cands[0]->obj.name();
    if (same) return cands[0];
    ambiguous = true;
    return nullptr;
  }

  bool fix_name_references(ResMap& ra) {
    by_prev_name_.clear();
    for (size_t i = 0; i < ra.items.size(); ++i)
      for (const auto& p : ra.items[i].prev) {
        auto& v = by_prev_name_[p.name];
        if (v.empty() || v.back() != i) v.push_back(i);
      }
    if (by_prev_name_.empty()) return true;
    bool ok = true;
    for (const auto& ref : name_reference_specs()) {
      for (auto& r : ra.items) {
        Id rid = r.cur();
        for (const auto& spec : ref.referrers) {
          if (!spec.selects(rid.group, rid.version, rid.kind)) continue;
          walk_field(r.body(), spec.path, false, [&](json& parent, const std::string& key) {
            auto it = parent.find(key);
            if (it == parent.end()) return;
            auto fix_scalar = [&](json& v) {
              if (!v.is_string()) return;
              bool amb = false;
              const Res* t =
                  select_referral(ra, ref, r, v.get<std::string>(), spec.path, nullptr, amb);
              if (amb) {
                diags_.error(r.obj.origin(), "kustomize-ambiguous-reference",
                             fmt::format("found multiple possible referrals for {} '{}' in {}",
                                         ref.kind, v.get<std::string>(), id_text(rid)));
                ok = false;
                return;
              }
              if (t) v = t->obj.name();
            };
            auto fix_map = [&](json& m) {
              if (!m.is_object() || !m.contains("name")) return;
              if (spec.path.back() == "subjects" && m.value("kind", "") != ref.kind) return;
              std::string ns;
              bool has_ns = m.contains("namespace") && m["namespace"].is_string();
              if (has_ns) ns = m["namespace"].get<std::string>();
              bool amb = false;
              const Res* t = select_referral(ra, ref, r, scalar_text(m["name"]), spec.path,
                                             has_ns ? &ns : nullptr, amb);
              if (!t) return;
              m["name"] = t->obj.name();
              if (!t->obj.ns().empty()) m["namespace"] = t->obj.ns();
            };
            if (it->is_string()) {
              fix_scalar(*it);
            } else if (it->is_array()) {
              for (auto& el : *it) {
                if (el.is_string())
                  fix_scalar(el);
                else
                  fix_map(el);
              }
            } else if (it->is_object()) {
              fix_map(*it);
            }
          });
        }
      }
    }
    return ok;
  }

  const FileSource& fs_;
  model::Diagnostics& diags_;
  BuildOptions opts_;
  std::vector<std::string> stack_;
  std::map<std::string, std::vector<size_t>> by_prev_name_;
};

}  // namespace

bool has_kustomization(const FileSource& files, const std::string& dir) {
  for (const char* f : kKustomizationFiles)
    if (files.is_file(path_join(dir, f))) return true;
  return false;
}

Result<std::vector<model::Object>> build(const FileSource& files, const std::string& dir,
                                         model::Diagnostics& diags, const BuildOptions& options) {
  if (!files.is_dir(dir)) {
    diags.error({dir, 0, 0}, "kustomize-missing-resource",
                fmt::format("'{}' is not a directory", dir));
    return fail("kustomize-missing-resource", diags.items().back().format());
  }
  size_t before = diags.size();
  Builder b(files, diags, options);
  std::vector<model::Object> out;
  bool ok = b.build_top(dir, out);
  if (!ok || diags.has_errors()) {
    for (size_t i = before; i < diags.size(); ++i)
      if (diags.items()[i].severity == model::Severity::Error)
        return fail(diags.items()[i].code, diags.items()[i].format());
    return fail("kustomize-failed", "kustomize build failed");
  }
  return out;
}

Result<std::vector<model::Object>> build(const std::string& dir, model::Diagnostics& diags,
                                         const BuildOptions& options) {
  auto fs = make_disk_file_source();
  return build(*fs, dir, diags, options);
}

}  // namespace rehearse::kustomize
