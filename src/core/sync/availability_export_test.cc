#include "src/core/sync/availability_export.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace intsim::core::sync
