#include "sim/kernel/controller_host.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace rehearse::sim;

namespace {
struct Scripted : Reconciler {
  std::vector<std::pair<std::string, std::int64_t>> calls;
  std::vector<ReconcileResult> script;
  size_t next = 0;
  std::string_view controller_name() const override { return "test"; }
  ReconcileResult reconcile(const std::string& key, SimTime now) override {
    calls.emplace_back(key, to_ms(now));
    return next < script.size() ? script[next++] : ReconcileResult::done();
  }
};
}  // namespace

TEST(ControllerHost, DeduplicatesKeysAndKeepsEarliestRequeue) {
  EventQueue q;
  Scripted r;
  ControllerHost host(q, r);
  host.enqueue_after("a", seconds(60));
  host.enqueue_after("a", seconds(10));  // earlier wins
  host.enqueue_after("a", seconds(30));  // later is a no-op
  host.enqueue("b");
  host.enqueue("b");
  q.run_until(SimTime{minutes(5)}, 100);
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0], (std::pair<std::string, std::int64_t>{"b", 0}));
  EXPECT_EQ(r.calls[1], (std::pair<std::string, std::int64_t>{"a", 10000}));
}

TEST(ControllerHost, ErrorsBackOffExponentiallyFromFiveMilliseconds) {
  EventQueue q;
  Scripted r;
  r.script = {ReconcileResult::failed("x"), ReconcileResult::failed("x"),
              ReconcileResult::failed("x"), ReconcileResult::requeue_after(seconds(1))};
  ControllerHost host(q, r);
  host.enqueue("k");
  q.run_until(SimTime{seconds(2)}, 100);
  ASSERT_EQ(r.calls.size(), 5u);
  EXPECT_EQ(r.calls[1].second, 5);         // 5 ms
  EXPECT_EQ(r.calls[2].second, 5 + 10);    // then 10 ms
  EXPECT_EQ(r.calls[3].second, 15 + 20);   // then 20 ms
  EXPECT_EQ(r.calls[4].second, 35 + 1000); // requeue-after resets the failures
  EXPECT_EQ(host.failures("k"), 0);
}
