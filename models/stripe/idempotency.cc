#include "models/stripe/idempotency.h"

#include "src/core/assert.h"

namespace intsim::models::stripe {

IdempotencyStore::IdempotencyStore(core::TimeUs ttl_us) : ttl_us_(ttl_us) {
  INTSIM_ASSERT(ttl_us > 0);
}

IdempotencyStore::Lookup IdempotencyStore::lookup(std::string_view key,
                                                  std::string_view fingerprint,
                                                  core::TimeUs now_us) {
  prune(now_us);
  auto it = results_.find(key);
  if (it == results_.end()) return {};
  const StoredResult& r = it->second;
  if (now_us < r.completes_at_us) return {Verdict::kInFlight, &r};
  if (r.fingerprint != fingerprint) return {Verdict::kMismatch, &r};
  return {Verdict::kReplay, &r};
}

void IdempotencyStore::store(std::string key, StoredResult result) {
  INTSIM_ASSERT(key.size() <= kIdempotencyKeyLengthMax);
  INTSIM_ASSERT(result.completes_at_us >= result.created_us);
  INTSIM_ASSERT(order_.empty() || order_.back().first <= result.created_us);
  order_.emplace_back(result.created_us, key);
  results_.insert_or_assign(std::move(key), std::move(result));
}

void IdempotencyStore::prune(core::TimeUs now_us) {
  while (!order_.empty() && order_.front().first + ttl_us_ <= now_us) {
    auto it = results_.find(order_.front().second);
    if (it != results_.end() && it->second.created_us == order_.front().first) {
      results_.erase(it);
    }
    order_.pop_front();
  }
}

core::TimeUs IdempotencyStore::next_prune_us() const {
  return order_.empty() ? kNever : order_.front().first + ttl_us_;
}

}  // namespace intsim::models::stripe
