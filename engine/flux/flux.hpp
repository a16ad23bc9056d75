#pragma once
// Flux's object model and the pure rules of its controllers (reference flux.md §1-3, 6):
// typed specs for GitRepository, Kustomization and HelmRelease read from object bodies,
// Git ref precedence and artifact revision strings, interval / timeout arithmetic, the
// staged server-side-apply order, inventory ids, prune eligibility, kstatus, and the
// dependsOn order across Kustomizations.
//
// Everything here is a function of its arguments: "now" and random draws are passed in.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::flux {

using sim::SimDuration;
using sim::SimTime;

inline constexpr const char* kNameLabel = "kustomize.toolkit.fluxcd.io/name";
inline constexpr const char* kNamespaceLabel = "kustomize.toolkit.fluxcd.io/namespace";
inline constexpr const char* kPruneKey = "kustomize.toolkit.fluxcd.io/prune";
inline constexpr const char* kReconcileKey = "kustomize.toolkit.fluxcd.io/reconcile";
inline constexpr const char* kSsaKey = "kustomize.toolkit.fluxcd.io/ssa";
inline constexpr const char* kRequestedAtAnnotation = "reconcile.fluxcd.io/requestedAt";
inline constexpr const char* kFinalizer = "finalizers.fluxcd.io";
inline constexpr const char* kHelmNameLabel = "helm.toolkit.fluxcd.io/name";
inline constexpr const char* kHelmNamespaceLabel = "helm.toolkit.fluxcd.io/namespace";

// --requeue-dependency default (KC/HC main.go): blocked objects poll every 30 s.
inline constexpr SimDuration kDependencyRequeue = sim::seconds(30);
// kstatus poller interval of the health checks (§3.8).
inline constexpr SimDuration kHealthPollInterval = sim::seconds(5);
// --interval-jitter-percentage default (§1).
inline constexpr int kJitterPercent = 5;

struct NamespacedRef {
  std::string kind;  // empty when the field has no kind
  std::string name;
  std::string ns;    // defaulted to the referring object's namespace
};

// ---------------------------------------------------------------------------------------
// GitRepository (§2)

struct GitRef {
  std::string branch, tag, semver, commit, name;
};

struct GitRepositorySpec {
  std::string url;
  SimDuration interval{};
  SimDuration timeout = sim::seconds(60);
  GitRef ref;
  std::optional<std::string> ignore;  // spec.ignore (gitignore lines)
  bool suspend = false;
};

Result<GitRepositorySpec> parse_git_repository(const nlohmann::json& body);

// What the source-controller checks out, after precedence (§2: commit > name > tag > semver >
// branch, `master` when nothing is set). `branch` is kept alongside a commit (shallow clone
// of that branch, then checkout of the commit).
struct RefChoice {
  enum class Kind { Commit, Name, Tag, Semver, Branch };
  Kind kind = Kind::Branch;
  std::string value;   // commit SHA, full ref name, tag, semver range or branch
  std::string branch;  // with Kind::Commit: the branch given next to it, if any
};
RefChoice choose_ref(const GitRef& ref);

// `<short ref>@sha1:<hash>` (§2): `full_ref` "refs/heads/main" -> "main@sha1:..."; an empty
// full ref gives "sha1:<hash>"; `keep_full_ref` (spec.ref.name) keeps it whole.
std::string artifact_revision(std::string_view full_ref, std::string_view sha,
                              bool keep_full_ref = false);
// The SHA part of a revision string ("main@sha1:abc" -> "abc").
std::string revision_sha(std::string_view revision);

struct TagCandidate {
  std::string tag;
  SimTime commit_time{};  // committer time of the tagged commit (tie-break, newest wins)
};
// Highest tag satisfying the Masterminds range among tags passing Flux ParseVersion (§2).
Result<std::string> select_semver_tag(const std::vector<TagCandidate>& tags, std::string_view range);

// ---------------------------------------------------------------------------------------
// Kustomization (§3)

struct HealthCheckRef {
  std::string group, kind, name, ns;
};

struct SubstituteFrom {
  std::string kind;  // ConfigMap | Secret
  std::string name;
  bool optional = false;
};

struct KustomizationSpec {
  SimDuration interval{};
  std::optional<SimDuration> retry_interval;
  std::optional<SimDuration> timeout;
  NamespacedRef source;
  std::string path;  // as written ("./clusters/prod"); "" = artifact root
  bool prune = false;
  bool wait = false;
  bool force = false;
  bool suspend = false;
  std::vector<HealthCheckRef> health_checks;
  std::vector<NamespacedRef> depends_on;
  std::string target_namespace;
  // patches / images / components / namePrefix / nameSuffix in kustomize's spelling, for
  // kustomize::BuildOptions::flux_overlay (null when none).
  model::JsonBox overlay;
  bool post_build = false;
  std::map<std::string, std::string, std::less<>> substitute;
  std::vector<SubstituteFrom> substitute_from;
};

Result<KustomizationSpec> parse_kustomization(const nlohmann::json& body);

// retryInterval defaults to interval (§3.1).
SimDuration retry_interval(const KustomizationSpec& spec);
// timeout defaults to interval - 30 s; anything below 30 s is raised to 30 s (§3.1, §9.7).
SimDuration effective_timeout(const KustomizationSpec& spec);
// interval ± percent% (PKG runtime/jitter): `unit` is a uniform draw in [0, 1) mapped
// linearly onto [-percent%, +percent%). Our own distribution; percent 0 = no jitter.
SimDuration jittered(SimDuration interval, double unit, int percent = kJitterPercent);

// ---------------------------------------------------------------------------------------
// Staged apply, inventory and prune (§3.6, §3.7)

// 0: CRDs, Namespaces, ClusterRoles; 1: kinds ending in "Class"; 2: everything else.
int apply_stage(std::string_view group, std::string_view kind);
// Kind rank within a stage, then group, kind, namespace, name (PKG ssa/sort.go).
bool apply_less(const model::ObjectKey& a, const model::ObjectKey& b);
// Objects grouped by stage, each stage sorted by apply_less; empty stages omitted.
std::vector<std::vector<model::ObjectKey>> apply_stages(std::vector<model::ObjectKey> keys);

// "<namespace>_<name>_<group>_<kind>" with ':' in names stored as "__" (§3.7).
std::string inventory_id(const model::ObjectKey& key);
// Inverse of inventory_id (names containing "__" map back to ':').
std::optional<model::ObjectKey> parse_inventory_id(std::string_view id);

// Label or annotation `key` equals `value`, case-insensitively (§3.6).
bool has_flag(const nlohmann::json& body, std::string_view key, std::string_view value);
// Apply skips objects with reconcile: disabled or ssa: Ignore (desired or in-cluster).
bool apply_disabled(const nlohmann::json& body);
// Why a stale object must not be deleted, or "" when it may be (§3.7): missing owner labels
// of this Kustomization, prune: disabled, reconcile: disabled, ssa: Ignore.
std::string prune_blocker(const nlohmann::json& live, std::string_view ks_name,
                          std::string_view ks_namespace);

// The owner labels kustomize-controller puts on everything it applies (§3.6), and the
// namespace a namespaced object of a known kind without one is applied to ("default").
void mark_owned(model::Object& obj, std::string_view ks_namespace, std::string_view ks_name);

// What `flux diff`/`rehearse plan` shows for one Kustomization: the staged apply order of the
// new object set and, with prune, the stale objects of the old set in delete order (reverse
// apply order). `old_objects` stands for the inventory (their bodies give the prune flags).
struct KustomizationPlan {
  std::vector<std::vector<model::ObjectKey>> stages;
  std::vector<model::ObjectKey> prune;
  std::vector<model::ObjectKey> prune_skipped;  // stale but protected by prune: disabled etc.
};
KustomizationPlan plan_kustomization(const std::vector<model::Object>& old_objects,
                                     const std::vector<model::Object>& new_objects,
                                     const KustomizationSpec& spec);

// dependsOn order across Kustomizations (or HelmReleases): dependencies first, ties by
// (namespace, name). A cycle is an input error naming its members (Boost.Graph).
struct DependencyNode {
  std::string ns, name;
  std::vector<NamespacedRef> depends_on;
};
Result<std::vector<std::string>> dependency_order(const std::vector<DependencyNode>& nodes);

// ---------------------------------------------------------------------------------------
// kstatus (§3.8)

enum class KStatus { InProgress, Failed, Current, Terminating, NotFound, Unknown };
std::string_view to_string(KStatus s);
// Status of a live object; `body` null = NotFound.
KStatus compute_kstatus(const nlohmann::json* body, std::string_view group, std::string_view kind);

// ---------------------------------------------------------------------------------------
// Conditions (kstatus-compatible, §1)

// Sets condition `type` in `status.conditions` (lastTransitionTime moves only when the status
// changes), keeping the list ordered Ready, Reconciling, Stalled, Healthy, others.
void set_condition(nlohmann::json& status, std::string_view type, std::string_view status_value,
                   std::string_view reason, std::string_view message, SimTime now,
                   std::int64_t observed_generation);
void remove_condition(nlohmann::json& status, std::string_view type);
// The condition of that type, or nullptr.
const nlohmann::json* find_condition(const nlohmann::json& body, std::string_view type);
// The condition of that type in a status object (not a whole body), or nullptr.
const nlohmann::json* find_status_condition(const nlohmann::json& status, std::string_view type);
// Ready=True at the current generation (§3.3 built-in dependency check).
bool ready_at_generation(const nlohmann::json& body);

}  // namespace rehearse::flux
