#include "src/core/payments/payment_service.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "src/core/app/test_fakes.h"
#include "src/core/payments/form_codec.h"
#include "src/core/resilience/idempotency.h"

namespace intsim::core::payments {
namespace {

using bookings::ConfirmOutcome;
using core::testing::json_result;
using core::testing::stripe_pi;

constexpr TimeUs kStartUs = 1'767'225'600 * kUsPerSec;  // 2026-01-01

struct FakeHooks final : BookingHooks {
  std::map<std::string, ConfirmOutcome> outcomes;  // default: confirmed
  std::vector<std::string> paid;
  std::vector<std::string> failed;
  std::set<std::string> held;
  ConfirmOutcome on_paid(std::string_view id, WriteBatch& batch, TimeUs) override {
    paid.emplace_back(id);
    batch.put("hook_effects", "paid/" + std::string(id), "1");
    const auto it = outcomes.find(std::string(id));
    return it == outcomes.end() ? ConfirmOutcome::kConfirmed : it->second;
  }
  void on_payment_failed(std::string_view id, WriteBatch&, TimeUs) override {
    failed.emplace_back(id);
  }
  bool is_held(std::string_view id, TimeUs) const override { return held.count(std::string(id)); }
};

class PaymentServiceTest : public ::testing::Test {
 protected:
  PaymentServiceTest() { build(1'000); }

  void build(int attempts_max) {
    resilience::PeerPolicy stripe;
    stripe.backoff = {resilience::Jitter::kFull, 100, 3'600'000, attempts_max, 72 * 3'600'000LL};
    stripe.timeout_ms = 2'000;
    stripe.breaker = {1'000'000, 30'000, 1};  // never opens: these tests are about payments
    stripe.idempotency_header = "Idempotency-Key";
    stripe.key_prune_age_us = resilience::kStripeKeyPruneAgeUs;
    dispatcher_config.peers["stripe"] = stripe;
    dispatcher =
        std::make_unique<resilience::Dispatcher>(fp.ports(&fp.alerting_store), dispatcher_config);
    PaymentServiceConfig config;
    config.payment_stuck_after_us = 15 * kUsPerMin;
    config.search_settle_us = 5 * kUsPerMin;
    service = std::make_unique<PaymentService>(config, fp.ports(&fp.alerting_store),
                                               dispatcher.get(), &hooks);
    service->register_handlers();
    hooks.held.insert("bk_1");
  }

  void checkout(const std::string& booking = "bk_1", std::int64_t amount = 36'000) {
    WriteBatch batch;
    ASSERT_TRUE(service->checkout({booking, amount, "usd", "pm_card_visa"}, batch, now).is_ok());
    commit(batch);
  }
  void commit(const WriteBatch& batch) {
    ASSERT_TRUE(fp.alerting_store.commit(batch).is_ok());
    dispatcher->on_committed(batch, now);
    service->take_enqueued();
  }
  // What the integration does after a dispatcher callback: learn jobs written by on_failure.
  void learn() {
    WriteBatch learned;
    for (const WriteBatch::Op& op : service->take_enqueued()) {
      std::string row;
      if (fp.store.get(op.table, op.key, &row).is_ok()) learned.put(op.table, op.key, row);
    }
    if (!learned.empty()) dispatcher->on_committed(learned, now);
  }
  void answer(std::size_t index, HttpResult result) {
    dispatcher->on_http_result(fp.http.sent.at(index).id, std::move(result), now);
    learn();
  }
  const HttpRequest& sent(std::size_t index) const { return fp.http.sent.at(index).request; }
  std::string key_of(std::size_t index) const {
    return std::string(sent(index).header("Idempotency-Key").value_or(""));
  }
  Status event(const std::string& type, const nlohmann::json& object, std::int64_t created_s) {
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
    const Status s = service->apply(e, batch, now);
    if (s.is_ok()) {
      EXPECT_TRUE(fp.alerting_store.commit(batch).is_ok());
      learn();
    }
    return s;
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
  Payment row(const std::string& booking = "bk_1") {
    Payment p;
    EXPECT_TRUE(service->find(booking, &p).is_ok());
    return p;
  }
  std::vector<resilience::DlqEntry> dlq() {
    std::vector<resilience::DlqEntry> out;
    EXPECT_TRUE(dispatcher->dlq_entries(&out).is_ok());
    return out;
  }
  // Fails every request until the create job dies, as during a Stripe outage longer than a day.
  void outage_until_dead() {
    for (std::size_t i = 0; dlq().empty() && i < 10'000; ++i) {
      if (i < fp.http.sent.size()) {
        now += 2 * kUsPerSec;
        answer(i, HttpResult::failed(HttpError::kConnectionFailed));
      }
      const auto it = fp.timers.armed.find(dispatcher_config.timer_id);
      if (it != fp.timers.armed.end() && i + 1 >= fp.http.sent.size()) advance_to(it->second);
    }
  }

  core::testing::FakePorts fp;
  resilience::DispatcherConfig dispatcher_config;
  std::unique_ptr<resilience::Dispatcher> dispatcher;
  FakeHooks hooks;
  std::unique_ptr<PaymentService> service;
  TimeUs now = kStartUs;
  int events_ = 0;
};

TEST_F(PaymentServiceTest, CheckoutSendsOneCreateAndConfirmWithKeyAndBookingMetadata) {
  checkout();
  ASSERT_EQ(fp.http.sent.size(), 1u);
  EXPECT_EQ(fp.http.sent[0].peer, "stripe");
  EXPECT_EQ(sent(0).method, "POST");
  EXPECT_EQ(sent(0).target, "/v1/payment_intents");
  FormFields fields;
  ASSERT_TRUE(form_decode(sent(0).body, &fields).is_ok());
  const FormFields want = {{"amount", "36000"},
                           {"currency", "usd"},
                           {"payment_method", "pm_card_visa"},
                           {"confirm", "true"},
                           {"metadata[booking_id]", "bk_1"}};
  EXPECT_EQ(fields, want);
  EXPECT_FALSE(key_of(0).empty());
  EXPECT_EQ(row().idempotency_key, key_of(0));
  EXPECT_EQ(row().status, PayStatus::kPending);
  WriteBatch again;
  EXPECT_EQ(service->checkout({"bk_1", 36'000, "usd", "pm_card_visa"}, again, now).code(),
            Status::Code::kConflict);
  EXPECT_EQ(service->checkout({"bk_2", 10, "usd", "pm_card_visa"}, again, now).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(PaymentServiceTest, TimeoutRetriesWithTheSameKey) {
  checkout();
  answer(0, HttpResult::failed(HttpError::kTimeout));
  advance_to(now + kUsPerHour);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(key_of(1), key_of(0));
}

TEST_F(PaymentServiceTest, SuccessConfirmsOnceWhicheverMessageComesFirst) {
  checkout();
  // The webhook overtakes the API answer.
  ASSERT_TRUE(
      event("payment_intent.succeeded", stripe_pi("pi_1", "bk_1", "succeeded"), 100).is_ok());
  EXPECT_EQ(hooks.paid, std::vector<std::string>{"bk_1"});
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  ASSERT_TRUE(
      event("payment_intent.succeeded", stripe_pi("pi_1", "bk_1", "succeeded"), 100).is_ok());
  EXPECT_EQ(hooks.paid.size(), 1u);
  EXPECT_EQ(row().status, PayStatus::kSucceeded);
  EXPECT_EQ(row().payment_intent, "pi_1");
  std::string booking;
  EXPECT_TRUE(fp.store.get(kPaymentsByPiTable, "pi_1", &booking).is_ok());
  EXPECT_EQ(booking, "bk_1");
}

TEST_F(PaymentServiceTest, OlderEventsNeverRegressTheStatus) {
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "requires_action")));
  ASSERT_TRUE(
      event("payment_intent.succeeded", stripe_pi("pi_1", "bk_1", "succeeded"), 200).is_ok());
  ASSERT_TRUE(
      event("payment_intent.processing", stripe_pi("pi_1", "bk_1", "processing"), 150).is_ok());
  ASSERT_TRUE(event("payment_intent.payment_failed",
                    stripe_pi("pi_1", "bk_1", "requires_payment_method", 36'000, true), 100)
                  .is_ok());
  EXPECT_EQ(row().status, PayStatus::kSucceeded);
  EXPECT_EQ(row().stripe_status, "succeeded");
  EXPECT_TRUE(hooks.failed.empty());
  EXPECT_EQ(fp.http.sent.size(), 1u);  // nothing was in doubt: no read
}

TEST_F(PaymentServiceTest, AContradictionThatLooksNewerIsSettledByReadingTheObject) {
  checkout();
  ASSERT_TRUE(
      event("payment_intent.succeeded", stripe_pi("pi_1", "bk_1", "succeeded"), 200).is_ok());
  ASSERT_TRUE(event("payment_intent.payment_failed",
                    stripe_pi("pi_1", "bk_1", "requires_payment_method", 36'000, true), 201)
                  .is_ok());
  EXPECT_EQ(row().status, PayStatus::kSucceeded);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).method, "GET");
  EXPECT_EQ(sent(1).target, "/v1/payment_intents/pi_1");
  answer(1, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  EXPECT_EQ(row().status, PayStatus::kSucceeded);
  EXPECT_TRUE(row().reconcile_job_id.empty());
  EXPECT_EQ(hooks.paid.size(), 1u);
}

TEST_F(PaymentServiceTest, CardDeclineIsAnAnswerNotADeadLetter) {
  checkout();
  nlohmann::json body = {
      {"error",
       {{"type", "card_error"},
        {"code", "card_declined"},
        {"payment_intent", stripe_pi("pi_1", "bk_1", "requires_payment_method", 36'000, true)}}}};
  answer(0, json_result(402, body));
  EXPECT_TRUE(dlq().empty());
  EXPECT_EQ(row().status, PayStatus::kFailed);
  EXPECT_EQ(row().stripe_status, "requires_payment_method");
  EXPECT_EQ(hooks.failed, std::vector<std::string>{"bk_1"});
  EXPECT_EQ(dispatcher->jobs(), 0u);
}

TEST_F(PaymentServiceTest, KeyInUseIsRetried) {
  checkout();
  answer(0, json_result(409, {{"error", {{"code", "idempotency_key_in_use"}}}}));
  EXPECT_TRUE(dlq().empty());
  advance_to(now + kUsPerHour);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(key_of(1), key_of(0));
}

TEST_F(PaymentServiceTest, KeyPastPruneAgeSearchesAndAdoptsWhatItFinds) {
  checkout();
  outage_until_dead();
  const auto dead = dlq();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].reason, resilience::DeadReason::kKeyPastPruneAge);
  const std::size_t before = fp.http.sent.size();
  EXPECT_TRUE(row().create_dead);
  // Nothing goes out until Stripe's search index has settled.
  advance_to(now + 4 * kUsPerMin);
  EXPECT_EQ(fp.http.sent.size(), before);
  advance_to(now + 2 * kUsPerMin);
  ASSERT_EQ(fp.http.sent.size(), before + 1);
  EXPECT_EQ(sent(before).method, "GET");
  EXPECT_EQ(sent(before).target,
            "/v1/payment_intents/search?query=metadata%5B%27booking_id%27%5D%3A%27bk_1%27");
  answer(before, json_result(200, {{"object", "search_result"},
                                   {"data", {stripe_pi("pi_9", "bk_1", "succeeded")}}}));
  EXPECT_EQ(row().status, PayStatus::kSucceeded);
  EXPECT_EQ(row().payment_intent, "pi_9");
  EXPECT_FALSE(row().create_dead);
  EXPECT_EQ(hooks.paid.size(), 1u);
  advance_to(now + kUsPerDay);
  EXPECT_EQ(fp.http.sent.size(), before + 1);  // no second create
}

TEST_F(PaymentServiceTest, KeyPastPruneAgeCreatesWithANewKeyOnlyWhenNoneExistsAndStillHeld) {
  checkout();
  const std::string first_key = key_of(0);
  outage_until_dead();
  advance_to(now + 6 * kUsPerMin);
  const std::size_t search = fp.http.sent.size() - 1;
  answer(search,
         json_result(200, {{"object", "search_result"}, {"data", nlohmann::json::array()}}));
  ASSERT_EQ(fp.http.sent.size(), search + 2);
  EXPECT_EQ(sent(search + 1).target, "/v1/payment_intents");
  EXPECT_NE(key_of(search + 1), first_key);
  EXPECT_EQ(row().creates, 2);
  EXPECT_EQ(row().idempotency_key, key_of(search + 1));
}

TEST_F(PaymentServiceTest, ACreateThatDiedYoungIsMadeAgainUnderItsOwnKey) {
  build(/*attempts_max=*/2);
  checkout();
  const std::string first_key = key_of(0);
  answer(0, HttpResult::failed(HttpError::kTimeout));
  advance_to(now + kUsPerHour);
  answer(1, HttpResult::failed(HttpError::kTimeout));
  ASSERT_EQ(dlq().size(), 1u);
  EXPECT_EQ(dlq()[0].reason, resilience::DeadReason::kAttemptsExhausted);
  advance_to(now + 6 * kUsPerMin);
  const std::size_t search = fp.http.sent.size() - 1;
  EXPECT_EQ(sent(search).method, "GET");
  answer(search,
         json_result(200, {{"object", "search_result"}, {"data", nlohmann::json::array()}}));
  ASSERT_EQ(fp.http.sent.size(), search + 2);
  // A timed-out attempt may still reach Stripe: under the same key it cannot charge twice.
  EXPECT_EQ(key_of(search + 1), first_key);
}

TEST_F(PaymentServiceTest, AnUnreadableSearchAnswerCreatesNothing) {
  checkout();
  outage_until_dead();
  advance_to(now + 6 * kUsPerMin);
  const std::size_t search = fp.http.sent.size() - 1;
  answer(search, HttpResult::of(HttpResponse{200, {}, "{\"obj"}));
  EXPECT_EQ(fp.http.sent.size(), search + 1);
  EXPECT_TRUE(row().create_dead);
  EXPECT_EQ(row().status, PayStatus::kPending);
  WriteBatch batch;
  ASSERT_TRUE(service->reconcile(batch, now).is_ok());
  commit(batch);
  EXPECT_EQ(sent(search + 1).method, "GET");  // the next pass searches again
}

TEST_F(PaymentServiceTest, AnEmptySearchForABookingNoLongerHeldAbandonsThePayment) {
  checkout();
  hooks.held.clear();
  outage_until_dead();
  advance_to(now + 6 * kUsPerMin);
  const std::size_t search = fp.http.sent.size() - 1;
  answer(search,
         json_result(200, {{"object", "search_result"}, {"data", nlohmann::json::array()}}));
  EXPECT_EQ(fp.http.sent.size(), search + 1);
  EXPECT_EQ(row().status, PayStatus::kAbandoned);
  EXPECT_EQ(hooks.failed, std::vector<std::string>{"bk_1"});
}

TEST_F(PaymentServiceTest, ACreateThatReachesStripeAfterAbandonmentIsAdoptedWithItsStatus) {
  checkout();
  hooks.held.clear();
  outage_until_dead();
  advance_to(now + 6 * kUsPerMin);
  answer(fp.http.sent.size() - 1,
         json_result(200, {{"object", "search_result"}, {"data", nlohmann::json::array()}}));
  ASSERT_EQ(row().status, PayStatus::kAbandoned);
  // An attempt that lingered on the wire reaches Stripe; its card fails 3-D Secure.
  nlohmann::json pi = stripe_pi("pi_1", "bk_1", "requires_payment_method");
  pi["last_payment_error"] = {{"code", "payment_intent_authentication_failure"}};
  ASSERT_TRUE(event("payment_intent.payment_failed", pi, 600).is_ok());
  EXPECT_EQ(row().payment_intent, "pi_1");
  EXPECT_EQ(row().status, PayStatus::kFailed);
  EXPECT_EQ(row().stripe_status, "requires_payment_method");
  EXPECT_EQ(hooks.failed, std::vector<std::string>{"bk_1"});  // told once, at abandonment
}

TEST_F(PaymentServiceTest, LateSuccessWhoseNightsWereTakenIsRefunded) {
  hooks.outcomes["bk_1"] = ConfirmOutcome::kNightsTaken;
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/refunds");
  FormFields fields;
  ASSERT_TRUE(form_decode(sent(1).body, &fields).is_ok());
  EXPECT_EQ(fields[0], (FormField{"payment_intent", "pi_1"}));
  EXPECT_EQ(row().refund, RefundState::kQueued);
  answer(1, json_result(200, {{"id", "re_1"},
                              {"object", "refund"},
                              {"amount", 36'000},
                              {"payment_intent", "pi_1"},
                              {"status", "succeeded"}}));
  EXPECT_EQ(row().refund, RefundState::kDone);
  EXPECT_EQ(row().refunded, 36'000);
  // The refund's own webhooks count it once.
  ASSERT_TRUE(event("refund.created",
                    {{"id", "re_1"},
                     {"amount", 36'000},
                     {"payment_intent", "pi_1"},
                     {"status", "succeeded"},
                     {"metadata", {{"booking_id", "bk_1"}}}},
                    300)
                  .is_ok());
  ASSERT_TRUE(event("charge.refunded",
                    {{"id", "ch_1"},
                     {"amount_refunded", 36'000},
                     {"payment_intent", "pi_1"},
                     {"metadata", {{"booking_id", "bk_1"}}}},
                    300)
                  .is_ok());
  EXPECT_EQ(row().refunded, 36'000);
}

TEST_F(PaymentServiceTest, CancelBeforeTheMoneyArrivesRefundsWhenItDoes) {
  checkout();
  WriteBatch batch;
  ASSERT_TRUE(service->refund_booking("bk_1", batch, now).is_ok());
  commit(batch);
  EXPECT_EQ(row().refund, RefundState::kWanted);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/refunds");
}

TEST_F(PaymentServiceTest, AlreadyRefundedCountsAsDone) {
  hooks.outcomes["bk_1"] = ConfirmOutcome::kCancelled;
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  answer(1, json_result(400, {{"error", {{"code", "charge_already_refunded"}}}}));
  EXPECT_TRUE(dlq().empty());
  EXPECT_EQ(row().refund, RefundState::kDone);
  EXPECT_EQ(row().refunded, 36'000);
}

TEST_F(PaymentServiceTest, RefundRefusedForADisputedChargeAlerts) {
  hooks.outcomes["bk_1"] = ConfirmOutcome::kCancelled;
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  answer(1, json_result(400, {{"error", {{"code", "charge_disputed"}}}}));
  EXPECT_EQ(row().refund, RefundState::kFailed);
  EXPECT_EQ(fp.alerts.count("refund_failed", "bk_1"), 1u);
  EXPECT_EQ(fp.alerts.count("dlq"), 1u);
}

TEST_F(PaymentServiceTest, DisputeMarksThePaymentAndAlertsOnce) {
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  const nlohmann::json dispute = {{"id", "dp_1"},
                                  {"object", "dispute"},
                                  {"charge", "ch_1"},
                                  {"payment_intent", "pi_1"},
                                  {"reason", "fraudulent"},
                                  {"status", "needs_response"},
                                  {"metadata", nlohmann::json::object()}};
  ASSERT_TRUE(event("charge.dispute.created", dispute, 500).is_ok());
  ASSERT_TRUE(event("charge.dispute.funds_withdrawn", dispute, 500).is_ok());
  nlohmann::json closed = dispute;
  closed["status"] = "lost";
  ASSERT_TRUE(event("charge.dispute.closed", closed, 900).is_ok());
  ASSERT_TRUE(event("charge.dispute.updated", dispute, 600).is_ok());  // late, older
  EXPECT_TRUE(row().disputed);
  EXPECT_EQ(row().dispute_status, "lost");
  EXPECT_EQ(fp.alerts.count("dispute", "bk_1"), 1u);
}

TEST_F(PaymentServiceTest, ADisputeWhoseCommitFailedIsAlertedOnceWhenRedelivered) {
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  webhook::VerifiedEvent e;
  e.endpoint = webhook::Endpoint::kStripe;
  e.id = "evt_dispute";
  e.type = "charge.dispute.created";
  e.payload = {{"id", e.id},
               {"type", e.type},
               {"created", 500},
               {"data",
                {{"object",
                  {{"id", "dp_1"},
                   {"payment_intent", "pi_1"},
                   {"reason", "fraudulent"},
                   {"status", "needs_response"}}}}}};
  // The intake's commit fails (the disk): the dispute is not recorded, so nobody is told yet.
  WriteBatch lost;
  ASSERT_TRUE(service->apply(e, lost, now).is_ok());
  EXPECT_EQ(fp.alerts.count("dispute", "bk_1"), 0u);
  EXPECT_FALSE(row().disputed);
  // Stripe redelivers; this time the batch commits, and the alert leaves with it, once.
  WriteBatch kept;
  ASSERT_TRUE(service->apply(e, kept, now).is_ok());
  ASSERT_TRUE(fp.alerting_store.commit(kept).is_ok());
  EXPECT_TRUE(row().disputed);
  EXPECT_EQ(fp.alerts.count("dispute", "bk_1"), 1u);
}

TEST_F(PaymentServiceTest, ReconcileReadsOnlyPaymentsStuckLongEnough) {
  checkout();
  answer(0, json_result(200, stripe_pi("pi_1", "bk_1", "processing")));
  WriteBatch early;
  ASSERT_TRUE(service->reconcile(early, now + 10 * kUsPerMin).is_ok());
  EXPECT_TRUE(early.empty());
  now += 16 * kUsPerMin;
  WriteBatch batch;
  ASSERT_TRUE(service->reconcile(batch, now).is_ok());
  commit(batch);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent(1).target, "/v1/payment_intents/pi_1");
  // One read at a time.
  WriteBatch again;
  ASSERT_TRUE(service->reconcile(again, now + kUsPerHour).is_ok());
  EXPECT_TRUE(again.empty());
  answer(1, json_result(200, stripe_pi("pi_1", "bk_1", "succeeded")));
  EXPECT_EQ(row().status, PayStatus::kSucceeded);
  EXPECT_EQ(hooks.paid.size(), 1u);
}

TEST_F(PaymentServiceTest, EventsForOtherObjectsAreAcknowledgedWithoutEffect) {
  ASSERT_TRUE(
      event("payment_intent.succeeded", stripe_pi("pi_x", "bk_unknown", "succeeded"), 1).is_ok());
  ASSERT_TRUE(event("customer.created", {{"id", "cus_1"}}, 1).is_ok());
  EXPECT_TRUE(hooks.paid.empty());
  EXPECT_EQ(fp.store.size(kPaymentsTable), 0u);
}

// Counts what reconcile() reads from the payments table.
struct CountingStore final : Store {
  explicit CountingStore(Store* inner) : inner(inner) {}
  Status get(std::string_view table, std::string_view key, std::string* value) override {
    if (table == kPaymentsTable) ++payment_gets;
    return inner->get(table, key, value);
  }
  Status scan(std::string_view table, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& visit) override {
    if (table == kPaymentsTable) ++payment_scans;
    return inner->scan(table, prefix, visit);
  }
  Status commit(const WriteBatch& batch) override { return inner->commit(batch); }
  Store* inner;
  int payment_gets = 0;
  int payment_scans = 0;
};

// The bookings whose payment rows a batch writes.
std::set<std::string> saved(const WriteBatch& batch) {
  std::set<std::string> out;
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.table == kPaymentsTable) out.insert(op.key);
  }
  return out;
}

TEST_F(PaymentServiceTest, ReconcileAfterARestartReadsOnlyTheRowsThatOweWork) {
  for (int i = 1; i <= 20; ++i) {
    const std::string id = "bk_" + std::to_string(i);
    checkout(id);
    const std::string status = i == 7 ? "processing" : "succeeded";
    answer(static_cast<std::size_t>(i - 1),
           json_result(200, stripe_pi("pi_" + std::to_string(i), id, status)));
  }
  now += 16 * kUsPerMin;
  // Pending too, but only just: not stuck for another quarter of an hour.
  checkout("bk_21");
  answer(20, json_result(200, stripe_pi("pi_21", "bk_21", "processing")));
  // A restart: a new object on the same store knows only what the store says.
  CountingStore counting(&fp.store);
  PaymentService restarted(PaymentServiceConfig{}, fp.ports(&counting), dispatcher.get(), &hooks);
  WriteBatch lost;
  ASSERT_TRUE(restarted.reconcile(lost, now).is_ok());
  EXPECT_EQ(saved(lost), std::set<std::string>{"bk_7"});
  EXPECT_EQ(counting.payment_scans, 1);
  EXPECT_EQ(counting.payment_gets, 1);
  // That batch never committed (a crash, a store error): the next pass still owes the read.
  now += kUsPerMin;
  WriteBatch batch;
  ASSERT_TRUE(restarted.reconcile(batch, now).is_ok());
  EXPECT_EQ(saved(batch), std::set<std::string>{"bk_7"});
  ASSERT_TRUE(fp.alerting_store.commit(batch).is_ok());
  // Committed: one more read learns that the outstanding retrieve covers it, then none.
  for (int pass = 0; pass < 2; ++pass) {
    WriteBatch none;
    ASSERT_TRUE(restarted.reconcile(none, now + kUsPerMin).is_ok());
    EXPECT_TRUE(none.empty());
  }
  EXPECT_EQ(counting.payment_scans, 1);
  EXPECT_EQ(counting.payment_gets, 3);
}

// What reconcile() must act on, from the row alone: the whole-table pass it replaces.
bool owes_work(const Payment& p, TimeUs now_us, TimeUs stuck_after_us) {
  const bool read =
      p.reconcile_job_id.empty() &&
      (p.create_dead || (!is_terminal(p.status) && now_us - p.updated_at_us >= stuck_after_us));
  const bool refund = p.refund == RefundState::kRetry ||
                      (p.refund == RefundState::kWanted && p.status == PayStatus::kSucceeded);
  return read || refund;
}

// Whatever rows the store holds and whichever passes commit, each pass saves exactly the rows
// that owe work in the committed store, as a pass over every row would.
RC_GTEST_PROP(PaymentReconcileProperty, ActsOnExactlyTheRowsAFullScanWould, ()) {
  core::testing::FakePorts fp;
  resilience::DispatcherConfig dc;
  dc.peers["stripe"].idempotency_header = "Idempotency-Key";
  resilience::Dispatcher dispatcher(fp.ports(&fp.alerting_store), dc);
  FakeHooks hooks;
  PaymentServiceConfig config;
  const int rows = *rc::gen::inRange(0, 30);
  WriteBatch initial;
  for (int i = 0; i < rows; ++i) {
    Payment p;
    p.booking_id = "bk_" + std::to_string(i);
    p.status = static_cast<PayStatus>(*rc::gen::inRange(0, 7));
    p.refund = static_cast<RefundState>(*rc::gen::inRange(0, 6));
    if (p.refund == RefundState::kRetry) p.status = PayStatus::kSucceeded;
    p.payment_intent = *rc::gen::arbitrary<bool>() || p.status == PayStatus::kSucceeded
                           ? "pi_" + std::to_string(i)
                           : "";
    p.create_dead = *rc::gen::arbitrary<bool>();
    p.reconcile_job_id = *rc::gen::arbitrary<bool>() ? "job_x" : "";
    p.amount = 1'000;
    p.currency = "usd";
    p.updated_at_us = kStartUs + *rc::gen::inRange(0, 60) * kUsPerMin;
    initial.put(kPaymentsTable, p.booking_id, encode_payment(p));
  }
  RC_ASSERT(fp.alerting_store.commit(initial).is_ok());
  PaymentService service(config, fp.ports(&fp.alerting_store), &dispatcher, &hooks);
  TimeUs now = kStartUs;
  const int passes = *rc::gen::inRange(1, 6);
  for (int pass = 0; pass < passes; ++pass) {
    now += *rc::gen::inRange(0, 40) * kUsPerMin;
    std::set<std::string> expected;
    RC_ASSERT(fp.store
                  .scan(kPaymentsTable, "",
                        [&](std::string_view key, std::string_view row) {
                          Payment p;
                          RC_ASSERT(decode_payment(row, &p).is_ok());
                          if (owes_work(p, now, config.payment_stuck_after_us)) {
                            expected.emplace(key);
                          }
                          return true;
                        })
                  .is_ok());
    WriteBatch batch;
    RC_ASSERT(service.reconcile(batch, now).is_ok());
    RC_ASSERT(saved(batch) == expected);
    if (*rc::gen::arbitrary<bool>()) RC_ASSERT(fp.alerting_store.commit(batch).is_ok());
    service.take_enqueued();
  }
}

}  // namespace
}  // namespace intsim::core::payments
