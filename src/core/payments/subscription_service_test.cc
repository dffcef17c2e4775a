#include "src/core/payments/subscription_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "src/core/app/test_fakes.h"
#include "src/core/assert.h"
#include "src/core/notifications/notification_service.h"
#include "src/core/payments/form_codec.h"
#include "src/core/resilience/idempotency.h"

namespace intsim::core::payments {
namespace {

using core::testing::json_result;

constexpr TimeUs kStartUs = 1'767'225'600 * kUsPerSec;  // 2026-01-01
constexpr std::int64_t kStartS = 1'767'225'600;

// An answer from Stripe at Stripe's second at_s (its Date header).
HttpResult stripe_answer(int status, const nlohmann::json& body, std::int64_t at_s) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  const std::int64_t day = (at_s - kStartS) / 86'400;  // 2026-01-01 was a Thursday
  const std::int64_t secs = (at_s - kStartS) % 86'400;
  INTSIM_ASSERT(day >= 0 && day < 28);
  const std::string date =
      fmt::format("{}, {:02d} Jan 2026 {:02d}:{:02d}:{:02d} GMT", kDays[day % 7], day + 1,
                  secs / 3600, secs % 3600 / 60, secs % 60);
  return HttpResult::of(
      HttpResponse{status, {{"Content-Type", "application/json"}, {"Date", date}}, body.dump()});
}

nlohmann::json sub(const std::string& status, const std::string& membership = "",
                   const std::string& id = "sub_1") {
  return {{"id", id},
          {"object", "subscription"},
          {"customer", "cus_1"},
          {"status", status},
          {"metadata", {{"membership_id", membership}}}};
}

nlohmann::json invoice(const std::string& id, const std::string& membership, bool retry_ahead,
                       const std::string& reason = "subscription_cycle") {
  return {{"id", id},
          {"object", "invoice"},
          {"subscription", "sub_1"},
          {"customer", "cus_1"},
          {"billing_reason", reason},
          {"attempt_count", 1},
          {"next_payment_attempt", retry_ahead ? nlohmann::json(kStartS + 86'400) : nullptr},
          {"subscription_details", {{"metadata", {{"membership_id", membership}}}}}};
}

class SubscriptionServiceTest : public ::testing::Test {
 protected:
  SubscriptionServiceTest() {
    resilience::PeerPolicy stripe;
    stripe.backoff = {resilience::Jitter::kFull, 100, 3'600'000, 1'000, 72 * 3'600'000LL};
    stripe.timeout_ms = 2'000;
    stripe.breaker = {1'000'000, 30'000, 1};  // never opens: these tests are about memberships
    stripe.idempotency_header = "Idempotency-Key";
    stripe.key_prune_age_us = resilience::kStripeKeyPruneAgeUs;
    dispatcher_config.peers["stripe"] = stripe;
    dispatcher =
        std::make_unique<resilience::Dispatcher>(fp.ports(&fp.alerting_store), dispatcher_config);
    SubscriptionServiceConfig config;
    config.interval = "day";
    service = std::make_unique<SubscriptionService>(config, fp.ports(&fp.alerting_store),
                                                    dispatcher.get(), nullptr);
    service->register_handlers();
  }

  // What the integration does after each call: learn the jobs written in committed batches.
  void learn() {
    WriteBatch learned;
    for (const WriteBatch::Op& op : service->take_enqueued()) {
      std::string row;
      if (fp.store.get(op.table, op.key, &row).is_ok()) learned.put(op.table, op.key, row);
    }
    if (!learned.empty()) dispatcher->on_committed(learned, now);
  }
  HttpResponse api(const std::string& method, const std::string& target,
                   const nlohmann::json& body = nullptr, const std::string& key = "") {
    HttpRequest r{method, target, {{"Content-Type", "application/json"}}, ""};
    if (!body.is_null()) r.body = body.dump();
    if (!key.empty()) r.headers.push_back({"Idempotency-Key", key});
    HttpResponse response = service->handle(r, now);
    learn();
    return response;
  }
  std::string subscribe(const std::string& key = "k1") {
    const HttpResponse r = api("POST", "/api/subscriptions",
                               {{"guest", "g_1"},
                                {"plan", "guest_club"},
                                {"currency", "USD"},
                                {"payment_method", "pm_g_1"}},
                               key);
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body).value("membership_id", "");
  }
  void answer(std::size_t index, HttpResult result) {
    dispatcher->on_http_result(fp.http.sent.at(index).id, std::move(result), now);
    learn();
  }
  const HttpRequest& sent(std::size_t index) const { return fp.http.sent.at(index).request; }
  std::string key_of(std::size_t index) const {
    return std::string(sent(index).header("Idempotency-Key").value_or(""));
  }
  FormFields fields_of(std::size_t index) const {
    FormFields f;
    EXPECT_TRUE(form_decode(sent(index).body, &f).is_ok());
    return f;
  }
  void event(const std::string& type, const nlohmann::json& object, std::int64_t created_s) {
    webhook::VerifiedEvent e;
    e.endpoint = webhook::Endpoint::kStripe;
    e.id = "evt_" + std::to_string(++events_);
    e.type = type;
    e.payload = {{"id", e.id},
                 {"object", "event"},
                 {"type", type},
                 {"created", created_s},
                 {"data", {{"object", object}}}};
    WriteBatch batch;
    ASSERT_TRUE(service->apply(e, batch, now).is_ok());
    ASSERT_TRUE(fp.alerting_store.commit(batch).is_ok());
    learn();
  }
  void advance_to(TimeUs until_us) {
    for (int i = 0; i < 100'000; ++i) {
      const auto it = fp.timers.armed.find(dispatcher_config.timer_id);
      if (it == fp.timers.armed.end() || it->second > until_us) break;
      now = std::max(now, it->second);
      fp.timers.armed.erase(it);
      dispatcher->on_timer(dispatcher_config.timer_id, now);
      learn();
    }
    now = std::max(now, until_us);
  }
  void reconcile() {
    WriteBatch batch;
    ASSERT_TRUE(service->reconcile(batch, now).is_ok());
    ASSERT_TRUE(fp.alerting_store.commit(batch).is_ok());
    service->take_enqueued();
    dispatcher->on_committed(batch, now);
  }
  Membership row(const std::string& id) {
    Membership m;
    EXPECT_TRUE(service->find(id, &m).is_ok());
    return m;
  }
  // A membership whose customer and subscription exist, active as of Stripe's second at_s.
  std::string active_member(std::int64_t at_s = kStartS + 10) {
    const std::string id = subscribe();
    answer(0, stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}, at_s));
    answer(1, stripe_answer(200, sub("active", id), at_s));
    EXPECT_EQ(row(id).status, MemberStatus::kActive);
    return id;
  }
  // Every request sent so far dies until its job is in the DLQ (an outage longer than a day).
  void fail_until_dead(std::size_t index) {
    for (int i = 0; i < 10'000 && fp.http.sent.size() > index; ++i) {
      const std::size_t last = fp.http.sent.size() - 1;
      if (last < index) break;
      std::vector<resilience::DlqEntry> dlq;
      ASSERT_TRUE(dispatcher->dlq_entries(&dlq).is_ok());
      if (!dlq.empty()) return;
      now += 2 * kUsPerSec;
      answer(last, HttpResult::failed(HttpError::kConnectionFailed));
      const auto it = fp.timers.armed.find(dispatcher_config.timer_id);
      if (it != fp.timers.armed.end()) advance_to(it->second);
    }
  }

  core::testing::FakePorts fp;
  resilience::DispatcherConfig dispatcher_config;
  std::unique_ptr<resilience::Dispatcher> dispatcher;
  std::unique_ptr<SubscriptionService> service;
  TimeUs now = kStartUs;
  int events_ = 0;
};

TEST_F(SubscriptionServiceTest, CreatesCustomerThenSubscriptionWithKeysAndMetadata) {
  const std::string id = subscribe();
  ASSERT_EQ(fp.http.sent.size(), 1u);
  EXPECT_EQ(sent(0).method, "POST");
  EXPECT_EQ(sent(0).target, "/v1/customers");
  const FormFields customer = fields_of(0);
  EXPECT_NE(std::find(customer.begin(), customer.end(),
                      std::make_pair(std::string("metadata[membership_id]"), id)),
            customer.end());
  EXPECT_FALSE(key_of(0).empty());
  EXPECT_EQ(row(id).status, MemberStatus::kCreating);
  EXPECT_EQ(row(id).customer_key, key_of(0));

  answer(0,
         stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}, kStartS + 1));
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/subscriptions");
  const FormFields want = {{"customer", "cus_1"},
                           {"default_payment_method", "pm_g_1"},
                           {"items[0][price_data][currency]", "usd"},
                           {"items[0][price_data][product]", "guest_club"},
                           {"items[0][price_data][unit_amount]", "2900"},
                           {"items[0][price_data][recurring][interval]", "day"},
                           {"metadata[membership_id]", id}};
  EXPECT_EQ(fields_of(1), want);
  EXPECT_FALSE(key_of(1).empty());
  EXPECT_NE(key_of(1), key_of(0));
  answer(1, stripe_answer(200, sub("active", id), kStartS + 1));
  EXPECT_EQ(row(id).status, MemberStatus::kActive);
  EXPECT_EQ(row(id).subscription, "sub_1");
  std::string by_sub;
  ASSERT_TRUE(fp.store.get(kMembershipsBySubTable, "sub_1", &by_sub).is_ok());
  EXPECT_EQ(by_sub, id);
  const HttpResponse view = api("GET", "/api/subscriptions/" + id);
  EXPECT_EQ(view.status, 200);
  EXPECT_EQ(nlohmann::json::parse(view.body)["status"], "active");
}

TEST_F(SubscriptionServiceTest, GuestRetryWithTheSameKeyCreatesNothingNew) {
  const std::string id = subscribe("k1");
  EXPECT_EQ(subscribe("k1"), id);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  EXPECT_NE(subscribe("k2"), id);
  const HttpResponse reused =
      api("POST", "/api/subscriptions",
          {{"guest", "g_2"}, {"currency", "USD"}, {"payment_method", "pm_g_2"}}, "k1");
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(api("POST", "/api/subscriptions",
                {{"guest", "g_1"}, {"currency", "XXX"}, {"payment_method", "pm_1"}})
                .status,
            400);
  EXPECT_EQ(
      api("POST", "/api/subscriptions",
          {{"guest", "g_1"}, {"plan", "gold"}, {"currency", "USD"}, {"payment_method", "pm_1"}})
          .status,
      400);
}

TEST_F(SubscriptionServiceTest, TimeoutRetriesTheCreateWithTheSameKey) {
  subscribe();
  answer(0, HttpResult::failed(HttpError::kTimeout));
  advance_to(now + kUsPerHour);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/customers");
  EXPECT_EQ(key_of(1), key_of(0));
}

// A create whose answer was lost is sent again with its key; Stripe replays the first answer,
// which shows the subscription as it was then, under a fresh Date. It must not undo what a
// webhook taught in between.
TEST_F(SubscriptionServiceTest, AReplayedCreateAnswerTeachesIdsNotAStatus) {
  const std::string id = subscribe();
  answer(0, stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}},
                          kStartS + 10));
  answer(1, HttpResult::failed(HttpError::kTimeout));
  event("customer.subscription.updated", sub("past_due", id), kStartS + 200);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  advance_to(now + kUsPerHour);
  ASSERT_EQ(fp.http.sent.size(), 3u);
  EXPECT_EQ(key_of(2), key_of(1));
  HttpResult replay = stripe_answer(200, sub("active", id), kStartS + 3'600);
  replay.response.headers.push_back({"Idempotent-Replayed", "true"});
  answer(2, replay);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  EXPECT_EQ(row(id).subscription, "sub_1");
}

TEST_F(SubscriptionServiceTest, OldNewsNeverOverwritesNewerAndSameSecondIsRead) {
  const std::string id = active_member(kStartS + 10);
  event("customer.subscription.updated", sub("past_due", id), kStartS + 200);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  // Late and older: ignored.
  event("customer.subscription.updated", sub("active", id), kStartS + 150);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  const std::size_t before = fp.http.sent.size();
  // The same second as the newest news, and a different status: in doubt, read a second later.
  event("invoice.paid", invoice("in_1", id, false), kStartS + 200);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  advance_to(now + 2 * kUsPerSec);
  ASSERT_EQ(fp.http.sent.size(), before + 1);
  EXPECT_EQ(sent(before).method, "GET");
  EXPECT_EQ(sent(before).target, "/v1/subscriptions/sub_1");
  answer(before, stripe_answer(200, sub("active", id), kStartS + 201));
  EXPECT_EQ(row(id).status, MemberStatus::kActive);
  // Final is final.
  event("customer.subscription.deleted", sub("canceled", id), kStartS + 300);
  event("customer.subscription.updated", sub("active", id), kStartS + 400);
  EXPECT_EQ(row(id).status, MemberStatus::kCanceled);
  EXPECT_TRUE(row(id).lapsed);
  EXPECT_EQ(fp.alerts.count("membership_lapsed", id), 1u);
}

TEST_F(SubscriptionServiceTest, DunningTellsTheMemberOncePerInvoiceAndRecovers) {
  const std::string id = active_member();
  event("invoice.payment_failed", invoice("in_2", id, /*retry_ahead=*/true), kStartS + 100);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  EXPECT_EQ(row(id).invoices.at("in_2"), "failed");
  EXPECT_EQ(row(id).dunned.count("in_2"), 1u);
  EXPECT_EQ(fp.alerts.count("dunning", id), 1u);
  // The retry fails too (and the first event is redelivered): no second notice.
  event("invoice.payment_failed", invoice("in_2", id, true), kStartS + 3'700);
  event("invoice.payment_failed", invoice("in_2", id, true), kStartS + 100);
  EXPECT_EQ(fp.alerts.count("dunning", id), 1u);
  event("invoice.paid", invoice("in_2", id, false), kStartS + 7'300);
  EXPECT_EQ(row(id).status, MemberStatus::kActive);
  EXPECT_EQ(row(id).invoices.at("in_2"), "paid");
  // A failure reported after the payment is old news.
  event("invoice.payment_failed", invoice("in_2", id, true), kStartS + 3'700);
  EXPECT_EQ(row(id).invoices.at("in_2"), "paid");
  EXPECT_EQ(row(id).status, MemberStatus::kActive);
  EXPECT_EQ(fp.alerts.count("dunning", id), 1u);
}

TEST_F(SubscriptionServiceTest, DunningNoticeGoesToWhatsAppOncePerInvoiceWhenEnabled) {
  notifications::NotificationConfig nc;
  nc.enabled = true;
  notifications::NotificationService wa(nc, fp.ports(&fp.alerting_store), dispatcher.get());
  wa.register_handlers();
  SubscriptionServiceConfig config;
  service = std::make_unique<SubscriptionService>(config, fp.ports(&fp.alerting_store),
                                                  dispatcher.get(), &wa);
  service->register_handlers();
  const std::string id = active_member();
  event("invoice.payment_failed", invoice("in_2", id, true), kStartS + 100);
  event("invoice.payment_failed", invoice("in_2", id, true), kStartS + 3'700);
  const std::string nid = notifications::notification_id(
      notifications::NotificationKind::kMembershipPaymentFailed, "in_2");
  notifications::Notification n;
  ASSERT_TRUE(wa.find(nid, &n).is_ok());
  EXPECT_EQ(n.kind, notifications::NotificationKind::kMembershipPaymentFailed);
  EXPECT_EQ(n.guest, "g_1");
  EXPECT_EQ(n.recipient, notifications::guest_wa_id("g_1"));
  EXPECT_EQ(fp.store.size(notifications::kNotificationsTable), 1u);
  EXPECT_EQ(fp.alerts.count("dunning", id), 1u);
}

TEST_F(SubscriptionServiceTest, EndOfRetriesLapsesTheMembership) {
  const std::string id = active_member();
  event("invoice.payment_failed", invoice("in_2", id, true), kStartS + 100);
  event("invoice.payment_failed", invoice("in_2", id, /*retry_ahead=*/false), kStartS + 9'000);
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);  // the subscription's event decides
  event("customer.subscription.deleted", sub("canceled", id), kStartS + 9'000);
  EXPECT_EQ(row(id).status, MemberStatus::kCanceled);
  EXPECT_TRUE(row(id).lapsed);
  EXPECT_EQ(nlohmann::json::parse(api("GET", "/api/subscriptions/" + id).body)["lapsed"], true);
}

TEST_F(SubscriptionServiceTest, EventsBeforeTheAnswerAreFoundByMetadata) {
  const std::string id = subscribe();
  answer(0,
         stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}, kStartS + 1));
  // The subscription's webhooks overtake the create's answer.
  event("customer.subscription.created", sub("incomplete", id), kStartS + 2);
  EXPECT_EQ(row(id).status, MemberStatus::kIncomplete);
  EXPECT_EQ(row(id).subscription, "sub_1");
  event("invoice.payment_failed", invoice("in_1", id, false, "subscription_create"), kStartS + 2);
  EXPECT_EQ(fp.alerts.count("dunning", id), 1u);
  answer(1, stripe_answer(200, sub("incomplete", id), kStartS + 2));
  event("customer.subscription.deleted", sub("incomplete_expired", id), kStartS + 90'000);
  EXPECT_EQ(row(id).status, MemberStatus::kIncompleteExpired);
  EXPECT_FALSE(row(id).lapsed);  // it never started
}

TEST_F(SubscriptionServiceTest, DeadCustomerCreateSearchesThenAdoptsWhatItFinds) {
  const std::string id = subscribe();
  fail_until_dead(0);
  EXPECT_TRUE(row(id).customer_dead);
  const std::size_t n = fp.http.sent.size();
  advance_to(now + 5 * kUsPerMin);  // the search waits for Stripe's index
  ASSERT_EQ(fp.http.sent.size(), n + 1);
  EXPECT_EQ(sent(n).method, "GET");
  EXPECT_TRUE(sent(n).target.starts_with("/v1/customers/search?query=metadata"));
  const nlohmann::json found = {
      {"object", "search_result"},
      {"data", {{{"id", "cus_9"}, {"metadata", {{"membership_id", id}}}}}}};
  answer(n, stripe_answer(200, found, kStartS + 90'000));
  EXPECT_EQ(row(id).customer, "cus_9");
  EXPECT_FALSE(row(id).customer_dead);
  ASSERT_EQ(fp.http.sent.size(), n + 2);
  EXPECT_EQ(sent(n + 1).target, "/v1/subscriptions");  // no second customer
}

TEST_F(SubscriptionServiceTest, DeadCustomerCreateNotFoundCreatesAgainUnderANewKeyOnceAged) {
  const std::string id = subscribe();
  const std::string first_key = key_of(0);
  fail_until_dead(0);
  const std::size_t n = fp.http.sent.size();
  advance_to(now + 5 * kUsPerMin);
  answer(n, stripe_answer(200, {{"object", "search_result"}, {"data", nlohmann::json::array()}},
                          kStartS + 90'000));
  ASSERT_EQ(fp.http.sent.size(), n + 2);
  EXPECT_EQ(sent(n + 1).target, "/v1/customers");
  // The job died when its key reached Stripe's 24 h: a new key, since the old one means nothing.
  EXPECT_NE(key_of(n + 1), first_key);
  EXPECT_EQ(row(id).creates, 2);
}

TEST_F(SubscriptionServiceTest, DeadSubscriptionCreateListsTheCustomersAndNeverCreatesTwice) {
  const std::string id = subscribe();
  answer(0,
         stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}, kStartS + 1));
  fail_until_dead(1);
  EXPECT_TRUE(row(id).subscription_dead);
  // The customer's list does not lag: it goes at once.
  const std::size_t n = fp.http.sent.size() - 1;
  EXPECT_EQ(sent(n).target, "/v1/subscriptions?customer=cus_1&status=all&limit=100");
  const nlohmann::json list = {{"object", "list"}, {"data", {sub("past_due", id, "sub_7")}}};
  answer(n, stripe_answer(200, list, kStartS + 90'000));
  EXPECT_EQ(row(id).subscription, "sub_7");
  EXPECT_EQ(row(id).status, MemberStatus::kPastDue);
  for (std::size_t i = n; i < fp.http.sent.size(); ++i) {
    EXPECT_NE(sent(i).method + sent(i).target, "POST/v1/subscriptions");
  }
}

TEST_F(SubscriptionServiceTest, AnUnreadableAnswerToACreateIsSettledByAReadNotLeftCreating) {
  const std::string id = subscribe();
  answer(0, HttpResult::of(HttpResponse{200, {}, "{\"id\": \"cus_"}));  // cut short
  EXPECT_TRUE(row(id).customer_dead);
  const std::size_t n = fp.http.sent.size();
  advance_to(now + 5 * kUsPerMin);
  ASSERT_EQ(fp.http.sent.size(), n + 1);
  EXPECT_TRUE(sent(n).target.starts_with("/v1/customers/search"));
  answer(n, stripe_answer(200,
                          {{"object", "search_result"},
                           {"data", {{{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}}}},
                          kStartS + 400));
  ASSERT_EQ(fp.http.sent.size(), n + 2);
  EXPECT_EQ(sent(n + 1).target, "/v1/subscriptions");
  answer(n + 1, HttpResult::of(HttpResponse{201, {}, "garbage"}));
  EXPECT_TRUE(row(id).subscription_dead);
  ASSERT_EQ(fp.http.sent.size(), n + 3);
  EXPECT_EQ(sent(n + 2).target, "/v1/subscriptions?customer=cus_1&status=all&limit=100");
  answer(n + 2,
         stripe_answer(200, {{"object", "list"}, {"data", {sub("active", id)}}}, kStartS + 401));
  EXPECT_EQ(row(id).status, MemberStatus::kActive);
  EXPECT_EQ(row(id).subscription, "sub_1");
}

TEST_F(SubscriptionServiceTest, RefusedCreateFailsTheMembershipWithAnAlert) {
  const std::string id = subscribe();
  answer(0, stripe_answer(400, {{"error", {{"code", "resource_missing"}}}}, kStartS));
  EXPECT_EQ(row(id).status, MemberStatus::kFailed);
  EXPECT_EQ(fp.alerts.count("membership_failed", id), 1u);
}

TEST_F(SubscriptionServiceTest, CancelWhileCreatingIsSentOnceTheSubscriptionExists) {
  const std::string id = subscribe();
  const HttpResponse r = api("POST", "/api/subscriptions/" + id + "/cancel");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["cancel_requested"], true);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  answer(0,
         stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}}, kStartS + 1));
  answer(1, stripe_answer(200, sub("active", id), kStartS + 1));
  ASSERT_EQ(fp.http.sent.size(), 3u);
  EXPECT_EQ(sent(2).method, "DELETE");
  EXPECT_EQ(sent(2).target, "/v1/subscriptions/sub_1");
  answer(2, stripe_answer(200, sub("canceled", id), kStartS + 2));
  EXPECT_EQ(row(id).status, MemberStatus::kCanceled);
  EXPECT_FALSE(row(id).lapsed);  // the member's choice
  EXPECT_EQ(api("POST", "/api/subscriptions/ms_nope/cancel").status, 404);
}

TEST_F(SubscriptionServiceTest, ReconcileReadsWhenOwedNewsIsLateOrNoneCameForLong) {
  const std::string id = subscribe();
  answer(0, stripe_answer(200, {{"id", "cus_1"}, {"metadata", {{"membership_id", id}}}},
                          kStartS + 10));
  nlohmann::json active = sub("active", id);
  active["current_period_end"] = kStartS + 3'600;  // a renewal is owed in an hour
  answer(1, stripe_answer(200, active, kStartS + 10));
  const std::size_t n = fp.http.sent.size();
  now += 80 * kUsPerMin;
  reconcile();
  EXPECT_EQ(fp.http.sent.size(), n);  // within the grace after the renewal
  now += 20 * kUsPerMin;
  reconcile();
  ASSERT_EQ(fp.http.sent.size(), n + 1);  // the renewal's news never came: read
  EXPECT_EQ(sent(n).target, "/v1/subscriptions/sub_1");
  reconcile();  // one read at a time
  EXPECT_EQ(fp.http.sent.size(), n + 1);
  // The webhook that would have said so never came: the read repairs it.
  answer(n, stripe_answer(200, sub("unpaid", id), kStartS + 4'000));
  EXPECT_EQ(row(id).status, MemberStatus::kUnpaid);
  EXPECT_TRUE(row(id).lapsed);
  // The pass reads only what is due: one index row per membership that is not final.
  EXPECT_EQ(fp.store.size(kMembershipChecksTable), 1u);
  event("customer.subscription.deleted", sub("canceled", id), kStartS + 5'000);
  EXPECT_EQ(fp.store.size(kMembershipChecksTable), 0u);
  now += 48 * kUsPerHour;
  reconcile();
  EXPECT_EQ(fp.http.sent.size(), n + 1);  // a final membership is never read again
}

TEST_F(SubscriptionServiceTest, ReconcileReadsAfterADayWithoutAnyNews) {
  active_member();  // no period end known: nothing is owed
  const std::size_t n = fp.http.sent.size();
  now += 23 * kUsPerHour;
  reconcile();
  EXPECT_EQ(fp.http.sent.size(), n);
  now += 2 * kUsPerHour;
  reconcile();
  ASSERT_EQ(fp.http.sent.size(), n + 1);
  EXPECT_EQ(sent(n).target, "/v1/subscriptions/sub_1");
}

TEST_F(SubscriptionServiceTest, EventsOfOthersAreIgnored) {
  event("customer.subscription.updated", sub("active", "", "sub_x"), kStartS);
  event("invoice.paid", invoice("in_x", "", false), kStartS);
  event("payment_intent.succeeded", {{"id", "pi_1"}}, kStartS);
  EXPECT_EQ(fp.store.size(kMembershipsTable), 0u);
}

}  // namespace
}  // namespace intsim::core::payments
