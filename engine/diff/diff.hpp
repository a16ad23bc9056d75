#pragma once
// Desired-vs-live comparison as Argo CD's default client-side diff decides "modified"
// (reference argocd.md §10.2, gitops-engine pkg/diff/diff.go), and the ignoreDifferences
// normalizers (§10.3, argo-cd util/argo/normalizers).
//
// The three-way rule, after normalizing both sides (§10.2 "simulator shortcut"):
//   OutOfSync  <=>  some field set in Git differs from live,
//               or  a field that is in last-applied but no longer in Git is still in live.
// Fields that exist only in live (server defaults, controller-written fields, metadata the
// API server adds) never count. last-applied is the live object's
// `kubectl.kubernetes.io/last-applied-configuration`; without it Git plays that role.
//
// Lists: when every element of the Git list is an object with a string `name` (the patch
// merge key of containers, env, volumes, ports...), elements are matched by name, order is
// ignored, and a live element whose name Git does not list counts only if last-applied had
// it. Other lists are compared element by element by index (objects as "Git's fields are a
// subset of live's", scalars exactly) and must have the same length.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/glob.hpp"
#include "engine/model/result.hpp"

namespace rehearse::diff {

inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// One `ignoreDifferences` entry (§10.3). group/kind are glob patterns (`*`); name and
// namespace, when set, must match exactly.
struct IgnoreRule {
  std::string group;
  std::string kind;
  std::string name;
  std::string ns;
  std::vector<std::string> json_pointers;
  std::vector<std::string> jq_path_expressions;
  std::vector<std::string> managed_fields_managers;

  bool matches(std::string_view group, std::string_view kind, std::string_view ns,
               std::string_view name) const;
};

struct DiffOptions {
  std::vector<IgnoreRule> ignore;
  // resource.compareoptions ignoreResourceStatusField: default "all" (status never diffs).
  bool ignore_status = true;
};

struct DiffResult {
  bool modified = false;
  // JSON pointers (into the normalized Git object, or into live for removed fields) of the
  // first differences found, in document order; at most kMaxPaths.
  std::vector<std::string> paths;
  // Problems with ignoreDifferences expressions (unsupported jq, bad pointer); the rule is
  // skipped, as upstream skips a failing normalizer.
  std::vector<std::string> warnings;
};
inline constexpr size_t kMaxPaths = 32;

// Compares the Git object `desired` with `live` (both full Kubernetes objects). group/kind
// select the known-type normalizations.
DiffResult compare(const nlohmann::json& desired, const nlohmann::json& live,
                   std::string_view group, std::string_view kind, const DiffOptions& options = {});

// The normalizations applied to both sides before comparing: metadata.creationTimestamp
// dropped, status dropped (when ignore_status), Secret stringData folded into base64 data,
// empty Role/ClusterRole rules treated as absent.
void normalize(nlohmann::json& obj, std::string_view group, std::string_view kind,
               bool ignore_status = true);

// Applies the matching ignore rules to `obj` (jsonPointers removed, jq paths deleted,
// fields owned by the listed managers in `live_for_managers`' managedFields removed).
// Returns warnings for rules that could not be applied.
std::vector<std::string> apply_ignore_rules(nlohmann::json& obj,
                                            const std::vector<IgnoreRule>& rules,
                                            std::string_view group, std::string_view kind,
                                            const nlohmann::json* live_for_managers);

// RespectIgnoreDifferences=true (§9): the fields the matching rules cover are copied from
// `live` into `target` (or removed from target when live lacks them).
void respect_ignore_differences(nlohmann::json& target, const nlohmann::json& live,
                                const std::vector<IgnoreRule>& rules, std::string_view group,
                                std::string_view kind);

// The documented jq subset (§10.3 jqPathExpressions): `.a.b`, `.a["k"]`, `.a[0]`, `.a[]`,
// `.a[]?`, pipes, and `select(<path> == <literal>)` / `!=`. Returns the JSON pointers of the
// existing locations the expression selects in `doc`, or an error for unsupported syntax.
Result<std::vector<std::string>> jq_locations(std::string_view expr, const nlohmann::json& doc);

// Shell-style glob with `*` and `?` (used for group/kind of ignore rules).
using model::glob_match;

}  // namespace rehearse::diff
