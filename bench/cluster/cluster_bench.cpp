// Fake API server throughput on large stores (setup outside the timed loops).

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "sim/cluster/api_server.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"

using nlohmann::json;
using namespace rehearse;

namespace {

model::Object config_map(int i, int team) {
  json b = {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata",
             {{"name", "cm-" + std::to_string(i)},
              {"namespace", "default"},
              {"labels", {{"app", "app-" + std::to_string(i % 1000)}, {"team", "t" + std::to_string(team)}}}}},
            {"data", {{"key", std::to_string(i)}}}};
  return model::Object{model::JsonBox(std::move(b))};
}

void add_default_namespace(cluster::ApiServer& api) {
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}};
  (void)api.create(model::Object{model::JsonBox(ns)}, "setup");
}

// Client-side apply (three-way merge + last-applied annotation) of N new objects, then a
// second apply of each with a changed value.
void BM_Cluster_Apply(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<model::Object> first, second;
  for (int i = 0; i < n; ++i) {
    first.push_back(config_map(i, i % 10));
    second.push_back(config_map(i, i % 10));
    second.back().body()["data"]["key"] = "changed";
  }
  for (auto _ : state) {
    state.PauseTiming();
    sim::EventQueue q;
    cluster::ApiServer api(q, sim::Rng(1), nullptr);
    add_default_namespace(api);
    auto kubectl = api.as("kubectl");
    state.ResumeTiming();
    for (const auto& o : first) benchmark::DoNotOptimize(kubectl.apply(o, {}));
    for (const auto& o : second) benchmark::DoNotOptimize(kubectl.apply(o, {}));
  }
  state.SetItemsProcessed(state.iterations() * 2 * n);
}
BENCHMARK(BM_Cluster_Apply)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(1);

// list() with a label selector over N objects of one kind.
void BM_Cluster_ListBySelector(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  sim::EventQueue q;
  cluster::ApiServer api(q, sim::Rng(1), nullptr);
  add_default_namespace(api);
  for (int i = 0; i < n; ++i) (void)api.create(config_map(i, i % 10), "setup");
  model::ListOptions lo;
  lo.kind = "ConfigMap";
  lo.ns = "default";
  lo.selector = *model::Selector::parse("app=app-7");
  size_t found = 0;
  for (auto _ : state) {
    auto out = api.list(lo);
    found = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["matches"] = static_cast<double>(found);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Cluster_ListBySelector)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
