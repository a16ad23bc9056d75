// Benchmarks for engine/kustomize on the 2,000-resource overlay tree (overlay_tree.hpp).
// Results and commands: bench/kustomize/RESULTS.md.

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/kustomize/overlay_tree.hpp"
#include "engine/kustomize/envsubst.hpp"
#include "engine/kustomize/kustomize.hpp"
#include "engine/model/yaml_writer.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& tree() {
  static const fs::path overlay = rehearse::bench::write_overlay_tree(
      fs::temp_directory_path() / "rehearse-kustomize-bench");
  return overlay;
}

std::vector<fs::path> yaml_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(tree().parent_path()))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

void BM_Kustomize_BuildOverlayTree(benchmark::State& state) {
  std::string dir = tree().string();
  size_t n = 0;
  for (auto _ : state) {
    rehearse::model::Diagnostics diags;
    auto r = rehearse::kustomize::build(dir, diags);
    if (!r) state.SkipWithError(diags.format().c_str());
    n = r ? r->size() : 0;
    benchmark::DoNotOptimize(r);
  }
  state.counters["resources"] = static_cast<double>(n);
}
BENCHMARK(BM_Kustomize_BuildOverlayTree)->Unit(benchmark::kMillisecond);

// The floor: yaml-cpp reading and parsing the same files, nothing else.
void BM_Kustomize_YamlCppParseOnly(benchmark::State& state) {
  auto files = yaml_files();
  for (auto _ : state) {
    size_t docs = 0;
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      docs += YAML::LoadAll(ss.str()).size();
    }
    benchmark::DoNotOptimize(docs);
  }
}
BENCHMARK(BM_Kustomize_YamlCppParseOnly)->Unit(benchmark::kMillisecond);

void BM_Kustomize_EmitYaml(benchmark::State& state) {
  rehearse::model::Diagnostics diags;
  auto r = rehearse::kustomize::build(tree().string(), diags);
  for (auto _ : state) {
    auto text = rehearse::model::to_yaml_stream(*r);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_Kustomize_EmitYaml)->Unit(benchmark::kMillisecond);

void BM_Kustomize_Envsubst(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += "  image: registry/${APP:=model}:${TAG}  # line " + std::to_string(i) + "\n";
  rehearse::kustomize::Vars vars = {{"TAG", "v1.2.3"}};
  for (auto _ : state) {
    auto r = rehearse::kustomize::envsubst(text, vars, true);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Kustomize_Envsubst)->Unit(benchmark::kMicrosecond);

}  // namespace
