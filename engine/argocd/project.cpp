#include "engine/argocd/project.hpp"

#include <cctype>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/appset.hpp"  // go_path_match (Go's path/filepath.Match on '/')
#include "engine/model/kinds.hpp"

namespace rehearse::argocd {

using nlohmann::json;

namespace {

constexpr std::string_view kInClusterServer = "https://kubernetes.default.svc";
constexpr std::string_view kInClusterName = "in-cluster";

// Matches without braces. nullopt: malformed.
std::optional<bool> glob_simple(std::string_view p, size_t pi, std::string_view s, size_t si, char sep) {
  while (pi < p.size()) {
    char c = p[pi];
    if (c == '*') {
      bool super = pi + 1 < p.size() && p[pi + 1] == '*';
      while (pi < p.size() && p[pi] == '*') ++pi;
      for (size_t k = si;; ++k) {
        auto r = glob_simple(p, pi, s, k, sep);
        if (!r || *r) return r;
        if (k >= s.size()) return false;
        if (!super && sep != 0 && s[k] == sep) return false;
      }
    }
    if (c == '[') {
      size_t i = pi + 1;
      bool neg = i < p.size() && p[i] == '!';
      if (neg) ++i;
      bool matched = false;
      bool closed = false;
      if (si >= s.size()) return false;
      while (i < p.size()) {
        if (p[i] == ']') {
          closed = true;
          ++i;
          break;
        }
        char lo = p[i++];
        char hi = lo;
        if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
          hi = p[i + 1];
          i += 2;
        }
        if (lo <= s[si] && s[si] <= hi) matched = true;
      }
      if (!closed) return std::nullopt;
      if (matched == neg || (sep != 0 && s[si] == sep)) return false;
      pi = i;
      ++si;
      continue;
    }
    if (si >= s.size()) return false;
    if (c == '?') {
      if (sep != 0 && s[si] == sep) return false;
    } else {
      if (c == '\\') {
        if (++pi >= p.size()) return std::nullopt;
        c = p[pi];
      }
      if (s[si] != c) return false;
    }
    ++pi;
    ++si;
  }
  return si == s.size();
}

std::optional<bool> glob_braces(std::string_view p, std::string_view s, char sep) {
  size_t open = std::string_view::npos;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '{') {
      open = i;
      break;
    }
  }
  if (open == std::string_view::npos) return glob_simple(p, 0, s, 0, sep);
  int depth = 0;
  std::vector<size_t> commas;
  size_t close = std::string_view::npos;
  for (size_t i = open; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '{') ++depth;
    if (p[i] == '}' && --depth == 0) {
      close = i;
      break;
    }
    if (p[i] == ',' && depth == 1) commas.push_back(i);
  }
  if (close == std::string_view::npos) return std::nullopt;
  commas.push_back(close);
  size_t start = open + 1;
  bool any = false;
  for (size_t c : commas) {
    std::string alt = std::string(p.substr(0, open)) + std::string(p.substr(start, c - start)) +
                      std::string(p.substr(close + 1));
    auto r = glob_braces(alt, s, sep);
    if (!r) return r;
    any = any || *r;
    start = c + 1;
  }
  return any;
}

bool is_deny(std::string_view p) { return !p.empty() && p.front() == '!'; }

// argo-cd app_project_types.go globMatch.
bool glob_match(std::string_view pattern, std::string_view val, bool allow_negation, char sep) {
  if (allow_negation && is_deny(pattern)) return !gobwas_glob_match(pattern.substr(1), val, sep);
  if (pattern == "*") return true;
  return gobwas_glob_match(pattern, val, sep);
}

bool file_match(std::string_view pattern, std::string_view value) {
  auto m = go_path_match(pattern, value);
  return m && *m;
}

bool in_list(const std::vector<GroupKindRule>& list, std::string_view group, std::string_view kind,
             std::string_view name, bool named) {
  for (const auto& r : list) {
    if (!file_match(r.kind, kind) || !file_match(r.group, group)) continue;
    if (!named || r.name.empty() || file_match(r.name, name)) return true;
  }
  return false;
}

}  // namespace

bool gobwas_glob_match(std::string_view pattern, std::string_view text, char separator) {
  auto r = glob_braces(pattern, text, separator);
  return r && *r;
}

std::string normalize_git_url(std::string_view url) {
  size_t b = url.find_first_not_of(" \t\n\r");
  size_t e = url.find_last_not_of(" \t\n\r");
  std::string s = b == std::string_view::npos ? "" : std::string(url.substr(b, e - b + 1));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // scp-style SSH (`user@host:path`, sshURLRegex `^(ssh://)?([^/:]*?)@[^@]+$`).
  std::string_view rest = s;
  bool ssh_prefix = rest.rfind("ssh://", 0) == 0;
  if (ssh_prefix) rest.remove_prefix(6);
  size_t at = rest.find('@');
  bool is_ssh = at != std::string_view::npos && rest.substr(0, at).find_first_of("/:") == std::string_view::npos &&
                rest.find('@', at + 1) == std::string_view::npos && at + 1 < rest.size();
  if (is_ssh && !ssh_prefix) {
    size_t colon = s.find(':');
    if (colon != std::string::npos) s[colon] = '/';
    s = "ssh://" + s;
  }
  if (s.size() >= 4 && s.compare(s.size() - 4, 4, ".git") == 0) s.resize(s.size() - 4);
  if (s.rfind("ssh://", 0) == 0) s = s.substr(6);
  return s;
}

AppProject default_project() {
  AppProject p;
  p.name = "default";
  p.source_repos = {"*"};
  p.destinations = {ProjectDestination{"*", "", "*"}};
  p.cluster_resource_whitelist = {GroupKindRule{"*", "*", ""}};
  return p;
}

bool is_source_permitted(const AppProject& project, std::string_view repo_url) {
  std::string src = normalize_git_url(repo_url);
  bool any = false;
  for (const auto& entry : project.source_repos) {
    std::string normalized = is_deny(entry) ? "!" + normalize_git_url(std::string_view(entry).substr(1))
                                            : normalize_git_url(entry);
    bool matched = glob_match(normalized, src, true, '/');
    if (matched) any = true;
    else if (is_deny(normalized)) return false;
  }
  return any;
}

bool is_destination_permitted(const AppProject& project, const Destination& d) {
  std::string server = d.server, name = d.name;
  if (server.empty() && name == kInClusterName) server = kInClusterServer;
  if (name.empty() && server == kInClusterServer) name = kInClusterName;
  bool any = false;
  for (const auto& item : project.destinations) {
    bool name_matched = !name.empty() && glob_match(item.name, name, true, 0);
    bool server_matched = !server.empty() && glob_match(item.server, server, true, 0);
    bool ns_matched = glob_match(item.ns, d.ns, true, 0);
    bool matched = (server_matched || name_matched) && ns_matched;
    if (matched) {
      any = true;
    } else if ((!name_matched && is_deny(item.name)) ||
               ((!server_matched && is_deny(item.server)) && ns_matched)) {
      return false;  // Go precedence: A || (B && C), kept as upstream wrote it
    } else if (!ns_matched && is_deny(item.ns) && server_matched) {
      return false;
    }
  }
  return any;
}

bool is_group_kind_permitted(const AppProject& project, std::string_view group,
                             std::string_view kind, std::string_view name, bool namespaced) {
  if (namespaced) {
    const auto& wl = project.namespace_resource_whitelist;
    bool white = !wl || (!wl->empty() && in_list(*wl, group, kind, name, false));
    bool black = in_list(project.namespace_resource_blacklist, group, kind, name, false);
    return white && !black;
  }
  bool white = in_list(project.cluster_resource_whitelist, group, kind, name, true);
  bool black = in_list(project.cluster_resource_blacklist, group, kind, name, true);
  return white && !black;
}

std::vector<ProjectViolation> project_violations(const AppProject& project, const Application& app,
                                                 const std::vector<model::Object>& desired) {
  std::vector<ProjectViolation> out;
  for (const auto& src : app.spec.sources) {
    if (!is_source_permitted(project, src.repo_url))
      out.push_back({"InvalidSpecError", fmt::format("application repo {} is not permitted in project '{}'",
                                                     src.repo_url, project.name)});
  }
  const Destination& d = app.spec.destination;
  if (!is_destination_permitted(project, d)) {
    std::string server = d.name.empty() ? d.server : d.name;
    out.push_back({"InvalidSpecError",
                   fmt::format("application destination server '{}' and namespace '{}' do not match any "
                               "of the allowed destinations in project '{}'",
                               server, d.ns, project.name)});
  }
  model::KindRegistry kinds;
  for (const auto& o : desired) {
    if (o.known_kind() != model::Kind::CustomResourceDefinition) continue;
    const json& spec = o.body().value("spec", json::object());
    std::string group = spec.value("group", "");
    std::string kind = spec.contains("names") ? spec["names"].value("kind", "") : "";
    if (!kind.empty()) kinds.add_custom(group, kind, spec.value("scope", "Namespaced") != "Cluster");
  }
  for (const auto& o : desired) {
    const auto& key = o.key();
    bool namespaced = kinds.is_namespaced(key.group, key.kind);
    if (!is_group_kind_permitted(project, key.group, key.kind, key.name, namespaced)) {
      out.push_back({"SyncPermission", fmt::format("resource {}:{} is not permitted in project {}", key.group,
                                                   key.kind, project.name)});
      continue;
    }
    if (namespaced) {
      std::string ns = key.ns.empty() ? d.ns : key.ns;
      Destination rd = d;
      rd.ns = ns;
      if (!is_destination_permitted(project, rd))
        out.push_back({"SyncPermission", fmt::format("namespace {} is not permitted in project '{}'", ns,
                                                     project.name)});
    }
  }
  return out;
}

Result<void> check_project(const AppProject& project, const Application& app,
                           const std::vector<model::Object>& desired) {
  auto v = project_violations(project, app, desired);
  if (v.empty()) return {};
  return fail(v.front().code, v.front().message);
}

// ---- parsing -------------------------------------------------------------------------------

std::optional<AppProject> parse_app_project(const model::Object& obj, model::Diagnostics& diags) {
  bool ok = true;
  auto error = [&](const std::string& ptr, const std::string& msg) {
    diags.error(obj.pos_of(ptr), "invalid-appproject", msg);
    ok = false;
  };
  if (obj.known_kind() != model::Kind::AppProject) {
    error("/kind", fmt::format("expected an argoproj.io AppProject, got {}", obj.kind()));
    return std::nullopt;
  }
  AppProject p;
  p.name = obj.name();
  const json& body = obj.body();
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) {
    error("/spec", "spec must be a map");
    return std::nullopt;
  }
  auto str_of = [&](const json& j, const char* k, const std::string& ptr) -> std::string {
    auto it = j.find(k);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string()) {
      error(ptr + "/" + k, fmt::format("{} must be a string", k));
      return {};
    }
    return it->get<std::string>();
  };
  auto list_of = [&](const char* k) -> const json* {
    auto it = spec.find(k);
    if (it == spec.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      error(std::string("/spec/") + k, fmt::format("{} must be a list", k));
      return nullptr;
    }
    return &*it;
  };
  if (const json* l = list_of("sourceRepos")) {
    for (size_t i = 0; i < l->size(); ++i) {
      if (!(*l)[i].is_string()) error(fmt::format("/spec/sourceRepos/{}", i), "sourceRepos entries must be strings");
      else p.source_repos.push_back((*l)[i].get<std::string>());
    }
  }
  if (const json* l = list_of("destinations")) {
    for (size_t i = 0; i < l->size(); ++i) {
      std::string ptr = fmt::format("/spec/destinations/{}", i);
      if (!(*l)[i].is_object()) {
        error(ptr, "a destination must be a map with server or name, and namespace");
        continue;
      }
      p.destinations.push_back(ProjectDestination{str_of((*l)[i], "server", ptr), str_of((*l)[i], "name", ptr),
                                                  str_of((*l)[i], "namespace", ptr)});
    }
  }
  auto rules = [&](const char* k, bool named) {
    std::vector<GroupKindRule> out;
    if (const json* l = list_of(k)) {
      for (size_t i = 0; i < l->size(); ++i) {
        std::string ptr = fmt::format("/spec/{}/{}", k, i);
        if (!(*l)[i].is_object()) {
          error(ptr, "an entry must be a map with group and kind");
          continue;
        }
        GroupKindRule r{str_of((*l)[i], "group", ptr), str_of((*l)[i], "kind", ptr),
                        named ? str_of((*l)[i], "name", ptr) : ""};
        out.push_back(r);
      }
    }
    return out;
  };
  p.cluster_resource_whitelist = rules("clusterResourceWhitelist", true);
  p.cluster_resource_blacklist = rules("clusterResourceBlacklist", true);
  if (spec.contains("namespaceResourceWhitelist") && !spec["namespaceResourceWhitelist"].is_null())
    p.namespace_resource_whitelist = rules("namespaceResourceWhitelist", false);
  p.namespace_resource_blacklist = rules("namespaceResourceBlacklist", false);
  if (!ok) return std::nullopt;
  return p;
}

}  // namespace rehearse::argocd
