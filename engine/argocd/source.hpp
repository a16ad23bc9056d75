#pragma once
// Rendering an Application source into manifests, behind a seam: the engine never reads
// files, so the caller (CLI, sim/git) hands in the source tree as (path, text) pairs.
//
// Directory sources follow argo-cd reposerver/repository/repository.go findManifests:
// `.yaml`, `.yml` and `.json` files under `source.path`, in sorted path order; without
// `directory.recurse` only the top level; `exclude` and `include` are globs matched against
// the path relative to `source.path`, where `*` also matches `/` and `{a,b}` alternatives
// are allowed (argo-cd util/glob); exclude wins. Kustomize (and Helm) sources are rendered
// by a `SourceRenderer` plugged in by whoever owns that renderer.

#include <functional>
#include <string>
#include <vector>

#include "engine/argocd/application.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/object.hpp"

namespace rehearse::argocd {

struct SourceFile {
  std::string path;  // relative to the repository root, '/'-separated
  std::string text;
};

// Renders one source of a non-directory type (kustomize, helm, plugin). Returns the objects
// or reports diagnostics.
using SourceRenderer = std::function<std::vector<model::Object>(
    const ApplicationSource& source, const std::vector<SourceFile>& files, model::Diagnostics& diags)>;

struct Renderers {
  SourceRenderer kustomize;  // empty: kustomize sources are reported as unsupported
  SourceRenderer helm;
};

// argo-cd util/glob semantics (gobwas/glob without separators).
bool argo_glob_match(std::string_view pattern, std::string_view text);

// The files of a directory source, in the order they are read.
std::vector<const SourceFile*> select_directory_files(const ApplicationSource& source,
                                                      const std::vector<SourceFile>& files);

// Renders every source of the Application. Directory sources are parsed here; a source
// whose path holds a kustomization.yaml/.yml/Kustomization is treated as kustomize (as the
// repo server auto-detects it).
std::vector<model::Object> render_sources(const ApplicationSpec& spec,
                                          const std::vector<SourceFile>& files,
                                          const Renderers& renderers, model::Diagnostics& diags);

}  // namespace rehearse::argocd
