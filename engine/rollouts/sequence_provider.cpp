#include "engine/rollouts/sequence_provider.hpp"

namespace rehearse::rollouts {

ProviderResult SequenceProvider::measure(const Metric& metric, SimTime) {
  auto it = seq_.find(metric.name);
  if (it == seq_.end()) return ProviderResult::unavailable();
  size_t& i = next_[metric.name];
  if (i >= it->second.size()) return ProviderResult::unavailable();
  return it->second[i++];
}

size_t SequenceProvider::remaining(const std::string& metric) const {
  auto it = seq_.find(metric);
  if (it == seq_.end()) return 0;
  auto n = next_.find(metric);
  const size_t used = n == next_.end() ? 0 : n->second;
  return it->second.size() - used;
}

SimTime run_to_completion(AnalysisRun& run, MetricProvider& provider, SimTime start,
                          SimTime horizon) {
  SimTime now = start;
  // Bounded: every iteration either measures, or moves time forward, or stops.
  for (int guard = 0; guard < 10'000'000; ++guard) {
    const auto before = run.status().phase;
    auto wake = run.step(now, provider);
    if (run.completed() || !wake) break;
    if (run.measured_in_last_step() == 0 && run.unavailable_in_last_step() > 0) break;
    if (*wake <= now) {
      if (run.measured_in_last_step() == 0 && run.status().phase == before) break;
      continue;  // immediate re-step (a failed metric terminates its siblings)
    }
    if (*wake > horizon) break;
    now = *wake;
  }
  return now;
}

}  // namespace rehearse::rollouts
