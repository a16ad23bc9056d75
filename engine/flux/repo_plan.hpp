#pragma once
// `rehearse plan --repo DIR --from REV --to REV` for Flux: for every Kustomization
// (kustomize.toolkit.fluxcd.io) found in a config repository, what kustomize-controller would
// apply and prune when the source moves from one revision to the other.
//
// Contract (docs/plan.md):
//  1. Kustomizations are read from every manifest file at --to (and at --from for the live
//     side); every GitRepository source stands for this repository. Those using other source
//     kinds are reported in a warning and not planned.
//  2. Each is built as the controller builds it (generated kustomization, Flux overlay,
//     post-build substitution, owner labels; §3.4-§3.6) at both revisions with its spec at
//     that revision. The --from output stands for the inventory and the live objects.
//  3. A Kustomization is planned when its build output changed (objects added, removed, or a
//     body differing). Tasks come in the controller's order: apply stages (§3.6), then the
//     stale objects in delete order (reverse apply order, §3.7), with the never-prune rules.
//  4. Planned Kustomizations are ordered by dependsOn (dependencies first, §3.3), ties by
//     namespace/name; a dependsOn cycle is an input error.
//  5. `substitute` is applied. `substituteFrom` values live in the cluster and are unknown
//     here: a `${VAR}` nothing in the repository defines is left as written, with a warning.

#include <string>
#include <string_view>
#include <vector>

#include "engine/flux/flux.hpp"
#include "engine/kustomize/file_source.hpp"
#include "engine/model/diagnostic.hpp"

namespace rehearse::flux {

// One revision of the repository, checked out: `files` reads it, `root` is the checkout's
// directory in `files`, `manifests` its manifest files, repository-relative and sorted.
struct RepoRevision {
  const kustomize::FileSource* files = nullptr;
  std::string root;
  std::vector<std::string> manifests;
};

enum class PlanOperation { Create, Update, Prune };
std::string_view to_string(PlanOperation op);

struct PlannedObject {
  model::ObjectKey key;
  PlanOperation operation = PlanOperation::Create;
  int stage = 1;               // apply stage 1-3 (apply_stage + 1); for prunes, the object's
  bool modified = false;       // Update: the desired body differs from --from's
  std::string apply_skipped;   // Create/Update: why apply leaves it alone ("" = applied)
  std::string prune_skipped;   // Prune: why the object is kept ("" = deleted)
  std::string short_name() const;  // "Kind/name"
};

struct KustomizationRepoPlan {
  std::string ns, name;
  std::string file;                     // manifest defining it at --to
  std::string path;                     // spec.path, repository-relative ("" = root)
  std::vector<std::string> depends_on;  // "namespace/name"
  bool prune = false;
  bool created = false;                 // not in the repository at --from
  std::vector<PlannedObject> tasks;     // apply stages in order, then prunes
  int unchanged = 0;                    // updates with an identical body
  std::vector<std::string> warnings;
  std::vector<std::string> errors;      // the build at --to fails (BuildFailed upstream)
};

struct RepoPlan {
  std::vector<KustomizationRepoPlan> kustomizations;  // dependsOn order
  // Every Kustomization's warnings prefixed with "kustomization NS/NAME: ", then one per
  // Kustomization that disappears between the revisions.
  std::vector<std::string> warnings;
  bool has_errors() const;
};

// Human name of an apply stage (1-3).
std::string_view stage_name(int stage);

// REQUIRES: from.files and to.files are non-null.
// Input errors (an invalid or duplicate Kustomization, a dependsOn cycle) go to `diags`.
RepoPlan plan_flux_repo(const RepoRevision& from, const RepoRevision& to, model::Diagnostics& diags);

}  // namespace rehearse::flux
