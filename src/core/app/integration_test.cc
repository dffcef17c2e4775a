#include "src/core/app/integration.h"

#include <gtest/gtest.h>

#include <memory>

#include "src/core/app/test_fakes.h"
#include "src/core/webhook/signature.h"

namespace intsim::core::app {
namespace {

using core::testing::json_result;
using core::testing::stripe_pi;

constexpr TimeUs kStartUs = 1'767'225'600 * kUsPerSec;  // 2026-01-01
constexpr std::string_view kSecret = "whsec_integration_test";

class IntegrationTest : public ::testing::Test {
 protected:
  IntegrationTest() {
    config.units = {{"u1", "std"}, {"u2", "std"}};
    config.webhooks.stripe_secrets = {std::string(kSecret)};
    restart();
  }

  // A new process on the same store: what a crash and restart leave.
  void restart() {
    fp.timers.armed.clear();
    app.reset();
    ASSERT_TRUE(Integration::create(config, fp.ports(), &app).is_ok());
    ASSERT_TRUE(app->recover(now).is_ok());
  }

  HttpResponse book(std::string first = "2026-01-10", int nights = 3, std::string key = "") {
    const nlohmann::json body = {{"guest", "g_17"},      {"unit", "u1"},
                                 {"first_night", first}, {"nights", nights},
                                 {"currency", "USD"},    {"payment_method", "pm_card_visa"}};
    HttpRequest r{"POST", "/api/bookings", {}, body.dump()};
    if (!key.empty()) r.headers.push_back({"Idempotency-Key", key});
    return app->handle(r, now);
  }
  std::string book_ok(std::string first = "2026-01-10", int nights = 3) {
    const HttpResponse r = book(first, nights);
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body).value("booking_id", "");
  }
  nlohmann::json get(const std::string& id) {
    const HttpResponse r = app->handle({"GET", "/api/bookings/" + id, {}, ""}, now);
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body);
  }
  HttpResponse webhook(const std::string& event_id, const std::string& type,
                       const nlohmann::json& object) {
    const nlohmann::json event = {{"id", event_id},
                                  {"object", "event"},
                                  {"type", type},
                                  {"created", unix_seconds(now)},
                                  {"data", {{"object", object}}}};
    const std::string body = event.dump();
    HttpRequest r{
        "POST",
        "/webhooks/stripe",
        {{"Stripe-Signature", webhook::stripe_signature_header(kSecret, unix_seconds(now), body)}},
        body};
    return app->handle(r, now);
  }
  void answer(std::size_t index, HttpResult result) {
    app->on_http_result(fp.http.sent.at(index).id, std::move(result), now);
  }
  const HttpRequest& sent(std::size_t index) const { return fp.http.sent.at(index).request; }
  // Fires due timers up to until_us, in time order.
  void advance_to(TimeUs until_us) {
    for (int i = 0; i < 10'000; ++i) {
      auto next = fp.timers.armed.end();
      for (auto it = fp.timers.armed.begin(); it != fp.timers.armed.end(); ++it) {
        if (next == fp.timers.armed.end() || it->second < next->second) next = it;
      }
      if (next == fp.timers.armed.end() || next->second > until_us) break;
      const TimerId id = next->first;
      now = std::max(now, next->second);
      fp.timers.armed.erase(next);
      app->on_timer(id, now);
    }
    now = std::max(now, until_us);
  }

  IntegrationConfig config;
  core::testing::FakePorts fp;
  std::unique_ptr<Integration> app;
  TimeUs now = kStartUs;
};

TEST_F(IntegrationTest, HealthAndUnknownRoutes) {
  EXPECT_EQ(app->handle({"GET", "/healthz", {}, ""}, now).body, "ok");
  EXPECT_EQ(app->handle({"GET", "/nope", {}, ""}, now).status, 404);
  EXPECT_EQ(app->handle({"GET", "/api/bookings/bk_missing", {}, ""}, now).status, 404);
}

TEST_F(IntegrationTest, CreateRejectsCollidingTimerIds) {
  IntegrationConfig bad = config;
  bad.hold_timer_id = bad.reconcile_timer_id;
  std::unique_ptr<Integration> other;
  EXPECT_EQ(Integration::create(bad, fp.ports(), &other).code(), Status::Code::kInvalidArgument);
}

TEST_F(IntegrationTest, WebhookConfirmsTheBookingOnceAndRedeliveryIsANoOp) {
  const std::string id = book_ok();
  ASSERT_EQ(fp.http.sent.size(), 1u);
  EXPECT_EQ(fp.http.sent[0].peer, "stripe");
  EXPECT_TRUE(sent(0).header("Idempotency-Key").has_value());
  const nlohmann::json pi = stripe_pi("pi_1", id, "succeeded");
  EXPECT_EQ(webhook("evt_1", "payment_intent.succeeded", pi).status, 200);
  EXPECT_EQ(get(id)["status"], "confirmed");
  EXPECT_EQ(get(id)["payment"]["status"], "succeeded");
  const HttpResponse again = webhook("evt_1", "payment_intent.succeeded", pi);
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("already_processed"), std::string::npos);
  answer(0, json_result(200, pi));  // the API answer arrives last
  EXPECT_EQ(get(id)["status"], "confirmed");
  EXPECT_EQ(app->outbox_jobs(), 0u);
  EXPECT_EQ(fp.http.sent.size(), 1u);
}

TEST_F(IntegrationTest, ForgedWebhookChangesNothing) {
  const std::string id = book_ok();
  HttpRequest r{"POST", "/webhooks/stripe", {{"Stripe-Signature", "t=1,v1=00"}}, "{}"};
  EXPECT_EQ(app->handle(r, now).status, 400);
  EXPECT_EQ(get(id)["status"], "held");
}

TEST_F(IntegrationTest, CrashBeforeTheAnswerResendsWithTheSameKeyAndKeepsTheHold) {
  const std::string id = book_ok();
  const std::string key(sent(0).header("Idempotency-Key").value());
  restart();
  ASSERT_NE(app->ledger().find(id), nullptr);
  EXPECT_EQ(app->ledger().find(id)->state, bookings::StayState::kHeld);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).header("Idempotency-Key").value(), key);
  answer(0, json_result(200, stripe_pi("pi_1", id, "succeeded")));  // a previous life's: ignored
  EXPECT_EQ(get(id)["status"], "held");
  answer(1, json_result(200, stripe_pi("pi_1", id, "succeeded")));
  EXPECT_EQ(get(id)["status"], "confirmed");
  restart();
  EXPECT_EQ(app->ledger().find(id)->state, bookings::StayState::kConfirmed);
  EXPECT_EQ(fp.http.sent.size(), 2u);
}

TEST_F(IntegrationTest, DeclineReleasesTheHoldAndFreesTheNights) {
  const std::string id = book_ok();
  answer(0, json_result(402, {{"error",
                               {{"type", "card_error"},
                                {"code", "card_declined"},
                                {"payment_intent", stripe_pi("pi_1", id, "requires_payment_method",
                                                             36'000, true)}}}}));
  EXPECT_EQ(get(id)["status"], "released");
  EXPECT_EQ(get(id)["payment"]["status"], "failed");
  book_ok();
  std::vector<resilience::DlqEntry> dlq;
  ASSERT_TRUE(app->dlq_entries(&dlq).is_ok());
  EXPECT_TRUE(dlq.empty());
}

TEST_F(IntegrationTest, LateSuccessAfterTheNightsWereTakenIsRefunded) {
  const std::string late = book_ok();
  answer(0, HttpResult::failed(HttpError::kTimeout));
  advance_to(now + 31 * kUsPerMin);  // the hold lapses (and the create keeps retrying)
  EXPECT_EQ(get(late)["status"], "released");
  const std::string winner = book_ok();
  ASSERT_NE(winner, late);
  EXPECT_EQ(
      webhook("evt_late", "payment_intent.succeeded", stripe_pi("pi_1", late, "succeeded")).status,
      200);
  EXPECT_EQ(get(late)["status"], "released");
  EXPECT_EQ(app->ledger().find(winner)->state, bookings::StayState::kHeld);
  bool refund_sent = false;
  for (const auto& s : fp.http.sent) {
    refund_sent = refund_sent || (s.request.target == "/v1/refunds" &&
                                  s.request.body.find("pi_1") != std::string::npos);
  }
  EXPECT_TRUE(refund_sent);
}

TEST_F(IntegrationTest, CancellingAPaidBookingRefundsIt) {
  const std::string id = book_ok();
  answer(0, json_result(200, stripe_pi("pi_1", id, "succeeded")));
  const HttpResponse r = app->handle({"POST", "/api/bookings/" + id + "/cancel", {}, ""}, now);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/refunds");
  answer(1, json_result(200, {{"id", "re_1"},
                              {"amount", 36'000},
                              {"payment_intent", "pi_1"},
                              {"status", "succeeded"}}));
  EXPECT_EQ(get(id)["payment"]["refunded"], 36'000);
  std::vector<payments::Payment> all;
  ASSERT_TRUE(app->payments(&all).is_ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].refund, payments::RefundState::kDone);
}

TEST_F(IntegrationTest, APaidBookingThatLosesAConflictIsRefunded) {
  config.resolver = {bookings::WinnerRule::kChannelWins, /*relocate=*/false};
  restart();
  const std::string id = book_ok();
  answer(0, json_result(200, stripe_pi("pi_1", id, "succeeded")));
  bookings::Stay channel = *app->ledger().find(id);
  channel.id = "booking_com:77";
  channel.source = bookings::Source::kBookingCom;
  channel.created_at_us = now;
  ASSERT_TRUE(app->upsert_channel_stay(channel, now).is_ok());
  EXPECT_EQ(get(id)["status"], "cancelled");
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/refunds");
}

TEST_F(IntegrationTest, StuckPaymentIsReadBackByTheReconciler) {
  const std::string id = book_ok();
  answer(0, json_result(200, stripe_pi("pi_1", id, "processing")));
  advance_to(now + 21 * kUsPerMin);  // two reconcile ticks; stuck after 15 min
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/payment_intents/pi_1");
  answer(1, json_result(200, stripe_pi("pi_1", id, "succeeded")));
  // Confirmed by the read, before the webhook (which this test never sends).
  EXPECT_EQ(get(id)["status"], "confirmed");
}

TEST_F(IntegrationTest, MembershipsRouteThroughTheApiTheOutboxAndTheStripeWebhook) {
  const nlohmann::json body = {
      {"guest", "g_17"}, {"plan", "guest_club"}, {"currency", "USD"}, {"payment_method", "pm_g"}};
  const HttpResponse r =
      app->handle({"POST", "/api/subscriptions", {{"Idempotency-Key", "m1"}}, body.dump()}, now);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = nlohmann::json::parse(r.body)["membership_id"];
  ASSERT_EQ(fp.http.sent.size(), 1u);  // the API's commit was learned by the outbox
  EXPECT_EQ(sent(0).target, "/v1/customers");
  restart();  // the row and its job survive a crash; the job is sent again with its key
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).header("Idempotency-Key"), sent(0).header("Idempotency-Key"));
  answer(1, json_result(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}));
  ASSERT_EQ(fp.http.sent.size(), 3u);
  EXPECT_EQ(sent(2).target, "/v1/subscriptions");
  const nlohmann::json sub = {{"id", "sub_1"},
                              {"object", "subscription"},
                              {"customer", "cus_1"},
                              {"status", "active"},
                              {"metadata", {{"membership_id", id}}}};
  EXPECT_EQ(webhook("evt_s1", "customer.subscription.created", sub).status, 200);
  now += 10 * kUsPerSec;
  const nlohmann::json failed = {{"id", "in_2"},
                                 {"object", "invoice"},
                                 {"subscription", "sub_1"},
                                 {"billing_reason", "subscription_cycle"},
                                 {"next_payment_attempt", unix_seconds(now) + 3600},
                                 {"subscription_details", {{"metadata", {{"membership_id", id}}}}}};
  EXPECT_EQ(webhook("evt_i1", "invoice.payment_failed", failed).status, 200);
  const HttpResponse view = app->handle({"GET", "/api/subscriptions/" + id, {}, ""}, now);
  EXPECT_EQ(nlohmann::json::parse(view.body)["status"], "past_due");
  EXPECT_EQ(fp.alerts.count("dunning", id), 1u);
  std::vector<payments::Membership> all;
  ASSERT_TRUE(app->memberships(&all).is_ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].subscription, "sub_1");
  // Booking payments never see subscription events.
  std::vector<payments::Payment> pays;
  ASSERT_TRUE(app->payments(&pays).is_ok());
  EXPECT_TRUE(pays.empty());
}

}  // namespace
}  // namespace intsim::core::app
