// Source-controller artifact ignore rules (reference flux.md §2, §9.6).
#include <gtest/gtest.h>

#include "engine/flux/sourceignore.hpp"

namespace rehearse::flux {
namespace {

kustomize::MemoryFileSource repo_files() {
  kustomize::MemoryFileSource fs;
  fs.add("/r/.git/HEAD", "ref");
  fs.add("/r/.gitignore", "x");
  fs.add("/r/logo.png", "png");
  fs.add("/r/.github/workflows/ci.yml", "on: push");
  fs.add("/r/docs/readme.md", "docs");
  fs.add("/r/apps/app.yaml", "kind: ConfigMap");
  fs.add("/r/apps/.sops.yaml", "creation_rules: []");
  return fs;
}

TEST(SourceIgnore, GitignoreGlobsStopAtSlashesExceptDoubleStar) {
  EXPECT_TRUE(gitignore_glob("*.yaml", "a.yaml"));
  EXPECT_FALSE(gitignore_glob("*.yaml", "dir/a.yaml"));
  EXPECT_TRUE(gitignore_glob("**/a.yaml", "x/y/a.yaml"));
  EXPECT_TRUE(gitignore_glob("**/a.yaml", "a.yaml"));
  EXPECT_TRUE(gitignore_glob("docs/**", "docs/a/b"));
  EXPECT_TRUE(gitignore_glob("file[0-9].txt", "file7.txt"));
  EXPECT_FALSE(gitignore_glob("file[!0-9].txt", "file7.txt"));
}

TEST(SourceIgnore, WithoutUserPatternsTheExtraDefaultsApply) {
  auto fs = repo_files();
  IgnoreMatcher m = build_source_matcher(fs, "/r", std::nullopt);
  EXPECT_TRUE(m.ignored(".git", true));
  EXPECT_TRUE(m.ignored(".gitignore", false));
  EXPECT_TRUE(m.ignored("logo.png", false));
  EXPECT_TRUE(m.ignored(".github/workflows/ci.yml", false));
  EXPECT_TRUE(m.ignored("apps/.sops.yaml", false));
  EXPECT_FALSE(m.ignored("apps/app.yaml", false));
}

TEST(SourceIgnore, AnySpecIgnorePatternDropsTheExtraDefaultsButNotTheVcsOnes) {
  auto fs = repo_files();
  IgnoreMatcher m = build_source_matcher(fs, "/r", std::string("/docs/\n"));
  EXPECT_TRUE(m.ignored("docs/readme.md", false));
  EXPECT_FALSE(m.ignored("logo.png", false));
  EXPECT_FALSE(m.ignored(".github/workflows/ci.yml", false));
  EXPECT_TRUE(m.ignored(".git", true));
}

TEST(SourceIgnore, ASourceignoreFileAlsoDropsTheExtraDefaultsAndIsAnchoredToItsDirectory) {
  auto fs = repo_files();
  fs.add("/r/apps/.sourceignore", "/app.yaml\n");
  IgnoreMatcher m = build_source_matcher(fs, "/r", std::nullopt);
  EXPECT_TRUE(m.ignored("apps/app.yaml", false));
  EXPECT_FALSE(m.ignored("app.yaml", false));
  EXPECT_FALSE(m.ignored("logo.png", false));
}

TEST(SourceIgnore, LaterPatternsWinAndNegationReincludes) {
  IgnoreMatcher m;
  m.add_lines("# comment\n*.yaml\n!keep.yaml\n", "");
  EXPECT_TRUE(m.ignored("a/b.yaml", false));
  EXPECT_FALSE(m.ignored("a/keep.yaml", false));
  m.add_lines("keep.yaml\n", "");
  EXPECT_TRUE(m.ignored("a/keep.yaml", false));
}

TEST(SourceIgnore, FilesUnderAnIgnoredDirectoryStayIgnored) {
  IgnoreMatcher m;
  m.add_lines("experiments/\n!experiments/keep.yaml\n", "");
  EXPECT_TRUE(m.ignored("experiments/keep.yaml", false));
  EXPECT_FALSE(m.ignored("experiments", false));  // dir-only pattern
}

TEST(SourceIgnore, TheFilteredViewHidesIgnoredEntries) {
  auto fs = repo_files();
  FilteredFileSource view(fs, "/r", build_source_matcher(fs, "/r", std::string("/docs/\n")));
  auto names = view.list("/r");
  EXPECT_EQ(std::count(names.begin(), names.end(), "docs"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), ".git"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "apps"), 1);
  EXPECT_FALSE(view.is_file("/r/docs/readme.md"));
  EXPECT_TRUE(view.is_file("/r/apps/app.yaml"));
}

}  // namespace
}  // namespace rehearse::flux
