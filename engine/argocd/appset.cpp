#include "engine/argocd/appset.hpp"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/model/yaml_loader.hpp"

namespace rehearse::argocd {

using nlohmann::json;

// ---- Go path.Match ---------------------------------------------------------------------

namespace {

// One character of a class, honouring `\` escapes. nullopt when malformed.
std::optional<char> class_char(std::string_view p, size_t& i) {
  if (i >= p.size() || p[i] == '-' || p[i] == ']') return std::nullopt;
  if (p[i] == '\\') {
    ++i;
    if (i >= p.size()) return std::nullopt;
  }
  return p[i++];
}

// Matches a class starting after '['. Sets `i` past ']'. nullopt when malformed.
std::optional<bool> match_class(std::string_view p, size_t& i, char c) {
  bool negated = false;
  if (i < p.size() && p[i] == '^') {
    negated = true;
    ++i;
  }
  bool matched = false;
  int ranges = 0;
  for (;;) {
    if (i < p.size() && p[i] == ']' && ranges > 0) {
      ++i;
      break;
    }
    auto lo = class_char(p, i);
    if (!lo) return std::nullopt;
    char hi = *lo;
    if (i < p.size() && p[i] == '-') {
      ++i;
      auto h = class_char(p, i);
      if (!h) return std::nullopt;
      hi = *h;
    }
    if (*lo <= c && c <= hi) matched = true;
    ++ranges;
  }
  return matched != negated;
}

// Validates the rest of a pattern (Go reports ErrBadPattern for a malformed pattern even
// when the match already failed).
bool pattern_valid(std::string_view p) {
  for (size_t i = 0; i < p.size();) {
    if (p[i] == '\\') {
      if (i + 1 >= p.size()) return false;
      i += 2;
    } else if (p[i] == '[') {
      ++i;
      if (!match_class(p, i, '\0')) return false;
    } else {
      ++i;
    }
  }
  return true;
}

// Backtracking matcher. `*` never crosses '/'.
std::optional<bool> match_from(std::string_view p, size_t pi, std::string_view s, size_t si) {
  while (pi < p.size()) {
    char c = p[pi];
    if (c == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      for (size_t k = si;; ++k) {
        auto r = match_from(p, pi, s, k);
        if (!r) return r;
        if (*r) return true;
        if (k >= s.size() || s[k] == '/') return false;
      }
    }
    if (si >= s.size()) return false;
    if (c == '?') {
      if (s[si] == '/') return false;
      ++pi;
      ++si;
    } else if (c == '[') {
      size_t i = pi + 1;
      auto m = match_class(p, i, s[si]);
      if (!m) return std::nullopt;
      if (!*m || s[si] == '/') return false;
      pi = i;
      ++si;
    } else {
      if (c == '\\') {
        if (++pi >= p.size()) return std::nullopt;
        c = p[pi];
      }
      if (s[si] != c) return false;
      ++pi;
      ++si;
    }
  }
  return si == s.size();
}

}  // namespace

std::optional<bool> go_path_match(std::string_view pattern, std::string_view name) {
  if (!pattern_valid(pattern)) return std::nullopt;
  return match_from(pattern, 0, name, 0);
}

std::vector<std::string> filter_directories(const std::vector<GitDirectoryItem>& items,
                                            const std::vector<std::string>& all_dirs) {
  std::vector<std::string> out;
  for (const auto& dir : all_dirs) {
    bool include = false, exclude = false;
    for (const auto& item : items) {
      auto m = go_path_match(item.path, dir);
      if (!m || !*m) continue;  // malformed patterns match nothing (upstream logs them)
      (item.exclude ? exclude : include) = true;
    }
    if (include && !exclude) out.push_back(dir);
  }
  return out;
}

// ---- parsing -----------------------------------------------------------------------------

namespace {

struct SetParser {
  const model::Object& obj;
  model::Diagnostics& diags;
  bool ok = true;

  void error(const std::string& ptr, const std::string& msg) {
    diags.error(obj.pos_of(ptr), "invalid-applicationset", msg);
    ok = false;
  }
  std::string str(const json& j, const char* key, const std::string& ptr) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    error(ptr + "/" + key, fmt::format("{} must be a string", key));
    return {};
  }
  bool boolean(const json& j, const char* key, const std::string& ptr) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return false;
    if (it->is_boolean()) return it->get<bool>();
    error(ptr + "/" + key, fmt::format("{} must be true or false", key));
    return false;
  }
  std::map<std::string, std::string> string_map(const json& j, const char* key, const std::string& ptr) {
    std::map<std::string, std::string> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_object()) {
      error(ptr + "/" + key, fmt::format("{} must be a map of strings", key));
      return out;
    }
    for (auto e = it->begin(); e != it->end(); ++e) {
      if (!e.value().is_string()) {
        error(ptr + "/" + key + "/" + e.key(), fmt::format("{}.{} must be a string", key, e.key()));
        continue;
      }
      out[e.key()] = e.value().get<std::string>();
    }
    return out;
  }

  void generator(const json& g, const std::string& ptr, ApplicationSet& set) {
    AppSetGenerator gen;
    gen.pos = obj.pos_of(ptr);
    if (!g.is_object()) {
      error(ptr, "a generator must be a map");
      return;
    }
    for (auto it = g.begin(); it != g.end(); ++it) {
      const std::string& k = it.key();
      std::string p = ptr + "/" + k;
      if (k == "git") {
        const json& gj = it.value();
        if (!gj.is_object()) {
          error(p, "git must be a map");
          continue;
        }
        GitGenerator git;
        git.repo_url = str(gj, "repoURL", p);
        std::string rev = str(gj, "revision", p);
        if (!rev.empty()) git.revision = rev;
        git.path_param_prefix = str(gj, "pathParamPrefix", p);
        git.values = string_map(gj, "values", p);
        if (auto ra = gj.find("requeueAfterSeconds"); ra != gj.end() && !ra->is_null()) {
          if (!ra->is_number_integer() || ra->get<std::int64_t>() < 0)
            error(p + "/requeueAfterSeconds", "requeueAfterSeconds must be a non-negative integer");
          else
            git.requeue_after_seconds = ra->get<std::int64_t>();
        }
        if (gj.contains("files"))
          error(p + "/files", "the git files generator is not supported by rehearse (directories only)");
        auto dirs = gj.find("directories");
        if (dirs == gj.end() || !dirs->is_array() || dirs->empty()) {
          if (!gj.contains("files")) error(p, "git generator needs a non-empty directories list");
        } else {
          for (size_t i = 0; i < dirs->size(); ++i) {
            std::string dp = fmt::format("{}/directories/{}", p, i);
            const json& d = (*dirs)[i];
            if (!d.is_object()) {
              error(dp, "a directories entry must be a map with path (and exclude)");
              continue;
            }
            GitDirectoryItem item{str(d, "path", dp), boolean(d, "exclude", dp)};
            if (item.path.empty()) error(dp, "directories entry needs a path");
            else if (!go_path_match(item.path, "")) error(dp + "/path", fmt::format("syntax error in pattern \"{}\"", item.path));
            git.directories.push_back(item);
          }
        }
        gen.git = std::move(git);
      } else if (k == "list") {
        const json& lj = it.value();
        ListGenerator list;
        auto els = lj.is_object() ? lj.find("elements") : lj.end();
        if (!lj.is_object() || els == lj.end() || !els->is_array()) {
          error(p, "list generator needs an elements list");
          continue;
        }
        if (lj.contains("elementsYaml"))
          error(p + "/elementsYaml", "list.elementsYaml is not supported by rehearse; use elements");
        for (size_t i = 0; i < els->size(); ++i) {
          if (!(*els)[i].is_object()) {
            error(fmt::format("{}/elements/{}", p, i), "a list element must be a map");
            continue;
          }
          list.elements.emplace_back((*els)[i]);
        }
        gen.list = std::move(list);
      } else if (k == "selector" || k == "template") {
        if (k == "template")
          error(p, "a generator-level template is not supported by rehearse; use spec.template");
      } else {
        error(p, fmt::format("the {} generator is not supported by rehearse (git directories and list are)", k));
      }
    }
    if (!gen.git && !gen.list && ok) error(ptr, "generator has no git or list entry");
    set.generators.push_back(std::move(gen));
  }
};

}  // namespace

std::optional<ApplicationSet> parse_application_set(const model::Object& obj,
                                                    model::Diagnostics& diags) {
  SetParser p{obj, diags};
  const json& body = obj.body();
  if (obj.known_kind() != model::Kind::ApplicationSet) {
    p.error("/kind", fmt::format("expected an argoproj.io ApplicationSet, got {}", obj.kind()));
    return std::nullopt;
  }
  ApplicationSet set;
  set.name = obj.name();
  set.ns = obj.ns();
  set.origin = obj.origin();
  auto spec_it = body.find("spec");
  if (spec_it == body.end() || !spec_it->is_object()) {
    p.error("", "ApplicationSet needs a spec");
    return std::nullopt;
  }
  const json& spec = *spec_it;
  set.go_template = p.boolean(spec, "goTemplate", "/spec");
  if (auto it = spec.find("goTemplateOptions"); it != spec.end() && !it->is_null()) {
    if (!it->is_array()) {
      p.error("/spec/goTemplateOptions", "goTemplateOptions must be a list of strings");
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_string()) {
          p.error(fmt::format("/spec/goTemplateOptions/{}", i), "goTemplateOptions entries must be strings");
          continue;
        }
        set.go_template_options.push_back((*it)[i].get<std::string>());
      }
      auto parsed = parse_go_template_options(set.go_template_options);
      if (!parsed) p.error("/spec/goTemplateOptions", parsed.error().message);
    }
  }
  auto gens = spec.find("generators");
  if (gens == spec.end() || !gens->is_array() || gens->empty()) {
    p.error("/spec", "ApplicationSet needs a non-empty spec.generators list");
  } else {
    for (size_t i = 0; i < gens->size(); ++i)
      p.generator((*gens)[i], fmt::format("/spec/generators/{}", i), set);
  }
  auto tmpl = spec.find("template");
  if (tmpl == spec.end() || !tmpl->is_object()) {
    p.error("/spec", "ApplicationSet needs spec.template");
  } else {
    set.template_ = model::JsonBox(*tmpl);
    auto md = tmpl->find("metadata");
    if (md == tmpl->end() || !md->is_object() || !md->contains("name"))
      p.error("/spec/template", "spec.template.metadata.name is required");
  }
  if (auto tp = spec.find("templatePatch"); tp != spec.end() && !tp->is_null()) {
    if (!tp->is_string()) p.error("/spec/templatePatch", "templatePatch must be a string");
    else set.template_patch = tp->get<std::string>();
  }
  if (auto sp = spec.find("syncPolicy"); sp != spec.end() && sp->is_object()) {
    set.preserve_resources_on_deletion = p.boolean(*sp, "preserveResourcesOnDeletion", "/spec/syncPolicy");
    std::string policy = p.str(*sp, "applicationsSync", "/spec/syncPolicy");
    set.applications_sync_set = sp->contains("applicationsSync") && !(*sp)["applicationsSync"].is_null();
    if (auto pol = parse_applications_sync_policy(policy)) set.applications_sync = *pol;
    else
      p.error("/spec/syncPolicy/applicationsSync",
              fmt::format("applicationsSync must be create-only, create-update, create-delete or sync, not \"{}\"", policy));
  }
  if (!p.ok) return std::nullopt;
  return set;
}

// ---- rendering ---------------------------------------------------------------------------

Result<std::string> render_flat(std::string_view tmpl, const json& params) {
  if (tmpl.find("{{") == std::string_view::npos) return std::string(tmpl);
  std::string out;
  size_t i = 0;
  for (;;) {
    size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos)
      return fail("appset", fmt::format("invalid template: cannot find end tag=\"}}}}\" in the template=\"{}\"", tmpl));
    out.append(tmpl.substr(i, open - i));
    std::string_view tag = tmpl.substr(open + 2, close - open - 2);
    size_t b = tag.find_first_not_of(" \t\n\r\v\f");
    size_t e = tag.find_last_not_of(" \t\n\r\v\f");
    std::string trimmed = b == std::string_view::npos ? "" : std::string(tag.substr(b, e - b + 1));
    auto it = trimmed.empty() ? params.end() : params.find(trimmed);
    if (it != params.end() && it->is_string()) {
      out += it->get_ref<const std::string&>();
    } else {
      out += "{{";
      out.append(tag);
      out += "}}";
    }
    i = close + 2;
  }
  return out;
}

namespace {

struct Renderer {
  const json& params;
  bool go;
  GoTemplateOptions opts;

  Result<std::string> str(const std::string& s) const {
    if (go) return execute_go_template(s, params, opts);
    return render_flat(s, params);
  }

  // Every string, map keys included (upstream deeplyReplace).
  Result<json> walk(const json& v) const {
    if (v.is_string()) {
      auto r = str(v.get_ref<const std::string&>());
      if (!r) return unexpected(r.error());
      return json(std::move(*r));
    }
    if (v.is_array()) {
      json out = json::array();
      for (const auto& e : v) {
        auto r = walk(e);
        if (!r) return r;
        out.push_back(std::move(*r));
      }
      return out;
    }
    if (v.is_object()) {
      json out = json::object();
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (it.value().is_null()) continue;  // upstream skips nil map entries
        auto k = str(it.key());
        if (!k) return unexpected(k.error());
        auto r = walk(it.value());
        if (!r) return r;
        out[*k] = std::move(*r);
      }
      return out;
    }
    return v;
  }
};

// Maps merge, lists and scalars replace, null deletes.
void merge_patch(json& target, const json& patch) {
  if (!patch.is_object() || !target.is_object()) {
    target = patch;
    return;
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) target.erase(it.key());
    else merge_patch(target[it.key()], it.value());
  }
}

Result<void> append_values(const std::map<std::string, std::string>& values, json& params, bool go,
                           const GoTemplateOptions& opts) {
  if (values.empty()) return {};
  Renderer r{params, go, opts};
  json tmp = json::object();
  for (const auto& [k, v] : values) {
    auto res = r.str(v);
    if (!res) return unexpected(res.error());
    if (go) tmp["values"][k] = *res;
    else tmp["values." + k] = *res;
  }
  for (auto it = tmp.begin(); it != tmp.end(); ++it) params[it.key()] = it.value();
  return {};
}

Result<std::vector<json>> git_params(const GitGenerator& g, const RepoListing& repo, bool go,
                                     const GoTemplateOptions& opts) {
  std::vector<json> out;
  for (const auto& dir : filter_directories(g.directories, repo.directories)) {
    json params = json::object();
    size_t slash = dir.rfind('/');
    std::string base = slash == std::string::npos ? dir : dir.substr(slash + 1);
    std::vector<std::string> segments;
    for (size_t pos = 0;;) {
      size_t f = dir.find('/', pos);
      segments.push_back(dir.substr(pos, f == std::string::npos ? std::string::npos : f - pos));
      if (f == std::string::npos) break;
      pos = f + 1;
    }
    if (go) {
      json p = {{"path", dir}, {"basename", base}, {"basenameNormalized", sanitize_name(base)},
                {"segments", segments}};
      if (!g.path_param_prefix.empty()) params[g.path_param_prefix] = json{{"path", p}};
      else params["path"] = p;
    } else {
      std::string name = g.path_param_prefix.empty() ? "path" : g.path_param_prefix + ".path";
      params[name] = dir;
      params[name + ".basename"] = base;
      params[name + ".basenameNormalized"] = sanitize_name(base);
      for (size_t i = 0; i < segments.size(); ++i)
        if (!segments[i].empty()) params[fmt::format("{}[{}]", name, i)] = segments[i];
    }
    auto v = append_values(g.values, params, go, opts);
    if (!v) return unexpected(v.error());
    out.push_back(std::move(params));
  }
  return out;
}

Result<std::vector<json>> list_params(const ListGenerator& g, bool go) {
  std::vector<json> out;
  for (const auto& el : g.elements) {
    if (go) {
      out.push_back(*el);
      continue;
    }
    json params = json::object();
    for (auto it = el->begin(); it != el->end(); ++it) {
      if (it.key() == "values") {
        if (!it.value().is_object()) return fail("appset", "error parsing values map");
        for (auto v = it.value().begin(); v != it.value().end(); ++v) {
          if (!v.value().is_string()) return fail("appset", "error parsing value as string");
          params["values." + v.key()] = v.value();
        }
      } else {
        if (!it.value().is_string())
          return fail("appset", fmt::format("error parsing value as string: list element field \"{}\" is not a string (use goTemplate: true for structured elements)", it.key()));
        params[it.key()] = it.value();
      }
    }
    out.push_back(std::move(params));
  }
  return out;
}

}  // namespace

Result<std::vector<GeneratedApplication>> generate_applications(const ApplicationSet& set,
                                                                const RepoListing& repo) {
  GoTemplateOptions opts;
  if (set.go_template) {
    auto o = parse_go_template_options(set.go_template_options);
    if (!o) return unexpected(o.error());
    opts = *o;
  }
  // The template Application (GetTempApplication): metadata name/namespace/labels/
  // annotations/finalizers and spec.
  const json& tmpl = *set.template_;
  json base = {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Application"}, {"metadata", json::object()}};
  if (auto md = tmpl.find("metadata"); md != tmpl.end() && md->is_object()) {
    for (const char* k : {"name", "namespace", "labels", "annotations", "finalizers"})
      if (auto f = md->find(k); f != md->end() && !f->is_null()) base["metadata"][k] = *f;
  }
  base["spec"] = tmpl.contains("spec") ? tmpl["spec"] : json::object();

  std::vector<GeneratedApplication> out;
  std::set<std::string> names;
  for (const auto& gen : set.generators) {
    Result<std::vector<json>> params = std::vector<json>{};
    if (gen.git) params = git_params(*gen.git, repo, set.go_template, opts);
    else if (gen.list) params = list_params(*gen.list, set.go_template);
    if (!params) return unexpected(params.error());
    for (auto& p : *params) {
      Renderer r{p, set.go_template, opts};
      json app;
      if (p.empty()) {
        app = base;  // upstream returns the template untouched when there are no params
      } else {
        auto rendered = r.walk(base);
        if (!rendered) return unexpected(rendered.error());
        app = std::move(*rendered);
      }
      if (set.template_patch) {
        auto patch_text = r.str(*set.template_patch);
        if (!patch_text) return unexpected(patch_text.error());
        // templatePatch is YAML; the caller-independent way to read it is our YAML loader,
        // which lives in model and needs no files.
        model::Diagnostics d;
        auto docs = model::parse_yaml(*patch_text, "templatePatch", d);
        if (d.has_errors() || docs.size() != 1 || !docs[0].value->is_object())
          return fail("appset", fmt::format("error while converting templatePatch to json: {}",
                                            d.has_errors() ? d.items().front().message : "not a map"));
        merge_patch(app, *docs[0].value);
      }
      if (!set.ns.empty()) app["metadata"]["namespace"] = set.ns;
      else app["metadata"].erase("namespace");
      auto& fin = app["metadata"]["finalizers"];
      if (!set.preserve_resources_on_deletion && (!fin.is_array() || fin.empty()))
        fin = json::array({std::string(kResourcesFinalizer)});
      if (fin.is_null() || (fin.is_array() && fin.empty())) app["metadata"].erase("finalizers");
      std::string name = app["metadata"].value("name", "");
      if (!names.insert(name).second)
        return fail("appset", fmt::format("ApplicationSet {} contains applications with duplicate name: {}",
                                          set.name, name));
      out.push_back(GeneratedApplication{name, model::JsonBox(std::move(p)), model::JsonBox(std::move(app))});
    }
  }
  return out;
}

// ---- controller semantics ----------------------------------------------------------------

namespace {

bool has_resources_finalizer(const json& app) {
  auto md = app.find("metadata");
  if (md == app.end()) return false;
  auto f = md->find("finalizers");
  if (f == md->end() || !f->is_array()) return false;
  for (const auto& e : *f)
    if (e.is_string() && e.get_ref<const std::string&>().rfind(kResourcesFinalizer, 0) == 0) return true;
  return false;
}

bool differs(const json& have, const json& want) {
  auto pick = [](const json& app, const char* k) -> json {
    auto md = app.find("metadata");
    if (md == app.end() || !md->contains(k)) return json();
    return (*md)[k];
  };
  for (const char* k : {"labels", "annotations", "finalizers"})
    if (pick(have, k) != pick(want, k)) return true;
  return have.value("spec", json()) != want.value("spec", json());
}

}  // namespace

std::vector<AppSetAction> plan_appset_changes(const ApplicationSet& set,
                                              const std::vector<GeneratedApplication>& generated,
                                              const std::map<std::string, model::JsonBox>& existing) {
  bool may_update = set.applications_sync == ApplicationsSyncPolicy::Sync ||
                    set.applications_sync == ApplicationsSyncPolicy::CreateUpdate;
  bool may_delete = set.applications_sync == ApplicationsSyncPolicy::Sync ||
                    set.applications_sync == ApplicationsSyncPolicy::CreateDelete;
  std::vector<AppSetAction> out;
  std::set<std::string> wanted;
  for (const auto& g : generated) {
    wanted.insert(g.name);
    auto it = existing.find(g.name);
    if (it == existing.end()) {
      out.push_back(AppSetAction{AppSetActionType::Create, g.name, g.application, false});
    } else if (may_update && differs(*it->second, *g.application)) {
      out.push_back(AppSetAction{AppSetActionType::Update, g.name, g.application, false});
    }
  }
  if (may_delete) {
    for (const auto& [name, app] : existing) {
      if (wanted.count(name)) continue;
      out.push_back(AppSetAction{AppSetActionType::Delete, name, app, has_resources_finalizer(*app)});
    }
  }
  return out;
}

std::string owning_application_set(const json& app) {
  auto md = app.find("metadata");
  if (md == app.end() || !md->is_object()) return {};
  auto refs = md->find("ownerReferences");
  if (refs == md->end() || !refs->is_array()) return {};
  for (const auto& r : *refs) {
    if (!r.is_object() || !r.value("controller", false)) continue;
    if (r.value("apiVersion", "") == "argoproj.io/v1alpha1" && r.value("kind", "") == "ApplicationSet")
      return r.value("name", "");
    return {};  // controlled by something else
  }
  return {};
}

namespace {

// A Go zero value once decoded into the typed Application: a missing field, "", false, 0, or
// (with cmpopts.EquateEmpty) an empty map or slice.
bool empty_value(const json& v) {
  if (v.is_null()) return true;
  if (v.is_object() || v.is_array() || v.is_string()) return v.empty();
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number()) return v.get<double>() == 0;
  return false;
}

// cmp.Equal on the typed structs with cmpopts.EquateEmpty: zero values equal missing fields,
// nil and empty maps/slices are equal, recursively.
bool equal_empty(const json& a, const json& b) {
  if (empty_value(a) && empty_value(b)) return true;
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto o = b.find(it.key());
      if (!equal_empty(it.value(), o == b.end() ? json() : *o)) return false;
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key()) && !empty_value(it.value())) return false;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!equal_empty(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

const json& field(const json& obj, const char* a, const char* b = nullptr) {
  static const json kNull;
  auto it = obj.find(a);
  if (it == obj.end()) return kNull;
  if (!b) return *it;
  if (!it->is_object()) return kNull;
  auto jt = it->find(b);
  return jt == it->end() ? kNull : *jt;
}

}  // namespace

Result<MergedApplication> merge_generated_application(const json& found, const json& generated,
                                                      const AppSetOwner& owner) {
  static const char* const kPreservedAnnotations[] = {"notified.notifications.argoproj.io",
                                                      "argocd.argoproj.io/refresh", "argocd.argoproj.io/hydrate"};
  static const char* const kPreservedFinalizers[] = {"pre-delete-finalizer.argocd.argoproj.io",
                                                     "post-delete-finalizer.argocd.argoproj.io"};
  json out = found.is_object() ? found
                               : json{{"apiVersion", "argoproj.io/v1alpha1"},
                                      {"kind", "Application"},
                                      {"metadata", {{"name", field(generated, "metadata", "name")},
                                                    {"namespace", field(generated, "metadata", "namespace")}}}};
  json annotations = field(generated, "metadata", "annotations");
  json labels = field(generated, "metadata", "labels");
  json finalizers = field(generated, "metadata", "finalizers");
  const json& found_ann = field(found, "metadata", "annotations");
  for (const char* k : kPreservedAnnotations)
    if (found_ann.is_object() && found_ann.contains(k)) annotations[k] = found_ann[k];
  const json& found_fin = field(found, "metadata", "finalizers");
  for (const char* pre : kPreservedFinalizers) {
    if (!found_fin.is_array()) break;
    for (const auto& f : found_fin)
      if (f.is_string() && f.get_ref<const std::string&>().rfind(pre, 0) == 0) finalizers.push_back(f);
  }
  MergedApplication m;
  auto set_meta = [&](const char* k, const json& v, const char* name) {
    json& md = out["metadata"];
    if (!equal_empty(field(out, "metadata", k), v)) m.fields.push_back(name);
    if (empty_value(v)) md.erase(k);
    else md[k] = v;
  };
  if (!equal_empty(field(out, "spec"), field(generated, "spec"))) m.fields.push_back("spec");
  out["spec"] = field(generated, "spec");
  if (generated.contains("operation")) out["operation"] = generated["operation"];
  set_meta("annotations", annotations, "metadata.annotations");
  set_meta("labels", labels, "metadata.labels");
  set_meta("finalizers", finalizers, "metadata.finalizers");
  // SetControllerReference.
  json& md = out["metadata"];
  json refs = md.contains("ownerReferences") && md["ownerReferences"].is_array() ? md["ownerReferences"] : json::array();
  json ref = {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "ApplicationSet"}, {"name", owner.name},
              {"uid", owner.uid}, {"controller", true}, {"blockOwnerDeletion", true}};
  bool placed = false;
  for (auto& r : refs) {
    if (!r.is_object()) continue;
    bool same = r.value("apiVersion", "") == "argoproj.io/v1alpha1" && r.value("kind", "") == "ApplicationSet" &&
                r.value("name", "") == owner.name;
    if (!same && r.value("controller", false))
      return fail("appset-owned",
                  fmt::format("Object {}/{} is already owned by another {} controller {}",
                              md.value("namespace", ""), md.value("name", ""), r.value("kind", ""), r.value("name", "")));
    if (same) {
      if (r != ref) m.fields.push_back("metadata.ownerReferences");
      r = ref;
      placed = true;
    }
  }
  if (!placed) {
    refs.push_back(ref);
    m.fields.push_back("metadata.ownerReferences");
  }
  md["ownerReferences"] = refs;
  m.changed = !m.fields.empty();
  m.body = model::JsonBox(std::move(out));
  return m;
}

std::optional<ApplicationsSyncPolicy> parse_applications_sync_policy(std::string_view s) {
  if (s == "create-only") return ApplicationsSyncPolicy::CreateOnly;
  if (s == "create-update") return ApplicationsSyncPolicy::CreateUpdate;
  if (s == "create-delete") return ApplicationsSyncPolicy::CreateDelete;
  if (s == "sync" || s.empty()) return ApplicationsSyncPolicy::Sync;
  return std::nullopt;
}

std::string_view to_string(ApplicationsSyncPolicy p) {
  switch (p) {
    case ApplicationsSyncPolicy::CreateOnly: return "create-only";
    case ApplicationsSyncPolicy::CreateUpdate: return "create-update";
    case ApplicationsSyncPolicy::CreateDelete: return "create-delete";
    case ApplicationsSyncPolicy::Sync: break;
  }
  return "sync";
}

ApplicationsSyncPolicy effective_policy(const ApplicationSet& set, ApplicationsSyncPolicy controller_policy,
                                        bool enable_policy_override) {
  if (!set.applications_sync_set || !enable_policy_override) return controller_policy;
  return set.applications_sync;
}

std::int64_t requeue_after_ms(const ApplicationSet& set, std::int64_t default_git_ms) {
  std::int64_t res = 0;
  for (const auto& g : set.generators) {
    std::int64_t t = 0;  // list: NoRequeueAfter
    if (g.git) t = g.git->requeue_after_seconds ? *g.git->requeue_after_seconds * 1000 : default_git_ms;
    if (res == 0) res = t;
    else if (t != 0 && t < res) res = t;
  }
  return res;
}

}  // namespace rehearse::argocd
