// Every scenario under scenarios/flux passes with the flux controller, and runs
// deterministically (same trace hash twice). REHEARSE_FLUX_TRACE=TEXT adds a failing
// scenario's trace lines containing TEXT to the report.
#include <gtest/gtest.h>

#include <string>

#include "sim/flux/flux_controller.hpp"
#include "tests/support/scenario_folder.hpp"

namespace rehearse::sim {
namespace {

class FluxScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(FluxScenario, PassesAndIsDeterministic) {
  test::expect_scenario_passes_twice(GetParam(), register_flux, "REHEARSE_FLUX_TRACE");
}

INSTANTIATE_TEST_SUITE_P(Scenarios, FluxScenario, ::testing::ValuesIn(test::scenario_files("flux")),
                         test::scenario_test_name);

}  // namespace
}  // namespace rehearse::sim
