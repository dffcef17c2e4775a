#include "src/core/resilience/backoff.h"

#include <algorithm>

#include "src/core/assert.h"
#include "src/core/random.h"

namespace intsim::core::resilience {
namespace {

// Uniform in [lo, hi], inclusive.
TimeUs uniform_between(Random& random, TimeUs lo, TimeUs hi) {
  INTSIM_ASSERT(lo <= hi);
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<TimeUs>(uniform_below(random, span));
}

}  // namespace

TimeUs backoff_delay_us(const BackoffConfig& config, int retry, TimeUs previous_delay_us,
                        Random& random) {
  INTSIM_ASSERT(retry >= 1);
  INTSIM_ASSERT(config.base_delay_ms >= 0 && config.cap_ms >= 0);
  const TimeUs base_us = config.base_delay_ms * kUsPerMs;
  const TimeUs cap_us = config.cap_ms * kUsPerMs;
  switch (config.jitter) {
    case Jitter::kFull: {
      // base * 2^(retry-1), saturating at the cap without overflowing.
      TimeUs ceiling_us = std::min(base_us, cap_us);
      for (int i = 1; i < retry && ceiling_us < cap_us; ++i) {
        ceiling_us = ceiling_us > cap_us / 2 ? cap_us : ceiling_us * 2;
      }
      return uniform_between(random, 0, ceiling_us);
    }
    case Jitter::kDecorrelated: {
      const TimeUs lo_us = std::min(base_us, cap_us);
      const TimeUs prev_us = std::clamp(previous_delay_us, lo_us, cap_us);
      const TimeUs hi_us = std::min(cap_us, prev_us > cap_us / 3 ? cap_us : prev_us * 3);
      return uniform_between(random, lo_us, std::max(lo_us, hi_us));
    }
  }
  INTSIM_ASSERT_MSG(false, "unknown jitter");
  return 0;
}

std::optional<TimeUs> parse_retry_after_us(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  constexpr std::int64_t kSecondsMax = 24 * 60 * 60;
  std::int64_t seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min(kSecondsMax, seconds * 10 + (c - '0'));
  }
  return seconds * kUsPerSec;
}

std::string_view retry_decision_name(RetryDecision::Kind kind) {
  switch (kind) {
    case RetryDecision::Kind::kRetry:
      return "retry";
    case RetryDecision::Kind::kAttemptsExhausted:
      return "attempts_exhausted";
    case RetryDecision::Kind::kDeadlineExceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

RetryDecision decide_retry(const BackoffConfig& config, int attempts_done, TimeUs now_us,
                           TimeUs deadline_us, TimeUs previous_delay_us,
                           std::optional<TimeUs> retry_after_us, Random& random) {
  INTSIM_ASSERT(attempts_done >= 1);
  RetryDecision d;
  if (attempts_done >= config.attempts_max) {
    d.kind = RetryDecision::Kind::kAttemptsExhausted;
    return d;
  }
  // Draw even when the deadline will refuse, so the stream advances the same way either way.
  const TimeUs delay_us = backoff_delay_us(config, attempts_done, previous_delay_us, random);
  const TimeUs wait_us = std::max(delay_us, retry_after_us.value_or(0));
  if (now_us + wait_us >= deadline_us) {
    d.kind = RetryDecision::Kind::kDeadlineExceeded;
    return d;
  }
  d.at_us = now_us + wait_us;
  d.delay_us = delay_us;
  return d;
}

}  // namespace intsim::core::resilience
