#include "src/core/payments/subscription.h"

#include <gtest/gtest.h>

namespace intsim::core::payments {
namespace {

Membership at(MemberStatus status, std::int64_t last_news_s) {
  Membership m;
  m.status = status;
  m.last_news_s = last_news_s;
  return m;
}

TEST(MembershipMerge, NewerNewsIsTakenOlderIgnoredSameSecondRead) {
  const Membership m = at(MemberStatus::kActive, 100);
  EXPECT_EQ(merge_news(m, MemberStatus::kPastDue, 101), Merge::kApply);
  EXPECT_EQ(merge_news(m, MemberStatus::kPastDue, 99), Merge::kIgnore);
  EXPECT_EQ(merge_news(m, MemberStatus::kPastDue, 100), Merge::kRead);
  EXPECT_EQ(merge_news(m, MemberStatus::kActive, 100), Merge::kIgnore);
  EXPECT_EQ(merge_news(m, MemberStatus::kActive, 200), Merge::kIgnore);  // nothing new
}

TEST(MembershipMerge, FinalStatusesAreTakenAlwaysAndNeverLeft) {
  EXPECT_EQ(merge_news(at(MemberStatus::kPastDue, 500), MemberStatus::kCanceled, 10),
            Merge::kApply);
  EXPECT_EQ(merge_news(at(MemberStatus::kIncomplete, 500), MemberStatus::kIncompleteExpired, 500),
            Merge::kApply);
  for (MemberStatus final_status :
       {MemberStatus::kCanceled, MemberStatus::kIncompleteExpired, MemberStatus::kFailed}) {
    EXPECT_EQ(merge_news(at(final_status, 1), MemberStatus::kActive, 900), Merge::kIgnore);
  }
  // Creating is ours alone: any news replaces it.
  EXPECT_EQ(merge_news(at(MemberStatus::kCreating, 0), MemberStatus::kIncomplete, 5),
            Merge::kApply);
}

TEST(MembershipMerge, StatusNames) {
  MemberStatus s;
  EXPECT_TRUE(member_status_from_stripe("past_due", &s));
  EXPECT_EQ(s, MemberStatus::kPastDue);
  EXPECT_FALSE(member_status_from_stripe("creating", &s));
  EXPECT_FALSE(member_status_from_stripe("failed", &s));
  EXPECT_FALSE(member_status_from_stripe("trialing", &s));
  EXPECT_TRUE(parse_member_status("failed", &s));
  EXPECT_EQ(member_status_name(MemberStatus::kIncompleteExpired), "incomplete_expired");
}

TEST(HttpDate, ParsesImfFixdate) {
  std::int64_t s = 0;
  ASSERT_TRUE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &s));
  EXPECT_EQ(s, 784'111'777);
  ASSERT_TRUE(parse_http_date("Thu, 01 Jan 2026 00:00:00 GMT", &s));
  EXPECT_EQ(s, 1'767'225'600);
  ASSERT_TRUE(parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT", &s));
  EXPECT_EQ(s, 1'835'481'599);
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &s));
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &s));
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &s));
  EXPECT_FALSE(parse_http_date("", &s));
}

TEST(MembershipRow, RoundTrips) {
  Membership m;
  m.id = "ms_1";
  m.guest = "g_1";
  m.plan = "guest_club";
  m.currency = "usd";
  m.amount = 2900;
  m.interval = "day";
  m.payment_method = "pm_g_1";
  m.status = MemberStatus::kPastDue;
  m.customer = "cus_1";
  m.subscription = "sub_1";
  m.customer_key = "ik_1";
  m.creates = 2;
  m.cancel_requested = true;
  m.lapsed = true;
  m.last_news_s = 77;
  m.invoices = {{"in_1", "paid"}, {"in_2", "failed"}};
  m.dunned = {"in_2"};
  m.checked_at_us = 9;
  Membership back;
  ASSERT_TRUE(decode_membership(encode_membership(m), &back).is_ok());
  EXPECT_EQ(back, m);
  EXPECT_FALSE(decode_membership("{}", &back).is_ok());
  EXPECT_FALSE(decode_membership("nope", &back).is_ok());
}

}  // namespace
}  // namespace intsim::core::payments
