#pragma once
// AppProject restrictions (reference argocd.md §14; argo-cd
// pkg/apis/application/v1alpha1/app_project_types.go, types.go isResourceInList,
// util/argo/argo.go ValidatePermissions, controller/sync.go validateSyncPermissions).
//
// The operation loop calls check_project() before it applies anything:
//
//   Result<void> check_project(const AppProject& project, const Application& app,
//                              const std::vector<model::Object>& desired);
//
//  - ok: every check passed; the sync may proceed.
//  - error: the first violation, with upstream's message verbatim and a code:
//      "InvalidSpecError"  application-level (source repo, destination). Upstream records it
//                          as an app condition and refuses to sync:
//                          "application repo <url> is not permitted in project '<p>'",
//                          "application destination server '<s>' and namespace '<ns>' do not
//                           match any of the allowed destinations in project '<p>'"
//      "SyncPermission"    resource-level, from the sync's dry run; the task is invalid and
//                          the operation fails ("one or more synchronization tasks are not
//                          valid"): "resource <group>:<kind> is not permitted in project <p>"
//                          (no quotes, as upstream), "namespace <ns> is not permitted in
//                          project '<p>'".
//  `desired` are the rendered manifests (hooks included); objects without a namespace are
//  checked in the app's destination namespace when their kind is namespaced (built-in kind
//  table, plus CustomResourceDefinitions found in `desired`; unknown kinds are namespaced).
//  project_violations() returns every violation instead of the first.
//
// Matching rules (upstream):
//  1. sourceRepos: URLs normalized (lower-case, trimmed, ".git" dropped, scp-style
//     "git@host:org/repo" turned into "host/org/repo"); glob with '/' as separator (`*` one
//     segment, `**` any); "!" entries deny. Quirk kept: a deny entry the URL does not hit
//     counts as a match, so a list of only deny entries permits every other repo.
//  2. destinations: server/name/namespace globs without separators, "!" denies; permitted iff
//     some entry matches (server or name) and namespace, and no deny entry rejects it (exact
//     upstream case analysis, including its operator precedence).
//  3. namespaced kinds: namespaceResourceWhitelist unset → all, set-but-empty → none, else
//     must match; namespaceResourceBlacklist removes. group/kind use Go filepath.Match.
//  4. cluster-scoped kinds: need a clusterResourceWhitelist match (entries may carry a name
//     glob); clusterResourceBlacklist overrides.
// rehearse has no cluster database: the destination is taken as written, except that the
// in-cluster pair is completed (server https://kubernetes.default.svc <-> name in-cluster).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/argocd/application.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"

namespace rehearse::argocd {

struct ProjectDestination {
  std::string server;
  std::string name;
  std::string ns;
};

struct GroupKindRule {
  std::string group;
  std::string kind;
  std::string name;  // cluster-scoped lists only; "" = any name
};

struct AppProject {
  std::string name;
  std::vector<std::string> source_repos;
  std::vector<ProjectDestination> destinations;
  std::vector<GroupKindRule> cluster_resource_whitelist;
  std::vector<GroupKindRule> cluster_resource_blacklist;
  std::optional<std::vector<GroupKindRule>> namespace_resource_whitelist;  // nullopt = unset
  std::vector<GroupKindRule> namespace_resource_blacklist;
};

// The `default` project Argo CD creates: sourceRepos ['*'], destinations [{server '*',
// namespace '*'}], clusterResourceWhitelist [{group '*', kind '*'}].
AppProject default_project();

// Parses an argoproj.io AppProject; diagnostics at the offending key.
std::optional<AppProject> parse_app_project(const model::Object& obj, model::Diagnostics& diags);

// argo-cd util/glob (gobwas/glob): `*` any run of non-separator chars (any chars when
// `separator` is 0), `**` anything, `?`, `[...]`/`[!...]`, `{a,b}`, `\` escapes. A pattern
// that does not compile matches nothing.
bool gobwas_glob_match(std::string_view pattern, std::string_view text, char separator);

// argo-cd util/git NormalizeGitURL.
std::string normalize_git_url(std::string_view url);

bool is_source_permitted(const AppProject& project, std::string_view repo_url);
bool is_destination_permitted(const AppProject& project, const Destination& dest);
bool is_group_kind_permitted(const AppProject& project, std::string_view group,
                             std::string_view kind, std::string_view name, bool namespaced);

struct ProjectViolation {
  std::string code;  // "InvalidSpecError" | "SyncPermission"
  std::string message;
};

std::vector<ProjectViolation> project_violations(const AppProject& project, const Application& app,
                                                 const std::vector<model::Object>& desired);

Result<void> check_project(const AppProject& project, const Application& app,
                           const std::vector<model::Object>& desired);

}  // namespace rehearse::argocd
