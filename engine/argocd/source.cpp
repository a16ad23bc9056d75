#include "engine/argocd/source.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/model/glob.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::argocd {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string normalize_dir(std::string p) {
  while (!p.empty() && p.back() == '/') p.pop_back();
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  if (p == ".") p.clear();
  return p;
}

}  // namespace

bool argo_glob_match(std::string_view pattern, std::string_view text) {
  // Expand the first {a,b} group, then match each alternative.
  auto open = pattern.find('{');
  if (open != std::string_view::npos) {
    auto close = pattern.find('}', open);
    if (close != std::string_view::npos) {
      std::string_view body = pattern.substr(open + 1, close - open - 1);
      size_t start = 0;
      while (true) {
        size_t comma = body.find(',', start);
        std::string alt = std::string(pattern.substr(0, open)) +
                          std::string(body.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)) +
                          std::string(pattern.substr(close + 1));
        if (argo_glob_match(alt, text)) return true;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      return false;
    }
  }
  return model::glob_match(pattern, text);
}

std::vector<const SourceFile*> select_directory_files(const ApplicationSource& source,
                                                      const std::vector<SourceFile>& files) {
  std::string root = normalize_dir(source.path);
  DirectorySource dir = source.directory.value_or(DirectorySource{});
  std::vector<const SourceFile*> out;
  for (const auto& f : files) {
    std::string_view p = f.path;
    if (!root.empty()) {
      if (p.size() <= root.size() || p.substr(0, root.size()) != root || p[root.size()] != '/') continue;
      p = p.substr(root.size() + 1);
    }
    if (!(ends_with(p, ".yaml") || ends_with(p, ".yml") || ends_with(p, ".json"))) continue;
    bool nested = p.find('/') != std::string_view::npos;
    if (nested && !dir.recurse) continue;
    // Hidden files and directories are skipped.
    bool hidden = p.front() == '.' || p.find("/.") != std::string_view::npos;
    if (hidden) continue;
    if (!dir.exclude.empty() && argo_glob_match(dir.exclude, p)) continue;
    if (!dir.include.empty() && !argo_glob_match(dir.include, p)) continue;
    out.push_back(&f);
  }
  std::sort(out.begin(), out.end(), [](const SourceFile* a, const SourceFile* b) { return a->path < b->path; });
  return out;
}

std::vector<model::Object> render_sources(const ApplicationSpec& spec,
                                          const std::vector<SourceFile>& files,
                                          const Renderers& renderers, model::Diagnostics& diags) {
  std::vector<model::Object> out;
  for (const auto& src : spec.sources) {
    SourceType type = src.type();
    std::string root = normalize_dir(src.path);
    if (type == SourceType::Directory && !src.directory) {
      for (const char* k : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
        std::string p = root.empty() ? k : root + "/" + k;
        for (const auto& f : files)
          if (f.path == p) type = SourceType::Kustomize;
      }
    }
    if (type == SourceType::Directory) {
      for (const SourceFile* f : select_directory_files(src, files)) {
        auto objs = model::load_manifests_text(f->text, f->path, diags);
        for (auto& o : objs) out.push_back(std::move(o));
      }
      continue;
    }
    const SourceRenderer* r = type == SourceType::Kustomize ? &renderers.kustomize
                              : type == SourceType::Helm    ? &renderers.helm
                                                            : nullptr;
    if (!r || !*r) {
      diags.error(model::SourcePos{src.path, 0, 0}, "unsupported-source",
                  fmt::format("source {} needs a {} renderer, which is not available here", src.path,
                              type == SourceType::Kustomize ? "kustomize"
                              : type == SourceType::Helm    ? "helm"
                                                            : "plugin"));
      continue;
    }
    auto objs = (*r)(src, files, diags);
    for (auto& o : objs) out.push_back(std::move(o));
  }
  return out;
}

}  // namespace rehearse::argocd
