#pragma once
// "Every scenario of a folder passes, twice with the same trace hash": a folder of
// scenarios/ run with one controller registered, one gtest case per file. Use:
//
//   class FluxScenario : public ::testing::TestWithParam<std::string> {};
//   TEST_P(FluxScenario, PassesAndIsDeterministic) { test::expect_scenario_passes_twice(GetParam(), register_flux); }
//   INSTANTIATE_TEST_SUITE_P(Scenarios, FluxScenario, ::testing::ValuesIn(test::scenario_files("flux")),
//                            test::scenario_test_name);
//
// Header only: the tests that include it already link rehearse_world.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/world/controller.hpp"
#include "sim/world/runner.hpp"

namespace rehearse::test {

// The .yaml files directly in scenarios/<folder> of the source tree, sorted.
inline std::vector<std::string> scenario_files(const std::string& folder) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  fs::path dir = fs::path(REHEARSE_SOURCE_DIR) / "scenarios" / folder;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A gtest case name from a scenario file: its stem, non-alphanumerics as '_'.
inline std::string scenario_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = std::filesystem::path(info.param).stem().string();
  for (auto& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

// Loads the one scenario of `file` with only `register_controller`'s controllers in the
// catalog, runs it, expects it to pass (failed expectations and event failures are
// reported), then runs it again and expects the same trace hash.
// `trace_env`: the name of an environment variable; when it is set and the scenario fails,
// the trace lines containing its value are added to the report.
inline void expect_scenario_passes_twice(const std::string& file,
                                         void (*register_controller)(sim::ControllerCatalog&),
                                         const char* trace_env = nullptr) {
  sim::ControllerCatalog catalog;
  register_controller(catalog);
  model::Diagnostics diags;
  sim::Suite suite = sim::load_suite({file}, catalog, diags);
  ASSERT_FALSE(diags.has_errors()) << diags.format();
  ASSERT_EQ(suite.scenarios.size(), 1u);
  sim::RunOptions opts;
  opts.keep_trace_lines = trace_env != nullptr;
  auto a = sim::run_scenario(suite.scenarios[0], catalog, opts, 0);
  std::string report = a.error;
  for (const auto& f : a.event_failures) report += "\n  event: " + f;
  for (const auto& r : a.results)
    if (!r.passed) report += "\n  FAILED " + r.title + "\n    expected " + r.expected + "\n    observed " + r.observed;
  const char* grep = trace_env ? std::getenv(trace_env) : nullptr;
  if (!a.passed && grep)
    for (const auto& l : a.trace_lines)
      if (l.find(grep) != std::string::npos) report += "\n  | " + l;
  EXPECT_TRUE(a.passed) << a.name << report;
  auto b = sim::run_scenario(suite.scenarios[0], catalog, opts, 0);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
}

}  // namespace rehearse::test
