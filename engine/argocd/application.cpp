#include "engine/argocd/application.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rehearse::argocd {

using nlohmann::json;

SourceType ApplicationSource::type() const {
  if (plugin) return SourceType::Plugin;
  if (!chart.empty() || !helm->is_null()) return SourceType::Helm;
  if (!kustomize->is_null()) return SourceType::Kustomize;
  return SourceType::Directory;
}

int64_t RetryStrategy::wait_ms(int64_t retry_count) const {
  double d = static_cast<double>(backoff.duration_ms) *
             std::pow(static_cast<double>(backoff.factor), static_cast<double>(retry_count));
  if (backoff.max_duration_ms > 0 && d > static_cast<double>(backoff.max_duration_ms))
    return backoff.max_duration_ms;
  return static_cast<int64_t>(d);
}

RetryStrategy SyncPolicy::automated_retry() const {
  if (retry) return *retry;
  RetryStrategy r;
  r.limit = 5;
  return r;
}

std::optional<int64_t> parse_duration_ms(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : s)
    if (c < '0' || c > '9') all_digits = false;
  if (all_digits) return static_cast<int64_t>(std::stoll(std::string(s))) * 1000;
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t b = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (b == i) return std::nullopt;
    double v = std::stod(std::string(s.substr(b, i - b)));
    size_t u = i;
    while (i < s.size() && !((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    std::string_view unit = s.substr(u, i - u);
    double ms;
    if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60'000;
    else if (unit == "h") ms = 3'600'000;
    else if (unit == "us" || unit == "µs") ms = 0.001;
    else if (unit == "ns") ms = 0.000001;
    else return std::nullopt;
    total += v * ms;
  }
  return static_cast<int64_t>(total);
}

namespace {

struct Parser {
  const model::Object& obj;
  model::Diagnostics& diags;
  bool ok = true;

  void error(const std::string& ptr, const std::string& msg) {
    diags.error(obj.pos_of(ptr), "invalid-application", msg);
    ok = false;
  }
  std::string str(const json& j, const char* key, const std::string& ptr) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    error(ptr + "/" + key, fmt::format("{} must be a string", key));
    return {};
  }
  bool boolean(const json& j, const char* key, const std::string& ptr, bool def) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (it->is_boolean()) return it->get<bool>();
    error(ptr + "/" + key, fmt::format("{} must be true or false", key));
    return def;
  }
  const json* object(const json& j, const char* key, const std::string& ptr) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    if (!it->is_object()) {
      error(ptr + "/" + key, fmt::format("{} must be a mapping", key));
      return nullptr;
    }
    return &*it;
  }
  std::vector<std::string> strings(const json& j, const char* key, const std::string& ptr) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) {
      error(ptr + "/" + key, fmt::format("{} must be a list of strings", key));
      return out;
    }
    for (size_t i = 0; i < it->size(); ++i) {
      if ((*it)[i].is_string()) out.push_back((*it)[i].get<std::string>());
      else error(fmt::format("{}/{}/{}", ptr, key, i), fmt::format("{} items must be strings", key));
    }
    return out;
  }

  ApplicationSource source(const json& s, const std::string& ptr) {
    ApplicationSource src;
    src.repo_url = str(s, "repoURL", ptr);
    if (auto r = str(s, "targetRevision", ptr); !r.empty()) src.target_revision = r;
    src.path = str(s, "path", ptr);
    src.chart = str(s, "chart", ptr);
    src.ref = str(s, "ref", ptr);
    if (const json* d = object(s, "directory", ptr)) {
      DirectorySource dir;
      dir.recurse = boolean(*d, "recurse", ptr + "/directory", false);
      dir.include = str(*d, "include", ptr + "/directory");
      dir.exclude = str(*d, "exclude", ptr + "/directory");
      src.directory = dir;
    }
    if (const json* k = object(s, "kustomize", ptr)) src.kustomize = model::JsonBox(*k);
    if (const json* h = object(s, "helm", ptr)) src.helm = model::JsonBox(*h);
    if (s.contains("plugin")) src.plugin = true;
    return src;
  }

  std::optional<int64_t> duration(const json& j, const char* key, const std::string& ptr) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    std::string text = it->is_string() ? it->get<std::string>() : it->dump();
    auto d = parse_duration_ms(text);
    if (!d) error(ptr + "/" + key, fmt::format("{}: \"{}\" is not a duration (e.g. 5s, 3m)", key, text));
    return d;
  }

  std::optional<Application> run() {
    const json& b = obj.body();
    Application app;
    app.name = obj.name();
    app.ns = obj.ns();
    app.origin = obj.origin();
    const json* spec = object(b, "spec", "");
    if (!spec) {
      error("/spec", "Application has no spec");
      return std::nullopt;
    }
    ApplicationSpec& s = app.spec;
    if (auto p = str(*spec, "project", "/spec"); !p.empty()) s.project = p;
    if (const json* src = object(*spec, "source", "/spec")) s.sources.push_back(source(*src, "/spec/source"));
    if (auto it = spec->find("sources"); it != spec->end() && !it->is_null()) {
      if (!it->is_array()) {
        error("/spec/sources", "sources must be a list");
      } else {
        s.multi_source = true;
        s.sources.clear();
        for (size_t i = 0; i < it->size(); ++i) {
          std::string ptr = fmt::format("/spec/sources/{}", i);
          if ((*it)[i].is_object()) s.sources.push_back(source((*it)[i], ptr));
          else error(ptr, "each source must be a mapping");
        }
      }
    }
    if (const json* d = object(*spec, "destination", "/spec")) {
      s.destination.server = str(*d, "server", "/spec/destination");
      s.destination.name = str(*d, "name", "/spec/destination");
      s.destination.ns = str(*d, "namespace", "/spec/destination");
    }
    if (const json* sp = object(*spec, "syncPolicy", "/spec")) {
      if (const json* a = object(*sp, "automated", "/spec/syncPolicy")) {
        Automated au;
        std::string ptr = "/spec/syncPolicy/automated";
        au.enabled = boolean(*a, "enabled", ptr, true);
        au.prune = boolean(*a, "prune", ptr, false);
        au.self_heal = boolean(*a, "selfHeal", ptr, false);
        au.allow_empty = boolean(*a, "allowEmpty", ptr, false);
        s.sync_policy.automated = au;
      }
      s.sync_policy.sync_options = strings(*sp, "syncOptions", "/spec/syncPolicy");
      if (const json* r = object(*sp, "retry", "/spec/syncPolicy")) {
        RetryStrategy rs;
        std::string ptr = "/spec/syncPolicy/retry";
        if (auto it = r->find("limit"); it != r->end() && !it->is_null()) {
          if (it->is_number_integer()) rs.limit = it->get<int64_t>();
          else error(ptr + "/limit", "limit must be an integer");
        }
        rs.refresh = boolean(*r, "refresh", ptr, false);
        if (const json* bo = object(*r, "backoff", ptr)) {
          if (auto d = duration(*bo, "duration", ptr + "/backoff")) rs.backoff.duration_ms = *d;
          if (auto d = duration(*bo, "maxDuration", ptr + "/backoff")) rs.backoff.max_duration_ms = *d;
          if (auto it = bo->find("factor"); it != bo->end() && !it->is_null()) {
            if (it->is_number_integer()) rs.backoff.factor = it->get<int64_t>();
            else error(ptr + "/backoff/factor", "factor must be an integer");
          }
        }
        s.sync_policy.retry = rs;
      }
      if (const json* m = object(*sp, "managedNamespaceMetadata", "/spec/syncPolicy"))
        s.sync_policy.managed_namespace_metadata = model::JsonBox(*m);
    }
    if (auto it = spec->find("ignoreDifferences"); it != spec->end() && !it->is_null()) {
      if (!it->is_array()) {
        error("/spec/ignoreDifferences", "ignoreDifferences must be a list");
      } else {
        for (size_t i = 0; i < it->size(); ++i) {
          std::string ptr = fmt::format("/spec/ignoreDifferences/{}", i);
          const json& e = (*it)[i];
          if (!e.is_object()) {
            error(ptr, "each ignoreDifferences entry must be a mapping");
            continue;
          }
          diff::IgnoreRule r;
          r.group = str(e, "group", ptr);
          r.kind = str(e, "kind", ptr);
          r.name = str(e, "name", ptr);
          r.ns = str(e, "namespace", ptr);
          r.json_pointers = strings(e, "jsonPointers", ptr);
          r.jq_path_expressions = strings(e, "jqPathExpressions", ptr);
          r.managed_fields_managers = strings(e, "managedFieldsManagers", ptr);
          if (r.kind.empty()) error(ptr, "ignoreDifferences entry needs a kind");
          for (size_t k = 0; k < r.jq_path_expressions.size(); ++k) {
            nlohmann::json empty = nlohmann::json::object();
            if (auto loc = diff::jq_locations(r.jq_path_expressions[k], empty); !loc.ok())
              error(fmt::format("{}/jqPathExpressions/{}", ptr, k),
                    loc.error().message + " (supported: .a.b, .a[]?, .a[] | select(.f == \"x\") | .g)");
          }
          s.ignore_differences.push_back(std::move(r));
        }
      }
    }
    if (auto it = spec->find("revisionHistoryLimit"); it != spec->end() && !it->is_null()) {
      if (it->is_number_integer()) s.revision_history_limit = it->get<int64_t>();
      else error("/spec/revisionHistoryLimit", "revisionHistoryLimit must be an integer");
    }
    if (s.sources.empty()) error("/spec", "Application needs spec.source or spec.sources");
    if (!ok) return std::nullopt;
    return app;
  }
};

}  // namespace

std::optional<Application> parse_application(const model::Object& obj, model::Diagnostics& diags) {
  Parser p{obj, diags};
  return p.run();
}

}  // namespace rehearse::argocd
