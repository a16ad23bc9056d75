#include "sim/kernel/event_queue.hpp"

#include <algorithm>

#include "engine/model/check.hpp"

namespace rehearse::sim {

EventId EventQueue::schedule_at(SimTime at, std::string label, Action action) {
  REHEARSE_CHECK(at >= now_, "event scheduled in the past");
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  EventId id{at, next_seq_++, slot};
  Slot& s = slots_[slot];
  s.seq = id.seq;
  s.label = std::move(label);
  s.action = std::move(action);
  heap_.push_back({to_ms(at), id.seq, slot});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  ++live_;
  return id;
}

bool EventQueue::is_pending(EventId id) const {
  return id.valid() && id.slot < slots_.size() && slots_[id.slot].seq == id.seq;
}

bool EventQueue::cancel(EventId id) {
  if (!is_pending(id)) return false;
  Slot& s = slots_[id.slot];
  s.seq = 0;
  s.action = nullptr;
  s.label.clear();
  free_.push_back(id.slot);
  --live_;
  return true;
}

void EventQueue::drop_stale_top() {
  while (!heap_.empty() && slots_[heap_.front().slot].seq != heap_.front().seq) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
  }
}

SimTime EventQueue::next_time() const {
  const_cast<EventQueue*>(this)->drop_stale_top();
  if (heap_.empty()) return SimTime::max();
  return SimTime{SimDuration{heap_.front().time}};
}

bool EventQueue::step(SimTime horizon) {
  drop_stale_top();
  if (heap_.empty()) return false;
  Entry top = heap_.front();
  SimTime at{SimDuration{top.time}};
  if (at > horizon) return false;
  std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
  heap_.pop_back();
  Slot& s = slots_[top.slot];
  Action action = std::move(s.action);
  current_label_ = std::move(s.label);
  s.seq = 0;
  s.action = nullptr;
  free_.push_back(top.slot);
  --live_;
  now_ = at;
  ++dispatched_;
  action();
  return true;
}

EventQueue::Stop EventQueue::run_until(SimTime horizon, std::uint64_t max_events) {
  std::uint64_t budget_end = dispatched_ + max_events;
  while (true) {
    if (dispatched_ >= budget_end && live_ > 0 && next_time() <= horizon)
      return Stop::EventBudgetExhausted;
    if (!step(horizon)) break;
  }
  bool drained = live_ == 0;
  if (horizon > now_) now_ = horizon;
  return drained ? Stop::Drained : Stop::ReachedHorizon;
}

}  // namespace rehearse::sim
