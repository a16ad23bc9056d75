#pragma once
// Building a git repository inside a test: files are written under a scratch tree, which
// becomes the first commit of branch "main" of a private repository (sim::GitRepo). Also runs
// the `rehearse` binary for tests that take such a repository through the CLI.
//
// Header only: the tests that include it already link rehearse_git.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/git/git_repo.hpp"

namespace rehearse::test {

// A directory under the system temp dir, emptied when made and removed when destroyed.
// `name` must be unique among tests that may run at the same time.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) : path(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Writes `text` to `p`, creating its parent directories.
inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A fresh repository under `priv` whose first commit on "main" holds every file of `tree`
// (hidden entries skipped), committed at `at` by the default author. A failure is a test
// failure (with libgit2's message) and yields nullptr: callers ASSERT_TRUE the result.
inline std::unique_ptr<sim::GitRepo> commit_tree(const std::filesystem::path& tree,
                                                 const std::filesystem::path& priv,
                                                 sim::SimTime at = sim::kSimStart) {
  auto repo = sim::GitRepo::from_directory(tree.string(), priv.string(), "main", at, sim::GitAuthor{});
  if (!repo.ok()) {
    ADD_FAILURE() << repo.error().message;
    return nullptr;
  }
  return std::move(repo).value();
}

// The git directory of the repository commit_tree made under `priv`, for `--repo`.
inline std::string git_dir(const std::filesystem::path& priv) { return (priv / "repo.git").string(); }

// A fixture for tests of a change to a repository: SetUp writes files under `fixture.path`,
// then calls commit_two() for `first` (that tree) and `second` (`changes` on top of it, a
// minute later) on "main". A fatal failure in commit_two() skips the test body.
class TwoCommitRepo : public ::testing::Test {
 protected:
  // `name` prefixes the two temp dirs (name-fixture, name-priv).
  explicit TwoCommitRepo(const std::string& name) : fixture{name + "-fixture"}, priv{name + "-priv"} {}

  void commit_two(const std::vector<sim::FileChange>& changes, const std::string& message) {
    repo = commit_tree(fixture.path, priv.path);
    ASSERT_TRUE(repo);
    first = repo->resolve("main").value();
    auto c = repo->commit("main", changes, message, sim::GitAuthor{}, sim::kSimStart + sim::ms(60'000));
    ASSERT_TRUE(c.ok()) << c.error().message;
    second = *c;
  }
  std::string git_dir() const { return test::git_dir(priv.path); }

  TempDir fixture, priv;
  std::unique_ptr<sim::GitRepo> repo;
  std::string first, second;
};

struct CliRun {
  int code = 0;
  std::string out;  // stdout and stderr, interleaved
};

// Runs `binary args` through the shell (args are shell words) and captures its output.
inline CliRun run_cli(const std::string& binary, const std::string& args) {
  std::string cmd = binary + " " + args + " 2>&1";
  CliRun r;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return {-1, ""};
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.out.append(buf.data(), n);
  int st = pclose(f);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace rehearse::test
