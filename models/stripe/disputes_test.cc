// Disputes open on succeeded charges and go through their lifecycle, moving money in the
// ledger.
#include <gtest/gtest.h>

#include "models/stripe/stripe_model.h"
#include "models/stripe/test_client.h"

namespace intsim::models::stripe {
namespace {

using testing::Client;
using testing::event_types;
using Types = std::vector<std::string>;

TEST(StripeDisputes, TestCardDisputeLifecycleWon) {
  StripeConfig config;
  config.dispute.won_probability = 1.0;
  StripeModel model(config, sim::Rng(5));
  Client c(&model);
  const auto pi = Client::body(c.pay(5000, "pm_card_createDispute", "b_1"));
  ASSERT_EQ(pi["status"], "succeeded");
  model.take_events();
  c.advance_by(config.dispute.test_card_open_delay_ms * core::kUsPerMs);
  ASSERT_EQ(model.disputes().size(), 1u);
  const Dispute& d = model.disputes().begin()->second;
  EXPECT_EQ(d.status, "needs_response");
  EXPECT_EQ(d.amount, 5000);
  EXPECT_EQ(event_types(model.take_events()),
            (Types{"charge.dispute.created", "charge.dispute.funds_withdrawn"}));
  const auto ch = Client::body(c.get("/v1/charges/" + pi["latest_charge"].get<std::string>()));
  EXPECT_EQ(ch["disputed"], true);
  // A disputed charge cannot be refunded.
  const ApiResult refund = c.post("/v1/refunds", {{"payment_intent", pi["id"]}});
  EXPECT_EQ(Client::body(refund)["error"]["code"], "charge_disputed");
  c.advance_by(config.dispute.evidence_window_h * core::kUsPerHour);
  EXPECT_EQ(Client::body(c.get("/v1/disputes/" + d.id))["status"], "under_review");
  c.advance_by(config.dispute.review_h * core::kUsPerHour);
  EXPECT_EQ(d.status, "won");
  EXPECT_EQ(event_types(model.take_events()),
            (Types{"charge.dispute.updated", "charge.dispute.closed",
                   "charge.dispute.funds_reinstated"}));
  const PaymentRecord* record = model.ledger().find(pi["id"].get<std::string>());
  EXPECT_EQ(record->dispute_withdrawn, 0);
  EXPECT_EQ(model.next_wakeup_us(), kNever);  // the lifecycle is over
}

TEST(StripeDisputes, LostDisputeKeepsFundsWithdrawn) {
  StripeConfig config;
  config.dispute.won_probability = 0.0;
  StripeModel model(config, sim::Rng(5));
  Client c(&model);
  const auto pi = Client::body(c.pay(5000, "pm_card_createDispute", "b_1"));
  c.advance_by(60 * core::kUsPerDay);
  const Dispute& d = model.disputes().begin()->second;
  EXPECT_EQ(d.status, "lost");
  EXPECT_EQ(model.ledger().find(pi["id"].get<std::string>())->dispute_withdrawn, 5000);
  // Disputes are the bank's doing: captured minus refunded is unchanged.
  EXPECT_EQ(model.ledger().captured_minus_refunded("b_1", "usd"), 5000);
}

TEST(StripeDisputes, OpenAtRandomWithTheConfiguredProbability) {
  StripeConfig config;
  config.dispute.probability = 0.25;
  StripeModel model(config, sim::Rng(11));
  Client c(&model);
  const int payments = 400;
  for (int i = 0; i < payments; ++i) (void)c.pay(5000, "pm_card_visa", "b_" + std::to_string(i));
  c.run_until(c.now_us + 90 * core::kUsPerDay);
  const double rate = static_cast<double>(model.disputes().size()) / payments;
  EXPECT_GT(rate, 0.17);
  EXPECT_LT(rate, 0.33);
  for (const auto& [id, d] : model.disputes()) {
    EXPECT_TRUE(d.status == "won" || d.status == "lost") << d.status;
  }
  StripeConfig none;
  none.dispute.probability = 0;
  StripeModel calm(none, sim::Rng(11));
  Client q(&calm);
  for (int i = 0; i < 50; ++i) (void)q.pay(5000, "pm_card_visa", "b");
  q.run_until(q.now_us + 90 * core::kUsPerDay);
  EXPECT_TRUE(calm.disputes().empty());
}

TEST(StripeDisputes, FullyRefundedChargeIsNotDisputed) {
  StripeModel model({}, sim::Rng(5));
  Client c(&model);
  const auto pi = Client::body(c.pay(5000, "pm_card_createDispute", "b_1"));
  ASSERT_EQ(c.post("/v1/refunds", {{"payment_intent", pi["id"]}}).response.status, 200);
  c.advance_by(core::kUsPerDay);
  EXPECT_TRUE(model.disputes().empty());
}

}  // namespace
}  // namespace intsim::models::stripe
