// Stripe's idempotency layer, as documented: the first response to a POST carrying an
// Idempotency-Key is stored (status and body, 500s included) and replayed for later requests
// with the same key and parameters; the same key with other parameters is a 400
// idempotency_error; a request arriving while the first is still executing gets 409
// idempotency_key_in_use; a stored result may be pruned once it is at least ttl old, after
// which the key makes a new request. Validation failures and 409s are never stored (the
// caller decides what to store; this class only remembers).
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "src/core/http.h"
#include "src/core/time.h"

namespace intsim::models::stripe {

inline constexpr core::TimeUs kNever = std::numeric_limits<core::TimeUs>::max();
// Stripe accepts keys up to 255 characters.
inline constexpr std::size_t kIdempotencyKeyLengthMax = 255;

struct StoredResult {
  std::string fingerprint;  // method, path and canonical parameters of the first request
  core::HttpResponse response;
  std::string request_id;            // the request that produced it (Original-Request header)
  core::TimeUs created_us = 0;       // when it started executing
  core::TimeUs completes_at_us = 0;  // until then the key is in flight
};

class IdempotencyStore {
 public:
  explicit IdempotencyStore(core::TimeUs ttl_us);

  enum class Verdict {
    kNew,       // no live result: execute the request
    kReplay,    // same parameters, finished: answer with the stored response
    kMismatch,  // other parameters: 400 idempotency_error
    kInFlight,  // the first request is still executing: 409 idempotency_key_in_use
  };
  struct Lookup {
    Verdict verdict = Verdict::kNew;
    const StoredResult* stored = nullptr;  // set unless kNew
  };
  // Prunes results at least ttl old first, so the answer never depends on whether the driver
  // happened to call prune() in between.
  Lookup lookup(std::string_view key, std::string_view fingerprint, core::TimeUs now_us);
  void store(std::string key, StoredResult result);

  // Drops every result at least ttl old.
  void prune(core::TimeUs now_us);
  // When the oldest result becomes prunable; kNever when empty.
  core::TimeUs next_prune_us() const;
  std::size_t size() const { return results_.size(); }

 private:
  core::TimeUs ttl_us_;
  std::map<std::string, StoredResult, std::less<>> results_;
  // Keys in creation order (times never decrease); an entry whose result was replaced by a
  // newer one with the same key is skipped when it surfaces.
  std::deque<std::pair<core::TimeUs, std::string>> order_;
};

}  // namespace intsim::models::stripe
