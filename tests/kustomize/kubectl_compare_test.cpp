// Every kustomization under fixtures/kustomize/ must build to exactly what `kubectl
// kustomize` (kustomize v5.5) prints. Skipped, not failed, when kubectl is not installed.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/kustomize/kustomize.hpp"
#include "engine/model/yaml_writer.hpp"

namespace rehearse::kustomize {
namespace {

namespace fs = std::filesystem;

std::string source_dir() {
  const char* env = std::getenv("REHEARSE_SOURCE_DIR");
  return env ? env : REHEARSE_SOURCE_DIR;
}

bool run(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return false;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return pclose(p) == 0;
}

bool kubectl_available() {
  std::string out;
  return run("kubectl version --client >/dev/null 2>&1 && echo yes", out) && out == "yes\n";
}

// Directories holding a kustomization that is not a Component, sorted.
std::vector<std::string> fixture_dirs() {
  std::vector<std::string> dirs;
  fs::path root = fs::path(source_dir()) / "fixtures" / "kustomize";
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().filename() != "kustomization.yaml") continue;
    std::string text;
    FILE* f = fopen(it->path().c_str(), "r");
    if (!f) continue;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
    fclose(f);
    if (text.find("kind: Component") != std::string::npos) continue;
    dirs.push_back(it->path().parent_path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

TEST(KubectlComparison, EveryFixtureBuildsExactlyLikeKubectlKustomize) {
  if (!kubectl_available()) GTEST_SKIP() << "kubectl not installed";
  auto dirs = fixture_dirs();
  ASSERT_GE(dirs.size(), 8u);
  for (const auto& dir : dirs) {
    std::string want;
    ASSERT_TRUE(run("kubectl kustomize '" + dir + "' 2>/dev/null", want)) << dir;
    model::Diagnostics diags;
    auto got = build(dir, diags);
    ASSERT_TRUE(got.ok()) << dir << "\n" << diags.format();
    EXPECT_EQ(model::to_yaml_stream(*got), want) << dir;
  }
}

}  // namespace
}  // namespace rehearse::kustomize
