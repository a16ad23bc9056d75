#pragma once
// ApplicationSet: generators and template rendering (reference argocd.md §13; argo-cd
// applicationset/generators/{git,list}.go, applicationset/utils/utils.go,
// applicationset/controllers/template/template.go).
//
// generate_applications() is the pure core: (ApplicationSet, the directories of the
// generator's repository at the resolved revision) -> ordered (params, Application). The
// caller lists the directories (CLI: a walk of a directory; simulator: a checkout), the
// engine never reads files.
//
// Order of the result: generators in spec order; within a git directory generator the
// repository's directory order (a depth-first walk with entries sorted by name, as Go's
// filepath.WalkDir returns them — NOT a plain sort of full paths: "a", "a/b", "a-c"); within
// a list generator the elements' order.
//
// Parameters are exactly what upstream hands to templates:
//  - git directories, flat mode: `path`, `path.basename`, `path.basenameNormalized`,
//    `path[i]` for each non-empty segment, `values.<k>`; with pathParamPrefix P the names
//    are `P.path`, `P.path.basename`, ... (`path.filename` exists only for the files
//    generator, which rehearse does not implement);
//  - git directories, goTemplate: `{"path": {"path", "basename", "basenameNormalized",
//    "segments": [...]}}` (under `{P: {"path": ...}}` with a prefix), `values` a map;
//  - list: the element itself (goTemplate) or its string fields, `values.<k>` from a
//    `values` map (flat mode; non-string fields are an error, as upstream).
// `values` entries are themselves rendered with the path parameters first.
//
// Rendering (flat mode, fasttemplate): `{{ name }}` (spaces trimmed) is replaced by the
// string parameter `name`; unknown names stay as written. goTemplate mode: go_template.hpp.
// Every string of metadata (name, namespace, labels, annotations, finalizers) and spec is
// rendered, map keys included. Then templatePatch (rendered as a template, then merged:
// maps merge, lists replace, null deletes — what strategic merge does for Application,
// whose fields carry no merge keys), then metadata.namespace := the ApplicationSet's
// namespace, and the finalizer `resources-finalizer.argocd.argoproj.io` is added when the
// template has no finalizers and syncPolicy.preserveResourcesOnDeletion is not set.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/argocd/go_template.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"

namespace rehearse::argocd {

struct GitDirectoryItem {
  std::string path;  // Go path.Match pattern
  bool exclude = false;
};

struct GitGenerator {
  std::string repo_url;
  std::string revision = "HEAD";
  std::vector<GitDirectoryItem> directories;
  std::string path_param_prefix;
  std::map<std::string, std::string> values;
  // requeueAfterSeconds; unset = the controller default (3 min, argo-cd
  // applicationset/generators/interface.go DefaultRequeueAfter; reference argocd.md §7.4).
  std::optional<std::int64_t> requeue_after_seconds;
};

struct ListGenerator {
  std::vector<model::JsonBox> elements;  // each a JSON object
};

struct AppSetGenerator {
  std::optional<GitGenerator> git;
  std::optional<ListGenerator> list;
  model::SourcePos pos;
};

// spec.syncPolicy.applicationsSync: which changes the controller may make to generated
// Applications (upstream policy names). Default (unset): all of them.
enum class ApplicationsSyncPolicy { Sync, CreateOnly, CreateUpdate, CreateDelete };

struct ApplicationSet {
  std::string name;
  std::string ns;
  std::vector<AppSetGenerator> generators;
  bool go_template = false;
  std::vector<std::string> go_template_options;
  model::JsonBox template_;                  // spec.template {metadata, spec}
  std::optional<std::string> template_patch;  // spec.templatePatch
  bool preserve_resources_on_deletion = false;
  ApplicationsSyncPolicy applications_sync = ApplicationsSyncPolicy::Sync;
  bool applications_sync_set = false;  // spec.syncPolicy.applicationsSync was given
  model::SourcePos origin;
};

// Parses an argoproj.io/v1alpha1 ApplicationSet. Unsupported generators (clusters, matrix,
// merge, scmProvider, pullRequest, plugin, git files) and malformed fields are diagnostics
// at the key's position; nullopt when unusable.
std::optional<ApplicationSet> parse_application_set(const model::Object& obj,
                                                    model::Diagnostics& diags);

// Go's path.Match: `*` any run of non-'/' bytes, `?` one non-'/' byte, `[...]`/`[^...]`
// classes with ranges, `\` escapes. nullopt for a malformed pattern (upstream logs it and
// treats it as not matching). Bytes, not runes: `?` matches one byte of a UTF-8 character.
std::optional<bool> go_path_match(std::string_view pattern, std::string_view name);

// §13: the candidate directories selected by the generator's items (include by any
// non-exclude pattern, excluded by any exclude pattern, order irrelevant), in input order.
std::vector<std::string> filter_directories(const std::vector<GitDirectoryItem>& items,
                                            const std::vector<std::string>& all_dirs);

struct GeneratedApplication {
  std::string name;
  model::JsonBox params;       // JSON object, flat or nested as described above
  model::JsonBox application;  // the rendered argoproj.io/v1alpha1 Application
};

// The repository content the git generators see: every directory (relative, '/'-separated,
// no leading '/', hidden directories and the root left out), in walk order. One listing
// serves every git generator of the set (rehearse renders one repository at one revision).
struct RepoListing {
  std::vector<std::string> directories;
};

// Renders every Application of the set. Errors (code "appset"): template errors, a
// goTemplateOptions entry Go rejects, non-string list fields in flat mode, two generated
// Applications with one name ("ApplicationSet <n> contains applications with duplicate
// name: <app>", as upstream).
Result<std::vector<GeneratedApplication>> generate_applications(const ApplicationSet& set,
                                                                const RepoListing& repo);

// Flat-mode (fasttemplate) replacement of one string; an error when a `{{` has no `}}`.
// Exposed for tests.
Result<std::string> render_flat(std::string_view tmpl, const nlohmann::json& params);

// ---- controller semantics ------------------------------------------------------------
//
// What the ApplicationSet controller does to the cluster when the generator output changes
// (argo-cd applicationset/controllers/applicationset_controller.go createOrUpdateInCluster,
// deleteInCluster, the applicationsSync policy): generated Applications that do not exist
// are created; existing ones whose labels, annotations, finalizers or spec differ are
// updated (unless the policy is create-only or create-delete); Applications owned by the set
// that are no longer generated are deleted (unless create-only or create-update). Deleting
// an Application that carries the resources finalizer deletes its resources (cascade);
// preserveResourcesOnDeletion leaves the finalizer off so they stay.

enum class AppSetActionType { Create, Update, Delete };

struct AppSetAction {
  AppSetActionType type = AppSetActionType::Create;
  std::string name;
  model::JsonBox application;  // desired body (Create/Update); the existing one for Delete
  // Delete only: the Application carries resources-finalizer.argocd.argoproj.io, so its
  // managed resources are deleted with it.
  bool cascade = false;
};

// `existing`: the Applications currently owned by the set (by name). Actions come in the
// order: creates/updates in generation order, then deletes by name.
std::vector<AppSetAction> plan_appset_changes(const ApplicationSet& set,
                                              const std::vector<GeneratedApplication>& generated,
                                              const std::map<std::string, model::JsonBox>& existing);

// The policy the controller applies (argo-cd applicationset/utils/policy.go DefaultPolicy): the
// set's own applicationsSync when it gives one and overrides are enabled, else the
// controller's `--policy` (whose empty default means sync). `--enable-policy-override`
// defaults to true exactly when `--policy` is empty.
ApplicationsSyncPolicy effective_policy(const ApplicationSet& set, ApplicationsSyncPolicy controller_policy,
                                        bool enable_policy_override);
inline bool allows_update(ApplicationsSyncPolicy p) {
  return p == ApplicationsSyncPolicy::Sync || p == ApplicationsSyncPolicy::CreateUpdate;
}
inline bool allows_delete(ApplicationsSyncPolicy p) {
  return p == ApplicationsSyncPolicy::Sync || p == ApplicationsSyncPolicy::CreateDelete;
}
std::optional<ApplicationsSyncPolicy> parse_applications_sync_policy(std::string_view s);  // "" = sync
std::string_view to_string(ApplicationsSyncPolicy p);

// The controller's requeue interval for a set (argo-cd applicationset_controller.go
// getMinRequeueAfter): the smallest non-zero interval of its generators — a git generator's
// requeueAfterSeconds or `default_git_ms` (3 min upstream), a list generator none. 0: no
// periodic requeue (only watch events reconcile the set).
std::int64_t requeue_after_ms(const ApplicationSet& set, std::int64_t default_git_ms);

// The ApplicationSet that an Application's controller ownerReference names (argo-cd
// appControllerIndexer: apiVersion argoproj.io/v1alpha1, kind ApplicationSet, controller
// true), "" when none.
std::string owning_application_set(const nlohmann::json& app);

struct AppSetOwner {
  std::string name;
  std::string uid;
};

// createOrUpdateInCluster's mutate step (argo-cd applicationset_controller.go) for a generated
// Application. `found` is the live Application or null when it does not exist. The result
// is `found` (or a fresh object) with spec, labels, annotations and finalizers taken from
// `generated`, except that the annotations `notified.notifications.argoproj.io`,
// `argocd.argoproj.io/refresh` and `argocd.argoproj.io/hydrate` and the finalizers starting
// with `pre-delete-finalizer.argocd.argoproj.io` / `post-delete-finalizer.argocd.argoproj.io`
// of `found` are kept, and the set is the controller ownerReference (controllerutil.
// SetControllerReference: an error when another controller owns it). `changed` says whether
// it differs from `found` (empty and missing maps/lists are equal, as cmpopts.EquateEmpty).
struct MergedApplication {
  model::JsonBox body;
  bool changed = false;
  std::vector<std::string> fields;  // "spec", "metadata.labels", ... that changed
};
Result<MergedApplication> merge_generated_application(const nlohmann::json& found, const nlohmann::json& generated,
                                                      const AppSetOwner& owner);

inline constexpr std::string_view kResourcesFinalizer = "resources-finalizer.argocd.argoproj.io";

}  // namespace rehearse::argocd
