// Benchmarks for engine/rollouts (results in bench/rollouts/RESULTS.md).
//   BM_Rollouts_AnalysisEvaluation: measurements evaluated per second (each evaluates one
//     success and one failure condition), through AnalysisRun::step.
//   BM_Rollouts_CanaryTimeline: 200 Rollouts, each updated every 2 h over 24 h simulated,
//     with a background analysis measuring every minute, driven by the map-backed fake
//     cluster of tests/rollouts. Loading the manifests and freeing the simulation are not
//     timed.
#include <benchmark/benchmark.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "engine/rollouts/analysis_run.hpp"
#include "engine/rollouts/sequence_provider.hpp"
#include "tests/rollouts/fake_cluster.hpp"

using namespace rehearse;
using namespace rehearse::rollouts;
using nlohmann::json;

namespace {

class ConstantProvider : public MetricProvider {
 public:
  ProviderResult measure(const Metric&, SimTime) override { return value_; }
  ProviderResult value_ = ProviderResult::of(json::array({0.01}));
};

}  // namespace

static void BM_Rollouts_AnalysisEvaluation(benchmark::State& state) {
  const int metrics = static_cast<int>(state.range(0));
  RunSpec spec;
  for (int i = 0; i < metrics; ++i) {
    auto m = resolve_metric({{"name", "m" + std::to_string(i)},
                             {"interval", "1s"},
                             {"failureLimit", -1},
                             {"consecutiveSuccessLimit", 1000000000},
                             {"count", 2000000000},
                             {"successCondition", "len(result) > 0 && result[0] < 0.05"},
                             {"failureCondition", "len(result) > 0 && result[0] >= 0.1"},
                             {"provider", {{"prometheus", {{"query", "q"}}}}}},
                            {});
    spec.metrics.push_back(std::move(*m));
  }
  AnalysisRun run(spec);
  ConstantProvider provider;
  SimTime now{};
  int64_t evaluations = 0;
  for (auto _ : state) {
    run.step(now, provider);
    now += sim::seconds(1);
    evaluations += 2 * metrics;
  }
  state.counters["conditions/s"] =
      benchmark::Counter(static_cast<double>(evaluations), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Rollouts_AnalysisEvaluation)->Arg(1)->Arg(10)->Arg(100);

static void BM_Rollouts_CanaryTimeline(benchmark::State& state) {
  const int rollouts = static_cast<int>(state.range(0));
  const int updates = static_cast<int>(state.range(1)) / 2;  // one update every 2 h
  for (auto _ : state) {
    state.PauseTiming();
    auto owned = std::make_unique<testing::Sim>();
    testing::Sim& sim = *owned;
    std::string docs;
    docs += R"(
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: latency, namespace: NS}
spec:
  metrics:
  - name: p99
    interval: 1m
    successCondition: len(result) == 0 || result[0] < 50
    provider: {prometheus: {query: q}}
)";
    for (int r = 0; r < rollouts; ++r) {
      std::string t = docs;
      t.replace(t.find("NS"), 2, "ns-" + std::to_string(r));
      sim.load(t.c_str());
    }
    // Every measurement reads p99 = 20 ms (a one-sample Prometheus vector).
    ConstantProvider p99;
    p99.value_ = ProviderResult::of(json::array({20.0}));
    sim.source = &p99;
    for (int r = 0; r < rollouts; ++r) {
      std::string y = R"(
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: app, namespace: ns-)" + std::to_string(r) + R"(}
spec:
  replicas: 4
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: c, image: "v0"}]}
  strategy:
    canary:
      analysis: {templates: [{templateName: latency}]}
      steps:
      - setWeight: 20
      - pause: {duration: 30m}
      - setWeight: 50
      - pause: {duration: 30m}
)";
      sim.load(y.c_str());
    }
    sim.run_for(sim::seconds(10));
    state.ResumeTiming();
    for (int update = 1; update <= updates; ++update) {
      // `kubectl argo rollouts set image`: an update, which moves metadata.generation.
      std::vector<model::ObjectKey> keys;
      for (const auto& [k, o] : sim.cluster.objects())
        if (k.kind == "Rollout") keys.push_back(k);
      for (const auto& k : keys) {
        model::Object o = *sim.cluster.find(k);
        o.body()["spec"]["template"]["spec"]["containers"][0]["image"] = "v" + std::to_string(update);
        (void)sim.cluster.update(std::move(o));
      }
      sim.run_for(sim::hours(2));
    }
    benchmark::DoNotOptimize(sim.cluster.count("AnalysisRun"));
    // Freeing the simulation is not part of the timeline, as loading it is not (at 200 x 24 h
    // it took about 4 % of the timed time when it was timed, session 4 and before).
    state.PauseTiming();
    state.counters["reconciles"] = static_cast<double>(sim.reconciles);
    owned.reset();
    state.ResumeTiming();
  }
}
// Args: {rollouts, simulated hours}. {5, 4} and {20, 4} are the callgrind sizes.
BENCHMARK(BM_Rollouts_CanaryTimeline)
    ->Args({2, 24})
    ->Args({10, 24})
    ->Args({5, 4})
    ->Args({20, 4})
    ->Args({100, 4})
    ->Args({200, 4})
    ->Args({50, 24})
    ->Args({200, 24})
    ->Unit(benchmark::kMillisecond)->Iterations(1);
