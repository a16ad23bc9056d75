#pragma once
// Artifact ignore rules of the source-controller (reference flux.md §2; PKG sourceignore):
// gitignore semantics over '/'-separated paths relative to the repository root.
//
//  1. Always excluded: .git/, .gitignore, .gitmodules, .gitattributes.
//  2. The default extra exclusions (images, archives, CI files, **/.sops.yaml ...) apply only
//     when there are no user patterns at all; any `.sourceignore` line or `spec.ignore`
//     drops them (§9.6).
//  3. User patterns: every `.sourceignore` (anchored to its directory, walked in sorted
//     order) followed by spec.ignore; later patterns win, `!` re-includes.
//  4. A path is ignored when it or any of its parent directories is ignored.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/kustomize/file_source.hpp"

namespace rehearse::flux {

class IgnoreMatcher {
 public:
  // `lines` are gitignore lines relative to `base` ("" = repository root).
  void add_lines(std::string_view lines, const std::string& base);
  void add_vcs_defaults();
  void add_extra_defaults();
  bool empty() const { return patterns_.empty(); }
  // `path` relative to the repository root, no leading '/'.
  bool ignored(std::string_view path, bool is_dir) const;

 private:
  struct Pattern {
    std::string base;   // directory the pattern is anchored to ("" = root)
    std::string glob;   // without leading '/', trailing '/', '!'
    bool negate = false;
    bool dir_only = false;
    bool anchored = false;  // contains a '/' other than a trailing one
  };
  bool match_one(const Pattern& p, std::string_view path, bool is_dir) const;
  std::vector<Pattern> patterns_;
};

// gitignore glob: '*' and '?' stop at '/', '**' crosses directories, [...] classes.
bool gitignore_glob(std::string_view pattern, std::string_view text);

// The matcher the source-controller builds for a checkout: VCS defaults, then every
// .sourceignore under `root` and `spec_ignore`; extra defaults only when both are absent.
IgnoreMatcher build_source_matcher(const kustomize::FileSource& files, const std::string& root,
                                   const std::optional<std::string>& spec_ignore);

// A FileSource view of `root` that hides ignored entries (what the artifact tarball holds).
class FilteredFileSource : public kustomize::FileSource {
 public:
  FilteredFileSource(const kustomize::FileSource& base, std::string root, IgnoreMatcher matcher)
      : base_(base), root_(std::move(root)), matcher_(std::move(matcher)) {}
  bool is_dir(const std::string& path) const override;
  bool is_file(const std::string& path) const override;
  bool read(const std::string& path, std::string& out) const override;
  std::vector<std::string> list(const std::string& dir) const override;

 private:
  // Repository-relative path of `path` (under root_), or nullopt when outside it.
  std::optional<std::string> relative(const std::string& path) const;
  const kustomize::FileSource& base_;
  std::string root_;
  IgnoreMatcher matcher_;
};

}  // namespace rehearse::flux
