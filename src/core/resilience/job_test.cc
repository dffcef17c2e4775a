#include "src/core/resilience/job.h"

#include <gtest/gtest.h>

#include "src/core/resilience/idempotency.h"
#include "src/core/resilience/test_random.h"

namespace intsim::core::resilience {
namespace {

Job sample() {
  Job j;
  j.id = "job_1";
  j.kind = "stripe.create_payment_intent";
  j.peer = "stripe";
  j.method = "POST";
  j.target = "/v1/payment_intents";
  j.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  j.body = "amount=1000&currency=eur";
  j.idempotency_key = "ik_abc";
  j.idempotency_key_created_at_us = 5;
  j.recipient = "";
  j.created_at_us = 5;
  j.attempts = 2;
  j.next_attempt_at_us = 900;
  j.deadline_us = 10'000;
  j.last_delay_us = 400;
  j.first_error_at_us = 100;
  j.first_error = "timeout";
  j.last_error_at_us = 500;
  j.last_error = "status 503: \"busy\"";
  return j;
}

TEST(Job, RoundTripsWithStableFieldOrder) {
  const Job j = sample();
  const std::string text = job_to_json(j);
  EXPECT_EQ(
      text.rfind(R"({"id":"job_1","kind":"stripe.create_payment_intent","peer":"stripe",)", 0), 0u)
      << text;
  EXPECT_LT(text.find("\"idempotency_key\""), text.find("\"created_at_us\""));
  Job back;
  ASSERT_TRUE(job_from_json(text, &back));
  EXPECT_EQ(back, j);
  EXPECT_EQ(job_to_json(back), text);
}

TEST(Job, MalformedRowsAreStatusNotExceptions) {
  Job j;
  EXPECT_EQ(job_from_json("{", &j).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(job_from_json(R"({"id":"x"})", &j).code(), Status::Code::kInvalidArgument);
  DlqEntry e;
  EXPECT_EQ(dlq_entry_from_json("[]", &e).code(), Status::Code::kInvalidArgument);
}

TEST(DlqEntry, RoundTripsEveryReason) {
  for (const DeadReason r :
       {DeadReason::kPermanent, DeadReason::kAttemptsExhausted, DeadReason::kDeadlineExceeded,
        DeadReason::kKeyPastPruneAge, DeadReason::kNoHandler, DeadReason::kAmbiguous}) {
    const DlqEntry e{"job_1", sample(), r, "status 400", 777};
    DlqEntry back;
    ASSERT_TRUE(dlq_entry_from_json(dlq_entry_to_json(e), &back));
    EXPECT_EQ(back, e);
  }
}

TEST(Idempotency, KeysAreRandomWellFormedAndAge) {
  testing::SplitMixRandom random(3);
  const std::string a = new_idempotency_key(random);
  const std::string b = new_idempotency_key(random);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 3u + 32u);
  EXPECT_EQ(a.rfind("ik_", 0), 0u);
  // Counted as pruned a margin before Stripe may prune it: a request sent at 23:59:59 on our
  // clock can arrive after 24 h on Stripe's.
  const TimeUs trusted_until_us = kStripeKeyPruneAgeUs - kKeyPruneMarginUs;
  EXPECT_FALSE(key_past_prune_age(0, trusted_until_us - 1, kStripeKeyPruneAgeUs));
  EXPECT_TRUE(key_past_prune_age(0, trusted_until_us, kStripeKeyPruneAgeUs));
  EXPECT_TRUE(key_past_prune_age(0, kStripeKeyPruneAgeUs - 1, kStripeKeyPruneAgeUs));
  EXPECT_FALSE(key_past_prune_age(0, 89 * kUsPerMin, 100 * kUsPerMin));  // a tenth of a short age
  EXPECT_TRUE(key_past_prune_age(0, 90 * kUsPerMin, 100 * kUsPerMin));
  EXPECT_FALSE(key_past_prune_age(0, 1000 * kUsPerDay, 0));  // a peer that never prunes
}

}  // namespace
}  // namespace intsim::core::resilience
