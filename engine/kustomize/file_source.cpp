#include "engine/kustomize/file_source.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace rehearse::kustomize {

namespace fs = std::filesystem;

namespace {

// The disk implementation is the seam STYLE.md allows: the only place engine/kustomize reads
// files.
class DiskFileSource : public FileSource {
 public:
  bool is_dir(const std::string& path) const override {
    std::error_code ec;
    return fs::is_directory(path, ec);
  }
  bool is_file(const std::string& path) const override {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
  }
  bool read(const std::string& path, std::string& out) const override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    if (size < 0) return false;
    in.seekg(0, std::ios::beg);
    out.resize(static_cast<size_t>(size));
    in.read(out.data(), size);
    return static_cast<bool>(in) || size == 0;
  }
  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      out.push_back(it->path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::vector<std::string> split(const std::string& p) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    parts.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

std::unique_ptr<FileSource> make_disk_file_source() { return std::make_unique<DiskFileSource>(); }

std::string path_clean(const std::string& path) {
  if (path.empty()) return ".";
  bool abs = path[0] == '/';
  std::vector<std::string> out;
  for (const auto& part : split(path)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..")
        out.pop_back();
      else if (!abs)
        out.push_back("..");
      continue;
    }
    out.push_back(part);
  }
  std::string r = abs ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) r += '/';
    r += out[i];
  }
  if (r.empty()) r = ".";
  return r;
}

std::string path_join(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return path_clean(rel);
  if (dir.empty() || dir == ".") return path_clean(rel);
  return path_clean(dir + "/" + rel);
}

std::string path_dir(const std::string& path) {
  auto c = path_clean(path);
  auto pos = c.rfind('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return c.substr(0, pos);
}

std::string path_base(const std::string& path) {
  auto c = path_clean(path);
  auto pos = c.rfind('/');
  return pos == std::string::npos ? c : c.substr(pos + 1);
}

void MemoryFileSource::add(const std::string& path, std::string content) {
  std::string p = path_clean(path);
  files_[p] = std::move(content);
  std::string d = path_dir(p);
  while (true) {
    dirs_[d] = true;
    if (d == "." || d == "/") break;
    d = path_dir(d);
  }
}

bool MemoryFileSource::is_dir(const std::string& path) const {
  return dirs_.count(path_clean(path)) > 0;
}
bool MemoryFileSource::is_file(const std::string& path) const {
  return files_.count(path_clean(path)) > 0;
}
bool MemoryFileSource::read(const std::string& path, std::string& out) const {
  auto it = files_.find(path_clean(path));
  if (it == files_.end()) return false;
  out = it->second;
  return true;
}
std::vector<std::string> MemoryFileSource::list(const std::string& dir) const {
  std::string d = path_clean(dir);
  std::vector<std::string> out;
  auto child = [&](const std::string& p) -> std::string {
    if (path_dir(p) == d && p != d) return path_base(p);
    return {};
  };
  for (const auto& [p, _] : files_)
    if (auto c = child(p); !c.empty()) out.push_back(c);
  for (const auto& [p, _] : dirs_)
    if (auto c = child(p); !c.empty()) out.push_back(c);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace rehearse::kustomize
