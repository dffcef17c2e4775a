#include "src/core/payments/payment.h"

#include <gtest/gtest.h>

namespace intsim::core::payments {
namespace {

TEST(PaymentRow, RoundTripsEveryField) {
  Payment p;
  p.booking_id = "bk_1";
  p.status = PayStatus::kSucceeded;
  p.stripe_status = "succeeded";
  p.payment_intent = "pi_1";
  p.amount = 36'000;
  p.currency = "usd";
  p.payment_method = "pm_card_visa";
  p.charge_refunded = 100;
  p.refunds = {{"re_1", 200}};
  p.update_refunded();
  p.refund = RefundState::kQueued;
  p.disputed = true;
  p.dispute_status = "under_review";
  p.create_job_id = "job_1";
  p.idempotency_key = "ik_1";
  p.key_created_at_us = 4;
  p.create_dead = true;
  p.create_refused = true;
  p.reconcile_job_id = "job_2";
  p.creates = 2;
  p.last_event_s = 17;
  p.created_at_us = 5;
  p.updated_at_us = 6;
  Payment back;
  ASSERT_TRUE(decode_payment(encode_payment(p), &back).is_ok());
  EXPECT_EQ(back, p);
  EXPECT_EQ(back.refunded, 200);
  EXPECT_FALSE(decode_payment("{\"booking_id\":1}", &back).is_ok());
  EXPECT_FALSE(decode_payment("not json", &back).is_ok());
}

TEST(PaymentRow, RefundedNeverDoubleCountsAndNeverShrinks) {
  Payment p;
  p.refunds = {{"re_1", 300}, {"re_2", 200}};
  p.charge_refunded = 300;  // a charge event that saw only the first refund
  p.update_refunded();
  EXPECT_EQ(p.refunded, 500);
  p.refunds.clear();
  p.update_refunded();
  EXPECT_EQ(p.refunded, 500);
}

TEST(PayStatusLattice, SucceededOutranksEveryOtherAndTerminalsTie) {
  EXPECT_LT(pay_status_rank(PayStatus::kPending), pay_status_rank(PayStatus::kRequiresAction));
  EXPECT_LT(pay_status_rank(PayStatus::kRequiresAction), pay_status_rank(PayStatus::kProcessing));
  EXPECT_LT(pay_status_rank(PayStatus::kProcessing), pay_status_rank(PayStatus::kFailed));
  EXPECT_EQ(pay_status_rank(PayStatus::kFailed), pay_status_rank(PayStatus::kCanceled));
  EXPECT_EQ(pay_status_rank(PayStatus::kFailed), pay_status_rank(PayStatus::kAbandoned));
  EXPECT_LT(pay_status_rank(PayStatus::kFailed), pay_status_rank(PayStatus::kSucceeded));
  EXPECT_TRUE(is_terminal(PayStatus::kCanceled));
  EXPECT_FALSE(is_terminal(PayStatus::kProcessing));
}

TEST(PayStatusLattice, MapsStripeStatuses) {
  EXPECT_EQ(pay_status_from_stripe("succeeded", false), PayStatus::kSucceeded);
  EXPECT_EQ(pay_status_from_stripe("requires_payment_method", true), PayStatus::kFailed);
  EXPECT_EQ(pay_status_from_stripe("requires_payment_method", false), PayStatus::kPending);
  EXPECT_EQ(pay_status_from_stripe("requires_action", false), PayStatus::kRequiresAction);
  EXPECT_EQ(pay_status_from_stripe("processing", false), PayStatus::kProcessing);
  EXPECT_EQ(pay_status_from_stripe("canceled", false), PayStatus::kCanceled);
  EXPECT_EQ(pay_status_from_stripe("requires_confirmation", false), PayStatus::kPending);
  for (PayStatus s : {PayStatus::kPending, PayStatus::kFailed, PayStatus::kAbandoned}) {
    PayStatus back;
    ASSERT_TRUE(parse_pay_status(pay_status_name(s), &back));
    EXPECT_EQ(back, s);
  }
}

}  // namespace
}  // namespace intsim::core::payments
