// Retry timing: exponential backoff with jitter, a cap, a maximum number of attempts, an overall
// deadline and the peer's Retry-After as a floor. Pure functions of their arguments and a
// core::Random, so a seed decides every delay.
//
// Jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
// - full:         delay = uniform[0, min(cap, base * 2^(n-1))] for the n-th retry;
// - decorrelated: delay = min(cap, uniform[base, 3 * previous]) with previous = base at first.
// Both spread clients that failed together, so they do not retry together.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "src/core/ports.h"
#include "src/core/time.h"

namespace intsim::core::resilience {

enum class Jitter {
  kFull,          // best spread for many clients; a retry may come almost at once
  kDecorrelated,  // keeps growing from the last delay, never below base: gentler on the peer
};

struct BackoffConfig {
  Jitter jitter = Jitter::kFull;
  std::int64_t base_delay_ms = 200;
  std::int64_t cap_ms = 60'000;
  // Attempts in total, the first one included: 1 means never retry.
  int attempts_max = 10;
  // From the job's creation to its deadline (the outbox stores created_at + deadline_ms as the
  // job's deadline_us): no attempt starts after it.
  std::int64_t deadline_ms = 24 * 60 * 60 * 1000;
};

// The jittered delay before retry number `retry` (1 for the first retry). `previous_delay_us`
// is the delay used before the previous retry (0 before the first); only decorrelated jitter
// reads it. The result is in [0, cap] (full) or [min(base, cap), cap] (decorrelated).
TimeUs backoff_delay_us(const BackoffConfig& config, int retry, TimeUs previous_delay_us,
                        Random& random);

// Retry-After as delta-seconds ("120"). The HTTP-date form is not supported (no peer we talk
// to sends it, and parsing dates buys nothing here): it, and anything malformed, gives nullopt
// and the header is ignored. Values above a day are clamped to a day.
std::optional<TimeUs> parse_retry_after_us(std::string_view value);

struct RetryDecision {
  enum class Kind {
    kRetry,              // try again at at_us
    kAttemptsExhausted,  // attempts_max attempts were made
    kDeadlineExceeded,   // the next attempt would start at or after the deadline
  };
  Kind kind = Kind::kRetry;
  TimeUs at_us = 0;     // kRetry: when
  TimeUs delay_us = 0;  // kRetry: the jittered delay (to pass back as previous_delay_us)
};
std::string_view retry_decision_name(RetryDecision::Kind kind);

// After a retryable failure at now_us. `attempts_done` counts the attempts made so far (the
// failed one included). Retry-After, when present, is a floor on the delay and may exceed the
// cap: the peer asked for it, and the deadline still bounds it.
RetryDecision decide_retry(const BackoffConfig& config, int attempts_done, TimeUs now_us,
                           TimeUs deadline_us, TimeUs previous_delay_us,
                           std::optional<TimeUs> retry_after_us, Random& random);

}  // namespace intsim::core::resilience
