#pragma once
// A MetricProvider that replays given results in order, per metric name; Unavailable once a
// metric's sequence is exhausted. Backs `rehearse analysis --measurements` and tests.

#include <map>
#include <string>
#include <vector>

#include "engine/rollouts/analysis_run.hpp"

namespace rehearse::rollouts {

class SequenceProvider : public MetricProvider {
 public:
  void add(const std::string& metric, ProviderResult r) { seq_[metric].push_back(std::move(r)); }
  ProviderResult measure(const Metric& metric, SimTime now) override;
  // Results not yet consumed for `metric`.
  size_t remaining(const std::string& metric) const;

 private:
  std::map<std::string, std::vector<ProviderResult>> seq_;
  std::map<std::string, size_t> next_;
};

// Steps `run` on a virtual clock from `start` until it completes, the provider runs out
// (a step that could measure nothing because results were Unavailable), or `horizon` is
// passed. Returns the time of the last step.
SimTime run_to_completion(AnalysisRun& run, MetricProvider& provider, SimTime start,
                          SimTime horizon);

}  // namespace rehearse::rollouts
