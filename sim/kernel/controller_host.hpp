#pragma once
// Hosting a level-triggered controller on the virtual clock, the way controller-runtime
// does: watch events enqueue a key; a deduplicated work queue runs reconcile(key, now),
// which returns done, requeue-after or an error; errors requeue with per-key exponential
// backoff (client-go's ItemExponentialFailureRateLimiter: 5 ms * 2^failures, capped at
// 1000 s, by default).
//
// Invariants:
//  1. A key has at most one pending reconcile; enqueueing sooner than the pending one moves
//     it earlier (AddAfter keeps the earliest), later is a no-op.
//  2. reconcile() runs inside an event; it never sleeps, it returns when to come back.

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

struct ReconcileResult {
  enum class Kind { Done, RequeueAfter, Error };
  Kind kind = Kind::Done;
  SimDuration after{0};
  std::string error;

  static ReconcileResult done() { return {}; }
  static ReconcileResult requeue_after(SimDuration d) { return {Kind::RequeueAfter, d, {}}; }
  static ReconcileResult failed(std::string message) {
    return {Kind::Error, SimDuration{0}, std::move(message)};
  }
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual std::string_view controller_name() const = 0;
  virtual ReconcileResult reconcile(const std::string& key, SimTime now) = 0;
};

// A reconciler that is one function: how the engines' sim adapters host a controller-runtime
// reconcile loop (the function usually calls into the adapter that owns the engine).
class FnReconciler final : public Reconciler {
 public:
  using Fn = std::function<ReconcileResult(const std::string& key, SimTime now)>;
  FnReconciler(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string_view controller_name() const override { return name_; }
  ReconcileResult reconcile(const std::string& key, SimTime now) override { return fn_(key, now); }

 private:
  std::string name_;
  Fn fn_;
};

struct BackoffPolicy {
  SimDuration base = ms(5);
  SimDuration cap = seconds(1000);
};

class ControllerHost {
 public:
  ControllerHost(EventQueue& queue, Reconciler& reconciler, BackoffPolicy backoff = {})
      : queue_(queue), reconciler_(reconciler), backoff_(backoff) {}
  ControllerHost(const ControllerHost&) = delete;
  ControllerHost& operator=(const ControllerHost&) = delete;
  ~ControllerHost();

  void enqueue(const std::string& key) { enqueue_after(key, SimDuration{0}); }
  void enqueue_after(const std::string& key, SimDuration delay);
  // Drops the pending reconcile and the failure count of a key (object deleted).
  void forget(const std::string& key);
  bool is_pending(const std::string& key) const { return pending_.count(key) > 0; }
  int failures(const std::string& key) const;
  std::uint64_t reconciles() const { return reconciles_; }

 private:
  void process(const std::string& key);

  EventQueue& queue_;
  Reconciler& reconciler_;
  BackoffPolicy backoff_;
  std::map<std::string, EventId, std::less<>> pending_;
  std::map<std::string, int, std::less<>> failures_;
  std::uint64_t reconciles_ = 0;
};

}  // namespace rehearse::sim
