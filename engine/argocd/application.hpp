#pragma once
// The Argo CD Application as a typed struct (argo-cd pkg/apis/application/v1alpha1/types.go),
// parsed from a manifest with diagnostics that point at the offending key.
//
// Defaults follow upstream: project "default", revisionHistoryLimit 10 (§12), automated
// prune/selfHeal/allowEmpty false, automated retry limit 5 when no retry block is given
// (§7.2), retry backoff 5s × 2 up to 3m (§8). Durations are integer milliseconds; the engine
// does not depend on the simulation kernel's time types.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/argocd/annotations.hpp"
#include "engine/diff/diff.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"

namespace rehearse::argocd {

struct DirectorySource {
  bool recurse = false;
  std::string include;  // glob, "" = everything; `{a,b}` alternatives allowed
  std::string exclude;  // glob, "" = nothing
};

enum class SourceType { Directory, Kustomize, Helm, Plugin };

struct ApplicationSource {
  std::string repo_url;
  std::string target_revision = "HEAD";
  std::string path;
  std::string chart;
  std::string ref;
  std::optional<DirectorySource> directory;
  model::JsonBox kustomize;  // null when absent; opaque options for engine/kustomize
  model::JsonBox helm;       // null when absent
  bool plugin = false;
  // Explicit type, else helm when `chart` or `helm` is set, kustomize when `kustomize` is
  // set, directory otherwise. (Upstream also auto-detects kustomization.yaml / Chart.yaml
  // in the path; the renderer seam does that, see source.hpp.)
  SourceType type() const;
};

struct Destination {
  std::string server;
  std::string name;
  std::string ns;
};

struct RetryBackoff {
  int64_t duration_ms = 5'000;
  int64_t factor = 2;
  int64_t max_duration_ms = 180'000;
};

struct RetryStrategy {
  int64_t limit = 0;  // < 0: unlimited
  RetryBackoff backoff;
  bool refresh = false;
  // §8 NextRetryAt: min(maxDuration, duration × factor^n) (cap only when maxDuration > 0).
  int64_t wait_ms(int64_t retry_count) const;
};

struct Automated {
  bool enabled = true;
  bool prune = false;
  bool self_heal = false;
  bool allow_empty = false;
};

struct SyncPolicy {
  std::optional<Automated> automated;
  std::vector<std::string> sync_options;
  std::optional<RetryStrategy> retry;
  model::JsonBox managed_namespace_metadata;  // null when absent

  SyncOptions options() const { return SyncOptions(sync_options); }
  // The retry an automated sync uses: spec.syncPolicy.retry, else {limit: 5} (§7.2).
  RetryStrategy automated_retry() const;
};

struct ApplicationSpec {
  std::string project = "default";
  std::vector<ApplicationSource> sources;  // `source` becomes sources[0]
  bool multi_source = false;               // written as `sources:`
  Destination destination;
  SyncPolicy sync_policy;
  std::vector<diff::IgnoreRule> ignore_differences;
  int64_t revision_history_limit = 10;
};

struct Application {
  std::string name;
  std::string ns;  // the Application's own namespace (usually argocd)
  ApplicationSpec spec;
  model::SourcePos origin;
};

// Parses an argoproj.io Application. Wrong types and unknown enum values are reported with
// the key's position; nullopt when the object is unusable.
std::optional<Application> parse_application(const model::Object& obj, model::Diagnostics& diags);

// Parses a Go duration ("5s", "3m", "1h30m", "250ms") or a bare integer number of seconds,
// as the retry backoff fields accept (§8). nullopt on bad input.
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace rehearse::argocd
