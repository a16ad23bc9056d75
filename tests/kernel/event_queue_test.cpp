#include "sim/kernel/event_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace rehearse::sim;

TEST(EventQueue, RunsByTimeThenSchedulingOrder) {
  EventQueue q;
  std::vector<std::string> order;
  q.schedule_at(SimTime{seconds(5)}, "late", [&] { order.push_back("late"); });
  q.schedule_at(SimTime{seconds(1)}, "a", [&] { order.push_back("a"); });
  q.schedule_at(SimTime{seconds(1)}, "b", [&] { order.push_back("b"); });
  q.schedule_at(SimTime{seconds(1)}, "c", [&] {
    order.push_back("c");
    // Scheduled during dispatch at the same time: runs after everything already queued.
    q.schedule_after(SimDuration{0}, "d", [&] { order.push_back("d"); });
  });
  EXPECT_EQ(q.run_until(SimTime{hours(1)}, 100), EventQueue::Stop::Drained);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d", "late"}));
  EXPECT_EQ(q.now(), SimTime{hours(1)});
}

TEST(EventQueue, CancelledEventsDoNotRunAndStaleIdsAreSafe) {
  EventQueue q;
  int ran = 0;
  EventId id = q.schedule_at(SimTime{seconds(1)}, "x", [&] { ++ran; });
  EventId other = q.schedule_at(SimTime{seconds(2)}, "y", [&] { ++ran; });
  EXPECT_TRUE(q.cancel(id));
  EXPECT_FALSE(q.cancel(id));
  q.run_until(SimTime{seconds(10)}, 100);
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(q.cancel(other));  // already ran
  EXPECT_FALSE(q.cancel(EventId{}));
}

TEST(EventQueue, HorizonLeavesLaterEventsPending) {
  EventQueue q;
  int ran = 0;
  q.schedule_at(SimTime{seconds(30)}, "x", [&] { ++ran; });
  EXPECT_EQ(q.run_until(SimTime{seconds(10)}, 100), EventQueue::Stop::ReachedHorizon);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(q.now(), SimTime{seconds(10)});
}

TEST(EventQueue, LivelockStopsAtTheEventBudget) {
  EventQueue q;
  std::function<void()> again = [&] { q.schedule_after(SimDuration{0}, "spin", again); };
  q.schedule_at(SimTime{}, "spin", again);
  EXPECT_EQ(q.run_until(SimTime{seconds(1)}, 1000), EventQueue::Stop::EventBudgetExhausted);
  EXPECT_EQ(q.dispatched(), 1000u);
}
