#include "src/core/payments/stripe_jobs.h"

#include <gtest/gtest.h>

namespace intsim::core::payments {
namespace {

TEST(StripeJobs, JobsPinTheApiVersionAndCarryNoSecret) {
  const resilience::Job post =
      stripe_job("stripe", "stripe.refund", "POST", "/v1/refunds", "payment_intent=pi_1");
  EXPECT_EQ(find_header(post.headers, "Stripe-Version"), kStripeApiVersion);
  EXPECT_EQ(find_header(post.headers, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_FALSE(find_header(post.headers, "Authorization"));
  const resilience::Job get = stripe_job("stripe", "stripe.retrieve_pi", "GET", "/v1/x", "");
  EXPECT_EQ(find_header(get.headers, "Stripe-Version"), kStripeApiVersion);
  EXPECT_FALSE(find_header(get.headers, "Content-Type"));
}

TEST(StripeJobs, JsonIsReadWithoutTrustingItsShape) {
  const nlohmann::json j = parse_json(R"({"id":"pi_1","amount":300,"n":"x"})");
  EXPECT_EQ(json_str(j, "id"), "pi_1");
  EXPECT_EQ(json_str(j, "amount"), "");
  EXPECT_EQ(json_int(j, "amount"), 300);
  EXPECT_EQ(json_int(j, "n"), 0);
  EXPECT_TRUE(parse_json("{not json").is_discarded());
  EXPECT_EQ(json_str(parse_json("[1]"), "id"), "");
  EXPECT_EQ(stripe_error_code({409, {}, R"({"error":{"code":"idempotency_key_in_use"}})"}),
            "idempotency_key_in_use");
  EXPECT_EQ(stripe_error_code({500, {}, "<html>"}), "");
}

}  // namespace
}  // namespace intsim::core::payments
