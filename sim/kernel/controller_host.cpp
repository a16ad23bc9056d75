#include "sim/kernel/controller_host.hpp"

#include <fmt/format.h>

namespace rehearse::sim {

ControllerHost::~ControllerHost() {
  for (auto& [key, id] : pending_) queue_.cancel(id);
}

void ControllerHost::enqueue_after(const std::string& key, SimDuration delay) {
  if (delay < SimDuration{0}) delay = SimDuration{0};
  SimTime at = queue_.now() + delay;
  auto it = pending_.find(key);
  if (it != pending_.end()) {
    if (it->second.time <= at) return;
    queue_.cancel(it->second);
    pending_.erase(it);
  }
  EventId id = queue_.schedule_at(at, fmt::format("{}:{}", reconciler_.controller_name(), key),
                                  [this, key] { process(key); });
  pending_.emplace(key, id);
}

void ControllerHost::forget(const std::string& key) {
  if (auto it = pending_.find(key); it != pending_.end()) {
    queue_.cancel(it->second);
    pending_.erase(it);
  }
  failures_.erase(key);
}

int ControllerHost::failures(const std::string& key) const {
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void ControllerHost::process(const std::string& key) {
  pending_.erase(key);
  ++reconciles_;
  ReconcileResult r = reconciler_.reconcile(key, queue_.now());
  switch (r.kind) {
    case ReconcileResult::Kind::Done:
      failures_.erase(key);
      break;
    case ReconcileResult::Kind::RequeueAfter:
      failures_.erase(key);
      enqueue_after(key, r.after);
      break;
    case ReconcileResult::Kind::Error: {
      int n = failures_[key]++;
      SimDuration d = backoff_.base;
      for (int i = 0; i < n && d < backoff_.cap; ++i) d *= 2;
      if (d > backoff_.cap) d = backoff_.cap;
      enqueue_after(key, d);
      break;
    }
  }
}

}  // namespace rehearse::sim
