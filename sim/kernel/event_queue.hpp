#pragma once
// The discrete-event core (after ns-3's scheduler and FoundationDB's task queue).
//
// Invariants:
//  1. Events run in order of (time, sequence); sequence is assigned at scheduling, so two
//     events at the same time run in the order they were scheduled (FIFO tie-break).
//  2. Time never goes backwards: scheduling before now() is a programmer error.
//  3. An EventId stays safe to cancel after its event ran or was cancelled (no-op then).
//  4. The queue is bounded: run() stops with EventBudgetExhausted after `max_events`
//     dispatches, so a livelock is reported instead of hanging.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/kernel/time.hpp"

namespace rehearse::sim {

using EventSeq = std::uint64_t;

struct EventId {
  SimTime time{};
  EventSeq seq = 0;   // 0: never scheduled
  std::uint32_t slot = 0;
  bool valid() const { return seq != 0; }
  auto operator<=>(const EventId&) const = default;
};

class EventQueue {
 public:
  using Action = std::function<void()>;

  SimTime now() const { return now_; }
  std::uint64_t dispatched() const { return dispatched_; }
  size_t pending() const { return live_; }

  // REQUIRES: at >= now().
  EventId schedule_at(SimTime at, std::string label, Action action);
  EventId schedule_after(SimDuration d, std::string label, Action action) {
    return schedule_at(now_ + d, std::move(label), std::move(action));
  }
  // True when the event was pending and is now cancelled.
  bool cancel(EventId id);
  bool is_pending(EventId id) const;
  // Time of the next event, or SimTime::max() when empty.
  SimTime next_time() const;

  enum class Stop { Drained, ReachedHorizon, EventBudgetExhausted };
  // Runs events with time <= horizon. Afterwards now() == horizon unless the budget ran out.
  Stop run_until(SimTime horizon, std::uint64_t max_events);
  // Runs exactly one event if any is due at or before `horizon`. False when none.
  bool step(SimTime horizon);
  // Label of the event being dispatched (for traces and failed checks).
  const std::string& current_label() const { return current_label_; }

 private:
  // Events live in slots (reused through a free list); the heap orders (time, seq, slot).
  // A cancelled event's slot is freed at once and its heap entry skipped when popped
  // (its seq no longer matches the slot's).
  struct Slot {
    EventSeq seq = 0;  // 0: free
    std::string label;
    Action action;
  };
  struct Entry {
    std::int64_t time;
    EventSeq seq;
    std::uint32_t slot;
    bool operator>(const Entry& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  void drop_stale_top();

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<Entry> heap_;  // min-heap by (time, seq)
  size_t live_ = 0;
  SimTime now_{};
  EventSeq next_seq_ = 1;
  std::uint64_t dispatched_ = 0;
  std::string current_label_;
};

}  // namespace rehearse::sim
