// Token buckets and a keyed limiter with a bounded number of keys.
//
// A bucket holds time credit rather than fractional tokens: one token is worth refill_interval_us
// of credit, and credit accrues one microsecond per microsecond up to capacity tokens' worth.
// Integer-exact, so "1 message per 6 s to one recipient" (WhatsApp's pair rate) and "100 per
// second" are both exact, and no floating point rounds differently anywhere.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "src/core/time.h"

namespace intsim::core::resilience {

struct TokenBucketConfig {
  std::int64_t capacity = 10;                  // burst size, in tokens (>= 1)
  TimeUs refill_interval_us = kUsPerSec / 10;  // time to earn one token (> 0)

  // `refill_per_sec` tokens a second (>= 1).
  static TokenBucketConfig per_second(std::int64_t capacity, std::int64_t refill_per_sec) {
    return {capacity, kUsPerSec / refill_per_sec};
  }
};

class TokenBucket {
 public:
  // Starts full at now_us.
  TokenBucket(TokenBucketConfig config, TimeUs now_us);

  // Takes one token if there is one.
  bool try_take(TimeUs now_us);
  // The earliest time try_take can succeed (now_us when it can now).
  TimeUs next_available_us(TimeUs now_us) const;
  // Whole tokens available at now_us.
  std::int64_t tokens(TimeUs now_us) const;
  // True when the bucket is full: forgetting it loses nothing (a new one starts full).
  bool full(TimeUs now_us) const { return credit_at(now_us) >= credit_max_us(); }

 private:
  TimeUs credit_max_us() const { return config_.capacity * config_.refill_interval_us; }
  TimeUs credit_at(TimeUs now_us) const;
  TokenBucketConfig config_;
  TimeUs credit_us_;
  TimeUs updated_at_us_;
};

// One bucket per key (a peer, a recipient, an inbound source), at most keys_max of them. When a
// new key arrives and the limiter is full, the bucket used least recently goes (ties: smallest
// key), chosen through an ordered index so the choice never depends on hash order. An evicted
// key comes back with a full bucket: the bound on memory wins over exactness for keys idle that
// long.
class KeyedLimiter {
 public:
  KeyedLimiter(TokenBucketConfig config, std::size_t keys_max);

  bool try_take(std::string_view key, TimeUs now_us);
  // The earliest time try_take(key) can succeed; does not create the key.
  TimeUs next_available_us(std::string_view key, TimeUs now_us) const;

  std::size_t size() const { return buckets_.size(); }
  bool contains(std::string_view key) const { return buckets_.find(key) != buckets_.end(); }
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    TokenBucket bucket;
    TimeUs last_used_us;
  };
  TokenBucketConfig config_;
  std::size_t keys_max_;
  std::map<std::string, Entry, std::less<>> buckets_;
  std::set<std::pair<TimeUs, std::string>> by_last_use_;
  std::uint64_t evictions_ = 0;
};

}  // namespace intsim::core::resilience
