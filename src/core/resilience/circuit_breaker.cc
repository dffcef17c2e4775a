#include "src/core/resilience/circuit_breaker.h"

#include "src/core/assert.h"

namespace intsim::core::resilience {

CircuitBreaker::CircuitBreaker(Config config) : config_(config) {
  INTSIM_ASSERT(config_.failures_to_open >= 1);
  INTSIM_ASSERT(config_.open_ms >= 0);
  INTSIM_ASSERT(config_.half_open_probes_max >= 1);
}

std::optional<CircuitBreaker::Permit> CircuitBreaker::try_acquire(TimeUs now_us) {
  if (state_ == State::kOpen && now_us >= opened_at_us_ + config_.open_ms * kUsPerMs) {
    state_ = State::kHalfOpen;
    ++epoch_;
    probes_in_flight_ = 0;
  }
  switch (state_) {
    case State::kClosed:
      return Permit{epoch_, false};
    case State::kOpen:
      return std::nullopt;
    case State::kHalfOpen:
      if (probes_in_flight_ >= config_.half_open_probes_max) return std::nullopt;
      ++probes_in_flight_;
      return Permit{epoch_, true};
  }
  return std::nullopt;
}

void CircuitBreaker::on_result(const Permit& permit, bool failure, TimeUs now_us) {
  if (permit.epoch != epoch_) return;  // admitted under an earlier state: stale news
  switch (state_) {
    case State::kClosed:
      INTSIM_ASSERT(!permit.probe);
      if (!failure) {
        consecutive_failures_ = 0;
      } else if (++consecutive_failures_ >= config_.failures_to_open) {
        open(now_us);
      }
      return;
    case State::kOpen:
      // Only a state change makes it open, and that bumps the epoch: no permit of this epoch.
      INTSIM_ASSERT_MSG(false, "result for the open epoch");
      return;
    case State::kHalfOpen:
      INTSIM_ASSERT(permit.probe && probes_in_flight_ > 0);
      --probes_in_flight_;
      if (failure) {
        open(now_us);
      } else {
        state_ = State::kClosed;
        ++epoch_;
        consecutive_failures_ = 0;
        probes_in_flight_ = 0;
      }
      return;
  }
}

std::optional<TimeUs> CircuitBreaker::next_attempt_us(TimeUs now_us) const {
  switch (state_) {
    case State::kClosed:
      return now_us;
    case State::kOpen: {
      const TimeUs end_us = opened_at_us_ + config_.open_ms * kUsPerMs;
      return end_us > now_us ? end_us : now_us;
    }
    case State::kHalfOpen:
      if (probes_in_flight_ < config_.half_open_probes_max) return now_us;
      return std::nullopt;
  }
  return std::nullopt;
}

void CircuitBreaker::open(TimeUs now_us) {
  state_ = State::kOpen;
  ++epoch_;
  opened_at_us_ = now_us;
  consecutive_failures_ = 0;
  probes_in_flight_ = 0;
}

std::string_view breaker_state_name(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

}  // namespace intsim::core::resilience
