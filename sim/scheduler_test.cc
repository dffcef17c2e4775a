#include "sim/scheduler.h"

#include <gtest/gtest.h>

#include <vector>

namespace intsim::sim {
namespace {

TEST(Scheduler, SameInstantKeepsInsertionOrder) {
  Scheduler s;
  for (std::uint64_t i = 0; i < 10; ++i) s.schedule_at(100, 1, 0, i);
  for (std::uint64_t i = 0; i < 10; ++i) {
    const auto ev = s.pop();
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->arg, i);
    EXPECT_EQ(ev->at_us, 100);
  }
  EXPECT_FALSE(s.pop());
}

TEST(Scheduler, OrdersByTimeThenSequence) {
  Scheduler s;
  s.schedule_at(30, 1, 0, 3);
  s.schedule_at(10, 1, 0, 1);
  s.schedule_at(20, 1, 0, 2);
  s.schedule_at(10, 1, 0, 11);
  std::vector<std::uint64_t> order;
  while (auto ev = s.pop()) order.push_back(ev->arg);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 11, 2, 3}));
  EXPECT_EQ(s.now_us(), 30);
}

TEST(Scheduler, CancelledEventNeverFiresAndStaleIdsAreHarmless) {
  Scheduler s;
  const EventId a = s.schedule_at(5, 1, 0, 1);
  const EventId b = s.schedule_at(6, 1, 0, 2);
  EXPECT_EQ(s.pending(), 2u);
  EXPECT_TRUE(s.cancel(a));
  EXPECT_FALSE(s.cancel(a));
  EXPECT_EQ(s.pending(), 1u);
  const auto ev = s.pop();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->arg, 2u);
  EXPECT_FALSE(s.cancel(b));  // already fired
  // The slot of `a` is reused by a new event: the stale id must not cancel it.
  s.schedule_at(7, 1, 0, 3);
  s.schedule_at(8, 1, 0, 4);
  EXPECT_FALSE(s.cancel(a));
  EXPECT_EQ(s.pending(), 2u);
  EXPECT_FALSE(s.cancel(EventId{}));
}

TEST(Scheduler, ScheduleAfterIsRelativeToNow) {
  Scheduler s;
  s.schedule_at(100, 1, 0, 0);
  s.pop();
  s.schedule_after(50, 1, 0, 7);
  EXPECT_EQ(s.peek_time_us(), 150);
}

TEST(Scheduler, AdvanceToMovesTimeWithoutEvents) {
  Scheduler s;
  s.advance_to(1000);
  EXPECT_EQ(s.now_us(), 1000);
  s.schedule_after(10, 1, 2, 3);
  const auto ev = s.pop();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->at_us, 1010);
  EXPECT_EQ(ev->target, 2u);
}

TEST(SchedulerDeathTest, PastEventsAndRunawayQueuesAreBugs) {
  Scheduler s(4);
  s.advance_to(100);
  EXPECT_DEATH(s.schedule_at(99, 1, 0, 0), "past");
  for (int i = 0; i < 4; ++i) s.schedule_after(1, 1, 0, 0);
  EXPECT_DEATH(s.schedule_after(1, 1, 0, 0), "live_events_max");
}

}  // namespace
}  // namespace intsim::sim
