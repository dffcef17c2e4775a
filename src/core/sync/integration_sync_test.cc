// The channel sync as the Integration wires it: the export route, the sync timer, and results
// routed to the sync engine or the outbox by request id (the outbox draws its ids at random).
#include <gtest/gtest.h>

#include <memory>

#include "src/core/app/integration.h"
#include "src/core/app/test_fakes.h"
#include "src/core/ical/flavours.h"
#include "src/core/ical/parser.h"

namespace intsim::core::sync {
namespace {

using core::testing::json_result;
using core::testing::stripe_pi;

constexpr TimeUs kStartUs = 1'767'225'600 * kUsPerSec;  // 2026-01-01 = day 20454

class IntegrationSyncTest : public ::testing::Test {
 protected:
  IntegrationSyncTest() {
    config.units = {{"u1", "std"}, {"u2", "std"}};
    config.sync.channels = {{bookings::Source::kAirbnb, "ota.airbnb", 5 * kUsPerMin, false}};
    config.resolver = {bookings::WinnerRule::kChannelWins, /*relocate=*/false};
    restart();
  }
  void restart() {
    fp.timers.armed.clear();
    app.reset();
    ASSERT_TRUE(app::Integration::create(config, fp.ports(), &app).is_ok());
    ASSERT_TRUE(app->recover(now).is_ok());
  }
  std::string book_u1(std::string first) {
    const nlohmann::json body = {{"guest", "g_1"},       {"unit", "u1"},
                                 {"first_night", first}, {"nights", 2},
                                 {"currency", "USD"},    {"payment_method", "pm_card_visa"}};
    const HttpResponse r = app->handle({"POST", "/api/bookings", {}, body.dump()}, now);
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body).value("booking_id", "");
  }
  std::string status(const std::string& id) {
    const HttpResponse r = app->handle({"GET", "/api/bookings/" + id, {}, ""}, now);
    return nlohmann::json::parse(r.body).value("status", "");
  }
  // Fires the sync timer; returns the indexes of the feed fetches it sent.
  std::vector<std::size_t> poll() {
    now = std::max(now, fp.timers.armed.at(config.sync.timer_id));
    const std::size_t before = fp.http.sent.size();
    app->on_timer(config.sync.timer_id, now);
    std::vector<std::size_t> out;
    for (std::size_t i = before; i < fp.http.sent.size(); ++i) out.push_back(i);
    return out;
  }
  std::size_t fetch_of(const std::vector<std::size_t>& sent, std::string_view target) {
    for (const std::size_t i : sent) {
      if (fp.http.sent[i].request.target == target) return i;
    }
    ADD_FAILURE() << "no fetch of " << target;
    return 0;
  }
  void answer(std::size_t index, HttpResult result) {
    app->on_http_result(fp.http.sent.at(index).id, std::move(result), now);
  }
  static std::string feed(std::int32_t first, std::int32_t end) {
    ical::Stay s;
    s.uid = "abc@airbnb.com";
    s.first_night_days = first;
    s.end_days = end;
    return ical::write_airbnb(std::vector{s});
  }

  app::IntegrationConfig config;
  core::testing::FakePorts fp;
  std::unique_ptr<app::Integration> app;
  TimeUs now = kStartUs;
};

TEST_F(IntegrationSyncTest, ExportRouteShowsEveryActiveStay) {
  book_u1("2026-01-10");  // day 20463
  const HttpResponse r = app->handle({"GET", "/ical/u1.ics", {}, ""}, now);
  ASSERT_EQ(r.status, 200);
  const ical::ParseResult p = ical::parse(r.body);
  ASSERT_TRUE(p.status.is_ok());
  ASSERT_EQ(p.calendar.events.size(), 1u);
  EXPECT_EQ(p.calendar.events[0].first_night_days(), 20463);
  EXPECT_EQ(app->handle({"GET", "/ical/u2.ics", {}, ""}, now).status, 200);
  EXPECT_EQ(app->handle({"GET", "/ical/u9.ics", {}, ""}, now).status, 404);
}

// The outbox's request ids depend on the random stream: several seeds, so that ids from all
// over the 64-bit range meet the sync engine's.
class IntegrationSyncSeeds : public IntegrationSyncTest,
                             public ::testing::WithParamInterface<std::uint64_t> {
 protected:
  IntegrationSyncSeeds() {
    fp.random = resilience::testing::SplitMixRandom(GetParam());
    restart();
  }
};
INSTANTIATE_TEST_SUITE_P(Seeds, IntegrationSyncSeeds, ::testing::Range<std::uint64_t>(1, 9));

TEST_P(IntegrationSyncSeeds, ResultsReachTheirOwnerAndARaceCancelsAndRefundsTheDirectStay) {
  ASSERT_NE(app->channel_sync(), nullptr);
  const std::string id = book_u1("2026-01-10");
  ASSERT_EQ(fp.http.sent.size(), 1u);  // the PaymentIntent create, on the outbox
  const std::vector<std::size_t> fetches = poll();
  ASSERT_EQ(fetches.size(), 1u);  // u1's feed comes first, u2's later in the interval
  EXPECT_EQ(fp.http.sent[fetches[0]].peer, "ota.airbnb");
  // Stripe's answer goes to the outbox even with a feed fetch in flight.
  answer(0, json_result(200, stripe_pi("pi_1", id, "succeeded")));
  EXPECT_EQ(status(id), "confirmed");
  // The channel sold nights 20464..20465 meanwhile: the channel wins, the direct stay is
  // cancelled and its payment refunded.
  answer(fetch_of(fetches, "/ical/u1.ics"), HttpResult::of({200, {}, feed(20464, 20466)}));
  EXPECT_EQ(status(id), "cancelled");
  EXPECT_NE(app->ledger().find("airbnb:abc@airbnb.com"), nullptr);
  EXPECT_EQ(fp.http.sent.back().request.target, "/v1/refunds");
  EXPECT_EQ(app->channel_sync()->stats().race_conflicts, 1u);
  EXPECT_TRUE(app->ledger().conflicts().empty());
}

TEST_F(IntegrationSyncTest, AfterACrashTheSnapshotAndTheChannelStayAreStillThere) {
  const std::size_t fetch = poll().at(0);
  answer(fetch, HttpResult::of({200, {}, feed(20470, 20472)}));
  restart();
  EXPECT_NE(app->ledger().find("airbnb:abc@airbnb.com"), nullptr);
  EXPECT_EQ(app->channel_sync()->feeds().at("airbnb/u1").stays.size(), 1u);
  // Its export shows the channel's nights, for the other channels to import.
  const ical::ParseResult p = ical::parse(app->handle({"GET", "/ical/u1.ics", {}, ""}, now).body);
  ASSERT_EQ(p.calendar.events.size(), 1u);
  EXPECT_EQ(p.calendar.events[0].first_night_days(), 20470);
}

}  // namespace
}  // namespace intsim::core::sync
