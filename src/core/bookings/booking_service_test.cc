#include "src/core/bookings/booking_service.h"

#include <gtest/gtest.h>

#include <memory>

#include "src/core/app/test_fakes.h"
#include "src/core/webhook/intake_test_util.h"

namespace intsim::core::bookings {
namespace {

constexpr TimeUs kStartUs = 1'767'225'600 * kUsPerSec;  // 2026-01-01

Stay stay(std::string id, std::string unit, Night first, Night end, StayState state,
          Source source = Source::kDirect) {
  Stay s;
  s.id = std::move(id);
  s.unit = std::move(unit);
  s.first_night = first;
  s.end_night = end;
  s.state = state;
  s.source = source;
  s.created_at_us = 10;
  s.hold_expires_at_us = 1'000;
  s.guest = "g";
  return s;
}

TEST(LoadLedger, RestoresEveryStateEvenWhereEndedStaysOverlapActiveOnes) {
  MemoryStore store;
  WriteBatch batch;
  const std::vector<Stay> stays = {
      stay("bk_a", "u1", 100, 103, StayState::kConfirmed),
      stay("bk_b", "u1", 100, 102, StayState::kCancelled),  // same nights, ended
      stay("bk_c", "u1", 103, 104, StayState::kHeld),
      stay("bk_d", "u1", 101, 102, StayState::kReleased),
      stay("airbnb:x", "u1", 102, 103, StayState::kConfirmed, Source::kAirbnb),  // a conflict
  };
  for (const Stay& s : stays) batch.put(kStaysTable, s.id, encode_stay(s));
  ASSERT_TRUE(store.commit(batch).is_ok());
  Ledger ledger(std::vector<Unit>{});
  ASSERT_TRUE(load_ledger(store, {{"u1", "std"}}, &ledger).is_ok());
  for (const Stay& s : stays) {
    ASSERT_NE(ledger.find(s.id), nullptr) << s.id;
    EXPECT_EQ(*ledger.find(s.id), s) << s.id;
  }
  EXPECT_EQ(ledger.conflicts().size(), 1u);
  EXPECT_FALSE(ledger.is_free("u1", 103, 104));
}

TEST(LoadLedger, RefusesAnUnreadableRow) {
  MemoryStore store;
  WriteBatch batch;
  batch.put(kStaysTable, "bk_x", "{not json");
  ASSERT_TRUE(store.commit(batch).is_ok());
  Ledger ledger(std::vector<Unit>{});
  EXPECT_FALSE(load_ledger(store, {}, &ledger).is_ok());
}

class BookingServiceTest : public ::testing::Test {
 protected:
  BookingServiceTest() { build(&fp.store); }

  void build(Store* store, ResolverPolicy resolver = {}) {
    resilience::DispatcherConfig dc;
    resilience::PeerPolicy stripe;
    stripe.idempotency_header = "Idempotency-Key";
    dc.peers["stripe"] = stripe;
    dispatcher = std::make_unique<resilience::Dispatcher>(fp.ports(store), dc);
    BookingServiceConfig bc;
    bc.units = {{"u1", "std"}, {"u2", "std"}};
    bc.hold_ttl_us = 30 * kUsPerMin;
    bc.nightly_rate_minor = {{"USD", 12'000}, {"JPY", 18'000}};
    bc.resolver = resolver;
    service = std::make_unique<BookingService>(bc, fp.ports(store), dispatcher.get());
    payments = std::make_unique<payments::PaymentService>(
        payments::PaymentServiceConfig{}, fp.ports(store), dispatcher.get(), service.get());
    service->attach(payments.get());
    payments->register_handlers();
    ASSERT_TRUE(service->recover(now).is_ok());
  }

  HttpResponse post(const nlohmann::json& body, std::string key = "") {
    HttpRequest r{"POST", "/api/bookings", {{"Content-Type", "application/json"}}, body.dump()};
    if (!key.empty()) r.headers.push_back({"Idempotency-Key", key});
    return service->handle(r, now);
  }
  nlohmann::json booking(std::string unit = "u1", std::string first = "2026-01-10", int nights = 3,
                         std::string currency = "USD") {
    return {{"guest", "g_17"},  {"unit", unit},         {"first_night", first},
            {"nights", nights}, {"currency", currency}, {"payment_method", "pm_card_visa"}};
  }
  static nlohmann::json body(const HttpResponse& r) { return nlohmann::json::parse(r.body); }
  std::string create_ok(const nlohmann::json& b) {
    const HttpResponse r = post(b);
    EXPECT_EQ(r.status, 201) << r.body;
    return body(r).value("booking_id", "");
  }

  core::testing::FakePorts fp;
  std::unique_ptr<resilience::Dispatcher> dispatcher;
  std::unique_ptr<BookingService> service;
  std::unique_ptr<payments::PaymentService> payments;
  TimeUs now = kStartUs;
};

TEST_F(BookingServiceTest, CreatePlacesAHoldPricedFromNightsAndStartsTheCheckout) {
  const HttpResponse r = post(booking());
  ASSERT_EQ(r.status, 201) << r.body;
  const nlohmann::json b = body(r);
  EXPECT_EQ(b["status"], "held");
  EXPECT_EQ(b["amount"], 36'000);
  EXPECT_EQ(b["currency"], "USD");
  EXPECT_EQ(b["hold_expires_at"], unix_seconds(now + 30 * kUsPerMin));
  const std::string id = b["booking_id"];
  ASSERT_NE(service->ledger().find(id), nullptr);
  std::string row;
  EXPECT_TRUE(fp.store.get(kStaysTable, id, &row).is_ok());
  payments::Payment p;
  ASSERT_TRUE(payments->find(id, &p).is_ok());
  EXPECT_EQ(p.currency, "usd");
  EXPECT_EQ(fp.http.sent.size(), 1u);  // the create went straight out
  const HttpResponse got = service->handle({"GET", "/api/bookings/" + id, {}, ""}, now);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(body(got)["first_night"], "2026-01-10");
  EXPECT_EQ(body(got)["payment"]["status"], "pending");
  EXPECT_EQ(fp.timers.armed.at(0x686f6c64), now + 30 * kUsPerMin);
}

TEST_F(BookingServiceTest, ZeroDecimalCurrencyIsPricedInWholeUnits) {
  const HttpResponse r = post(booking("u1", "2026-01-10", 2, "JPY"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body(r)["amount"], 36'000);
}

TEST_F(BookingServiceTest, InvalidRequestsNameTheParameter) {
  EXPECT_EQ(body(post(booking("u9")))["error"]["param"], "unit");
  EXPECT_EQ(body(post(booking("u1", "2026-02-30")))["error"]["param"], "first_night");
  EXPECT_EQ(body(post(booking("u1", "2026-01-10", 0)))["error"]["param"], "nights");
  EXPECT_EQ(body(post(booking("u1", "2026-01-10", 3, "XXX")))["error"]["param"], "currency");
  EXPECT_EQ(post(booking("u9")).status, 400);
  EXPECT_EQ(service->handle({"POST", "/api/bookings", {}, "[]"}, now).status, 400);
  EXPECT_TRUE(service->ledger().stays().empty());
  EXPECT_TRUE(fp.http.sent.empty());
}

TEST_F(BookingServiceTest, OverlappingBookingIsRefused) {
  create_ok(booking());
  const HttpResponse r = post(booking("u1", "2026-01-12", 2));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body(r)["error"]["code"], "unit_unavailable");
  create_ok(booking("u1", "2026-01-13", 2));  // checkout day is free
}

TEST_F(BookingServiceTest, IdempotencyKeyReplaysTheFirstAnswerAndCreatesNothingNew) {
  const HttpResponse first = post(booking(), "key-1");
  ASSERT_EQ(first.status, 201);
  const HttpResponse again = post(booking(), "key-1");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(service->ledger().stays().size(), 1u);
  EXPECT_EQ(fp.http.sent.size(), 1u);
  EXPECT_EQ(post(booking("u2"), "key-1").status, 422);
  // A refusal is an answer too: replayed, not re-decided.
  EXPECT_EQ(post(booking("u1", "2026-01-11", 1), "key-2").status, 409);
  EXPECT_EQ(post(booking("u1", "2026-01-11", 1), "key-2").status, 409);
}

TEST_F(BookingServiceTest, LapsedHoldsAreReleasedAndTheRowSaysSo) {
  const std::string id = create_ok(booking());
  now += 31 * kUsPerMin;
  fp.timers.armed.erase(0x686f6c64);  // fired
  service->on_hold_timer(now);
  EXPECT_EQ(service->ledger().find(id)->state, StayState::kReleased);
  std::string row;
  ASSERT_TRUE(fp.store.get(kStaysTable, id, &row).is_ok());
  Stay stored;
  ASSERT_TRUE(decode_stay(row, &stored).is_ok());
  EXPECT_EQ(stored.state, StayState::kReleased);
  EXPECT_EQ(fp.timers.armed.count(0x686f6c64), 0u);
  create_ok(booking());  // the nights are free again
}

TEST_F(BookingServiceTest, CancelPersistsAndOwesARefund) {
  const std::string id = create_ok(booking());
  const HttpResponse r = service->handle({"POST", "/api/bookings/" + id + "/cancel", {}, ""}, now);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body(r)["status"], "cancelled");
  payments::Payment p;
  ASSERT_TRUE(payments->find(id, &p).is_ok());
  EXPECT_EQ(p.refund, payments::RefundState::kWanted);
  Ledger reloaded(std::vector<Unit>{});
  ASSERT_TRUE(load_ledger(fp.store, {{"u1", "std"}, {"u2", "std"}}, &reloaded).is_ok());
  EXPECT_EQ(reloaded.find(id)->state, StayState::kCancelled);
  EXPECT_EQ(service->handle({"POST", "/api/bookings/bk_none/cancel", {}, ""}, now).status, 404);
}

TEST_F(BookingServiceTest, PaymentHooksConfirmReleaseAndReportHolds) {
  const std::string id = create_ok(booking());
  EXPECT_TRUE(service->is_held(id, now));
  EXPECT_FALSE(service->is_held(id, now + 30 * kUsPerMin));
  WriteBatch batch;
  EXPECT_EQ(service->on_paid(id, batch, now), ConfirmOutcome::kConfirmed);
  EXPECT_EQ(service->on_paid(id, batch, now), ConfirmOutcome::kAlreadyConfirmed);
  ASSERT_TRUE(fp.alerting_store.commit(batch).is_ok());
  service->settle(now);
  EXPECT_EQ(service->ledger().find(id)->state, StayState::kConfirmed);
}

TEST_F(BookingServiceTest, AStayChangeWhoseCommitFailedIsForgotten) {
  const std::string id = create_ok(booking());
  WriteBatch lost;  // a webhook batch whose commit failed
  EXPECT_EQ(service->on_paid(id, lost, now), ConfirmOutcome::kConfirmed);
  service->settle(now);
  EXPECT_EQ(service->ledger().find(id)->state, StayState::kHeld);
}

TEST_F(BookingServiceTest, AFailedCommitLeavesNoPhantomHold) {
  webhook::testing::FlakyStore flaky;
  build(&flaky);
  flaky.fail_commit = true;
  EXPECT_EQ(post(booking()).status, 503);
  EXPECT_TRUE(service->ledger().stays().empty());
  flaky.fail_commit = false;
  const HttpResponse r = post(booking());
  EXPECT_EQ(r.status, 201) << r.body;
}

Stay channel_stay(std::string id, std::string unit, Night first, Night end, TimeUs seen_us) {
  Stay s = stay(std::move(id), std::move(unit), first, end, StayState::kConfirmed, Source::kAirbnb);
  s.created_at_us = seen_us;
  s.hold_expires_at_us = 0;
  return s;
}

TEST_F(BookingServiceTest, ALosingChannelStayIsRelocatedAndThatIsDurable) {
  const std::string id = create_ok(booking("u1", "2026-01-10", 3));
  const Night first = service->ledger().find(id)->first_night;
  ASSERT_TRUE(
      service->upsert_channel_stay(channel_stay("airbnb:1", "u1", first, first + 1, now + 1), now)
          .is_ok());
  EXPECT_EQ(service->ledger().find("airbnb:1")->unit, "u2");
  EXPECT_EQ(service->ledger().find(id)->state, StayState::kHeld);
  Ledger reloaded(std::vector<Unit>{});
  ASSERT_TRUE(load_ledger(fp.store, {{"u1", "std"}, {"u2", "std"}}, &reloaded).is_ok());
  EXPECT_EQ(reloaded.find("airbnb:1")->unit, "u2");
  EXPECT_TRUE(reloaded.conflicts().empty());
}

TEST_F(BookingServiceTest, ADirectStayThatLosesIsCancelledAndItsPaymentRefunded) {
  build(&fp.store, {WinnerRule::kChannelWins, /*relocate=*/false});
  const std::string id = create_ok(booking("u1", "2026-01-10", 3));
  const Night first = service->ledger().find(id)->first_night;
  std::vector<Resolution> resolutions;
  ASSERT_TRUE(
      service
          ->upsert_channel_stay(channel_stay("airbnb:1", "u1", first + 2, first + 4, now + 1), now)
          .is_ok());
  EXPECT_EQ(service->ledger().find(id)->state, StayState::kCancelled);
  payments::Payment p;
  ASSERT_TRUE(payments->find(id, &p).is_ok());
  EXPECT_EQ(p.refund, payments::RefundState::kWanted);  // paid later: refunded then
  Ledger reloaded(std::vector<Unit>{});
  ASSERT_TRUE(load_ledger(fp.store, {{"u1", "std"}, {"u2", "std"}}, &reloaded).is_ok());
  EXPECT_EQ(reloaded.find(id)->state, StayState::kCancelled);
}

TEST_F(BookingServiceTest, ConflictsBetweenChannelsAloneAreAlertedOnce) {
  build(&fp.store, {WinnerRule::kEarlierBookingWins, /*relocate=*/false});
  ASSERT_TRUE(
      service->upsert_channel_stay(channel_stay("airbnb:1", "u1", 100, 102, now), now).is_ok());
  ASSERT_TRUE(
      service->upsert_channel_stay(channel_stay("vrbo:1", "u1", 101, 103, now + 1), now).is_ok());
  EXPECT_EQ(fp.alerts.count("unresolved_conflict"), 1u);
  EXPECT_FALSE(
      service->upsert_channel_stay(stay("bk_1", "u1", 1, 2, StayState::kHeld), now).is_ok());
}

TEST_F(BookingServiceTest, AnUnresolvedConflictIsAlertedOnceUntilItEndsAndComesBack) {
  build(&fp.store, {WinnerRule::kEarlierBookingWins, /*relocate=*/false});
  const Stay airbnb = channel_stay("airbnb:1", "u1", 100, 102, now);
  Stay vrbo = channel_stay("vrbo:1", "u1", 101, 103, now + 1);
  vrbo.source = Source::kVrbo;
  ASSERT_TRUE(service->upsert_channel_stay(airbnb, now).is_ok());
  ASSERT_TRUE(service->upsert_channel_stay(vrbo, now).is_ok());
  ASSERT_EQ(fp.alerts.count("unresolved_conflict"), 1u);
  // Every poll of either feed upserts its stays again; so do other channel stays' upserts.
  for (int poll = 0; poll < 3; ++poll) {
    ASSERT_TRUE(service->upsert_channel_stay(airbnb, now).is_ok());
    ASSERT_TRUE(service->upsert_channel_stay(vrbo, now).is_ok());
    ASSERT_TRUE(
        service->upsert_channel_stay(channel_stay("airbnb:2", "u2", 100, 101, now), now).is_ok());
  }
  EXPECT_EQ(fp.alerts.count("unresolved_conflict"), 1u);
  // The Vrbo stay vanishes from its feed: the conflict ends. When it is sold again, it is a
  // conflict again, and a human must hear of it again.
  ASSERT_TRUE(service->cancel("vrbo:1", now).is_ok());
  ASSERT_TRUE(service->ledger().conflicts().empty());
  ASSERT_TRUE(service->upsert_channel_stay(vrbo, now).is_ok());
  EXPECT_EQ(fp.alerts.count("unresolved_conflict"), 2u);
  // A third stay on those nights makes another conflict.
  Stay booking_com = channel_stay("booking_com:1", "u1", 101, 102, now + 2);
  booking_com.source = Source::kBookingCom;
  ASSERT_TRUE(service->upsert_channel_stay(booking_com, now).is_ok());
  EXPECT_EQ(fp.alerts.count("unresolved_conflict"), 3u);
  ASSERT_TRUE(service->upsert_channel_stay(booking_com, now).is_ok());
  EXPECT_EQ(fp.alerts.count("unresolved_conflict"), 3u);
}

TEST_F(BookingServiceTest, AStayLeavingAConflictOfThreeLeavesAnAlertedPair) {
  build(&fp.store, {WinnerRule::kEarlierBookingWins, /*relocate=*/false});
  Stay vrbo = channel_stay("vrbo:1", "u1", 100, 101, now + 1);
  vrbo.source = Source::kVrbo;
  Stay booking_com = channel_stay("booking_com:1", "u1", 100, 101, now + 2);
  booking_com.source = Source::kBookingCom;
  ASSERT_TRUE(
      service->upsert_channel_stay(channel_stay("airbnb:1", "u1", 100, 101, now), now).is_ok());
  ASSERT_TRUE(service->upsert_channel_stay(vrbo, now).is_ok());
  ASSERT_TRUE(service->upsert_channel_stay(booking_com, now).is_ok());
  ASSERT_EQ(fp.alerts.count("unresolved_conflict"), 2u);  // {airbnb, vrbo}, then all three
  // Airbnb's guest cancels: Vrbo and Booking.com still hold the night, a pair never named.
  ASSERT_TRUE(service->cancel("airbnb:1", now).is_ok());
  ASSERT_EQ(service->ledger().conflicts().size(), 1u);
  EXPECT_EQ(fp.alerts.count("unresolved_conflict"), 3u);
  EXPECT_NE(fp.alerts.alerts().back().message.find("vrbo:1, booking_com:1"), std::string::npos)
      << fp.alerts.alerts().back().message;
}

}  // namespace
}  // namespace intsim::core::bookings
