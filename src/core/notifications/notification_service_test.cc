#include "src/core/notifications/notification_service.h"

#include <gtest/gtest.h>

#include "src/core/app/test_fakes.h"
#include "src/core/bookings/booking_service.h"
#include "src/core/payments/payment.h"

namespace intsim::core::notifications {
namespace {

namespace bk = bookings;
using core::testing::json_result;

constexpr TimeUs kT0 = 1'767'225'600LL * kUsPerSec;

class NotificationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { build(); }

  void build() {
    config.enabled = true;
    fp.clock.now = now;
    observed = std::make_unique<ObservedStore>(&fp.store, &fp.clock);
    Ports p = fp.ports(observed.get());
    resilience::DispatcherConfig dc;
    dc.peers["whatsapp"] = whatsapp_peer_policy(config);
    dispatcher = std::make_unique<resilience::Dispatcher>(p, dc);
    service = std::make_unique<NotificationService>(config, p, dispatcher.get());
    service->register_handlers();
    observed->set_observer(service.get());
    ASSERT_TRUE(dispatcher->recover(now).is_ok());
    ASSERT_TRUE(service->recover(now).is_ok());
  }

  // What the integration does after every call: hand the outbox rows others committed to the
  // dispatcher.
  void settle() {
    WriteBatch learned;
    for (const WriteBatch::Op& op : service->take_enqueued()) {
      std::string row;
      const Status s = fp.store.get(op.table, op.key, &row);
      if (op.value && s.is_ok()) learned.put(op.table, op.key, row);
      if (!op.value && s.code() == Status::Code::kNotFound) learned.erase(op.table, op.key);
    }
    if (!learned.empty()) dispatcher->on_committed(learned, now);
    service->settle(now);
  }

  void advance(TimeUs to_us) {
    now = to_us;
    fp.clock.now = now;
    for (auto it = fp.timers.armed.begin(); it != fp.timers.armed.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      const TimerId id = it->first;
      it = fp.timers.armed.erase(it);
      if (id == config.timer_id) {
        service->on_timer(now);
      } else {
        dispatcher->on_timer(id, now);
      }
      settle();
      it = fp.timers.armed.begin();
    }
  }

  bk::Stay stay(bk::StayState state, std::string unit = "u1") {
    bk::Stay s;
    s.id = "bk_1";
    s.unit = std::move(unit);
    s.first_night = 20'460;
    s.end_night = 20'462;
    s.state = state;
    s.guest = "g_7";
    s.created_at_us = kT0;
    s.hold_expires_at_us = kT0 + 30 * kUsPerMin;
    return s;
  }

  void write_stay(const bk::Stay& s) {
    WriteBatch b;
    b.put(bk::kStaysTable, s.id, bk::encode_stay(s));
    ASSERT_TRUE(observed->commit(b).is_ok());
    settle();
  }

  void answer(std::size_t i, HttpResult r) {
    dispatcher->on_http_result(fp.http.sent.at(i).id, std::move(r), now);
    settle();
  }

  nlohmann::json sent_body(std::size_t i) {
    return nlohmann::json::parse(fp.http.sent.at(i).request.body);
  }

  Notification get(const std::string& id) {
    Notification n;
    EXPECT_TRUE(service->find(id, &n).is_ok()) << id;
    return n;
  }

  // A signed-and-split WhatsApp event as the intake hands it over, applied and committed.
  void deliver(const std::string& type, nlohmann::json payload) {
    webhook::VerifiedEvent ev;
    ev.endpoint = webhook::Endpoint::kWhatsApp;
    ev.type = type;
    ev.payload = std::move(payload);
    WriteBatch effects;
    ASSERT_TRUE(service->apply(ev, effects, now).is_ok());
    if (!effects.empty()) {
      ASSERT_TRUE(observed->commit(effects).is_ok());
    }
    settle();
  }

  void status(const std::string& callback, const std::string& st, const std::string& wamid) {
    deliver("status", {{"id", wamid},
                       {"status", st},
                       {"timestamp", std::to_string(now / kUsPerSec)},
                       {"recipient_id", guest_wa_id("g_7")},
                       {"biz_opaque_callback_data", callback}});
  }

  static HttpResult ok_send(const std::string& wamid) {
    return json_result(200, {{"messaging_product", "whatsapp"},
                             {"contacts", {{{"input", "x"}, {"wa_id", "x"}}}},
                             {"messages", {{{"id", wamid}}}}});
  }
  static HttpResult graph_error(int code) {
    return json_result(400,
                       {{"error", {{"message", "x"}, {"type", "OAuthException"}, {"code", code}}}});
  }

  const std::string confirmed_id = "n_bk_1_confirmed";
  TimeUs now = kT0;
  NotificationConfig config;
  core::testing::FakePorts fp;
  std::unique_ptr<ObservedStore> observed;
  std::unique_ptr<resilience::Dispatcher> dispatcher;
  std::unique_ptr<NotificationService> service;
};

TEST_F(NotificationServiceTest, ConfirmationCommitsWithTheStayAndUsesATemplateOutsideTheWindow) {
  write_stay(stay(bk::StayState::kHeld));
  EXPECT_TRUE(fp.http.sent.empty());
  EXPECT_EQ(fp.store.size(kNotificationsTable), 0u);
  const std::uint64_t commits = fp.store.commits();
  write_stay(stay(bk::StayState::kConfirmed));
  EXPECT_EQ(fp.store.commits(), commits + 1);  // one commit: the stay, the row and the job
  EXPECT_EQ(fp.store.size(kNotificationsTable), 1u);
  ASSERT_EQ(fp.http.sent.size(), 1u);
  EXPECT_EQ(fp.http.sent[0].peer, "whatsapp");
  EXPECT_EQ(fp.http.sent[0].request.target, "/v1/106540352242922/messages");
  const auto body = sent_body(0);
  EXPECT_EQ(body["type"], "template");
  EXPECT_EQ(body["to"], "15550000007");
  EXPECT_EQ(body["biz_opaque_callback_data"], confirmed_id);
  // The same state written again notifies nobody again.
  write_stay(stay(bk::StayState::kConfirmed));
  EXPECT_EQ(fp.http.sent.size(), 1u);
  answer(0, ok_send("wamid.A"));
  const Notification n = get(confirmed_id);
  EXPECT_EQ(n.state, NotificationState::kAccepted);
  EXPECT_EQ(n.wamid, "wamid.A");
}

TEST_F(NotificationServiceTest, AnInboundMessageOpensTheWindowForFreeForm) {
  deliver("message", {{"from", guest_wa_id("g_7")},
                      {"id", "wamid.in"},
                      {"timestamp", std::to_string(now / kUsPerSec)},
                      {"type", "text"}});
  EXPECT_TRUE(service->window_open(guest_wa_id("g_7"), now));
  EXPECT_FALSE(service->window_open(guest_wa_id("g_7"), now + 24 * kUsPerHour));
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  ASSERT_EQ(fp.http.sent.size(), 1u);
  EXPECT_EQ(sent_body(0)["type"], "text");
}

TEST_F(NotificationServiceTest, WindowClosedFallsBackToATemplate) {
  deliver("message", {{"from", guest_wa_id("g_7")},
                      {"timestamp", std::to_string(now / kUsPerSec)},
                      {"type", "text"}});
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  ASSERT_EQ(sent_body(0)["type"], "text");
  answer(0, graph_error(kErrorWindowClosed));
  EXPECT_EQ(fp.http.sent.size(), 1u);  // the pair rate holds for the fallback too
  advance(now + config.pair_interval_us);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent_body(1)["type"], "template");
  EXPECT_EQ(sent_body(1)["biz_opaque_callback_data"], confirmed_id);
  EXPECT_EQ(fp.alerts.alerts().size(), 0u);
  answer(1, ok_send("wamid.T"));
  EXPECT_EQ(get(confirmed_id).state, NotificationState::kAccepted);
  EXPECT_TRUE(get(confirmed_id).used_template);
}

TEST_F(NotificationServiceTest, PairRateLimitIsRetriedNoSoonerThanThePairInterval) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, graph_error(kErrorPairRate));
  ASSERT_EQ(fp.http.sent.size(), 1u);
  const TimeUs refused_at = now;
  advance(now + config.pair_interval_us - 1);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  advance(now + 10 * kUsPerMin);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  const TimeUs resent_at = fp.http.sent[1].deadline_us - 10 * kUsPerSec;
  EXPECT_GE(resent_at, refused_at + config.pair_interval_us);
  EXPECT_EQ(sent_body(1)["biz_opaque_callback_data"], confirmed_id);
  EXPECT_TRUE(fp.alerts.alerts().empty());
  EXPECT_EQ(fp.store.size(resilience::kDlqTable), 0u);
}

TEST_F(NotificationServiceTest, ThrottlingNeverOpensTheCircuit) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  const std::size_t refusals =
      3 * static_cast<std::size_t>(whatsapp_peer_policy(config).breaker.failures_to_open);
  for (std::size_t i = 0; i < refusals; ++i) {
    ASSERT_EQ(fp.http.sent.size(), i + 1);
    answer(i, graph_error(i % 2 == 0 ? kErrorThroughput : kErrorPairRate));
    advance(now + 11 * kUsPerMin);  // past any backoff (capped at 10 min)
  }
  EXPECT_EQ(dispatcher->breaker(config.peer)->state(), resilience::CircuitBreaker::State::kClosed);
  EXPECT_EQ(fp.alerts.count("circuit_open"), 0u);
  answer(refusals, ok_send("wamid.T"));
  EXPECT_EQ(get(confirmed_id).state, NotificationState::kAccepted);
}

TEST_F(NotificationServiceTest, UndeliverableGoesToTheDlqWithAnAlert) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, graph_error(kErrorUndeliverable));
  std::vector<resilience::DlqEntry> dlq;
  ASSERT_TRUE(dispatcher->dlq_entries(&dlq).is_ok());
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].reason, resilience::DeadReason::kPermanent);
  EXPECT_EQ(fp.alerts.count("dlq"), 1u);
  EXPECT_EQ(get(confirmed_id).state, NotificationState::kFailed);
}

TEST_F(NotificationServiceTest, AmbiguousSendAdoptsTheStatusInsteadOfResending) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, HttpResult::failed(HttpError::kTimeout));
  EXPECT_EQ(get(confirmed_id).state, NotificationState::kUnconfirmed);
  EXPECT_EQ(fp.store.size(resilience::kDlqTable), 1u);
  EXPECT_EQ(fp.alerts.count("dlq"), 0u);  // parked, not lost: nobody needs to act
  status(confirmed_id, "sent", "wamid.S");
  const Notification n = get(confirmed_id);
  EXPECT_EQ(n.state, NotificationState::kAccepted);
  EXPECT_EQ(n.wamid, "wamid.S");
  EXPECT_EQ(fp.store.size(resilience::kDlqTable), 0u);
  advance(now + 2 * config.await_status_us);
  EXPECT_EQ(fp.http.sent.size(), 1u);  // never sent twice
}

TEST_F(NotificationServiceTest, AmbiguousSendWithoutAStatusIsSentAgainAfterTheWait) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, HttpResult::failed(HttpError::kTimeout));
  advance(now + config.await_status_us - 1);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  advance(now + 1);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent_body(1)["biz_opaque_callback_data"], confirmed_id);
  EXPECT_EQ(fp.store.size(resilience::kDlqTable), 0u);
  answer(1, ok_send("wamid.B"));
  EXPECT_EQ(get(confirmed_id).state, NotificationState::kAccepted);
}

TEST_F(NotificationServiceTest, ResendPolicyRetriesAtOnce) {
  config.ambiguous = AmbiguousSendPolicy::kResend;
  fp = core::testing::FakePorts();
  build();
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, HttpResult::failed(HttpError::kTimeout));
  EXPECT_EQ(fp.store.size(resilience::kDlqTable), 0u);
  advance(now + 10 * kUsPerMin);
  ASSERT_EQ(fp.http.sent.size(), 2u);
}

TEST_F(NotificationServiceTest, AStatusCancelsARetryStillWaiting) {
  config.ambiguous = AmbiguousSendPolicy::kResend;
  fp = core::testing::FakePorts();
  build();
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, HttpResult::failed(HttpError::kTimeout));  // it went out; the answer was lost
  status(confirmed_id, "sent", "wamid.S");
  EXPECT_EQ(get(confirmed_id).state, NotificationState::kAccepted);
  EXPECT_EQ(fp.store.size(resilience::kOutboxTable), 0u);
  advance(now + 30 * kUsPerMin);
  EXPECT_EQ(fp.http.sent.size(), 1u);  // the retry was cancelled: no duplicate
}

TEST_F(NotificationServiceTest, CheckinReminderGoesTheDayBeforeOnlyToStaysStillConfirmed) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, ok_send("wamid.A"));
  const TimeUs remind_at = 20'459 * kUsPerDay + 15 * kUsPerHour;  // first night 20'460
  advance(remind_at - 1);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  advance(remind_at);
  ASSERT_EQ(fp.http.sent.size(), 2u);
  EXPECT_EQ(sent_body(1)["biz_opaque_callback_data"], "n_bk_1_checkin_reminder");
  EXPECT_EQ(sent_body(1)["template"]["name"], "checkin_reminder");
  EXPECT_EQ(fp.store.size(kRemindersTable), 0u);
}

TEST_F(NotificationServiceTest, ACancelledStayGetsNoReminder) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  EXPECT_EQ(fp.store.size(kRemindersTable), 1u);
  write_stay(stay(bk::StayState::kCancelled));
  advance(20'460 * kUsPerDay);
  for (std::size_t i = 0; i < fp.http.sent.size(); ++i) {
    EXPECT_NE(sent_body(i)["biz_opaque_callback_data"], "n_bk_1_checkin_reminder");
  }
  EXPECT_EQ(fp.store.size(kRemindersTable), 0u);
}

TEST_F(NotificationServiceTest, StatusesMergeMonotonically) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  answer(0, ok_send("wamid.A"));
  status(confirmed_id, "read", "wamid.A");
  status(confirmed_id, "sent", "wamid.A");  // late
  status(confirmed_id, "delivered", "wamid.A");
  EXPECT_EQ(get(confirmed_id).status, MessageStatus::kRead);
}

TEST_F(NotificationServiceTest, CancellationRelocationAndPaymentFailureNotify) {
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  write_stay(stay(bk::StayState::kConfirmed, "u2"));  // relocated
  write_stay(stay(bk::StayState::kCancelled, "u2"));
  EXPECT_TRUE(get("n_bk_1_relocated_u2").id.size() > 0);
  EXPECT_EQ(get("n_bk_1_cancelled").kind, NotificationKind::kBookingCancelled);
  payments::Payment p;
  p.booking_id = "bk_1";
  p.status = payments::PayStatus::kFailed;
  WriteBatch b;
  b.put(payments::kPaymentsTable, "bk_1", payments::encode_payment(p));
  ASSERT_TRUE(observed->commit(b).is_ok());
  settle();
  EXPECT_EQ(get("n_bk_1_payment_failed").recipient, "15550000007");
  EXPECT_EQ(fp.store.size(kNotificationsTable), 4u);
}

TEST_F(NotificationServiceTest, AFailedRenewalTellsTheMemberOncePerInvoice) {
  for (int delivery = 0; delivery < 2; ++delivery) {  // the event, then its redelivery
    WriteBatch b;
    ASSERT_TRUE(service->notify_membership_payment_failed("in_9", "g_7", b, now).is_ok());
    ASSERT_TRUE(observed->commit(b).is_ok());
    settle();
  }
  ASSERT_EQ(fp.http.sent.size(), 1u);
  const Notification n = get("n_in_9_membership_payment_failed");
  EXPECT_EQ(n.kind, NotificationKind::kMembershipPaymentFailed);
  EXPECT_EQ(n.recipient, "15550000007");
  // Outside the window: the approved template, naming the invoice, not a booking.
  const nlohmann::json body = sent_body(0);
  EXPECT_EQ(body["template"]["name"], "membership_payment_failed");
  EXPECT_NE(body.dump().find("in_9"), std::string::npos);
  EXPECT_EQ(body.dump().find("booking"), std::string::npos);
}

TEST_F(NotificationServiceTest, DisabledCreatesNothing) {
  config.enabled = false;
  fp = core::testing::FakePorts();
  build();
  config.enabled = false;
  service =
      std::make_unique<NotificationService>(config, fp.ports(observed.get()), dispatcher.get());
  observed->set_observer(service.get());
  write_stay(stay(bk::StayState::kHeld));
  write_stay(stay(bk::StayState::kConfirmed));
  EXPECT_EQ(fp.store.size(kNotificationsTable), 0u);
}

}  // namespace
}  // namespace intsim::core::notifications
