// Kustomization reconcile throughput: one pass over N Kustomizations x M objects against the
// fake API server (steady state: builds cached per revision, applies are no-ops), and a
// 7-day timeline of 50 Kustomizations on 1m / 5m intervals hosted on the virtual clock.
#include <benchmark/benchmark.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/flux/kustomization_controller.hpp"
#include "engine/kustomize/file_source.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/kernel/controller_host.hpp"

namespace rehearse::flux {
namespace {

using nlohmann::json;

struct Fixture {
  sim::EventQueue queue;
  std::unique_ptr<cluster::Cluster> cluster;
  kustomize::MemoryFileSource files;
  KustomizationController controller;
  std::vector<model::ObjectKey> keys;

  Fixture(int kustomizations, int objects, const std::vector<std::string>& intervals) {
    cluster = std::make_unique<cluster::Cluster>(queue, sim::Rng(1), nullptr);
    auto setup = cluster->client("setup");
    for (const char* ns : {"flux-system", "apps"})
      (void)setup.create(model::Object(model::JsonBox(json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})));
    json repo = {{"apiVersion", "source.toolkit.fluxcd.io/v1"}, {"kind", "GitRepository"},
                 {"metadata", {{"name", "repo"}, {"namespace", "flux-system"}}},
                 {"spec", {{"interval", "1m"}, {"url", "ssh://x"}}}};
    auto r = setup.create(model::Object(model::JsonBox(repo)));
    r->body()["status"] = {{"artifact", {{"revision", "main@sha1:0123"}}}};
    (void)setup.update_status(*r);
    for (int k = 0; k < kustomizations; ++k) {
      std::string dir = fmt::format("/repo/k{}", k);
      for (int o = 0; o < objects; ++o)
        files.add(fmt::format("{}/cm{}.yaml", dir, o),
                  fmt::format("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k{}-cm{}\n  namespace: apps\n"
                              "data:\n  key: value-{}\n",
                              k, o, o));
      json ks = {{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"}, {"kind", "Kustomization"},
                 {"metadata", {{"name", fmt::format("k{}", k)}, {"namespace", "flux-system"}}},
                 {"spec", {{"interval", intervals[static_cast<size_t>(k) % intervals.size()]}, {"path", fmt::format("./k{}", k)},
                           {"prune", true}, {"sourceRef", {{"kind", "GitRepository"}, {"name", "repo"}}}}}};
      auto c = setup.create(model::Object(model::JsonBox(ks)));
      keys.push_back(c->key());
    }
  }

  KustomizeEnv env(model::ClusterClient& client) {
    KustomizeEnv e;
    e.client = &client;
    e.now = queue.now();
    e.jitter_percent = 0;
    e.find = [this](const model::ObjectKey& k) { return cluster->api().find(k); };
    e.artifact = [this](const model::Object&, const std::string& rev) {
      return std::optional<Artifact>(Artifact{&files, "/repo", rev});
    };
    return e;
  }
};

void BM_Flux_ReconcilePass(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), {"10m"});
  auto client = f.cluster->client("kustomize-controller");
  for (const auto& k : f.keys) (void)f.controller.reconcile(k, f.env(client));  // first apply, outside timing
  for (auto _ : state) {
    for (const auto& k : f.keys) benchmark::DoNotOptimize(f.controller.reconcile(k, f.env(client)));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.keys.size()));
}
BENCHMARK(BM_Flux_ReconcilePass)->Args({1000, 50})->Args({100, 50})->Unit(benchmark::kMillisecond)->Iterations(3);

class BenchReconciler : public sim::Reconciler {
 public:
  explicit BenchReconciler(Fixture& f) : f_(f), client_(f.cluster->client("kustomize-controller")) {}
  std::string_view controller_name() const override { return "kustomize-controller"; }
  sim::ReconcileResult reconcile(const std::string& key, sim::SimTime) override {
    size_t p = key.find('/');
    auto out = f_.controller.reconcile(kustomization_key(key.substr(0, p), key.substr(p + 1)), f_.env(client_));
    ++passes;
    return out.requeue_after ? sim::ReconcileResult::requeue_after(*out.requeue_after) : sim::ReconcileResult::done();
  }
  std::uint64_t passes = 0;

 private:
  Fixture& f_;
  cluster::ApiClient client_;
};

// `minutes` of simulated time; BM_Flux_Timeline (one hour) is the callgrind-sized variant.
void run_timeline(benchmark::State& state, std::int64_t minutes) {
  std::uint64_t passes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Fixture>(static_cast<int>(state.range(0)), 20, std::vector<std::string>{"1m", "5m"});
    BenchReconciler rec(*f);
    // As sim/flux does: every write reaches the controller's change tracking.
    f->controller.track_changes(true);
    f->cluster->api().watch("", "", [&f](cluster::WatchType, const model::Object& o, std::string_view) {
      f->controller.object_changed(o.key());
    });
    sim::ControllerHost host(f->queue, rec);
    for (const auto& k : f->keys) host.enqueue(k.ns + "/" + k.name);
    state.ResumeTiming();
    f->queue.run_until(sim::SimTime{sim::minutes(minutes)}, 100'000'000);
    passes = rec.passes;
  }
  state.counters["reconciles"] = static_cast<double>(passes);
}

void BM_Flux_SevenDayTimeline(benchmark::State& state) { run_timeline(state, 7 * 24 * 60); }
BENCHMARK(BM_Flux_SevenDayTimeline)->Arg(50)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Flux_Timeline(benchmark::State& state) { run_timeline(state, state.range(1)); }
BENCHMARK(BM_Flux_Timeline)->Args({50, 60})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace rehearse::flux
