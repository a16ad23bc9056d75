// Every scenario under scenarios/argocd passes with the argocd controller alone and runs
// deterministically (same trace hash twice).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "sim/argocd/argocd_controller.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/runner.hpp"

namespace rehearse::sim {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> scenario_files() {
  std::vector<std::string> out;
  fs::path dir = fs::path(REHEARSE_SOURCE_DIR) / "scenarios" / "argocd";
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

class ArgoCdScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(ArgoCdScenario, PassesAndIsDeterministic) {
  ControllerCatalog catalog;
  register_argocd(catalog);
  model::Diagnostics diags;
  Suite suite = load_suite({GetParam()}, catalog, diags);
  ASSERT_FALSE(diags.has_errors()) << diags.format();
  ASSERT_EQ(suite.scenarios.size(), 1u);
  RunOptions opts;
  auto a = run_scenario(suite.scenarios[0], catalog, opts, 0);
  std::string report = a.error;
  for (const auto& f : a.event_failures) report += "\n  event: " + f;
  for (const auto& r : a.results)
    if (!r.passed) report += "\n  FAILED " + r.title + "\n    expected " + r.expected + "\n    observed " + r.observed;
  EXPECT_TRUE(a.passed) << a.name << report;
  auto b = run_scenario(suite.scenarios[0], catalog, opts, 0);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ArgoCdScenario, ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = fs::path(info.param).stem().string();
                           for (auto& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace rehearse::sim
