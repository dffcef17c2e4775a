// What an HTTP outcome means for the work behind it: done, worth retrying, or never going to
// work; and whether the peer may have done the work although we did not see it succeed.
//
// Total over core::HttpResult: every error kind and every status (even ones outside 100-599,
// which a broken peer or proxy can send) has exactly one classification.
#pragma once

#include <string_view>

#include "src/core/http.h"

namespace intsim::core::resilience {

enum class Outcome {
  kSuccess,    // 2xx: the work is done
  kRetryable,  // transient: timeouts, connection failures, malformed responses, 5xx, 408, 429
  kPermanent,  // the peer refused the request as it is (other 4xx, 3xx we do not follow)
};
std::string_view outcome_name(Outcome outcome);

struct Classification {
  Outcome outcome = Outcome::kPermanent;
  // The peer may have done the work: a retry without an idempotency key (WhatsApp sends) may
  // do it twice. True for timeouts, malformed responses, 5xx and unexpected statuses.
  bool ambiguous = false;
  // A short stable reason for logs, metrics and DLQ rows: "timeout", "status_503".
  std::string_view reason;
  // The peer refused to protect itself while healthy (429; WhatsApp's 130429 and 131056, which
  // come as 400s): the rate limiter and Retry-After deal with it, the circuit breaker must not.
  bool throttled = false;
};

Classification classify(const HttpResult& result);

// True when a circuit breaker should count this outcome as the peer being unhealthy: the
// retryable outcomes that are not throttling.
bool counts_as_peer_failure(const Classification& c);

}  // namespace intsim::core::resilience
