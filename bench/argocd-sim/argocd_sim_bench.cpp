// A 7-day simulated timeline of a 50-app platform under the Argo CD application controller
// with 3-minute resyncs (PRODUCT.md bar: under 2 s): 50 Applications x (ConfigMap,
// Deployment with 2 replicas, Service), one Git commit and one `kubectl set image` drift per
// day (reverted by selfHeal), the whole World (git repository, fake cluster with workload
// controllers, controller hosting) on the virtual clock. Setup (fixture repository) is
// outside the timed loop; each iteration runs a fresh World from t=0 to the horizon.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/argocd/argocd_controller.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string deployment_yaml(int app, const std::string& tag) {
  return fmt::format(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: model-{0}\nspec:\n  replicas: 2\n"
      "  selector:\n    matchLabels: {{app: model-{0}}}\n  template:\n    metadata:\n      labels: {{app: model-{0}}}\n"
      "    spec:\n      containers:\n      - name: model\n        image: registry.example.com/model-{0}:{1}\n",
      app, tag);
}

struct Platform {
  fs::path root;
  Scenario scenario;

  Platform(int apps, int days) {
    root = fs::temp_directory_path() / fmt::format("rehearse-argocd-bench-{}", apps);
    fs::remove_all(root);
    fs::create_directories(root / "fixture" / "apps");
    for (int a = 0; a < apps; ++a) {
      fs::path dir = root / "fixture" / "deploy" / fmt::format("model-{}", a);
      fs::create_directories(dir);
      std::ofstream(dir / "config.yaml") << fmt::format(
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: model-{0}-config\n  annotations:\n"
          "    argocd.argoproj.io/sync-wave: \"-1\"\ndata:\n  THRESHOLD: \"0.{0}\"\n", a);
      std::ofstream(dir / "deployment.yaml") << deployment_yaml(a, "v1");
      std::ofstream(dir / "service.yaml") << fmt::format(
          "apiVersion: v1\nkind: Service\nmetadata:\n  name: model-{0}\nspec:\n  selector: {{app: model-{0}}}\n"
          "  ports:\n  - port: 80\n", a);
      std::ofstream(root / "fixture" / "apps" / fmt::format("model-{}.yaml", a)) << fmt::format(
          "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: model-{0}\n  namespace: argocd\n"
          "spec:\n  project: default\n  source:\n    repoURL: https://example.com/platform.git\n    targetRevision: main\n"
          "    path: deploy/model-{0}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: serving\n"
          "  syncPolicy:\n    automated: {{prune: true, selfHeal: true}}\n    syncOptions: [CreateNamespace=true]\n", a);
    }
    Scenario& s = scenario;
    s.name = "bench-argocd-7d";
    s.file = (root / "scenario.yaml").string();
    s.seed = 1;
    s.horizon = hours(24 * days);
    s.max_events = 100'000'000;
    RepoSpec repo;
    repo.fixture = (root / "fixture").string();
    s.repo = repo;
    s.namespaces = {"argocd"};
    BootstrapStep b;
    b.path = "apps";
    s.bootstrap.push_back(b);
    s.controllers["argocd"] = model::JsonBox(json{{"reconciliationTimeout", "180s"}, {"jitter", "0s"}});
    s.controller_pos["argocd"] = {};
    s.controllers_listed = true;
    for (int d = 0; d < days; ++d) {
      ScenarioEvent commit;
      commit.kind = ScenarioEvent::Kind::Commit;
      commit.at = SimTime{hours(24 * d + 10)};
      commit.message = fmt::format("model-{} v{}", d % apps, d + 2);
      commit.writes.push_back({fmt::format("deploy/model-{}/deployment.yaml", d % apps), deployment_yaml(d % apps, fmt::format("v{}", d + 2))});
      s.events.push_back(commit);
      ScenarioEvent drift;
      drift.kind = ScenarioEvent::Kind::Kubectl;
      drift.at = SimTime{hours(24 * d + 15)};
      drift.tool = "kubectl";
      int app = (d * 7 + 3) % apps;
      drift.argv = {"set", "image", fmt::format("deployment/model-{}", app), fmt::format("model=registry.example.com/model-{}:hotfix", app),
                    "-n", "serving"};
      drift.command_text = fmt::format("set image deployment/model-{} ...", app);
      s.events.push_back(drift);
    }
  }
  ~Platform() { fs::remove_all(root); }
};

void BM_ArgoCdSim_SevenDays50Apps(benchmark::State& state) {
  Platform p(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  ControllerCatalog catalog;
  register_argocd(catalog);
  std::uint64_t dispatched = 0, trace_lines = 0;
  int run = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fs::path priv = p.root / fmt::format("run-{}", run++);
    fs::create_directories(priv);
    auto world = std::make_unique<World>(p.scenario, p.scenario.seed, WorldOptions{priv.string(), false});
    model::Diagnostics diags;
    if (!world->setup_repository() || !world->setup_cluster() || !world->start_controllers(catalog, diags)) {
      state.SkipWithError("setup failed");
      return;
    }
    state.ResumeTiming();
    if (!world->bootstrap()) {
      state.SkipWithError("bootstrap failed");
      return;
    }
    world->schedule_events();
    if (!world->run()) {
      state.SkipWithError("livelock");
      return;
    }
    dispatched = world->queue().dispatched();
    trace_lines = world->trace().count();
    state.PauseTiming();
    world.reset();
    fs::remove_all(priv);
    state.ResumeTiming();
  }
  state.counters["kernel_events"] = static_cast<double>(dispatched);
  state.counters["trace_lines"] = static_cast<double>(trace_lines);
}
// Args: apps, days. The 1-day run is for profiling (callgrind on one iteration).
BENCHMARK(BM_ArgoCdSim_SevenDays50Apps)->Args({50, 7})->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_ArgoCdSim_SevenDays50Apps)->Args({50, 1})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace rehearse::sim
