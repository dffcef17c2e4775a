// A circuit breaker for one peer: stop sending to a peer that keeps failing, give it a cool-down,
// then let a few probes test it.
//
//   closed    --failures_to_open consecutive failures-->  open
//   open      --open_ms elapsed, next try_acquire------->  half-open
//   half-open --a probe succeeds------------------------>  closed
//   half-open --a probe fails--------------------------->  open (the cool-down starts again)
//
// Consecutive failures rather than a failure rate in a window: it needs no window bookkeeping,
// is exact to model in a property test, and with a retrying outbox the failures of one outage
// arrive back to back anyway.
//
// Every admission is a Permit carrying the breaker's epoch (bumped on every state change). A
// result whose permit belongs to an older epoch is ignored: a request admitted before the
// breaker opened says nothing about the peer after it. In half-open only probe results count.
// Deterministic: state changes only through these calls and their now_us arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "src/core/time.h"

namespace intsim::core::resilience {

class CircuitBreaker {
 public:
  struct Config {
    int failures_to_open = 5;
    std::int64_t open_ms = 30'000;
    int half_open_probes_max = 1;  // probes in flight at once while half-open
  };
  enum class State { kClosed, kOpen, kHalfOpen };

  struct Permit {
    std::uint64_t epoch = 0;
    bool probe = false;
  };

  explicit CircuitBreaker(Config config);

  // A permit to send now, or nullopt when the breaker refuses (open, or half-open with every
  // probe slot taken). Moves open to half-open once the cool-down is over.
  std::optional<Permit> try_acquire(TimeUs now_us);
  // The result of a request sent under `permit`.
  void on_result(const Permit& permit, bool failure, TimeUs now_us);

  State state() const { return state_; }
  std::uint64_t epoch() const { return epoch_; }
  int consecutive_failures() const { return consecutive_failures_; }
  int probes_in_flight() const { return probes_in_flight_; }
  // When try_acquire may next succeed: now_us when closed, the end of the cool-down when open,
  // nullopt when half-open with every probe out (it depends on a result, not on time).
  std::optional<TimeUs> next_attempt_us(TimeUs now_us) const;

 private:
  void open(TimeUs now_us);
  Config config_;
  State state_ = State::kClosed;
  std::uint64_t epoch_ = 0;
  int consecutive_failures_ = 0;
  int probes_in_flight_ = 0;
  TimeUs opened_at_us_ = 0;
};

std::string_view breaker_state_name(CircuitBreaker::State state);

}  // namespace intsim::core::resilience
