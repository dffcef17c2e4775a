// Stripe's idempotency semantics, one by one, through the model's HTTP surface.
#include "models/stripe/idempotency.h"

#include <gtest/gtest.h>

#include "models/stripe/test_client.h"

namespace intsim::models::stripe {
namespace {

using testing::Client;

core::payments::FormFields pi_fields(std::int64_t amount) {
  return {{"amount", std::to_string(amount)},
          {"currency", "usd"},
          {"payment_method", "pm_card_visa"},
          {"confirm", "true"},
          {"metadata[booking_id]", "b_1"}};
}

std::string header(const ApiResult& r, std::string_view name) {
  auto h = r.response.header(name);
  return h ? std::string(*h) : "";
}

TEST(StripeIdempotencyStore, VerdictsAndPruning) {
  IdempotencyStore store(24 * core::kUsPerHour);
  EXPECT_EQ(store.lookup("k", "f", 0).verdict, IdempotencyStore::Verdict::kNew);
  store.store("k", StoredResult{"f", {}, "req_1", 0, 300});
  EXPECT_EQ(store.lookup("k", "f", 100).verdict, IdempotencyStore::Verdict::kInFlight);
  EXPECT_EQ(store.lookup("k", "g", 100).verdict, IdempotencyStore::Verdict::kInFlight);
  EXPECT_EQ(store.lookup("k", "f", 300).verdict, IdempotencyStore::Verdict::kReplay);
  EXPECT_EQ(store.lookup("k", "g", 300).verdict, IdempotencyStore::Verdict::kMismatch);
  EXPECT_EQ(store.next_prune_us(), 24 * core::kUsPerHour);
  EXPECT_EQ(store.lookup("k", "f", 24 * core::kUsPerHour - 1).verdict,
            IdempotencyStore::Verdict::kReplay);
  EXPECT_EQ(store.lookup("k", "f", 24 * core::kUsPerHour).verdict, IdempotencyStore::Verdict::kNew);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.next_prune_us(), kNever);
}

TEST(StripeIdempotency, FirstResponseIsReplayed) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  const ApiResult first = c.pay(5000, "pm_card_visa", "b_1", "key-1");
  ASSERT_EQ(first.response.status, 200) << first.response.body;
  c.now_us += core::kUsPerSec;
  const ApiResult again = c.pay(5000, "pm_card_visa", "b_1", "key-1");
  EXPECT_EQ(again.response.status, 200);
  EXPECT_EQ(again.response.body, first.response.body);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(header(again, "Original-Request"), first.request_id);
  EXPECT_TRUE(again.event_ids.empty());
  EXPECT_EQ(model.ledger().payments().size(), 1u);
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 1);
}

TEST(StripeIdempotency, ParametersCompareAsParametersNotBytes) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  ASSERT_EQ(c.pay(5000, "pm_card_visa", "b_1", "key-1").response.status, 200);
  c.now_us += core::kUsPerSec;
  core::payments::FormFields reordered = pi_fields(5000);
  std::reverse(reordered.begin(), reordered.end());
  const ApiResult again = c.post("/v1/payment_intents", reordered, "key-1");
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
}

TEST(StripeIdempotency, ServerErrorsAreStoredAndReplayed) {
  StripeConfig config;
  config.api_error_probability = 0.5;
  StripeModel model(config, sim::Rng(7));
  Client c(&model);
  // Find a key whose first request drew the 500.
  std::string key;
  ApiResult first;
  for (int i = 0; i < 64 && key.empty(); ++i) {
    first = c.post("/v1/payment_intents", pi_fields(5000), "k" + std::to_string(i));
    if (first.response.status == 500) key = "k" + std::to_string(i);
    c.now_us += core::kUsPerSec;
  }
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(Client::body(first)["error"]["type"], "api_error");
  const std::size_t payments = model.ledger().payments().size();
  for (int i = 0; i < 5; ++i) {
    c.now_us += core::kUsPerSec;
    const ApiResult again = c.post("/v1/payment_intents", pi_fields(5000), key);
    EXPECT_EQ(again.response.status, 500);
    EXPECT_EQ(again.response.body, first.response.body);
    EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  }
  EXPECT_EQ(model.ledger().payments().size(), payments);
}

TEST(StripeIdempotency, CardErrorsAreStoredAndReplayed) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  const ApiResult first = c.pay(5000, "pm_card_chargeDeclined", "b_1", "key-d");
  ASSERT_EQ(first.response.status, 402);
  c.now_us += core::kUsPerSec;
  const ApiResult again = c.pay(5000, "pm_card_chargeDeclined", "b_1", "key-d");
  EXPECT_EQ(again.response.status, 402);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(model.ledger().payments().size(), 1u);
}

TEST(StripeIdempotency, ValidationErrorsAreNotStored) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  core::payments::FormFields bad = pi_fields(5000);
  bad.erase(bad.begin());  // no amount
  const ApiResult first = c.post("/v1/payment_intents", bad, "key-v");
  ASSERT_EQ(first.response.status, 400);
  EXPECT_EQ(Client::body(first)["error"]["code"], "parameter_missing");
  EXPECT_EQ(model.idempotency_keys_stored(), 0u);
  // The corrected request with the same key executes (no idempotency_error, no replay).
  c.now_us += core::kUsPerSec;
  const ApiResult fixed = c.post("/v1/payment_intents", pi_fields(5000), "key-v");
  EXPECT_EQ(fixed.response.status, 200) << fixed.response.body;
  EXPECT_EQ(header(fixed, "Idempotent-Replayed"), "");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 1);
}

TEST(StripeIdempotency, OtherParametersAreAnIdempotencyError) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  ASSERT_EQ(c.post("/v1/payment_intents", pi_fields(5000), "key-m").response.status, 200);
  c.now_us += core::kUsPerSec;
  const ApiResult other = c.post("/v1/payment_intents", pi_fields(6000), "key-m");
  EXPECT_EQ(other.response.status, 400);
  EXPECT_EQ(Client::body(other)["error"]["type"], "idempotency_error");
  // Another endpoint with the same key is also other parameters.
  const ApiResult cust = c.post("/v1/customers", {{"email", "a@b.c"}}, "key-m");
  EXPECT_EQ(cust.response.status, 400);
  EXPECT_EQ(model.ledger().payments().size(), 1u);
}

TEST(StripeIdempotency, KeyInFlightIsAConflictAndNotStored) {
  StripeConfig config;
  config.request_processing_ms = 300;
  StripeModel model(config, sim::Rng(1));
  Client c(&model);
  const ApiResult first = c.post("/v1/payment_intents", pi_fields(5000), "key-f");
  ASSERT_EQ(first.response.status, 200);
  EXPECT_EQ(first.completes_at_us, c.now_us + 300 * core::kUsPerMs);
  c.now_us += 100 * core::kUsPerMs;
  const ApiResult concurrent = c.post("/v1/payment_intents", pi_fields(5000), "key-f");
  EXPECT_EQ(concurrent.response.status, 409);
  EXPECT_EQ(Client::body(concurrent)["error"]["code"], "idempotency_key_in_use");
  // Even other parameters collide while in flight.
  EXPECT_EQ(c.post("/v1/payment_intents", pi_fields(7000), "key-f").response.status, 409);
  c.now_us += 200 * core::kUsPerMs;
  const ApiResult after = c.post("/v1/payment_intents", pi_fields(5000), "key-f");
  EXPECT_EQ(after.response.status, 200);
  EXPECT_EQ(after.response.body, first.response.body);
  EXPECT_EQ(model.ledger().payments().size(), 1u);
}

TEST(StripeIdempotency, PrunedAfter24HoursMakesANewRequest) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  const core::TimeUs t0 = c.now_us;
  const ApiResult first = c.pay(5000, "pm_card_visa", "b_1", "key-p");
  ASSERT_EQ(first.response.status, 200);
  EXPECT_EQ(model.next_wakeup_us(), t0 + 24 * core::kUsPerHour);
  c.now_us = t0 + 24 * core::kUsPerHour - 1;
  EXPECT_EQ(header(c.pay(5000, "pm_card_visa", "b_1", "key-p"), "Idempotent-Replayed"), "true");
  c.now_us = t0 + 24 * core::kUsPerHour;
  model.advance(c.now_us);
  EXPECT_EQ(model.idempotency_keys_stored(), 0u);
  const ApiResult fresh = c.pay(5000, "pm_card_visa", "b_1", "key-p");
  EXPECT_EQ(fresh.response.status, 200);
  EXPECT_EQ(header(fresh, "Idempotent-Replayed"), "");
  EXPECT_NE(Client::body(fresh)["id"], Client::body(first)["id"]);
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 2);
}

TEST(StripeIdempotency, KeysOnlyApplyToPostAndHaveALengthLimit) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  EXPECT_EQ(c.post("/v1/payment_intents", pi_fields(5000), std::string(256, 'k')).response.status,
            400);
  EXPECT_EQ(c.post("/v1/payment_intents", pi_fields(5000), std::string(255, 'k')).response.status,
            200);
  EXPECT_EQ(model.idempotency_keys_stored(), 1u);
}

TEST(StripeIdempotency, AmbiguousCommitLeavesTheWorkDone) {
  // The driver drops the response: the retry with the same key gets the stored answer and no
  // second charge happens.
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  (void)c.pay(5000, "pm_card_visa", "b_9", "key-a");
  c.now_us += 30 * core::kUsPerSec;
  const ApiResult retry = c.pay(5000, "pm_card_visa", "b_9", "key-a");
  EXPECT_EQ(Client::body(retry)["status"], "succeeded");
  EXPECT_EQ(model.ledger().succeeded_count("b_9"), 1);
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_9", "usd"), 5000);
}

}  // namespace
}  // namespace intsim::models::stripe
