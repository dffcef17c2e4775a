#include "models/ota/channel_model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "src/core/ical/parser.h"

namespace intsim::models::ota {
namespace {

constexpr core::TimeUs kNow = 20'000 * core::kUsPerDay;

ChannelModel make(Flavour f, ChannelConfig c = {}) {
  c.flavour = f;
  c.units = {"u1", "u2"};
  return ChannelModel(c, sim::Rng(7));
}

core::ical::ParseResult fetch(ChannelModel& m, std::string_view unit, core::TimeUs now) {
  const core::HttpResponse r = m.serve({"GET", fmt::format("/ical/{}.ics", unit), {}, ""}, now);
  EXPECT_EQ(r.status, 200);
  return core::ical::parse(r.body);
}

TEST(OtaChannelModel, ExportsItsStaysInItsOwnShape) {
  ChannelModel a = make(Flavour::kAirbnb);
  a.sell("u1", 20'010, 20'013, kNow);
  const std::string body = a.export_body("u1", kNow, kNow);
  EXPECT_NE(body.find("Airbnb Inc"), std::string::npos);
  const auto p = core::ical::parse(body);
  ASSERT_TRUE(p.status.is_ok());
  ASSERT_EQ(p.calendar.events.size(), 1u);
  EXPECT_EQ(p.calendar.events[0].first_night_days(), 20'010);
  EXPECT_EQ(p.calendar.events[0].end_night_days(), 20'013);
  EXPECT_EQ(p.calendar.events[0].uid, a.stays()[0].uids.back());
  EXPECT_TRUE(fetch(a, "u2", kNow).calendar.events.empty());

  ChannelModel b = make(Flavour::kBookingCom);
  EXPECT_EQ(b.export_body("u1", kNow, kNow), "");  // its empty calendar is an empty body
  ChannelModel v = make(Flavour::kVrbo);
  v.sell("u2", 20'010, 20'011, kNow);
  EXPECT_NE(v.export_body("u2", kNow, kNow).find("HomeAway"), std::string::npos);
}

TEST(OtaChannelModel, CancelledStaysVanishAndStaleCopiesLag) {
  ChannelConfig c;
  c.stale_probability = 1.0;
  c.stale_age_us_max = core::kUsPerHour;
  ChannelModel m = make(Flavour::kAirbnb, c);
  m.sell("u1", 20'010, 20'013, kNow);
  // A stale copy made before the sale does not show it yet.
  EXPECT_TRUE(m.export_body("u1", kNow - 1, kNow).find("VEVENT") == std::string::npos);
  const auto p = fetch(m, "u1", kNow + 1);
  EXPECT_LE(p.calendar.events.size(), 1u);
  EXPECT_EQ(m.stats().stales, 1u);
  EXPECT_EQ(fetch(m, "u1", kNow + 2 * core::kUsPerHour).calendar.events.size(), 1u);
}

TEST(OtaChannelModel, FaultsAreWhatTheyClaim) {
  ChannelConfig c;
  c.truncate_probability = 1.0;
  ChannelModel t = make(Flavour::kAirbnb, c);
  t.sell("u1", 20'010, 20'013, kNow);
  EXPECT_FALSE(fetch(t, "u1", kNow).status.is_ok());  // not a complete calendar

  ChannelConfig e;
  e.error_probability = 1.0;
  ChannelModel err = make(Flavour::kVrbo, e);
  EXPECT_EQ(err.serve({"GET", "/ical/u1.ics", {}, ""}, kNow).status, 503);
  EXPECT_EQ(err.serve({"GET", "/ical/u9.ics", {}, ""}, kNow).status, 404);

  ChannelConfig ch;
  ch.uid_churn_probability = 1.0;
  ChannelModel churn = make(Flavour::kVrbo, ch);
  churn.sell("u1", 20'010, 20'013, kNow);
  const std::string before = churn.stays()[0].uids.back();
  const auto p = fetch(churn, "u1", kNow);
  ASSERT_EQ(p.calendar.events.size(), 1u);
  EXPECT_NE(p.calendar.events[0].uid, before);
  EXPECT_EQ(churn.stays()[0].uids.size(), 2u);
}

TEST(OtaChannelModel, GuestsBookOnlyWhatTheChannelBelievesFree) {
  ChannelConfig c;
  c.units = {"u1"};
  c.lead_days_min = c.lead_days_max = 0;
  c.nights_min = c.nights_max = 1;
  c.flavour = Flavour::kAirbnb;
  ChannelModel m(c, sim::Rng(3));
  const Night today = static_cast<Night>(kNow / core::kUsPerDay);
  // Our export blocks today: the channel's guest is refused.
  core::ical::Stay block;
  block.first_night_days = today;
  block.end_days = today + 1;
  m.on_import_result("u1",
                     core::HttpResult::of(
                         {200, {}, core::ical::write_availability("u1", std::vector{block}, kNow)}),
                     kNow);
  EXPECT_EQ(m.on_guest(kNow), nullptr);
  // A failed import keeps the old belief.
  m.on_import_result("u1", core::HttpResult::failed(core::HttpError::kTimeout), kNow + 1);
  EXPECT_EQ(m.on_guest(kNow), nullptr);
  EXPECT_EQ(m.imports().at("u1").imported_at_us, kNow);
  // A fresh import without the block lets the next guest book, and only once.
  m.on_import_result(
      "u1", core::HttpResult::of({200, {}, core::ical::write_availability("u1", {}, kNow)}),
      kNow + 2);
  EXPECT_NE(m.on_guest(kNow), nullptr);
  EXPECT_EQ(m.on_guest(kNow), nullptr);  // its own stay holds the night now
  EXPECT_EQ(m.stats().sold, 1u);
  EXPECT_EQ(m.stats().refused, 3u);
}

TEST(OtaChannelModel, AlmostNoGuestsMeansArrivalsFarAwayNotOverflow) {
  ChannelConfig c;
  c.bookings_per_day = 1e-9;  // what a scenario's "channel_bookings_per_day": 0 becomes
  ChannelModel m = make(Flavour::kVrbo, c);
  for (int i = 0; i < 100; ++i) EXPECT_GT(m.draw_arrival_delay_us(), 50 * 365 * core::kUsPerDay);
}

// The feed cache reuses and restamps the last body: every answer must be what a model that
// never wrote the feed before writes.
TEST(OtaChannelModel, AReusedFeedIsWhatAFreshWriteGives) {
  for (const Flavour f : {Flavour::kAirbnb, Flavour::kBookingCom, Flavour::kVrbo}) {
    ChannelModel cached = make(f);
    struct Sale {
      Night first, end;
      core::TimeUs at_us;
    };
    std::vector<Sale> sales;
    for (int step = 0; step < 12; ++step) {
      const core::TimeUs now = kNow + step * 7 * core::kUsPerMin + step % 3;
      if (step % 4 == 1) {
        sales.push_back({20'010 + step, 20'012 + step, now});
        cached.sell("u1", sales.back().first, sales.back().end, now);
      }
      if (step == 9) cached.cancel(cached.stays()[0].id, now);
      ChannelModel fresh = make(f);
      for (const Sale& s : sales) fresh.sell("u1", s.first, s.end, s.at_us);
      if (step >= 9) fresh.cancel(fresh.stays()[0].id, kNow + 9 * 7 * core::kUsPerMin + 0);
      EXPECT_EQ(cached.export_body("u1", now, now), fresh.export_body("u1", now, now))
          << flavour_name(f) << " step " << step;
    }
  }
}

TEST(OtaChannelModel, AnExportRestampedIsImportedAgainWithoutChange) {
  ChannelModel m = make(Flavour::kAirbnb);
  core::ical::Stay block;
  block.first_night_days = 20'010;
  block.end_days = 20'012;
  const auto body_at = [&](core::TimeUs t, int end_days) {
    block.end_days = end_days;
    return core::ical::write_availability("u1", std::vector{block}, t);
  };
  m.on_import_result("u1", core::HttpResult::of({200, {}, body_at(kNow, 20'012)}), kNow);
  EXPECT_EQ(m.imports().at("u1").blocked, (std::set<Night>{20'010, 20'011}));
  // The same nights exported a minute later: the belief holds, the import time moves.
  const std::string later = body_at(kNow + core::kUsPerMin, 20'012);
  m.on_import_result("u1", core::HttpResult::of({200, {}, later}), kNow + core::kUsPerMin);
  EXPECT_EQ(m.imports().at("u1").blocked, (std::set<Night>{20'010, 20'011}));
  EXPECT_EQ(m.imports().at("u1").imported_at_us, kNow + core::kUsPerMin);
  // Other nights are parsed again.
  m.on_import_result("u1", core::HttpResult::of({200, {}, body_at(kNow + 2, 20'013)}), kNow + 2);
  EXPECT_EQ(m.imports().at("u1").blocked, (std::set<Night>{20'010, 20'011, 20'012}));
}

TEST(OtaChannelModel, PlannedCancellationsHappenWhenDue) {
  ChannelConfig c;
  c.cancel_probability = 1.0;
  c.units = {"u1"};
  ChannelModel m(c, sim::Rng(5));
  const SoldStay* s = m.on_guest(kNow);
  ASSERT_NE(s, nullptr);
  const core::TimeUs at = m.next_cancellation_us();
  ASSERT_GT(at, kNow);
  m.cancel_due(at - 1);
  EXPECT_LT(m.stays()[0].cancelled_at_us, 0);
  m.cancel_due(at);
  EXPECT_EQ(m.stays()[0].cancelled_at_us, at);
  EXPECT_EQ(m.next_cancellation_us(), -1);
}

}  // namespace
}  // namespace intsim::models::ota
