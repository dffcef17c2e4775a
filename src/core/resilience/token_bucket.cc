#include "src/core/resilience/token_bucket.h"

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::core::resilience {

TokenBucket::TokenBucket(TokenBucketConfig config, TimeUs now_us)
    : config_(config), credit_us_(0), updated_at_us_(now_us) {
  INTSIM_ASSERT(config_.capacity >= 1);
  INTSIM_ASSERT(config_.refill_interval_us > 0);
  credit_us_ = credit_max_us();
}

TimeUs TokenBucket::credit_at(TimeUs now_us) const {
  // Time never runs backwards for a caller; if it does (a skewed clock), accrue nothing.
  const TimeUs elapsed_us = std::max<TimeUs>(0, now_us - updated_at_us_);
  const TimeUs room_us = credit_max_us() - credit_us_;
  return credit_us_ + std::min(elapsed_us, room_us);
}

bool TokenBucket::try_take(TimeUs now_us) {
  credit_us_ = credit_at(now_us);
  updated_at_us_ = std::max(updated_at_us_, now_us);
  if (credit_us_ < config_.refill_interval_us) return false;
  credit_us_ -= config_.refill_interval_us;
  return true;
}

TimeUs TokenBucket::next_available_us(TimeUs now_us) const {
  const TimeUs credit_us = credit_at(now_us);
  if (credit_us >= config_.refill_interval_us) return now_us;
  return std::max(now_us, updated_at_us_) + (config_.refill_interval_us - credit_us);
}

std::int64_t TokenBucket::tokens(TimeUs now_us) const {
  return credit_at(now_us) / config_.refill_interval_us;
}

KeyedLimiter::KeyedLimiter(TokenBucketConfig config, std::size_t keys_max)
    : config_(config), keys_max_(keys_max) {
  INTSIM_ASSERT(keys_max_ >= 1);
}

bool KeyedLimiter::try_take(std::string_view key, TimeUs now_us) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= keys_max_) {
      const auto oldest = by_last_use_.begin();
      buckets_.erase(buckets_.find(oldest->second));
      by_last_use_.erase(oldest);
      ++evictions_;
    }
    it = buckets_.emplace(std::string(key), Entry{TokenBucket(config_, now_us), now_us}).first;
  } else {
    by_last_use_.erase({it->second.last_used_us, it->first});
    it->second.last_used_us = std::max(it->second.last_used_us, now_us);
  }
  by_last_use_.insert({it->second.last_used_us, it->first});
  INTSIM_ASSERT(by_last_use_.size() == buckets_.size());
  return it->second.bucket.try_take(now_us);
}

TimeUs KeyedLimiter::next_available_us(std::string_view key, TimeUs now_us) const {
  const auto it = buckets_.find(key);
  if (it == buckets_.end()) return now_us;  // a new key starts full
  return it->second.bucket.next_available_us(now_us);
}

}  // namespace intsim::core::resilience
