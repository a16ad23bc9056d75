#pragma once
// kustomize build, the subset both Argo CD (kustomize sources) and Flux (every
// Kustomization) render through. `kubectl kustomize` (kustomize v5.5) is the reference: for
// every supported feature the documents, their order and their values are the same, and
// model::to_yaml_stream() of the result is byte-identical to its output.
//
// Pipeline per kustomization (kustomize api/internal/target/kusttarget.go order):
//   1. resources (files; directories with their own kustomization, recursively), in order;
//      duplicate ids are an error ("may not add resource with an already registered id").
//   2. components (kind: Component), each applied to everything accumulated so far.
//   3. generators: configMapGenerator, secretGenerator (behavior create|merge|replace).
//   4. transformers: patchesStrategicMerge, patches, namespace, namePrefix, nameSuffix,
//      labels + commonLabels, commonAnnotations, patchesJson6902, replicas, images.
// At the top level only: content-hash suffixes on generated ConfigMaps/Secrets, then name
// references fixed everywhere kustomize fixes them (pod templates' ConfigMap/Secret/PVC/
// ServiceAccount refs, Ingress/StatefulSet service names, RBAC roleRef/subjects, HPA
// scaleTargetRef...), then the legacy kind order `kubectl kustomize` prints
// (sortOptions.order: fifo keeps input order).
//
// A directory without kustomization.yaml / .yml / Kustomization is rendered like Flux does
// (reference flux.md 3.4) when `generate_if_missing` is set: every *.yaml/*.yml below it is a
// resource, subdirectories with a kustomization are added as a unit and not descended.
//
// Errors are diagnostics with file:line:col (into the kustomization file when the problem is
// one of its entries) and stable codes: kustomize-missing-resource, kustomize-cycle,
// kustomize-duplicate-id, kustomize-remote-unsupported, kustomize-invalid,
// kustomize-unsupported-field, kustomize-patch-target, kustomize-patch-failed, ...

#include <string>
#include <vector>

#include "engine/kustomize/file_source.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"

namespace rehearse::kustomize {

struct BuildOptions {
  // Flux-style generated kustomization for a directory without a kustomization file (top
  // level only; nested resource directories always need one, as in kustomize).
  bool generate_if_missing = true;
  // Keep per-key source positions on the built objects (costs time on big trees).
  bool keep_positions = false;
  // kustomize's default LoadRestrictionsRootOnly: files a kustomization reads (resources,
  // patches, generator files) must be inside its directory; directories may be anywhere.
  bool load_restrictor_root_only = true;
  // Fields a Flux Kustomization overlays onto the top-level (found or generated)
  // kustomization, in kustomize's spelling (reference flux.md 3.4): `namespace` (from
  // targetNamespace), `namePrefix`, `nameSuffix` replace; `patches` and `components` are
  // appended; `images` merge into an entry with the same name (newName overrides when set;
  // newTag and digest override together when either is set) or are appended. Null = none.
  model::JsonBox flux_overlay;
};

// Builds the kustomization in `dir` read through `files`. On error returns an Error whose
// message is the first diagnostic; every problem is in `diags`.
Result<std::vector<model::Object>> build(const FileSource& files, const std::string& dir,
                                         model::Diagnostics& diags,
                                         const BuildOptions& options = {});

// Same, on the real file system.
Result<std::vector<model::Object>> build(const std::string& dir, model::Diagnostics& diags,
                                         const BuildOptions& options = {});

// True when `dir` holds kustomization.yaml, kustomization.yml or Kustomization.
bool has_kustomization(const FileSource& files, const std::string& dir);

// The content-hash suffix kustomize appends to a generated ConfigMap or Secret (api/hasher):
// sha256 over the JSON encoding of {data, binaryData?, kind, name[, type]} (name is encoded
// empty in kustomize v5.5: verified against kubectl) with Go's
// encoding/json escaping, first 10 hex digits with 0,1,3,a,e mapped to g,h,k,m,t.
std::string config_hash(const nlohmann::json& object);

// kustomize's legacy output order (api/resid/gvk.go): a fixed kind order first, webhook
// configurations last, ties by group_version_kind string, then namespace|name (~X for none).
void sort_legacy(std::vector<model::Object>& objects);

}  // namespace rehearse::kustomize
