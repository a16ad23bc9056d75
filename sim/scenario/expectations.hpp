#pragma once
// Evaluating a scenario's expectations after its run, over the recorded object history and
// the trace. Pure: the same history and trace give the same verdicts and texts.

#include <string>
#include <vector>

#include "engine/model/glob.hpp"
#include "sim/kernel/trace.hpp"
#include "sim/scenario/history.hpp"
#include "sim/scenario/scenario.hpp"

namespace rehearse::sim {

struct ExpectationResult {
  const Expectation* expectation = nullptr;
  bool passed = false;
  std::string title;     // the expectation in words
  std::string expected;  // what should have held
  std::string observed;  // what did (with the value at that time)
  SimTime observed_at{};
  std::vector<std::string> context;  // trace lines around it
};

std::vector<ExpectationResult> evaluate_expectations(const Scenario& scenario,
                                                     const ObjectHistory& history,
                                                     const Trace& trace);

// Glob with `*` and `?`.
using model::glob_match;
// Does a trace entry match? Objects match by parsed reference or by glob over the printed
// object (with or without the API group).
bool event_matches(const EventMatcher& m, const TraceEntry& e);

}  // namespace rehearse::sim
