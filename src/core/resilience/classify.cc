#include "src/core/resilience/classify.h"

namespace intsim::core::resilience {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kRetryable:
      return "retryable";
    case Outcome::kPermanent:
      return "permanent";
  }
  return "unknown";
}

Classification classify(const HttpResult& result) {
  switch (result.error) {
    case HttpError::kTimeout:
      return {Outcome::kRetryable, true, "timeout"};
    case HttpError::kConnectionFailed:
      // The request never left: safe to retry even without a key.
      return {Outcome::kRetryable, false, "connection_failed"};
    case HttpError::kMalformedResponse:
      // Something answered, so the request arrived and may have been carried out.
      return {Outcome::kRetryable, true, "malformed_response"};
    case HttpError::kNone:
      break;
  }
  const int s = result.response.status;
  if (s >= 200 && s <= 299) return {Outcome::kSuccess, false, "success"};
  // 408: the server gave up waiting for our request; 429: it refused before doing anything.
  if (s == 408) return {Outcome::kRetryable, false, "status_408"};
  if (s == 429) return {Outcome::kRetryable, false, "status_429", /*throttled=*/true};
  // A 5xx comes after the request was sent: Stripe documents that a 500 may have committed.
  if (s >= 500 && s <= 599) return {Outcome::kRetryable, true, "status_5xx"};
  if (s >= 400 && s <= 499) return {Outcome::kPermanent, false, "status_4xx"};
  // We follow no redirects: a 3xx means the target is configured wrong, which retrying won't fix.
  if (s >= 300 && s <= 399) return {Outcome::kPermanent, false, "status_3xx"};
  // 1xx as a final answer, or a status outside 100-599: a broken response, treated as malformed.
  return {Outcome::kRetryable, true, "status_invalid"};
}

bool counts_as_peer_failure(const Classification& c) {
  return c.outcome == Outcome::kRetryable && !c.throttled;
}

}  // namespace intsim::core::resilience
