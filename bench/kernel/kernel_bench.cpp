// Kernel and loader throughput: event queue schedule+dispatch, trace recording with hashing,
// YAML manifest loading (with and without source positions), and yaml-cpp alone for scale.

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>

#include <fmt/format.h>

#include "engine/model/manifest_loader.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"
#include "sim/kernel/trace.hpp"

using namespace rehearse;

static void BM_Kernel_EventQueue(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  sim::Rng rng(1);
  std::vector<std::int64_t> times(n);
  for (auto& t : times) t = static_cast<std::int64_t>(rng.below(1'000'000));
  for (auto _ : state) {
    sim::EventQueue q;
    std::uint64_t sum = 0;
    for (int i = 0; i < n; ++i)
      q.schedule_at(sim::SimTime{sim::ms(times[i])}, "e", [&sum, i] { sum += i; });
    q.run_until(sim::SimTime{sim::ms(2'000'000)}, n + 1);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Kernel_EventQueue)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

static void BM_Kernel_TraceRecord(benchmark::State& state) {
  nlohmann::json details = {{"actor", "argocd-application-controller"}, {"rv", "12345"}};
  for (auto _ : state) {
    sim::Trace t(false);
    for (int i = 0; i < 100'000; ++i)
      t.record(sim::SimTime{sim::seconds(i)}, "api.update", "Deployment.apps/ml-serving/fraud-detector", details);
    benchmark::DoNotOptimize(t.hash());
  }
  state.SetItemsProcessed(state.iterations() * 100'000);
}
BENCHMARK(BM_Kernel_TraceRecord)->Unit(benchmark::kMillisecond);

namespace {
std::string manifests(int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += fmt::format(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: model-{0}\n  namespace: ml-serving\n"
        "  labels: {{app: model-{0}, team: ml}}\n  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\n"
        "spec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: model-{0}}}\n  template:\n"
        "    metadata:\n      labels: {{app: model-{0}}}\n    spec:\n      containers:\n"
        "      - name: model\n        image: registry.example.com/model-{0}:v1.2.{0}\n"
        "        ports: [{{containerPort: 8080}}]\n        resources:\n          requests: {{cpu: \"2\", memory: 4Gi}}\n"
        "        readinessProbe:\n          httpGet: {{path: /health, port: 8080}}\n          initialDelaySeconds: 30\n",
        i);
  return out;
}
}  // namespace

static void BM_Model_LoadManifests(benchmark::State& state) {
  std::string text = manifests(static_cast<int>(state.range(0)));
  model::LoadOptions opts;
  opts.keep_positions = state.range(1) != 0;
  for (auto _ : state) {
    model::Diagnostics d;
    auto objs = model::load_manifests_text(text, "bench.yaml", d, opts);
    benchmark::DoNotOptimize(objs.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Model_LoadManifests)->Args({2000, 1})->Args({2000, 0})->Unit(benchmark::kMillisecond);

// yaml-cpp alone on the same text: the floor our loader is measured against.
static void BM_Model_YamlCppParseOnly(benchmark::State& state) {
  std::string text = manifests(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto nodes = YAML::LoadAll(text);
    benchmark::DoNotOptimize(nodes.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Model_YamlCppParseOnly)->Arg(2000)->Unit(benchmark::kMillisecond);
