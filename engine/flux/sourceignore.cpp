#include "engine/flux/sourceignore.hpp"

#include <optional>

namespace rehearse::flux {

namespace {

bool match_class(std::string_view pat, size_t& i, char c) {
  // pat[i] == '['; on return i is past the closing ']'.
  size_t j = i + 1;
  bool negate = false;
  if (j < pat.size() && (pat[j] == '!' || pat[j] == '^')) {
    negate = true;
    ++j;
  }
  bool matched = false;
  bool first = true;
  while (j < pat.size() && (first || pat[j] != ']')) {
    first = false;
    char lo = pat[j];
    if (j + 2 < pat.size() && pat[j + 1] == '-' && pat[j + 2] != ']') {
      if (c >= lo && c <= pat[j + 2]) matched = true;
      j += 3;
    } else {
      if (c == lo) matched = true;
      ++j;
    }
  }
  i = j < pat.size() ? j + 1 : j;
  return matched != negate;
}

bool glob_at(std::string_view p, size_t pi, std::string_view t, size_t ti) {
  while (pi < p.size()) {
    char c = p[pi];
    if (c == '*') {
      bool dbl = pi + 1 < p.size() && p[pi + 1] == '*';
      if (dbl) {
        // "**/" matches zero or more directories; a trailing "**" everything.
        size_t next = pi + 2;
        if (next < p.size() && p[next] == '/') {
          if (glob_at(p, next + 1, t, ti)) return true;
          for (size_t k = ti; k < t.size(); ++k)
            if (t[k] == '/' && glob_at(p, next + 1, t, k + 1)) return true;
          return false;
        }
        for (size_t k = ti; k <= t.size(); ++k)
          if (glob_at(p, next, t, k)) return true;
        return false;
      }
      for (size_t k = ti; k <= t.size(); ++k) {
        if (glob_at(p, pi + 1, t, k)) return true;
        if (k < t.size() && t[k] == '/') break;
      }
      return false;
    }
    if (ti >= t.size()) return false;
    if (c == '?') {
      if (t[ti] == '/') return false;
    } else if (c == '[') {
      size_t i = pi;
      if (!match_class(p, i, t[ti])) return false;
      pi = i;
      ++ti;
      continue;
    } else if (c == '\\' && pi + 1 < p.size()) {
      ++pi;
      if (p[pi] != t[ti]) return false;
    } else if (c != t[ti]) {
      return false;
    }
    ++pi;
    ++ti;
  }
  return ti == t.size();
}

std::string trim_right(std::string_view s) {
  size_t e = s.size();
  while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) {
    if (e >= 2 && s[e - 2] == '\\') break;
    --e;
  }
  return std::string(s.substr(0, e));
}

}  // namespace

bool gitignore_glob(std::string_view pattern, std::string_view text) {
  return glob_at(pattern, 0, text, 0);
}

void IgnoreMatcher::add_lines(std::string_view lines, const std::string& base) {
  size_t i = 0;
  while (i <= lines.size()) {
    size_t j = lines.find('\n', i);
    if (j == std::string_view::npos) j = lines.size();
    std::string line = trim_right(lines.substr(i, j - i));
    i = j + 1;
    size_t lead = line.find_first_not_of(" \t");
    if (lead == std::string::npos) continue;
    if (line[0] == '#') continue;
    Pattern p;
    p.base = base;
    std::string g = line;
    if (g[0] == '!') {
      p.negate = true;
      g = g.substr(1);
    } else if (g.size() > 1 && g[0] == '\\' && (g[1] == '#' || g[1] == '!')) {
      g = g.substr(1);
    }
    if (!g.empty() && g.back() == '/') {
      p.dir_only = true;
      g.pop_back();
    }
    if (g.find('/') != std::string::npos) p.anchored = true;
    if (!g.empty() && g[0] == '/') g = g.substr(1);
    if (g.empty()) continue;
    p.glob = g;
    patterns_.push_back(std::move(p));
  }
}

void IgnoreMatcher::add_vcs_defaults() {
  add_lines(".git/\n.gitignore\n.gitmodules\n.gitattributes\n", "");
}

void IgnoreMatcher::add_extra_defaults() {
  add_lines(
      "*.jpg\n*.jpeg\n*.gif\n*.png\n*.wmv\n*.flv\n*.tar.gz\n*.zip\n.github/\n.circleci/\n"
      ".travis.yml\n.gitlab-ci.yml\nappveyor.yml\n.drone.yml\ncloudbuild.yaml\n"
      "codeship-services.yml\ncodeship-steps.yml\n**/.goreleaser.yml\n**/.sops.yaml\n"
      "**/.flux.yaml\n",
      "");
}

bool IgnoreMatcher::match_one(const Pattern& p, std::string_view path, bool is_dir) const {
  if (p.dir_only && !is_dir) return false;
  std::string_view rel = path;
  if (!p.base.empty()) {
    if (rel.size() <= p.base.size() || rel.substr(0, p.base.size()) != p.base ||
        rel[p.base.size()] != '/')
      return false;
    rel = rel.substr(p.base.size() + 1);
  }
  if (p.anchored) return gitignore_glob(p.glob, rel);
  size_t slash = rel.rfind('/');
  std::string_view base = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
  return gitignore_glob(p.glob, base);
}

bool IgnoreMatcher::ignored(std::string_view path, bool is_dir) const {
  // A path under an ignored directory is ignored whatever later patterns say about it
  // (git cannot re-include a file whose parent is excluded).
  for (size_t k = path.find('/'); k != std::string_view::npos; k = path.find('/', k + 1)) {
    std::string_view parent = path.substr(0, k);
    bool ign = false;
    for (const auto& p : patterns_)
      if (match_one(p, parent, true)) ign = !p.negate;
    if (ign) return true;
  }
  bool ign = false;
  for (const auto& p : patterns_)
    if (match_one(p, path, is_dir)) ign = !p.negate;
  return ign;
}

namespace {

void collect_sourceignore(const kustomize::FileSource& files, const std::string& root,
                          const std::string& rel, IgnoreMatcher& vcs, IgnoreMatcher& out,
                          bool& any) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  std::string text;
  if (files.is_file(dir + "/.sourceignore") && files.read(dir + "/.sourceignore", text)) {
    IgnoreMatcher probe;
    probe.add_lines(text, rel);
    if (!probe.empty()) any = true;
    out.add_lines(text, rel);
  }
  for (const auto& name : files.list(dir)) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    if (!files.is_dir(root + "/" + child)) continue;
    if (vcs.ignored(child, true)) continue;
    collect_sourceignore(files, root, child, vcs, out, any);
  }
}

}  // namespace

IgnoreMatcher build_source_matcher(const kustomize::FileSource& files, const std::string& root,
                                   const std::optional<std::string>& spec_ignore) {
  IgnoreMatcher vcs;
  vcs.add_vcs_defaults();
  IgnoreMatcher user;
  bool any = false;
  collect_sourceignore(files, root, "", vcs, user, any);
  if (spec_ignore) {
    IgnoreMatcher probe;
    probe.add_lines(*spec_ignore, "");
    if (!probe.empty()) any = true;
  }
  IgnoreMatcher m;
  m.add_vcs_defaults();
  if (!any) {
    m.add_extra_defaults();
    return m;
  }
  collect_sourceignore(files, root, "", vcs, m, any);
  if (spec_ignore) m.add_lines(*spec_ignore, "");
  return m;
}

std::optional<std::string> FilteredFileSource::relative(const std::string& path) const {
  std::string clean = kustomize::path_clean(path);
  std::string root = kustomize::path_clean(root_);
  if (clean == root) return std::string();
  if (clean.size() > root.size() && clean.compare(0, root.size(), root) == 0 &&
      (root == "/" || clean[root.size()] == '/'))
    return clean.substr(root == "/" ? 1 : root.size() + 1);
  return std::nullopt;
}

bool FilteredFileSource::is_dir(const std::string& path) const {
  auto rel = relative(path);
  if (rel && !rel->empty() && matcher_.ignored(*rel, true)) return false;
  return base_.is_dir(path);
}

bool FilteredFileSource::is_file(const std::string& path) const {
  auto rel = relative(path);
  if (rel && !rel->empty() && matcher_.ignored(*rel, false)) return false;
  return base_.is_file(path);
}

bool FilteredFileSource::read(const std::string& path, std::string& out) const {
  if (!is_file(path)) return false;
  return base_.read(path, out);
}

std::vector<std::string> FilteredFileSource::list(const std::string& dir) const {
  std::vector<std::string> out;
  auto rel = relative(dir);
  for (auto& name : base_.list(dir)) {
    if (rel) {
      std::string child = rel->empty() ? name : *rel + "/" + name;
      bool d = base_.is_dir(dir + "/" + name);
      if (matcher_.ignored(child, d)) continue;
    }
    out.push_back(std::move(name));
  }
  return out;
}

}  // namespace rehearse::flux
