#pragma once
// The simulation's git layer: a private repository (libgit2, bare) that scenarios commit,
// branch, merge, revert and tag into, and that controllers read through checkouts.
//
// Invariants:
//  1. The user's repository is never written: fixtures are committed into a fresh private
//     repository; an existing repository is cloned locally into a private directory.
//  2. Commits carry signatures at simulated time (epoch + SimTime, offset +00:00) and a fixed
//     author unless the scenario names one, so SHAs are stable run to run and machine to
//     machine.
//  3. Checkouts are written once per commit under the private directory and never change.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/result.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

struct GitAuthor {
  std::string name = "rehearse";
  std::string email = "rehearse@example.invalid";
};

struct FileChange {
  enum class Op { Write, Delete };
  Op op = Op::Write;
  std::string path;     // repository-relative, '/'-separated
  std::string content;  // for Write
};

struct CommitInfo {
  std::string sha;
  std::string message;
  SimTime time{};
  std::vector<std::string> parents;
};

class GitRepo {
 public:
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // A fresh repository under `private_dir` whose first commit on `branch` holds every file
  // of `fixture_dir` (hidden entries like .git skipped), committed at `at`.
  static Result<std::unique_ptr<GitRepo>> from_directory(const std::string& fixture_dir,
                                                         const std::string& private_dir,
                                                         const std::string& branch, SimTime at,
                                                         const GitAuthor& author);
  // A local clone of an existing repository into `private_dir`; branches of the origin
  // become local branches. `ref` must resolve in it.
  static Result<std::unique_ptr<GitRepo>> clone_local(const std::string& source_repo,
                                                      const std::string& private_dir);

  // Commits `changes` on top of `branch` (created from `start` when it does not exist and
  // `start` is given). Returns the new commit's SHA. A commit with no effective change is
  // still made only when `allow_empty`.
  Result<std::string> commit(const std::string& branch, const std::vector<FileChange>& changes,
                             const std::string& message, const GitAuthor& author, SimTime at,
                             bool allow_empty = false);
  Result<void> create_branch(const std::string& name, const std::string& from_ref);
  Result<void> delete_branch(const std::string& name);
  // Merges `from` into `into` like merging a pull request: fast-forward when possible and
  // allowed, else a merge commit "Merge branch 'from' into into". Conflicts are errors.
  Result<std::string> merge(const std::string& from, const std::string& into, bool allow_ff,
                            const GitAuthor& author, SimTime at);
  // `git revert <commit>` on `branch`: message "Revert \"<subject>\"\n\nThis reverts commit
  // <sha>.\n". Conflicts are errors.
  Result<std::string> revert(const std::string& commit_ref, const std::string& branch,
                             const GitAuthor& author, SimTime at);
  Result<void> tag(const std::string& name, const std::string& ref);

  // Full SHA of a branch, tag, full or abbreviated SHA, "HEAD~N"-style revision.
  Result<std::string> resolve(const std::string& ref) const;
  Result<std::string> read_file(const std::string& rev, const std::string& path) const;
  Result<bool> file_exists(const std::string& rev, const std::string& path) const;
  // Directory holding the tree of `rev` (written on first use).
  Result<std::string> checkout(const std::string& rev);
  // Paths that differ between two revisions, sorted.
  Result<std::vector<std::string>> changed_files(const std::string& from_rev,
                                                 const std::string& to_rev) const;
  Result<CommitInfo> commit_info(const std::string& rev) const;
  // Commits reachable from `rev`, newest first (first-parent order), at most `limit`.
  Result<std::vector<CommitInfo>> log(const std::string& rev, size_t limit = 1000) const;
  std::vector<std::string> branches() const;
  std::vector<std::string> tags() const;
  const std::string& private_dir() const { return dir_; }

 private:
  struct Impl;
  explicit GitRepo(std::unique_ptr<Impl> impl, std::string dir);
  std::unique_ptr<Impl> impl_;
  std::string dir_;
  std::map<std::string, std::string> checkouts_;  // sha -> directory
};

}  // namespace rehearse::sim
