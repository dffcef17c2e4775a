#include "src/core/sync/availability_export.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "src/core/ical/parser.h"

namespace intsim::core::sync {
namespace {

bookings::Ledger two_units() {
  bookings::Ledger l({{"u1", "double"}, {"u2", "double"}});
  bookings::Stay s;
  s.id = "airbnb:a";
  s.unit = "u1";
  s.first_night = 100;
  s.end_night = 103;
  s.source = bookings::Source::kAirbnb;
  l.upsert_channel_stay(s);
  s.id = "vrbo:b";
  s.first_night = 103;
  s.end_night = 104;
  s.source = bookings::Source::kVrbo;
  l.upsert_channel_stay(s);
  s.id = "vrbo:c";
  s.first_night = 110;
  s.end_night = 111;
  l.upsert_channel_stay(s);
  l.cancel("vrbo:c");
  return l;
}

TEST(SyncExport, TargetNamesTheUnit) {
  EXPECT_EQ(export_unit("/ical/u3.ics"), "u3");
  EXPECT_EQ(export_unit("/ical/u3.ics?x=1"), "u3");
  EXPECT_EQ(export_unit("/ical/.ics"), "");
  EXPECT_EQ(export_unit("/api/bookings"), "");
}

TEST(SyncExport, ActiveNightsOnlyMergedIntoRuns) {
  const bookings::Ledger l = two_units();
  EXPECT_EQ(unavailable_nights(l, "u1"), (std::vector<bookings::Night>{100, 101, 102, 103}));
  const HttpResponse r = export_response(l, {"GET", "/ical/u1.ics", {}, ""}, 5 * kUsPerSec);
  ASSERT_EQ(r.status, 200);
  const ical::ParseResult p = ical::parse(r.body);
  ASSERT_TRUE(p.status.is_ok());
  ASSERT_EQ(p.calendar.events.size(), 1u);  // the cancelled stay is gone, the rest is one run
  EXPECT_EQ(p.calendar.events[0].first_night_days(), 100);
  EXPECT_EQ(p.calendar.events[0].end_night_days(), 104);
}

TEST(SyncExport, EtagAnswers304UntilTheNightsChange) {
  bookings::Ledger l = two_units();
  const HttpResponse first = export_response(l, {"GET", "/ical/u1.ics", {}, ""}, 0);
  const std::string etag(first.header("ETag").value());
  HttpRequest again{"GET", "/ical/u1.ics", {{"If-None-Match", etag}}, ""};
  EXPECT_EQ(export_response(l, again, kUsPerHour).status, 304);
  l.cancel("vrbo:b");
  EXPECT_EQ(export_response(l, again, kUsPerHour).status, 200);
}

TEST(SyncExport, UnknownUnitAndMethod) {
  const bookings::Ledger l = two_units();
  EXPECT_EQ(export_response(l, {"GET", "/ical/u9.ics", {}, ""}, 0).status, 404);
  EXPECT_EQ(export_response(l, {"POST", "/ical/u1.ics", {}, ""}, 0).status, 405);
}

// The ETag is FNV-1a over the unit and ",<night>" per unavailable night: channels hold ETags
// across our restarts and upgrades, so its value is pinned.
TEST(SyncExport, EtagValueIsPinned) {
  const bookings::Ledger l = two_units();
  std::uint64_t h = fnv1a64("u1");
  for (const bookings::Night n : {100, 101, 102, 103}) h = fnv1a64(fmt::format(",{}", n), h);
  const HttpResponse r = export_response(l, {"GET", "/ical/u1.ics", {}, ""}, 0);
  EXPECT_EQ(r.header("ETag").value_or(""), fmt::format("\"{:016x}\"", h));
}

// The exporter that keeps each unit's last export answers byte for byte what a fresh export
// answers, whatever changed in between: the nights, the second, the day, or nothing.
RC_GTEST_PROP(AvailabilityExportsProperty, AnswersExactlyWhatAFreshExportAnswers, ()) {
  bookings::Ledger l({{"u1", "double"}, {"u2", "double"}});
  AvailabilityExports exports;
  TimeUs now = 1'767'225'600 * kUsPerSec + *rc::gen::inRange(0, 1'000'000) * kUsPerMs;
  const int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    switch (*rc::gen::inRange(0, 4)) {
      case 0: {  // a channel sells or moves a stay
        bookings::Stay s;
        s.id = "airbnb:" + std::to_string(*rc::gen::inRange(0, 6));
        s.unit = *rc::gen::element(std::string("u1"), std::string("u2"));
        s.first_night = 20'454 + *rc::gen::inRange(0, 30);
        s.end_night = s.first_night + *rc::gen::inRange(1, 5);
        s.source = bookings::Source::kAirbnb;
        l.upsert_channel_stay(s);
        break;
      }
      case 1:
        l.cancel("airbnb:" + std::to_string(*rc::gen::inRange(0, 6)));
        break;
      default:
        break;
    }
    now += *rc::gen::element<TimeUs>(0, 1, kUsPerSec / 3, 7 * kUsPerSec, kUsPerMin, kUsPerDay);
    HttpRequest request{
        "GET", *rc::gen::element(std::string("/ical/u1.ics"), std::string("/ical/u2.ics")), {}, ""};
    if (*rc::gen::arbitrary<bool>()) {
      const HttpResponse fresh = export_response(l, request, now);
      request.headers.push_back({"If-None-Match", std::string(fresh.header("ETag").value())});
    }
    const HttpResponse want = export_response(l, request, now);
    const HttpResponse got = exports.respond(l, request, now);
    RC_ASSERT(got.status == want.status);
    RC_ASSERT(got.headers == want.headers);
    RC_ASSERT(got.body == want.body);
  }
}

TEST(AvailabilityExports, RefusesWhatExportResponseRefuses) {
  const bookings::Ledger l = two_units();
  AvailabilityExports exports;
  EXPECT_EQ(exports.respond(l, {"GET", "/ical/u9.ics", {}, ""}, 0).status, 404);
  EXPECT_EQ(exports.respond(l, {"POST", "/ical/u1.ics", {}, ""}, 0).status, 405);
}

}  // namespace
}  // namespace intsim::core::sync
