#include "sim/kernel/event_queue.hpp"

#include "engine/model/check.hpp"

namespace rehearse::sim {

EventId EventQueue::schedule_at(SimTime at, std::string label, Action action) {
  REHEARSE_CHECK(at >= now_, "event scheduled in the past");
  EventId id{at, next_seq_++};
  events_.emplace(key(id), Event{std::move(label), std::move(action)});
  return id;
}

bool EventQueue::cancel(EventId id) { return id.valid() && events_.erase(key(id)) > 0; }

SimTime EventQueue::next_time() const {
  if (events_.empty()) return SimTime::max();
  return SimTime{SimDuration{events_.begin()->first.first}};
}

bool EventQueue::step(SimTime horizon) {
  if (events_.empty()) return false;
  auto it = events_.begin();
  SimTime at{SimDuration{it->first.first}};
  if (at > horizon) return false;
  Event ev = std::move(it->second);
  events_.erase(it);
  now_ = at;
  ++dispatched_;
  current_label_ = std::move(ev.label);
  ev.action();
  return true;
}

EventQueue::Stop EventQueue::run_until(SimTime horizon, std::uint64_t max_events) {
  std::uint64_t budget_end = dispatched_ + max_events;
  while (true) {
    if (dispatched_ >= budget_end && !events_.empty() && next_time() <= horizon)
      return Stop::EventBudgetExhausted;
    if (!step(horizon)) break;
  }
  bool drained = events_.empty();
  if (horizon > now_) now_ = horizon;
  return drained ? Stop::Drained : Stop::ReachedHorizon;
}

}  // namespace rehearse::sim
