#include "sim/git/git_repo.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/git_fixture.hpp"

using namespace rehearse::sim;
namespace fs = std::filesystem;

namespace {
using rehearse::test::TempDir;
using rehearse::test::write_file;

std::unique_ptr<GitRepo> make_repo(const TempDir& fixture, const TempDir& priv) {
  write_file(fixture.path / "apps" / "a.yaml", "a: 1\n");
  write_file(fixture.path / "apps" / "b.yaml", "b: 1\n");
  write_file(fixture.path / ".hidden" / "x.yaml", "x: 1\n");
  return rehearse::test::commit_tree(fixture.path, priv.path, SimTime{});
}
}  // namespace

TEST(GitRepo, FixtureCommitHasAStableShaAndSkipsHiddenFiles) {
  TempDir f1("rehearse-git-f1"), p1("rehearse-git-p1"), p2("rehearse-git-p2");
  auto r1 = make_repo(f1, p1);
  auto r2 = make_repo(f1, p2);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->resolve("main").value(), r2->resolve("main").value());
  EXPECT_EQ(r1->read_file("main", "apps/a.yaml").value(), "a: 1\n");
  EXPECT_FALSE(r1->file_exists("main", ".hidden/x.yaml").value());
  auto info = r1->commit_info("main").value();
  EXPECT_EQ(info.time, SimTime{});
  EXPECT_TRUE(info.parents.empty());
}

TEST(GitRepo, CommitBranchMergeAndRevertLikeAPullRequest) {
  TempDir f("rehearse-git-f2"), p("rehearse-git-p3");
  auto repo = make_repo(f, p);
  ASSERT_TRUE(repo);
  std::string base = repo->resolve("main").value();
  ASSERT_TRUE(repo->create_branch("staging", "main").ok());
  auto c1 = repo->commit("staging", {{FileChange::Op::Write, "apps/a.yaml", "a: 2\n"}},
                         "bump a", GitAuthor{}, SimTime{minutes(1)});
  ASSERT_TRUE(c1.ok()) << c1.error().message;
  EXPECT_EQ(repo->resolve("main").value(), base);  // main unchanged until the merge
  // main moves too, so the merge cannot fast-forward.
  auto c2 = repo->commit("main", {{FileChange::Op::Delete, "apps/b.yaml", ""}}, "rm b",
                         GitAuthor{}, SimTime{minutes(2)});
  ASSERT_TRUE(c2.ok());
  auto m = repo->merge("staging", "main", true, GitAuthor{}, SimTime{minutes(3)});
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto info = repo->commit_info("main").value();
  EXPECT_EQ(info.parents.size(), 2u);
  EXPECT_EQ(info.message, "Merge branch 'staging' into main\n");
  EXPECT_EQ(repo->read_file("main", "apps/a.yaml").value(), "a: 2\n");
  EXPECT_FALSE(repo->file_exists("main", "apps/b.yaml").value());
  auto changed = repo->changed_files(base, "main").value();
  EXPECT_EQ(changed, (std::vector<std::string>{"apps/a.yaml", "apps/b.yaml"}));

  auto rv = repo->revert(c2.value(), "main", GitAuthor{}, SimTime{minutes(4)});
  ASSERT_TRUE(rv.ok()) << rv.error().message;
  EXPECT_EQ(repo->read_file("main", "apps/b.yaml").value(), "b: 1\n");
  EXPECT_EQ(repo->commit_info("main")->message,
            "Revert \"rm b\"\n\nThis reverts commit " + c2.value() + ".\n");
}

TEST(GitRepo, FastForwardMergeMovesTheBranch) {
  TempDir f("rehearse-git-f3"), p("rehearse-git-p4");
  auto repo = make_repo(f, p);
  ASSERT_TRUE(repo);
  ASSERT_TRUE(repo->create_branch("feature", "main").ok());
  auto c = repo->commit("feature", {{FileChange::Op::Write, "new.yaml", "n: 1\n"}}, "add",
                        GitAuthor{}, SimTime{seconds(5)});
  ASSERT_TRUE(c.ok());
  auto m = repo->merge("feature", "main", true, GitAuthor{}, SimTime{seconds(6)});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.value(), c.value());
  EXPECT_EQ(repo->resolve("main").value(), c.value());
}

TEST(GitRepo, EmptyCommitsAreRefusedAndUnknownRefsAreErrors) {
  TempDir f("rehearse-git-f4"), p("rehearse-git-p5");
  auto repo = make_repo(f, p);
  ASSERT_TRUE(repo);
  auto c = repo->commit("main", {{FileChange::Op::Write, "apps/a.yaml", "a: 1\n"}}, "noop",
                        GitAuthor{}, SimTime{seconds(1)});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "git-nothing-to-commit");
  EXPECT_FALSE(repo->resolve("nope").ok());
  EXPECT_FALSE(repo->commit("main", {{FileChange::Op::Delete, "missing.yaml", ""}}, "rm",
                            GitAuthor{}, SimTime{seconds(1)})
                   .ok());
}

TEST(GitRepo, CheckoutWritesTheTreeOnce) {
  TempDir f("rehearse-git-f5"), p("rehearse-git-p6");
  auto repo = make_repo(f, p);
  ASSERT_TRUE(repo);
  ASSERT_TRUE(repo->tag("v1", "main").ok());
  auto dir = repo->checkout("v1");
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  std::ifstream in(fs::path(*dir) / "apps" / "b.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "b: 1\n");
  EXPECT_EQ(repo->checkout("main").value(), *dir);
  EXPECT_EQ(repo->tags(), (std::vector<std::string>{"v1"}));
}
