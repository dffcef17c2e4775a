#include "src/core/resilience/token_bucket.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace intsim::core::resilience {
namespace {

TEST(TokenBucket, BurstThenRefillAtTheRate) {
  TokenBucket b(TokenBucketConfig{2, 6 * kUsPerSec}, 0);  // WhatsApp pair rate, burst 2
  EXPECT_TRUE(b.try_take(0));
  EXPECT_TRUE(b.try_take(0));
  EXPECT_FALSE(b.try_take(0));
  EXPECT_EQ(b.next_available_us(1 * kUsPerSec), 6 * kUsPerSec);
  EXPECT_FALSE(b.try_take(6 * kUsPerSec - 1));
  EXPECT_TRUE(b.try_take(6 * kUsPerSec));
  EXPECT_EQ(b.tokens(100 * kUsPerSec), 2);  // capped at capacity
  EXPECT_TRUE(b.full(100 * kUsPerSec));
}

TEST(TokenBucket, PerSecondHelper) {
  TokenBucket b(TokenBucketConfig::per_second(1, 100), 0);
  EXPECT_TRUE(b.try_take(0));
  EXPECT_EQ(b.next_available_us(0), 10'000);
}

// Over any schedule of takes, every window between two successful takes holds at most the
// burst plus what the rate earns in it (so credit saved while idle never exceeds capacity); and
// next_available_us is exact: a take there succeeds, just before it fails.
RC_GTEST_PROP(TokenBucketProperty, NeverExceedsBurstPlusRateInAnyWindow, ()) {
  const std::int64_t capacity = *rc::gen::inRange<std::int64_t>(1, 20);
  const TimeUs interval_us = *rc::gen::inRange<TimeUs>(1, 10'000'000);
  const auto steps =
      *rc::gen::container<std::vector<TimeUs>>(rc::gen::inRange<TimeUs>(0, 50'000'000));
  TokenBucket b({capacity, interval_us}, 0);
  TimeUs now_us = 0;
  std::vector<TimeUs> taken_at;
  for (const TimeUs step_us : steps) {
    now_us += step_us;
    const TimeUs next_us = b.next_available_us(now_us);
    RC_ASSERT(next_us >= now_us);
    if (next_us > now_us) {
      RC_ASSERT(!b.try_take(next_us - 1));
      RC_ASSERT(b.try_take(next_us));
      now_us = next_us;
      taken_at.push_back(now_us);
    } else {
      // Drain the burst at this instant.
      while (b.try_take(now_us)) taken_at.push_back(now_us);
    }
  }
  for (std::size_t i = 0; i < taken_at.size(); ++i) {
    for (std::size_t j = i; j < taken_at.size(); ++j) {
      const auto in_window = static_cast<std::int64_t>(j - i + 1);
      RC_ASSERT(in_window <= capacity + (taken_at[j] - taken_at[i]) / interval_us);
    }
  }
}

TEST(KeyedLimiter, KeysAreIndependent) {
  KeyedLimiter l(TokenBucketConfig{1, kUsPerSec}, 10);
  EXPECT_TRUE(l.try_take("+34600000001", 0));
  EXPECT_FALSE(l.try_take("+34600000001", 0));
  EXPECT_TRUE(l.try_take("+34600000002", 0));
  EXPECT_EQ(l.next_available_us("+34600000001", 0), kUsPerSec);
  EXPECT_EQ(l.next_available_us("unknown", 5), 5);
}

TEST(KeyedLimiter, EvictsLeastRecentlyUsedThenSmallestKey) {
  KeyedLimiter l(TokenBucketConfig{1, kUsPerSec}, 3);
  l.try_take("c", 10);
  l.try_take("a", 10);
  l.try_take("b", 20);
  l.try_take("c", 30);  // c is now the most recent; a (10) is the oldest
  l.try_take("d", 40);  // full: evicts a (last used 10)
  EXPECT_FALSE(l.contains("a"));
  EXPECT_TRUE(l.contains("b") && l.contains("c") && l.contains("d"));
  EXPECT_EQ(l.size(), 3u);
  l.try_take("e", 40);  // evicts b (20)
  EXPECT_FALSE(l.contains("b"));
  EXPECT_EQ(l.evictions(), 2u);

  KeyedLimiter tie(TokenBucketConfig{1, kUsPerSec}, 2);
  tie.try_take("y", 5);
  tie.try_take("x", 5);
  tie.try_take("z", 6);  // tie at 5: the smaller key goes
  EXPECT_FALSE(tie.contains("x"));
  EXPECT_TRUE(tie.contains("y"));
}

}  // namespace
}  // namespace intsim::core::resilience
