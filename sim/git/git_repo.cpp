#include "sim/git/git_repo.hpp"

#include <git2.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <fmt/format.h>

namespace rehearse::sim {

namespace fs = std::filesystem;

namespace {

// libgit2 keeps a process-wide reference count; each repository holds one.
struct LibGit2 {
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
};

std::string last_error(const char* what) {
  const git_error* e = git_error_last();
  return fmt::format("{}: {}", what, e && e->message ? e->message : "unknown libgit2 error");
}

Unexpected<Error> git_fail(const char* what) { return fail("git", last_error(what)); }

template <class T, void (*Free)(T*)>
struct Handle {
  T* p = nullptr;
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};

using Commit = Handle<git_commit, git_commit_free>;
using Tree = Handle<git_tree, git_tree_free>;
using Index = Handle<git_index, git_index_free>;
using Sig = Handle<git_signature, git_signature_free>;
using Ref = Handle<git_reference, git_reference_free>;
using Obj = Handle<git_object, git_object_free>;
using Blob = Handle<git_blob, git_blob_free>;
using Diff = Handle<git_diff, git_diff_free>;
using Walk = Handle<git_revwalk, git_revwalk_free>;

std::string oid_str(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

}  // namespace

struct GitRepo::Impl {
  LibGit2 lib;
  git_repository* repo = nullptr;
  ~Impl() {
    if (repo) git_repository_free(repo);
  }

  Result<git_oid> resolve_oid(const std::string& ref) const {
    Obj obj;
    std::string candidates[] = {"refs/heads/" + ref, "refs/tags/" + ref, ref};
    for (const auto& c : candidates) {
      if (git_revparse_single(obj.out(), repo, c.c_str()) == 0) {
        Obj peeled;
        if (git_object_peel(peeled.out(), obj.get(), GIT_OBJECT_COMMIT) != 0)
          return git_fail("peel");
        return *git_object_id(peeled.get());
      }
    }
    return fail("git", fmt::format("unknown revision \"{}\"", ref));
  }

  Result<void> signature(Sig& sig, const GitAuthor& a, SimTime at) const {
    git_time_t t = static_cast<git_time_t>(kEpochUnixSeconds + to_ms(at) / 1000);
    if (git_signature_new(sig.out(), a.name.c_str(), a.email.c_str(), t, 0) != 0)
      return git_fail("signature");
    return {};
  }

  Result<std::string> make_commit(const std::string& update_ref, git_index* index,
                                  const std::vector<const git_commit*>& parents,
                                  const std::string& message, const GitAuthor& author, SimTime at) {
    git_oid tree_oid;
    if (git_index_write_tree_to(&tree_oid, index, repo) != 0) return git_fail("write tree");
    Tree tree;
    if (git_tree_lookup(tree.out(), repo, &tree_oid) != 0) return git_fail("tree lookup");
    Sig sig;
    if (auto r = signature(sig, author, at); !r) return unexpected(r.error());
    git_oid oid;
    std::vector<const git_commit*> ps = parents;
    if (git_commit_create(&oid, repo, update_ref.empty() ? nullptr : update_ref.c_str(),
                          sig.get(), sig.get(), "UTF-8", message.c_str(), tree.get(), ps.size(),
                          ps.data()) != 0)
      return git_fail("commit");
    return oid_str(&oid);
  }

  Result<void> set_branch(const std::string& branch, const git_oid& oid) {
    Ref ref;
    std::string name = "refs/heads/" + branch;
    if (git_reference_create(ref.out(), repo, name.c_str(), &oid, 1, nullptr) != 0)
      return git_fail("update branch");
    return {};
  }
};

GitRepo::GitRepo(std::unique_ptr<Impl> impl, std::string dir)
    : impl_(std::move(impl)), dir_(std::move(dir)) {}
GitRepo::~GitRepo() = default;

Result<std::unique_ptr<GitRepo>> GitRepo::from_directory(const std::string& fixture_dir,
                                                         const std::string& private_dir,
                                                         const std::string& branch, SimTime at,
                                                         const GitAuthor& author) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  fs::create_directories(private_dir, ec);
  std::string git_dir = (fs::path(private_dir) / "repo.git").string();
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
  std::string head = "refs/heads/" + branch;
  opts.initial_head = head.c_str();
  if (git_repository_init_ext(&impl->repo, git_dir.c_str(), &opts) != 0)
    return git_fail("init repository");
  std::unique_ptr<GitRepo> repo(new GitRepo(std::move(impl), private_dir));

  // Collect files sorted, skipping hidden entries at any depth.
  std::vector<FileChange> files;
  if (!fs::is_directory(fixture_dir, ec))
    return fail("git", fmt::format("fixture \"{}\" is not a directory", fixture_dir));
  std::vector<fs::path> paths;
  for (fs::recursive_directory_iterator it(fixture_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) paths.push_back(it->path());
  }
  if (ec) return fail("git", fmt::format("cannot read \"{}\": {}", fixture_dir, ec.message()));
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    files.push_back({FileChange::Op::Write, fs::relative(p, fixture_dir).generic_string(),
                     std::move(content)});
  }
  auto sha = repo->commit(branch, files, "Initial commit from fixture\n", author, at, true);
  if (!sha) return unexpected(sha.error());
  return repo;
}

Result<std::unique_ptr<GitRepo>> GitRepo::clone_local(const std::string& source_repo,
                                                      const std::string& private_dir) {
  auto impl = std::make_unique<Impl>();
  std::string git_dir = (fs::path(private_dir) / "repo.git").string();
  git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
  opts.bare = 1;
  opts.local = GIT_CLONE_LOCAL;
  if (git_clone(&impl->repo, source_repo.c_str(), git_dir.c_str(), &opts) != 0)
    return git_fail("clone");
  // Make every remote branch a local branch.
  git_branch_iterator* it = nullptr;
  if (git_branch_iterator_new(&it, impl->repo, GIT_BRANCH_REMOTE) == 0) {
    git_reference* ref = nullptr;
    git_branch_t type;
    while (git_branch_next(&ref, &type, it) == 0) {
      const char* name = nullptr;
      if (git_branch_name(&name, ref) == 0 && name) {
        std::string n = name;
        auto slash = n.find('/');
        std::string local = slash == std::string::npos ? n : n.substr(slash + 1);
        if (local != "HEAD") {
          const git_oid* target = git_reference_target(ref);
          if (target) {
            if (auto r = impl->set_branch(local, *target); !r) {
              git_reference_free(ref);
              git_branch_iterator_free(it);
              return unexpected(r.error());
            }
          }
        }
      }
      git_reference_free(ref);
    }
    git_branch_iterator_free(it);
  }
  return std::unique_ptr<GitRepo>(new GitRepo(std::move(impl), private_dir));
}

Result<std::string> GitRepo::commit(const std::string& branch,
                                    const std::vector<FileChange>& changes,
                                    const std::string& message, const GitAuthor& author,
                                    SimTime at, bool allow_empty) {
  git_repository* repo = impl_->repo;
  Index index;
  if (git_index_new(index.out()) != 0) return git_fail("index");
  Commit parent;
  Tree parent_tree;
  auto parent_oid = impl_->resolve_oid(branch);
  bool has_parent = parent_oid.ok();
  if (has_parent) {
    if (git_commit_lookup(parent.out(), repo, &*parent_oid) != 0) return git_fail("lookup");
    if (git_commit_tree(parent_tree.out(), parent.get()) != 0) return git_fail("tree");
    if (git_index_read_tree(index.get(), parent_tree.get()) != 0) return git_fail("read tree");
  }
  for (const auto& c : changes) {
    if (c.op == FileChange::Op::Write) {
      git_index_entry entry{};
      entry.mode = GIT_FILEMODE_BLOB;
      entry.path = c.path.c_str();
      if (git_blob_create_from_buffer(&entry.id, repo, c.content.data(), c.content.size()) != 0)
        return git_fail("write blob");
      if (git_index_add(index.get(), &entry) != 0) return git_fail("add file");
    } else {
      bool existed = git_index_get_bypath(index.get(), c.path.c_str(), 0) != nullptr;
      if (!existed) {
        // A directory: remove everything under it.
        std::string prefix = c.path;
        if (!prefix.empty() && prefix.back() != '/') prefix += '/';
        size_t before = git_index_entrycount(index.get());
        git_index_remove_directory(index.get(), c.path.c_str(), 0);
        if (git_index_entrycount(index.get()) == before)
          return fail("git", fmt::format("cannot delete \"{}\": no such file", c.path));
      } else if (git_index_remove_bypath(index.get(), c.path.c_str()) != 0) {
        return git_fail("remove file");
      }
    }
  }
  if (has_parent && !allow_empty) {
    git_oid tree_oid;
    if (git_index_write_tree_to(&tree_oid, index.get(), repo) != 0) return git_fail("write tree");
    if (git_oid_equal(&tree_oid, git_tree_id(parent_tree.get())))
      return fail("git-nothing-to-commit", "nothing to commit: the change leaves the tree as it was");
  }
  std::vector<const git_commit*> parents;
  if (has_parent) parents.push_back(parent.get());
  std::string msg = message;
  if (msg.empty() || msg.back() != '\n') msg += '\n';
  return impl_->make_commit("refs/heads/" + branch, index.get(), parents, msg, author, at);
}

Result<void> GitRepo::create_branch(const std::string& name, const std::string& from_ref) {
  auto oid = impl_->resolve_oid(from_ref);
  if (!oid) return unexpected(oid.error());
  Ref existing;
  std::string full = "refs/heads/" + name;
  if (git_reference_lookup(existing.out(), impl_->repo, full.c_str()) == 0)
    return fail("git", fmt::format("branch \"{}\" already exists", name));
  return impl_->set_branch(name, *oid);
}

Result<void> GitRepo::delete_branch(const std::string& name) {
  Ref ref;
  std::string full = "refs/heads/" + name;
  if (git_reference_lookup(ref.out(), impl_->repo, full.c_str()) != 0)
    return fail("git", fmt::format("no branch \"{}\"", name));
  if (git_reference_delete(ref.get()) != 0) return git_fail("delete branch");
  return {};
}

Result<std::string> GitRepo::merge(const std::string& from, const std::string& into,
                                   bool allow_ff, const GitAuthor& author, SimTime at) {
  auto ours = impl_->resolve_oid(into);
  if (!ours) return unexpected(ours.error());
  auto theirs = impl_->resolve_oid(from);
  if (!theirs) return unexpected(theirs.error());
  git_oid base;
  if (git_merge_base(&base, impl_->repo, &*ours, &*theirs) != 0) return git_fail("merge base");
  if (git_oid_equal(&base, &*theirs)) return oid_str(&*ours);  // already up to date
  if (allow_ff && git_oid_equal(&base, &*ours)) {
    if (auto r = impl_->set_branch(into, *theirs); !r) return unexpected(r.error());
    return oid_str(&*theirs);
  }
  Commit our_c, their_c;
  if (git_commit_lookup(our_c.out(), impl_->repo, &*ours) != 0 ||
      git_commit_lookup(their_c.out(), impl_->repo, &*theirs) != 0)
    return git_fail("lookup");
  Index index;
  git_merge_options mopts = GIT_MERGE_OPTIONS_INIT;
  if (git_merge_commits(index.out(), impl_->repo, our_c.get(), their_c.get(), &mopts) != 0)
    return git_fail("merge");
  if (git_index_has_conflicts(index.get()))
    return fail("git-conflict", fmt::format("merging \"{}\" into \"{}\" conflicts", from, into));
  return impl_->make_commit("refs/heads/" + into, index.get(), {our_c.get(), their_c.get()},
                            fmt::format("Merge branch '{}' into {}\n", from, into), author, at);
}

Result<std::string> GitRepo::revert(const std::string& commit_ref, const std::string& branch,
                                    const GitAuthor& author, SimTime at) {
  auto target = impl_->resolve_oid(commit_ref);
  if (!target) return unexpected(target.error());
  auto head = impl_->resolve_oid(branch);
  if (!head) return unexpected(head.error());
  Commit rc, hc;
  if (git_commit_lookup(rc.out(), impl_->repo, &*target) != 0 ||
      git_commit_lookup(hc.out(), impl_->repo, &*head) != 0)
    return git_fail("lookup");
  Index index;
  git_merge_options mopts = GIT_MERGE_OPTIONS_INIT;
  unsigned mainline = git_commit_parentcount(rc.get()) > 1 ? 1 : 0;
  if (git_revert_commit(index.out(), impl_->repo, rc.get(), hc.get(), mainline, &mopts) != 0)
    return git_fail("revert");
  if (git_index_has_conflicts(index.get()))
    return fail("git-conflict", fmt::format("reverting {} on \"{}\" conflicts", commit_ref, branch));
  std::string subject = git_commit_summary(rc.get()) ? git_commit_summary(rc.get()) : "";
  return impl_->make_commit(
      "refs/heads/" + branch, index.get(), {hc.get()},
      fmt::format("Revert \"{}\"\n\nThis reverts commit {}.\n", subject, oid_str(&*target)),
      author, at);
}

Result<void> GitRepo::tag(const std::string& name, const std::string& ref) {
  auto oid = impl_->resolve_oid(ref);
  if (!oid) return unexpected(oid.error());
  Obj obj;
  if (git_object_lookup(obj.out(), impl_->repo, &*oid, GIT_OBJECT_COMMIT) != 0)
    return git_fail("lookup");
  git_oid tag_oid;
  if (git_tag_create_lightweight(&tag_oid, impl_->repo, name.c_str(), obj.get(), 0) != 0)
    return git_fail("tag");
  return {};
}

Result<std::string> GitRepo::resolve(const std::string& ref) const {
  auto oid = impl_->resolve_oid(ref);
  if (!oid) return unexpected(oid.error());
  return oid_str(&*oid);
}

Result<std::string> GitRepo::read_file(const std::string& rev, const std::string& path) const {
  auto oid = impl_->resolve_oid(rev);
  if (!oid) return unexpected(oid.error());
  Commit c;
  Tree t;
  if (git_commit_lookup(c.out(), impl_->repo, &*oid) != 0 || git_commit_tree(t.out(), c.get()) != 0)
    return git_fail("lookup");
  git_tree_entry* entry = nullptr;
  if (git_tree_entry_bypath(&entry, t.get(), path.c_str()) != 0)
    return fail("git-no-file", fmt::format("no file \"{}\" at {}", path, rev));
  Blob blob;
  int rc = git_blob_lookup(blob.out(), impl_->repo, git_tree_entry_id(entry));
  git_tree_entry_free(entry);
  if (rc != 0) return fail("git-no-file", fmt::format("\"{}\" is not a file at {}", path, rev));
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<size_t>(git_blob_rawsize(blob.get())));
}

Result<bool> GitRepo::file_exists(const std::string& rev, const std::string& path) const {
  auto r = read_file(rev, path);
  if (r) return true;
  if (r.error().code == "git-no-file") return false;
  return unexpected(r.error());
}

Result<std::string> GitRepo::checkout(const std::string& rev) {
  auto oid = impl_->resolve_oid(rev);
  if (!oid) return unexpected(oid.error());
  std::string sha = oid_str(&*oid);
  if (auto it = checkouts_.find(sha); it != checkouts_.end()) return it->second;
  Commit c;
  Tree t;
  if (git_commit_lookup(c.out(), impl_->repo, &*oid) != 0 || git_commit_tree(t.out(), c.get()) != 0)
    return git_fail("lookup");
  fs::path root = fs::path(dir_) / "checkouts" / sha;
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root, ec);
  struct Ctx {
    git_repository* repo;
    fs::path root;
    bool ok = true;
  } ctx{impl_->repo, root};
  auto cb = [](const char* dir, const git_tree_entry* entry, void* payload) -> int {
    auto* ctx = static_cast<Ctx*>(payload);
    fs::path p = ctx->root / dir / git_tree_entry_name(entry);
    if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
      std::error_code e;
      fs::create_directories(p, e);
      return 0;
    }
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, ctx->repo, git_tree_entry_id(entry)) != 0) {
      ctx->ok = false;
      return -1;
    }
    std::error_code e;
    fs::create_directories(p.parent_path(), e);
    std::ofstream out(p, std::ios::binary);
    out.write(static_cast<const char*>(git_blob_rawcontent(blob)),
              static_cast<std::streamsize>(git_blob_rawsize(blob)));
    git_blob_free(blob);
    return out ? 0 : -1;
  };
  if (git_tree_walk(t.get(), GIT_TREEWALK_PRE, cb, &ctx) != 0 || !ctx.ok)
    return fail("git", fmt::format("cannot check out {}", sha));
  checkouts_[sha] = root.string();
  return root.string();
}

Result<std::vector<std::string>> GitRepo::changed_files(const std::string& from_rev,
                                                        const std::string& to_rev) const {
  auto a = impl_->resolve_oid(from_rev);
  if (!a) return unexpected(a.error());
  auto b = impl_->resolve_oid(to_rev);
  if (!b) return unexpected(b.error());
  Commit ca, cb;
  Tree ta, tb;
  if (git_commit_lookup(ca.out(), impl_->repo, &*a) != 0 ||
      git_commit_lookup(cb.out(), impl_->repo, &*b) != 0 ||
      git_commit_tree(ta.out(), ca.get()) != 0 || git_commit_tree(tb.out(), cb.get()) != 0)
    return git_fail("lookup");
  Diff diff;
  if (git_diff_tree_to_tree(diff.out(), impl_->repo, ta.get(), tb.get(), nullptr) != 0)
    return git_fail("diff");
  std::vector<std::string> out;
  for (size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    if (d->old_file.path) out.push_back(d->old_file.path);
    if (d->new_file.path) out.push_back(d->new_file.path);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<CommitInfo> GitRepo::commit_info(const std::string& rev) const {
  auto oid = impl_->resolve_oid(rev);
  if (!oid) return unexpected(oid.error());
  Commit c;
  if (git_commit_lookup(c.out(), impl_->repo, &*oid) != 0) return git_fail("lookup");
  CommitInfo info;
  info.sha = oid_str(&*oid);
  info.message = git_commit_message(c.get()) ? git_commit_message(c.get()) : "";
  info.time = SimTime{seconds(git_commit_time(c.get()) - kEpochUnixSeconds)};
  for (unsigned i = 0; i < git_commit_parentcount(c.get()); ++i)
    info.parents.push_back(oid_str(git_commit_parent_id(c.get(), i)));
  return info;
}

Result<std::vector<CommitInfo>> GitRepo::log(const std::string& rev, size_t limit) const {
  std::vector<CommitInfo> out;
  auto cur = commit_info(rev);
  if (!cur) return unexpected(cur.error());
  while (out.size() < limit) {
    out.push_back(*cur);
    if (cur->parents.empty()) break;
    auto next = commit_info(cur->parents.front());
    if (!next) return unexpected(next.error());
    cur = std::move(next);
  }
  return out;
}

std::vector<std::string> GitRepo::branches() const {
  std::vector<std::string> out;
  git_branch_iterator* it = nullptr;
  if (git_branch_iterator_new(&it, impl_->repo, GIT_BRANCH_LOCAL) != 0) return out;
  git_reference* ref = nullptr;
  git_branch_t type;
  while (git_branch_next(&ref, &type, it) == 0) {
    const char* name = nullptr;
    if (git_branch_name(&name, ref) == 0 && name) out.emplace_back(name);
    git_reference_free(ref);
  }
  git_branch_iterator_free(it);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> GitRepo::tags() const {
  std::vector<std::string> out;
  git_strarray names{};
  if (git_tag_list(&names, impl_->repo) == 0) {
    for (size_t i = 0; i < names.count; ++i) out.emplace_back(names.strings[i]);
    git_strarray_dispose(&names);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rehearse::sim
