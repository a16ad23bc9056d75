#pragma once
// Suite reports: the human summary, the JSON report (--json) and JUnit XML (--junit).
// All byte-stable: same outcomes, same bytes (no wall-clock times, no host paths beyond the
// scenario file names as given).

#include <string>
#include <vector>

#include "sim/world/runner.hpp"

namespace rehearse::sim {

struct ReportStyle {
  bool color = false;
  std::string program = "rehearse";  // for the reproduce command
};

std::string format_text_report(const std::vector<ScenarioOutcome>& outcomes, const ReportStyle& style);
// {"scenarios": [{"name", "file", "passed", "seed", "events", "traceHash", "error",
//   "failed": [{"expectation", "expected", "observed", "at"}]}], "passed": N, "failed": N}
std::string format_json_report(const std::vector<ScenarioOutcome>& outcomes);
// One <testsuite> per scenario file, one <testcase> per scenario.
std::string format_junit_report(const std::vector<ScenarioOutcome>& outcomes);
// The command that reproduces one scenario's run.
std::string reproduce_command(const ScenarioOutcome& o, const ReportStyle& style);

}  // namespace rehearse::sim
