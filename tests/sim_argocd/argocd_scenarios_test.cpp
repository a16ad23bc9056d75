// Every scenario under scenarios/argocd passes with the argocd controller alone and runs
// deterministically (same trace hash twice).
#include <gtest/gtest.h>

#include <string>

#include "sim/argocd/argocd_controller.hpp"
#include "tests/support/scenario_folder.hpp"

namespace rehearse::sim {
namespace {

class ArgoCdScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(ArgoCdScenario, PassesAndIsDeterministic) {
  test::expect_scenario_passes_twice(GetParam(), register_argocd);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ArgoCdScenario, ::testing::ValuesIn(test::scenario_files("argocd")),
                         test::scenario_test_name);

}  // namespace
}  // namespace rehearse::sim
