// Subscriptions: invoices each period, invoice.payment_failed, smart retries and the end of
// dunning (canceled or unpaid), recovery with a new payment method.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "models/stripe/test_client.h"

namespace intsim::models::stripe {
namespace {

using testing::Client;
using testing::event_types;

class StripeSubscriptions : public ::testing::Test {
 protected:
  void make(StripeConfig config = {}) {
    model = std::make_unique<StripeModel>(config, sim::Rng(9));
    c = std::make_unique<Client>(model.get());
    customer = Client::body(c->post("/v1/customers", {{"email", "guest@example.com"}}))["id"];
  }
  nlohmann::json subscribe(const std::string& pm, const std::string& interval = "month") {
    const ApiResult r =
        c->post("/v1/subscriptions", {{"customer", customer},
                                      {"default_payment_method", pm},
                                      {"items[0][price_data][currency]", "eur"},
                                      {"items[0][price_data][unit_amount]", "2500"},
                                      {"items[0][price_data][product]", "prod_cleaning"},
                                      {"items[0][price_data][recurring][interval]", interval},
                                      {"metadata[booking_id]", "b_sub"}});
    EXPECT_EQ(r.response.status, 200) << r.response.body;
    return Client::body(r);
  }
  int count(const std::vector<std::string>& types, const std::string& type) {
    return static_cast<int>(std::count(types.begin(), types.end(), type));
  }

  std::unique_ptr<StripeModel> model;
  std::unique_ptr<Client> c;
  std::string customer;
};

TEST_F(StripeSubscriptions, ActiveSubscriptionRenewsEachPeriod) {
  make();
  const auto sub = subscribe("pm_card_visa");
  EXPECT_EQ(sub["status"], "active");
  EXPECT_EQ(sub["object"], "subscription");
  const auto inv = Client::body(c->get("/v1/invoices/" + sub["latest_invoice"].get<std::string>()));
  EXPECT_EQ(inv["status"], "paid");
  EXPECT_EQ(inv["billing_reason"], "subscription_create");
  EXPECT_EQ(inv["amount_paid"], 2500);
  model->take_events();
  c->run_until(c->now_us + 3 * 30 * core::kUsPerDay);
  const auto types = event_types(model->take_events());
  EXPECT_EQ(count(types, "invoice.paid"), 3);
  EXPECT_EQ(count(types, "invoice.payment_failed"), 0);
  EXPECT_EQ(model->subscription(sub["id"].get<std::string>())->status, "active");
  EXPECT_EQ(model->ledger().captured_minus_refunded("b_sub", "eur"), 4 * 2500);
}

TEST_F(StripeSubscriptions, FailingRenewalGoesPastDueRetriesThenCancels) {
  make();
  const auto sub = subscribe("pm_card_visa");
  const std::string id = sub["id"];
  // The card starts failing before the first renewal.
  ASSERT_EQ(c->post("/v1/subscriptions/" + id,
                    {{"default_payment_method", "pm_card_chargeDeclinedInsufficientFunds"}})
                .response.status,
            200);
  model->take_events();
  const core::TimeUs renewal_us = model->subscription(id)->current_period_end_us;
  c->run_until(renewal_us);
  EXPECT_EQ(model->subscription(id)->status, "past_due");
  const Invoice* inv = model->invoice(model->subscription(id)->latest_invoice);
  EXPECT_EQ(inv->status, "open");
  EXPECT_EQ(inv->attempt_count, 1);
  EXPECT_GT(inv->next_payment_attempt_us, renewal_us);
  // Run the two weeks of smart retries (but not the next renewal).
  c->run_until(renewal_us + 16 * core::kUsPerDay);
  const auto types = event_types(model->take_events());
  const int tries = 1 + static_cast<int>(model->config().subscription.retry_offsets_h.size());
  EXPECT_EQ(inv->attempt_count, tries);
  EXPECT_EQ(count(types, "invoice.payment_failed"), tries);
  EXPECT_EQ(inv->next_payment_attempt_us, -1);
  EXPECT_EQ(model->subscription(id)->status, "canceled");
  EXPECT_EQ(types.back(), "customer.subscription.deleted");
  // About 8 tries within 2 weeks.
  EXPECT_EQ(tries, 8);
  // Canceled: nothing renews any more.
  c->run_until(c->now_us + 90 * core::kUsPerDay);
  EXPECT_EQ(count(event_types(model->take_events()), "invoice.created"), 0);
}

TEST_F(StripeSubscriptions, DunningCanEndUnpaid) {
  StripeConfig config;
  config.subscription.dunning_end = DunningEnd::kUnpaid;
  make(config);
  const std::string id = subscribe("pm_card_visa")["id"];
  c->post("/v1/subscriptions/" + id, {{"default_payment_method", "pm_card_chargeDeclined"}});
  c->run_until(model->subscription(id)->current_period_end_us + 16 * core::kUsPerDay);
  EXPECT_EQ(model->subscription(id)->status, "unpaid");
}

TEST_F(StripeSubscriptions, NewPaymentMethodRecoversAtTheNextRetry) {
  make();
  const std::string id = subscribe("pm_card_visa")["id"];
  c->post("/v1/subscriptions/" + id, {{"default_payment_method", "pm_card_chargeDeclined"}});
  c->run_until(model->subscription(id)->current_period_end_us);
  ASSERT_EQ(model->subscription(id)->status, "past_due");
  c->post("/v1/subscriptions/" + id, {{"default_payment_method", "pm_card_visa"}});
  const Invoice* inv = model->invoice(model->subscription(id)->latest_invoice);
  c->run_until(inv->next_payment_attempt_us);
  EXPECT_EQ(inv->status, "paid");
  EXPECT_EQ(inv->attempt_count, 2);
  EXPECT_EQ(model->subscription(id)->status, "active");
}

TEST_F(StripeSubscriptions, FailedFirstInvoiceIsIncompleteThenExpires) {
  make();
  const auto sub = subscribe("pm_card_chargeDeclined");
  EXPECT_EQ(sub["status"], "incomplete");
  const std::string id = sub["id"];
  c->run_until(c->now_us + 23 * core::kUsPerHour);
  EXPECT_EQ(model->subscription(id)->status, "incomplete_expired");
  EXPECT_EQ(model->invoice(model->subscription(id)->latest_invoice)->status, "void");
}

TEST_F(StripeSubscriptions, IncompleteCanBePaidByHand) {
  make();
  const auto sub = subscribe("pm_card_chargeDeclined");
  const std::string id = sub["id"];
  c->post("/v1/subscriptions/" + id, {{"default_payment_method", "pm_card_visa"}});
  const ApiResult paid =
      c->post("/v1/invoices/" + sub["latest_invoice"].get<std::string>() + "/pay", {});
  EXPECT_EQ(Client::body(paid)["status"], "paid");
  EXPECT_EQ(model->subscription(id)->status, "active");
  c->run_until(c->now_us + 2 * core::kUsPerDay);
  EXPECT_EQ(model->subscription(id)->status, "active");
}

TEST_F(StripeSubscriptions, AuthenticationRequiredFailsOffSession) {
  make();
  const auto sub = subscribe("pm_card_threeDSecure2Required");
  EXPECT_EQ(sub["status"], "incomplete");
  const auto pi = Client::body(
      c->get("/v1/payment_intents/" +
             model->invoice(sub["latest_invoice"].get<std::string>())->payment_intent));
  EXPECT_EQ(pi["last_payment_error"]["decline_code"], "authentication_required");
}

TEST_F(StripeSubscriptions, CancelStopsEverything) {
  make();
  const std::string id = subscribe("pm_card_visa")["id"];
  const ApiResult r = c->del("/v1/subscriptions/" + id);
  EXPECT_EQ(Client::body(r)["status"], "canceled");
  EXPECT_EQ(c->del("/v1/subscriptions/" + id).response.status, 400);
  model->take_events();
  c->run_until(c->now_us + 90 * core::kUsPerDay);
  EXPECT_TRUE(model->take_events().empty());
}

TEST_F(StripeSubscriptions, Validation) {
  make();
  EXPECT_EQ(c->post("/v1/subscriptions", {{"customer", "cus_nope"}}).response.status, 400);
  const ApiResult no_items = c->post("/v1/subscriptions", {{"customer", customer}});
  EXPECT_EQ(Client::body(no_items)["error"]["code"], "parameter_missing");
  const ApiResult small =
      c->post("/v1/subscriptions", {{"customer", customer},
                                    {"default_payment_method", "pm_card_visa"},
                                    {"items[0][price_data][currency]", "eur"},
                                    {"items[0][price_data][unit_amount]", "10"},
                                    {"items[0][price_data][product]", "p"},
                                    {"items[0][price_data][recurring][interval]", "month"}});
  EXPECT_EQ(Client::body(small)["error"]["code"], "amount_too_small");
}

TEST_F(StripeSubscriptions, CustomersSearchByMetadataAfterTheIndexLag) {
  make();
  const ApiResult made =
      c->post("/v1/customers", {{"email", "m@example.com"}, {"metadata[membership_id]", "ms_7"}});
  const std::string id = Client::body(made)["id"];
  const std::string target =
      "/v1/customers/search?query=metadata%5B%27membership_id%27%5D%3A%27ms_7%27";
  EXPECT_TRUE(Client::body(c->get(target))["data"].empty());  // not indexed yet
  c->advance_by(model->config().search_lag_ms * core::kUsPerMs);
  const auto found = Client::body(c->get(target));
  EXPECT_EQ(found["object"], "search_result");
  ASSERT_EQ(found["data"].size(), 1u);
  EXPECT_EQ(found["data"][0]["id"], id);
  EXPECT_TRUE(
      Client::body(c->get("/v1/customers/search?query=metadata%5B%27membership_id%27%5D%"
                          "3A%27ms_8%27"))["data"]
          .empty());
  EXPECT_EQ(c->get("/v1/customers/search?query=phone%3A%271%27").response.status, 400);
}

TEST_F(StripeSubscriptions, ListByCustomerLeavesCanceledOutUnlessAskedForAll) {
  make();
  const std::string first = subscribe("pm_card_visa")["id"];
  const std::string second = subscribe("pm_card_visa")["id"];
  c->del("/v1/subscriptions/" + first);
  const auto open = Client::body(c->get("/v1/subscriptions?customer=" + customer));
  ASSERT_EQ(open["data"].size(), 1u);
  EXPECT_EQ(open["data"][0]["id"], second);
  const auto all = Client::body(c->get("/v1/subscriptions?customer=" + customer + "&status=all"));
  ASSERT_EQ(all["data"].size(), 2u);
  EXPECT_EQ(all["data"][0]["id"], second);  // newest first
  EXPECT_EQ(all["data"][1]["id"], first);
  EXPECT_TRUE(
      Client::body(c->get("/v1/subscriptions?customer=cus_other&status=all"))["data"].empty());
  EXPECT_EQ(c->get("/v1/subscriptions?status=bogus").response.status, 400);
}

TEST_F(StripeSubscriptions, InvoicesCarryTheSubscriptionsMetadata) {
  make();
  const auto sub = subscribe("pm_card_visa");
  const auto inv = Client::body(c->get("/v1/invoices/" + sub["latest_invoice"].get<std::string>()));
  EXPECT_EQ(inv["subscription_details"]["metadata"]["booking_id"], "b_sub");
}

TEST_F(StripeSubscriptions, AnswersCarryTheirHttpDate) {
  make();
  c->now_us = 1'767'225'600 * core::kUsPerSec + 3'661 * core::kUsPerSec + 999'999;
  const ApiResult r = c->get("/v1/customers/" + customer);
  EXPECT_EQ(r.response.header("Date").value_or(""), "Thu, 01 Jan 2026 01:01:01 GMT");
  EXPECT_EQ(http_date(784'111'777 * core::kUsPerSec), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(1'835'481'599 * core::kUsPerSec), "Tue, 29 Feb 2028 23:59:59 GMT");
}

TEST_F(StripeSubscriptions, RepeatDeclineKeepsADeclinedCardDeclining) {
  auto outcomes = [&](double repeat) {
    StripeConfig config;
    config.card = CardOutcomeConfig{};
    config.card.succeed_weight = 0.5;
    config.card.decline_weight = 0.5;
    config.card.requires_action_weight = 0;
    config.card.processing_weight = 0;
    config.card.repeat_decline_probability = repeat;
    make(config);
    std::string codes;
    bool declined = false;
    int after_decline_ok = 0;
    for (int i = 0; i < 40; ++i) {
      const ApiResult r = c->pay(1'000, "pm_guest_7", "b_" + std::to_string(i));
      if (r.response.status == 402) {
        const std::string code = Client::body(r)["error"]["decline_code"];
        if (declined && repeat == 1.0) {
          EXPECT_EQ(code, codes);
        }
        declined = true;
        codes = code;
      } else if (declined) {
        ++after_decline_ok;
      }
    }
    EXPECT_TRUE(declined);
    return after_decline_ok;
  };
  EXPECT_EQ(outcomes(1.0), 0);  // once declined, always declined, with the same code
  EXPECT_GT(outcomes(0.0), 0);  // the default: every charge is a fresh draw
}

}  // namespace
}  // namespace intsim::models::stripe
