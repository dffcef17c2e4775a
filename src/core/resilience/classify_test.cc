#include "src/core/resilience/classify.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace intsim::core::resilience {
namespace {

HttpResult status(int s) { return HttpResult::of(HttpResponse{s, {}, ""}); }

// The table from the brief, written independently of the implementation.
Outcome expected_outcome(int s) {
  if (s >= 200 && s <= 299) return Outcome::kSuccess;
  if (s == 408 || s == 429 || (s >= 500 && s <= 599)) return Outcome::kRetryable;
  if (s >= 300 && s <= 499) return Outcome::kPermanent;
  return Outcome::kRetryable;  // not a valid final status: malformed
}

TEST(Classify, EveryStatusFrom100To599) {
  for (int s = 100; s <= 599; ++s) {
    const Classification c = classify(status(s));
    EXPECT_EQ(c.outcome, expected_outcome(s)) << s;
    EXPECT_FALSE(c.reason.empty()) << s;
    EXPECT_EQ(c.ambiguous, (s >= 500 || s < 200)) << s;
  }
}

TEST(Classify, EveryErrorKind) {
  const Classification timeout = classify(HttpResult::failed(HttpError::kTimeout));
  EXPECT_EQ(timeout.outcome, Outcome::kRetryable);
  EXPECT_TRUE(timeout.ambiguous);
  const Classification refused = classify(HttpResult::failed(HttpError::kConnectionFailed));
  EXPECT_EQ(refused.outcome, Outcome::kRetryable);
  EXPECT_FALSE(refused.ambiguous);  // never sent
  const Classification garbled = classify(HttpResult::failed(HttpError::kMalformedResponse));
  EXPECT_EQ(garbled.outcome, Outcome::kRetryable);
  EXPECT_TRUE(garbled.ambiguous);
}

TEST(Classify, UserDocumentExamples) {
  EXPECT_EQ(classify(status(503)).outcome, Outcome::kRetryable);
  EXPECT_EQ(classify(status(400)).outcome, Outcome::kPermanent);
  EXPECT_EQ(classify(status(401)).outcome, Outcome::kPermanent);
  EXPECT_EQ(classify(status(429)).outcome, Outcome::kRetryable);
  EXPECT_FALSE(classify(status(429)).ambiguous);
}

TEST(Classify, RateLimitIsNotAPeerFailure) {
  EXPECT_FALSE(counts_as_peer_failure(classify(status(429))));
  EXPECT_TRUE(counts_as_peer_failure(classify(status(503))));
  EXPECT_FALSE(counts_as_peer_failure(classify(status(404))));
  const HttpResult t = HttpResult::failed(HttpError::kTimeout);
  EXPECT_TRUE(counts_as_peer_failure(classify(t)));
}

// Totality over everything a result can hold: any int status, any error kind (a kind with a
// response is ignored, as HttpResult says).
RC_GTEST_PROP(ClassifyProperty, TotalAndConsistent, ()) {
  const auto error = *rc::gen::element(HttpError::kNone, HttpError::kTimeout,
                                       HttpError::kConnectionFailed, HttpError::kMalformedResponse);
  const int s = *rc::gen::arbitrary<int>();
  HttpResult r{error, HttpResponse{s, {}, ""}};
  const Classification c = classify(r);
  RC_ASSERT(!c.reason.empty());
  RC_ASSERT(c.outcome == Outcome::kSuccess || c.outcome == Outcome::kRetryable ||
            c.outcome == Outcome::kPermanent);
  if (error != HttpError::kNone) {
    RC_ASSERT(c.outcome == Outcome::kRetryable);
    RC_ASSERT(c.ambiguous == (error != HttpError::kConnectionFailed));
  } else {
    RC_ASSERT(c.outcome == expected_outcome(s));
    // Success and permanent refusals are never ambiguous: the peer told us what happened.
    if (c.outcome != Outcome::kRetryable) RC_ASSERT(!c.ambiguous);
  }
}

}  // namespace
}  // namespace intsim::core::resilience
