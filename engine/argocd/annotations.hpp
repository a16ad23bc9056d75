#pragma once
// Argo CD's per-object annotations and sync options: hook types (reference argocd.md §2.1),
// hook delete policies (§2.4), sync waves (§3.1), `argocd.argoproj.io/sync-options` (§9),
// compare options (§5) and resource tracking (§1).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/object.hpp"

namespace rehearse::argocd {

inline constexpr std::string_view kAnnotationHook = "argocd.argoproj.io/hook";
inline constexpr std::string_view kAnnotationHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy";
inline constexpr std::string_view kAnnotationSyncWave = "argocd.argoproj.io/sync-wave";
inline constexpr std::string_view kAnnotationSyncOptions = "argocd.argoproj.io/sync-options";
inline constexpr std::string_view kAnnotationCompareOptions = "argocd.argoproj.io/compare-options";
inline constexpr std::string_view kAnnotationTrackingId = "argocd.argoproj.io/tracking-id";
inline constexpr std::string_view kAnnotationIgnoreHealthCheck = "argocd.argoproj.io/ignore-healthcheck";
inline constexpr std::string_view kAnnotationDeletionApproved = "argocd.argoproj.io/deletion-approved";
inline constexpr std::string_view kLabelAppInstance = "app.kubernetes.io/instance";
inline constexpr std::string_view kHelmHook = "helm.sh/hook";
inline constexpr std::string_view kHelmHookWeight = "helm.sh/hook-weight";
inline constexpr std::string_view kHelmHookDeletePolicy = "helm.sh/hook-delete-policy";

enum class HookType { PreSync, Sync, PostSync, SyncFail, Skip, PreDelete, PostDelete };
std::string_view to_string(HookType t);

// The sync phases of the engine (§2, §3.3 phase rank PreSync -1 ... SyncFail 2).
enum class SyncPhase { PreSync, Sync, PostSync, SyncFail };
std::string_view to_string(SyncPhase p);
int phase_rank(SyncPhase p);

enum class DeletePolicy { BeforeHookCreation, HookSucceeded, HookFailed };
std::string_view to_string(DeletePolicy p);

// metadata.annotations[key] as a string, "" when absent.
std::string annotation(const nlohmann::json& body, std::string_view key);
bool has_annotation(const nlohmann::json& body, std::string_view key);
// A comma-separated annotation split, each item trimmed, empty items dropped.
std::vector<std::string> annotation_csv(const nlohmann::json& body, std::string_view key);

// Hook types of an object, duplicates dropped, in first-seen order: the Argo annotation's
// recognised words; only when none is recognised, the Helm hook mapping (§2.1).
std::vector<HookType> hook_types(const nlohmann::json& body);
// §2.1: `Skip` as the only recognised type → no task at all.
bool is_skip(const nlohmann::json& body);
// A hook: the Argo annotation present (and not Skip), or a Helm hook other than crd-install.
bool is_hook(const nlohmann::json& body);
// A hook with no usable phase: ignored entirely (e.g. `hook: Garbage`, Helm `test`).
bool is_ignored_hook(const nlohmann::json& body);

// is_hook / is_skip / is_ignored_hook and the ignore-healthcheck annotation in one metadata
// walk (the comparison asks all of them for every object; most objects have no hook
// annotation, so the hook parsing only runs when one is present).
struct ObjectFlags {
  bool hook = false;
  bool skip = false;
  bool ignored_hook = false;
  bool ignore_healthcheck = false;  // argocd.argoproj.io/ignore-healthcheck: "true"
};
ObjectFlags object_flags(const nlohmann::json& body);

// Delete policies (§2.4): Argo's plus Helm's mapped ones; BeforeHookCreation when none is
// valid.
std::vector<DeletePolicy> delete_policies(const nlohmann::json& body);

// Go strconv.Atoi: optional sign, decimal digits, no spaces, fits in int.
std::optional<int> parse_go_int(std::string_view s);
// §3.1: sync-wave, else helm.sh/hook-weight, else 0.
int wave_of(const nlohmann::json& body);

// `K=V` options from a list (app-level syncOptions) or an annotation CSV. A later entry for
// the same key wins.
class SyncOptions {
 public:
  SyncOptions() = default;
  explicit SyncOptions(const std::vector<std::string>& items);
  static SyncOptions from_annotation(const nlohmann::json& body);

  bool has(std::string_view key, std::string_view value) const;
  std::optional<std::string> get(std::string_view key) const;
  const std::vector<std::string>& items() const { return items_; }

 private:
  std::vector<std::string> items_;
};

}  // namespace rehearse::argocd
