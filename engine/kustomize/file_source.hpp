#pragma once
// FileSource: the one seam between kustomize builds and the files they read (the leveldb
// `Env` pattern, STYLE.md). Builds never touch the disk directly: the CLI and the simulator
// pass a DiskFileSource rooted at a checked-out tree, tests pass a MemoryFileSource.
//
// Paths are '/'-separated; DiskFileSource accepts absolute or relative paths as given.
// list() returns entry names (not paths) sorted byte-wise, hidden entries included.

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rehearse::kustomize {

class FileSource {
 public:
  virtual ~FileSource() = default;
  virtual bool is_dir(const std::string& path) const = 0;
  virtual bool is_file(const std::string& path) const = 0;
  // False when the file cannot be read.
  virtual bool read(const std::string& path, std::string& out) const = 0;
  // Sorted entry names of a directory; empty when it is not one.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
};

// Reads the real file system.
std::unique_ptr<FileSource> make_disk_file_source();

// An in-memory tree for tests: add("dir/kustomization.yaml", "...") creates parent dirs.
class MemoryFileSource : public FileSource {
 public:
  void add(const std::string& path, std::string content);
  bool is_dir(const std::string& path) const override;
  bool is_file(const std::string& path) const override;
  bool read(const std::string& path, std::string& out) const override;
  std::vector<std::string> list(const std::string& dir) const override;

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, bool> dirs_;
};

// Lexical path helpers ('/' separated): join("a/b", "../c") == "a/c".
std::string path_join(const std::string& dir, const std::string& rel);
std::string path_clean(const std::string& path);
std::string path_dir(const std::string& path);
std::string path_base(const std::string& path);

}  // namespace rehearse::kustomize
