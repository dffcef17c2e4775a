#include "src/core/resilience/backoff.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

#include "src/core/resilience/test_random.h"

namespace intsim::core::resilience {
namespace {

using testing::SplitMixRandom;

BackoffConfig gen_config(Jitter jitter) {
  BackoffConfig c;
  c.jitter = jitter;
  c.base_delay_ms = *rc::gen::inRange<std::int64_t>(0, 10'000);
  c.cap_ms = *rc::gen::inRange<std::int64_t>(0, 3'600'000);
  c.attempts_max = *rc::gen::inRange(1, 100);
  c.deadline_ms = *rc::gen::inRange<std::int64_t>(0, 7LL * 24 * 3'600'000);
  return c;
}

RC_GTEST_PROP(BackoffProperty, FullJitterStaysWithinZeroAndTheCappedExponential, ()) {
  const BackoffConfig c = gen_config(Jitter::kFull);
  const int retry = *rc::gen::inRange(1, 200);
  SplitMixRandom random(*rc::gen::arbitrary<std::uint64_t>());
  // The ceiling, computed the slow obvious way.
  TimeUs ceiling_us = c.base_delay_ms * kUsPerMs;
  for (int i = 1; i < retry && ceiling_us < c.cap_ms * kUsPerMs; ++i) ceiling_us *= 2;
  ceiling_us = std::min(ceiling_us, c.cap_ms * kUsPerMs);
  for (int draw = 0; draw < 20; ++draw) {
    const TimeUs d = backoff_delay_us(c, retry, 0, random);
    RC_ASSERT(d >= 0);
    RC_ASSERT(d <= ceiling_us);
    RC_ASSERT(d <= c.cap_ms * kUsPerMs);
  }
}

RC_GTEST_PROP(BackoffProperty, DecorrelatedJitterStaysBetweenBaseAndThreeTimesPrevious, ()) {
  const BackoffConfig c = gen_config(Jitter::kDecorrelated);
  SplitMixRandom random(*rc::gen::arbitrary<std::uint64_t>());
  const TimeUs base_us = c.base_delay_ms * kUsPerMs;
  const TimeUs cap_us = c.cap_ms * kUsPerMs;
  TimeUs previous_us = 0;
  for (int retry = 1; retry <= 60; ++retry) {
    const TimeUs d = backoff_delay_us(c, retry, previous_us, random);
    const TimeUs lo_us = std::min(base_us, cap_us);
    const TimeUs hi_us = std::max(lo_us, std::min(cap_us, 3 * std::max(previous_us, lo_us)));
    RC_ASSERT(d >= lo_us);
    RC_ASSERT(d <= hi_us);
    RC_ASSERT(d <= cap_us);
    previous_us = d;
  }
}

RC_GTEST_PROP(BackoffProperty, DecisionHonoursRetryAfterAttemptsAndDeadline, ()) {
  const BackoffConfig c = gen_config(*rc::gen::element(Jitter::kFull, Jitter::kDecorrelated));
  const int attempts_done = *rc::gen::inRange(1, 120);
  const TimeUs now_us = *rc::gen::inRange<TimeUs>(0, 1'000'000'000);
  const TimeUs deadline_us = now_us + *rc::gen::inRange<TimeUs>(-1'000, 10'000'000'000);
  std::optional<TimeUs> retry_after_us;
  if (*rc::gen::arbitrary<bool>()) retry_after_us = *rc::gen::inRange<TimeUs>(0, 86'400'000'000);
  SplitMixRandom random(*rc::gen::arbitrary<std::uint64_t>());
  const RetryDecision d =
      decide_retry(c, attempts_done, now_us, deadline_us, 0, retry_after_us, random);
  if (attempts_done >= c.attempts_max) {
    RC_ASSERT(d.kind == RetryDecision::Kind::kAttemptsExhausted);
    return;
  }
  if (d.kind == RetryDecision::Kind::kDeadlineExceeded) return;
  RC_ASSERT(d.kind == RetryDecision::Kind::kRetry);
  RC_ASSERT(d.at_us < deadline_us);
  RC_ASSERT(d.at_us >= now_us + d.delay_us);
  RC_ASSERT(d.delay_us <= c.cap_ms * kUsPerMs);
  if (retry_after_us) RC_ASSERT(d.at_us >= now_us + *retry_after_us);
}

TEST(Backoff, FullJitterActuallySpreadsOverTheWholeRange) {
  BackoffConfig c{Jitter::kFull, 100, 60'000, 10, 3'600'000};
  SplitMixRandom random(7);
  TimeUs lo_us = INT64_MAX, hi_us = 0;
  for (int i = 0; i < 2000; ++i) {
    const TimeUs d = backoff_delay_us(c, 4, 0, random);  // ceiling 800 ms
    lo_us = std::min(lo_us, d);
    hi_us = std::max(hi_us, d);
  }
  EXPECT_LT(lo_us, 10 * kUsPerMs);
  EXPECT_GT(hi_us, 790 * kUsPerMs);
  EXPECT_LE(hi_us, 800 * kUsPerMs);
}

TEST(Backoff, SameSeedSameDelays) {
  BackoffConfig c{Jitter::kDecorrelated, 100, 60'000, 10, 3'600'000};
  auto draw = [&](std::uint64_t seed) {
    SplitMixRandom random(seed);
    std::vector<TimeUs> out;
    TimeUs prev = 0;
    for (int i = 1; i <= 8; ++i) out.push_back(prev = backoff_delay_us(c, i, prev, random));
    return out;
  };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));
}

TEST(Backoff, ExhaustedAttemptsAndDeadline) {
  BackoffConfig c{Jitter::kFull, 100, 1'000, 3, 3'600'000};
  SplitMixRandom random(1);
  EXPECT_EQ(decide_retry(c, 3, 0, kUsPerHour, 0, std::nullopt, random).kind,
            RetryDecision::Kind::kAttemptsExhausted);
  EXPECT_EQ(decide_retry(c, 2, 0, kUsPerHour, 0, std::nullopt, random).kind,
            RetryDecision::Kind::kRetry);
  // Retry-After past the deadline: give up rather than retry late.
  EXPECT_EQ(decide_retry(c, 1, 0, 10 * kUsPerSec, 0, 20 * kUsPerSec, random).kind,
            RetryDecision::Kind::kDeadlineExceeded);
}

TEST(Backoff, RetryAfterIsDeltaSecondsOnly) {
  EXPECT_EQ(parse_retry_after_us("120"), 120 * kUsPerSec);
  EXPECT_EQ(parse_retry_after_us(" 0 "), 0);
  EXPECT_EQ(parse_retry_after_us("999999999999999999999"), kUsPerDay);
  EXPECT_EQ(parse_retry_after_us("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_retry_after_us("-1"), std::nullopt);
  EXPECT_EQ(parse_retry_after_us("1.5"), std::nullopt);
  EXPECT_EQ(parse_retry_after_us(""), std::nullopt);
}

}  // namespace
}  // namespace intsim::core::resilience
