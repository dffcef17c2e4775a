// Idempotency keys for outbound requests: made from the core's Random port before the first
// attempt and stored with the job, so every retry (and every retry after a restart) carries the
// same key and the peer does the work at most once.
//
// Keys age: Stripe may prune a key once it is 24 hours old, after which the same key makes a
// NEW request. Retrying past that age could charge twice, so the caller must first reconcile
// (ask the peer what happened) and then retry with a fresh key or not at all.
#pragma once

#include <string>

#include "src/core/ports.h"
#include "src/core/time.h"

namespace intsim::core::resilience {

inline constexpr TimeUs kStripeKeyPruneAgeUs = 24 * kUsPerHour;

// "ik_" and 32 lowercase hex digits (128 random bits): far below Stripe's 255-character limit.
std::string new_idempotency_key(Random& random);
// "job_" and 16 lowercase hex digits.
std::string new_job_id(Random& random);

// A key counts as pruned this long before the peer may prune it. The core measures a key's age
// on its own clock from when it made the key, while the peer's starts when the first request
// arrives on the peer's clock: a request sent just in time still travels (seconds, up to a
// timeout), and clocks drift apart (hundreds of ppm: seconds a day). Minutes cover both.
inline constexpr TimeUs kKeyPruneMarginUs = 10 * kUsPerMin;

inline TimeUs key_age_us(TimeUs key_created_at_us, TimeUs now_us) {
  return now_us - key_created_at_us;
}
// True when a request with this key may no longer be deduplicated by the peer, with the margin
// above (a tenth of prune_age_us for peers that prune sooner than in 100 minutes).
// prune_age_us <= 0 means the peer keeps keys forever (or uses none).
inline bool key_past_prune_age(TimeUs key_created_at_us, TimeUs now_us, TimeUs prune_age_us) {
  if (prune_age_us <= 0) return false;
  const TimeUs margin_us =
      prune_age_us / 10 < kKeyPruneMarginUs ? prune_age_us / 10 : kKeyPruneMarginUs;
  return key_age_us(key_created_at_us, now_us) >= prune_age_us - margin_us;
}

}  // namespace intsim::core::resilience
