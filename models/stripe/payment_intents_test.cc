// PaymentIntent status transitions for every card outcome, captures, cancels, refunds, search
// and Stripe's error shapes.
#include <gtest/gtest.h>

#include "models/stripe/stripe_model.h"
#include "models/stripe/test_client.h"

namespace intsim::models::stripe {
namespace {

using testing::Client;
using testing::event_types;
using Types = std::vector<std::string>;

class StripePaymentIntents : public ::testing::Test {
 protected:
  StripeModel model{StripeConfig{}, sim::Rng(42)};
  Client c{&model};

  nlohmann::json retrieve(const std::string& id) {
    return Client::body(c.get("/v1/payment_intents/" + id));
  }
};

TEST_F(StripePaymentIntents, CreateWithoutConfirmWaitsForPaymentMethod) {
  const ApiResult r = c.post("/v1/payment_intents", {{"amount", "5000"}, {"currency", "usd"}}, "");
  ASSERT_EQ(r.response.status, 200);
  const auto pi = Client::body(r);
  EXPECT_EQ(pi["object"], "payment_intent");
  EXPECT_EQ(pi["status"], "requires_payment_method");
  EXPECT_EQ(pi["amount"], 5000);
  EXPECT_EQ(pi["currency"], "usd");
  EXPECT_EQ(event_types(model.take_events()), Types{"payment_intent.created"});
  const ApiResult confirmed =
      c.post("/v1/payment_intents/" + pi["id"].get<std::string>() + "/confirm",
             {{"payment_method", "pm_card_visa"}});
  ASSERT_EQ(confirmed.response.status, 200);
  EXPECT_EQ(Client::body(confirmed)["status"], "succeeded");
  EXPECT_EQ(Client::body(confirmed)["amount_received"], 5000);
}

TEST_F(StripePaymentIntents, SucceedingCard) {
  const ApiResult r = c.pay(5000, "pm_card_visa", "b_1");
  ASSERT_EQ(r.response.status, 200);
  const auto pi = Client::body(r);
  EXPECT_EQ(pi["status"], "succeeded");
  EXPECT_EQ(pi["amount_received"], 5000);
  EXPECT_EQ(pi["metadata"]["booking_id"], "b_1");
  EXPECT_EQ(event_types(model.take_events()),
            (Types{"payment_intent.created", "charge.succeeded", "payment_intent.succeeded"}));
  EXPECT_EQ(r.event_ids.size(), 3u);
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 1);
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_1", "usd"), 5000);
  const auto ch = Client::body(c.get("/v1/charges/" + pi["latest_charge"].get<std::string>()));
  EXPECT_EQ(ch["captured"], true);
  EXPECT_EQ(ch["amount_captured"], 5000);
}

TEST_F(StripePaymentIntents, DeclinedCardIs402CardErrorAndAllowsANewPaymentMethod) {
  const ApiResult r = c.pay(5000, "pm_card_chargeDeclinedInsufficientFunds", "b_1");
  ASSERT_EQ(r.response.status, 402);
  const auto e = Client::body(r)["error"];
  EXPECT_EQ(e["type"], "card_error");
  EXPECT_EQ(e["code"], "card_declined");
  EXPECT_EQ(e["decline_code"], "insufficient_funds");
  EXPECT_EQ(e["payment_intent"]["status"], "requires_payment_method");
  EXPECT_EQ(e["payment_intent"]["last_payment_error"]["decline_code"], "insufficient_funds");
  EXPECT_EQ(event_types(model.take_events()),
            (Types{"payment_intent.created", "charge.failed", "payment_intent.payment_failed"}));
  const std::string id = e["payment_intent"]["id"];
  // Confirming again without a new payment method is refused; with one it succeeds.
  EXPECT_EQ(c.post("/v1/payment_intents/" + id + "/confirm", {}).response.status, 400);
  const ApiResult retry =
      c.post("/v1/payment_intents/" + id + "/confirm", {{"payment_method", "pm_card_visa"}});
  EXPECT_EQ(Client::body(retry)["status"], "succeeded");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 1);
}

TEST_F(StripePaymentIntents, ExpiredCardHasItsOwnCode) {
  const auto e = Client::body(c.pay(5000, "pm_card_chargeDeclinedExpiredCard", "b_1"))["error"];
  EXPECT_EQ(e["code"], "expired_card");
}

TEST_F(StripePaymentIntents, ThreeDSecureThenSucceeds) {
  const ApiResult r = c.pay(5000, "pm_card_threeDSecure2Required", "b_1");
  ASSERT_EQ(r.response.status, 200);
  const auto pi = Client::body(r);
  EXPECT_EQ(pi["status"], "requires_action");
  EXPECT_EQ(pi["next_action"]["type"], "use_stripe_sdk");
  const core::TimeUs due_us = c.now_us + model.config().card.action_delay_ms_min * core::kUsPerMs;
  EXPECT_EQ(model.next_wakeup_us(), due_us);
  c.advance_by(due_us - c.now_us - 1);
  EXPECT_EQ(retrieve(pi["id"])["status"], "requires_action");
  c.advance_by(1);
  EXPECT_EQ(retrieve(pi["id"])["status"], "succeeded");
  EXPECT_EQ(event_types(model.take_events()),
            (Types{"payment_intent.created", "payment_intent.requires_action", "charge.succeeded",
                   "payment_intent.succeeded"}));
}

TEST_F(StripePaymentIntents, ThreeDSecureThenFails) {
  const auto pi = Client::body(c.pay(5000, "pm_card_intsim_threeDSecureFails", "b_1"));
  EXPECT_EQ(pi["status"], "requires_action");
  c.advance_by(model.config().card.action_delay_ms_min * core::kUsPerMs);
  const auto after = retrieve(pi["id"]);
  EXPECT_EQ(after["status"], "requires_payment_method");
  EXPECT_EQ(after["last_payment_error"]["code"], "payment_intent_authentication_failure");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 0);
  const auto types = event_types(model.take_events());
  EXPECT_EQ(types.back(), "payment_intent.payment_failed");
}

TEST_F(StripePaymentIntents, ProcessingSettlesLater) {
  const auto ok = Client::body(c.pay(5000, "pm_card_intsim_processingSucceeds", "b_1"));
  const auto bad = Client::body(c.pay(5000, "pm_card_intsim_processingFails", "b_2"));
  EXPECT_EQ(ok["status"], "processing");
  EXPECT_EQ(bad["status"], "processing");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 0);
  c.advance_by(model.config().card.processing_delay_ms_min * core::kUsPerMs);
  EXPECT_EQ(retrieve(ok["id"])["status"], "succeeded");
  EXPECT_EQ(retrieve(bad["id"])["status"], "requires_payment_method");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 1);
  EXPECT_EQ(model.ledger().succeeded_count("b_2"), 0);
  // The pending charge is the one that settles, not a second charge.
  const auto ch = Client::body(c.get("/v1/charges/" + ok["latest_charge"].get<std::string>()));
  EXPECT_EQ(ch["status"], "succeeded");
}

TEST_F(StripePaymentIntents, CanceledWhileWaitingIgnoresTheLateOutcome) {
  const auto pi = Client::body(c.pay(5000, "pm_card_threeDSecure2Required", "b_1"));
  const std::string id = pi["id"];
  ASSERT_EQ(c.post("/v1/payment_intents/" + id + "/cancel", {{"cancellation_reason", "abandoned"}})
                .response.status,
            200);
  c.advance_by(core::kUsPerHour);
  EXPECT_EQ(retrieve(id)["status"], "canceled");
  EXPECT_EQ(retrieve(id)["cancellation_reason"], "abandoned");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 0);
}

TEST_F(StripePaymentIntents, ManualCaptureFullAndPartial) {
  const auto pi = Client::body(c.pay(5000, "pm_card_visa", "b_1", "", "usd", true));
  EXPECT_EQ(pi["status"], "requires_capture");
  EXPECT_EQ(pi["amount_capturable"], 5000);
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_1", "usd"), 0);
  const std::string id = pi["id"];
  const ApiResult too_much =
      c.post("/v1/payment_intents/" + id + "/capture", {{"amount_to_capture", "6000"}});
  EXPECT_EQ(too_much.response.status, 400);
  const ApiResult cap =
      c.post("/v1/payment_intents/" + id + "/capture", {{"amount_to_capture", "3000"}});
  ASSERT_EQ(cap.response.status, 200);
  EXPECT_EQ(Client::body(cap)["status"], "succeeded");
  EXPECT_EQ(Client::body(cap)["amount_received"], 3000);
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_1", "usd"), 3000);
  // A second capture is an unexpected state.
  const ApiResult again = c.post("/v1/payment_intents/" + id + "/capture", {});
  EXPECT_EQ(again.response.status, 400);
  EXPECT_EQ(Client::body(again)["error"]["code"], "payment_intent_unexpected_state");
}

TEST_F(StripePaymentIntents, CancelRules) {
  const auto held = Client::body(c.pay(5000, "pm_card_visa", "b_1", "", "usd", true));
  const ApiResult canceled =
      c.post("/v1/payment_intents/" + held["id"].get<std::string>() + "/cancel", {});
  EXPECT_EQ(Client::body(canceled)["status"], "canceled");
  EXPECT_EQ(Client::body(canceled)["amount_capturable"], 0);
  const auto paid = Client::body(c.pay(5000, "pm_card_visa", "b_2"));
  const ApiResult refused =
      c.post("/v1/payment_intents/" + paid["id"].get<std::string>() + "/cancel", {});
  EXPECT_EQ(refused.response.status, 400);
  EXPECT_EQ(Client::body(refused)["error"]["code"], "payment_intent_unexpected_state");
}

TEST_F(StripePaymentIntents, RefundsPartialThenFullThenRefused) {
  const auto pi = Client::body(c.pay(5000, "pm_card_visa", "b_1"));
  const std::string id = pi["id"];
  model.take_events();
  const ApiResult part = c.post("/v1/refunds", {{"payment_intent", id}, {"amount", "2000"}});
  ASSERT_EQ(part.response.status, 200) << part.response.body;
  EXPECT_EQ(Client::body(part)["object"], "refund");
  EXPECT_EQ(Client::body(part)["status"], "succeeded");
  EXPECT_EQ(event_types(model.take_events()), (Types{"refund.created", "charge.refunded"}));
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_1", "usd"), 3000);
  const ApiResult over = c.post("/v1/refunds", {{"payment_intent", id}, {"amount", "4000"}});
  EXPECT_EQ(over.response.status, 400);
  const ApiResult rest = c.post("/v1/refunds", {{"payment_intent", id}});
  EXPECT_EQ(Client::body(rest)["amount"], 3000);
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_1", "usd"), 0);
  const ApiResult done = c.post("/v1/refunds", {{"payment_intent", id}});
  EXPECT_EQ(done.response.status, 400);
  EXPECT_EQ(Client::body(done)["error"]["code"], "charge_already_refunded");
  const auto ch = Client::body(c.get("/v1/charges/" + pi["latest_charge"].get<std::string>()));
  EXPECT_EQ(ch["refunded"], true);
  // A succeeded PaymentIntent stays counted as a success even when refunded.
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 1);
}

TEST_F(StripePaymentIntents, RefundOfUnpaidIntentIsRefused) {
  const auto pi = Client::body(c.pay(5000, "pm_card_visa", "b_1", "", "usd", true));
  const ApiResult r = c.post("/v1/refunds", {{"payment_intent", pi["id"]}});
  EXPECT_EQ(r.response.status, 400);
  EXPECT_EQ(c.post("/v1/refunds", {{"payment_intent", "pi_nope"}}).response.status, 400);
}

TEST_F(StripePaymentIntents, SearchByBookingIdIsEventuallyConsistent) {
  (void)c.pay(5000, "pm_card_visa", "b_1");
  (void)c.pay(7000, "pm_card_chargeDeclined", "b_1");
  (void)c.pay(5000, "pm_card_visa", "b_2");
  const std::string q = "/v1/payment_intents/search?query=" +
                        core::payments::form_escape("metadata['booking_id']:'b_1'");
  EXPECT_EQ(Client::body(c.get(q))["data"].size(), 0u);  // not indexed yet
  c.advance_by(model.config().search_lag_ms * core::kUsPerMs);
  const auto found = Client::body(c.get(q));
  EXPECT_EQ(found["object"], "search_result");
  ASSERT_EQ(found["data"].size(), 2u);
  EXPECT_EQ(found["data"][0]["amount"], 7000);  // newest first
  const std::string q2 =
      "/v1/payment_intents/search?query=" +
      core::payments::form_escape("metadata['booking_id']:'b_1' AND status:'succeeded'");
  const auto ok = Client::body(c.get(q2));
  ASSERT_EQ(ok["data"].size(), 1u);
  EXPECT_EQ(ok["data"][0]["amount"], 5000);
  EXPECT_EQ(c.get("/v1/payment_intents/search?query=" + core::payments::form_escape("amount>3"))
                .response.status,
            400);
  const auto list = Client::body(c.get("/v1/payment_intents?limit=2"));
  EXPECT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["has_more"], true);
}

TEST_F(StripePaymentIntents, ValidationErrorsHaveStripesShape) {
  auto err = [&](core::payments::FormFields f) {
    const ApiResult r = c.post("/v1/payment_intents", f);
    EXPECT_EQ(r.response.status, 400) << r.response.body;
    return Client::body(r)["error"];
  };
  auto e = err({{"currency", "usd"}});
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_EQ(e["code"], "parameter_missing");
  EXPECT_EQ(e["param"], "amount");
  EXPECT_EQ(err({{"amount", "10"}, {"currency", "usd"}})["code"], "amount_too_small");
  EXPECT_EQ(err({{"amount", "49"}, {"currency", "jpy"}})["code"], "amount_too_small");
  EXPECT_EQ(err({{"amount", "100000000"}, {"currency", "usd"}})["code"], "amount_too_large");
  EXPECT_EQ(err({{"amount", "150050"}, {"currency", "isk"}})["code"],
            "invalid_charge_amount_no_decimal_compatible");
  EXPECT_EQ(err({{"amount", "1000"}, {"currency", "xyz"}})["param"], "currency");
  EXPECT_EQ(err({{"amount", "abc"}, {"currency", "usd"}})["code"], "parameter_invalid_integer");
  EXPECT_EQ(err({{"amount", "1000"}, {"currency", "usd"}, {"customer", "cus_x"}})["code"],
            "resource_missing");
  // COP is two-decimal: 10,000 COP is 1000000.
  EXPECT_EQ(
      c.post("/v1/payment_intents", {{"amount", "1000000"}, {"currency", "cop"}}).response.status,
      200);
  EXPECT_EQ(
      c.post("/v1/payment_intents", {{"amount", "150000"}, {"currency", "isk"}}).response.status,
      200);
  // Nothing invalid reached the ledger.
  EXPECT_EQ(model.ledger().payments().size(), 2u);
}

TEST_F(StripePaymentIntents, MissingResourcesAndAuth) {
  const ApiResult r = c.get("/v1/payment_intents/pi_missing");
  EXPECT_EQ(r.response.status, 404);
  EXPECT_EQ(Client::body(r)["error"]["code"], "resource_missing");
  core::HttpRequest unauth{"GET", "/v1/payment_intents/pi_missing", {}, ""};
  EXPECT_EQ(model.handle(unauth, c.now_us).status, 401);
  unauth.headers = {{"Authorization", "Bearer sk_test_wrong"}};
  EXPECT_EQ(model.handle(unauth, c.now_us).status, 401);
  EXPECT_EQ(c.get("/v1/nothing").response.status, 404);
}

TEST_F(StripePaymentIntents, RandomOutcomesFollowTheWeights) {
  StripeConfig config;
  config.card = CardOutcomeConfig{};
  config.card.succeed_weight = 0;
  config.card.decline_weight = 1;
  config.card.requires_action_weight = 0;
  config.card.processing_weight = 0;
  StripeModel declining(config, sim::Rng(3));
  Client d(&declining);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(d.pay(5000, "pm_random_" + std::to_string(i), "b").response.status, 402);
  }
  config.card.decline_weight = 0;
  config.card.processing_weight = 1;
  StripeModel processing(config, sim::Rng(3));
  Client p(&processing);
  EXPECT_EQ(Client::body(p.pay(5000, "pm_whatever", "b"))["status"], "processing");
  // A test card overrides the weights.
  EXPECT_EQ(Client::body(p.pay(5000, "pm_card_visa", "b"))["status"], "succeeded");
}

TEST_F(StripePaymentIntents, EventsHaveStripesShape) {
  const ApiResult r = c.pay(5000, "pm_card_visa", "b_1", "key-e");
  const std::vector<Event> events = model.take_events();
  ASSERT_FALSE(events.empty());
  const nlohmann::json e = nlohmann::json::parse(events.back().body());
  EXPECT_TRUE(e["id"].get<std::string>().starts_with("evt_"));
  EXPECT_EQ(e["object"], "event");
  EXPECT_EQ(e["type"], "payment_intent.succeeded");
  EXPECT_EQ(e["created"], core::unix_seconds(c.now_us));
  EXPECT_EQ(e["livemode"], false);
  EXPECT_EQ(e["api_version"], model.config().api_version);
  EXPECT_EQ(e["pending_webhooks"], 1);
  EXPECT_EQ(e["request"]["id"], r.request_id);
  EXPECT_EQ(e["request"]["idempotency_key"], "key-e");
  EXPECT_EQ(e["data"]["object"]["object"], "payment_intent");
  EXPECT_EQ(e["data"]["object"]["status"], "succeeded");
  // Retrievable and listable.
  EXPECT_EQ(Client::body(c.get("/v1/events/" + events.back().id))["id"], events.back().id);
  const auto listed = Client::body(c.get("/v1/events?type=payment_intent.succeeded"));
  EXPECT_EQ(listed["data"].size(), 1u);
  // Automatic changes carry a null request id.
  (void)c.pay(5000, "pm_card_threeDSecure2Required", "b_2");
  model.take_events();
  c.advance_by(core::kUsPerHour);
  const std::vector<Event> later = model.take_events();
  ASSERT_FALSE(later.empty());
  EXPECT_TRUE(later.back().json["request"]["id"].is_null());
}

}  // namespace
}  // namespace intsim::models::stripe
