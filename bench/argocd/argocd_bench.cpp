// Benchmarks for the Argo CD engine (results in bench/argocd/RESULTS.md).
//
// BM_ArgoCD_PlanSync/N: plan_sync over N desired objects (mixed kinds and waves) against N
//   live objects, 5% of them tracked leftovers to prune. Target: 10k under 50 ms.
// BM_ArgoCD_ReconcilePass/A: the per-app "render + diff + health" pass (compare_app, which
//   pairs, diffs and assesses health) over A Applications × 40 resources. Rendering is
//   directory parsing, measured separately by the model benchmarks; here the rendered objects
//   are reused, as the controller caches manifests per revision. Target: 5,000 apps under 1 s.

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "engine/argocd/app_status.hpp"
#include "engine/argocd/sync_plan.hpp"

using namespace rehearse;
using nlohmann::json;

namespace {

const char* kKinds[][2] = {{"v1", "ConfigMap"}, {"v1", "Service"}, {"apps/v1", "Deployment"},
                           {"v1", "Secret"}, {"argoproj.io/v1alpha1", "Rollout"},
                           {"batch/v1", "Job"}, {"networking.k8s.io/v1", "Ingress"},
                           {"example.com/v1", "Widget"}};

json make_desired(size_t i, const std::string& app) {
  const auto& k = kKinds[i % 8];
  json o = {{"apiVersion", k[0]},
            {"kind", k[1]},
            {"metadata",
             {{"name", app + "-r" + std::to_string(i)},
              {"namespace", "ns"},
              {"labels", {{"app", app}}},
              {"annotations", {{"argocd.argoproj.io/sync-wave", std::to_string(i % 5)}}}}},
            {"spec", {{"replicas", 2}, {"template", {{"spec", {{"containers", json::array({{{"name", "main"}, {"image", "img:" + std::to_string(i % 3)}}})}}}}}}}};
  return o;
}

json make_live(const json& desired, const std::string& app, size_t i) {
  json l = desired;
  l["metadata"]["uid"] = "uid-" + std::to_string(i);
  l["metadata"]["resourceVersion"] = std::to_string(100 + i);
  const std::string kind = l["kind"];
  std::string group = l["apiVersion"].get<std::string>().find('/') == std::string::npos
                          ? ""
                          : l["apiVersion"].get<std::string>().substr(0, l["apiVersion"].get<std::string>().find('/'));
  l["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] =
      app + ":" + group + "/" + kind + ":ns/" + l["metadata"]["name"].get<std::string>();
  l["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
  l["status"] = {{"observedGeneration", 1}, {"replicas", 2}, {"updatedReplicas", 2}, {"availableReplicas", 2}};
  l["metadata"]["generation"] = 1;
  if (i % 10 == 0) l["spec"]["replicas"] = 3;  // 10% drift
  return l;
}

void BM_ArgoCD_PlanSync(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<model::Object> desired, live;
  for (size_t i = 0; i < n; ++i) {
    json d = make_desired(i, "app");
    live.emplace_back(model::JsonBox(make_live(d, "app", i)));
    if (i % 20 == 0) continue;  // 5% only live: tracked leftovers, pruned
    desired.emplace_back(model::JsonBox(std::move(d)));
  }
  argocd::SyncSettings s;
  s.app_name = "app";
  s.dest_namespace = "ns";
  s.prune = true;
  s.sync_options = {"CreateNamespace=true"};
  for (auto _ : state) {
    auto plan = argocd::plan_sync(desired, live, s);
    benchmark::DoNotOptimize(plan.tasks.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["resources"] = static_cast<double>(n);
}
BENCHMARK(BM_ArgoCD_PlanSync)->Arg(1000)->Arg(10000)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_ArgoCD_ReconcilePass(benchmark::State& state) {
  const size_t apps = static_cast<size_t>(state.range(0));
  constexpr size_t kPerApp = 40;
  struct App {
    std::string name;
    std::vector<model::Object> desired, live;
  };
  std::vector<App> all(apps);
  for (size_t a = 0; a < apps; ++a) {
    all[a].name = "app" + std::to_string(a);
    for (size_t i = 0; i < kPerApp; ++i) {
      json d = make_desired(i, all[a].name);
      all[a].live.emplace_back(model::JsonBox(make_live(d, all[a].name, i)));
      all[a].desired.emplace_back(model::JsonBox(std::move(d)));
    }
  }
  size_t out_of_sync = 0;
  for (auto _ : state) {
    out_of_sync = 0;
    for (const auto& app : all) {
      argocd::CompareSettings cs{app.name, "ns", argocd::TrackingMethod::Annotation, {}, nullptr};
      auto st = argocd::compare_app(app.desired, app.live, cs);
      out_of_sync += st.sync == argocd::SyncStatus::OutOfSync;
      benchmark::DoNotOptimize(st.health);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(apps * kPerApp));
  state.counters["resources"] = static_cast<double>(apps * kPerApp);
  state.counters["out_of_sync_apps"] = static_cast<double>(out_of_sync);
}
BENCHMARK(BM_ArgoCD_ReconcilePass)->Arg(500)->Arg(1000)->Arg(2500)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace
