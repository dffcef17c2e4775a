#include "src/core/ical/flavours.h"

#include <gtest/gtest.h>

#include <vector>

#include "src/core/ical/date.h"
#include "src/core/ical/parser.h"

namespace intsim::core::ical {
namespace {

std::int32_t day(std::string_view yyyymmdd) {
  std::int32_t d = 0;
  EXPECT_TRUE(parse_yyyymmdd(yyyymmdd, &d));
  return d;
}

std::vector<Stay> sample() {
  Stay booked;
  booked.uid = "1418fb94e984-4a3b8f1c@airbnb.com";
  booked.first_night_days = day("20240310");
  booked.end_days = day("20240315");
  booked.kind = Stay::Kind::kBooked;
  booked.description =
      "Reservation URL: https://www.airbnb.com/hosting/reservations/details/HMABCDEF12\n"
      "Phone Number (Last 4 Digits): 4821";
  Stay blocked;
  blocked.uid = "7f3a9c1e2b4d-0c4f1a2b@airbnb.com";
  blocked.first_night_days = day("20241201");
  blocked.end_days = day("20250601");
  blocked.kind = Stay::Kind::kBlocked;
  return {booked, blocked};
}

constexpr TimeUs kExportedUs = 1'709'281'730 * kUsPerSec;  // 2024-03-01T08:28:50Z

TEST(IcalFlavours, AirbnbShape) {
  const std::string text = write_airbnb(sample());
  EXPECT_EQ(text,
            "BEGIN:VCALENDAR\r\n"
            "PRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\n"
            "CALSCALE:GREGORIAN\r\n"
            "VERSION:2.0\r\n"
            "BEGIN:VEVENT\r\n"
            "DTEND;VALUE=DATE:20240315\r\n"
            "DTSTART;VALUE=DATE:20240310\r\n"
            "UID:1418fb94e984-4a3b8f1c@airbnb.com\r\n"
            "DESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/de\r\n"
            " tails/HMABCDEF12\\nPhone Number (Last 4 Digits): 4821\r\n"
            "SUMMARY:Reserved\r\n"
            "END:VEVENT\r\n"
            "BEGIN:VEVENT\r\n"
            "DTEND;VALUE=DATE:20250601\r\n"
            "DTSTART;VALUE=DATE:20241201\r\n"
            "UID:7f3a9c1e2b4d-0c4f1a2b@airbnb.com\r\n"
            "SUMMARY:Airbnb (Not available)\r\n"
            "END:VEVENT\r\n"
            "END:VCALENDAR\r\n");
  const ParseResult r = parse(text);
  ASSERT_TRUE(r.status);
  ASSERT_EQ(r.calendar.events.size(), 2u);
  EXPECT_EQ(r.calendar.events[0].description, sample()[0].description);
  EXPECT_EQ(r.calendar.events[1].end, Moment::date(day("20250601")));
}

TEST(IcalFlavours, BookingComShapeAndEmptyBody) {
  const std::string text = write_booking_com(sample(), kExportedUs, true);
  const ParseResult r = parse(text);
  ASSERT_TRUE(r.status);
  ASSERT_EQ(r.calendar.events.size(), 2u);
  for (const Event& e : r.calendar.events) {
    EXPECT_EQ(e.summary, "CLOSED - Not available");
    EXPECT_TRUE(e.has_stamp);
    EXPECT_EQ(e.stamp_us, kExportedUs);
    EXPECT_TRUE(e.all_day());
  }
  EXPECT_EQ(write_booking_com({}, kExportedUs, true), "");
  const ParseResult empty = parse(write_booking_com({}, kExportedUs, false));
  EXPECT_TRUE(empty.status);
  EXPECT_FALSE(empty.empty_body);
  EXPECT_TRUE(empty.calendar.events.empty());
}

TEST(IcalFlavours, VrboShapeWithLocalizedSummaries) {
  std::vector<Stay> stays = sample();
  stays.push_back(stays[0]);
  stays[2].kind = Stay::Kind::kTentative;
  for (Stay& s : stays) s.uid = format_uuid(s.first_night_days, s.end_days * 7919);
  const std::string text = write_vrbo(stays, kExportedUs, VrboLanguage::kFrench);
  EXPECT_EQ(text.rfind("BEGIN:VCALENDAR\r\nPRODID:-//HomeAway.com, Inc.//EN\r\n", 0), 0u);
  EXPECT_NE(text.find("DTSTAMP:20240301T082850Z\r\n"), std::string::npos);
  const ParseResult r = parse(text);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.calendar.prodid, "-//HomeAway.com, Inc.//EN");
  ASSERT_EQ(r.calendar.events.size(), 3u);
  EXPECT_EQ(r.calendar.events[0].summary, "R\xC3\xA9serv\xC3\xA9");
  EXPECT_EQ(r.calendar.events[1].summary, "Bloqu\xC3\xA9");
  EXPECT_EQ(r.calendar.events[2].summary, "Provisoire");
  EXPECT_EQ(r.calendar.events[0].description, "");  // Vrbo sends no guest details
  EXPECT_EQ(vrbo_summary(Stay::Kind::kBooked, VrboLanguage::kEnglish), "Reserved");
  EXPECT_EQ(vrbo_summary(Stay::Kind::kBlocked, VrboLanguage::kSpanish), "Bloqueado");
}

TEST(IcalFlavours, AvailabilityExportHasStableUids) {
  std::vector<Stay> stays = sample();
  stays[0].uid.clear();
  const std::string text = write_availability("unit-7", stays, kExportedUs);
  const ParseResult r = parse(text);
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.calendar.prodid, kAvailabilityProdid);
  ASSERT_EQ(r.calendar.events.size(), 2u);
  EXPECT_EQ(r.calendar.events[0].uid, "unit-7-20240310@intsim");
  EXPECT_EQ(r.calendar.events[1].uid, stays[1].uid);
  EXPECT_EQ(r.calendar.events[0].summary, "Not available");
  EXPECT_EQ(r.calendar.events[0].description, "");  // no guest data leaves the unit
  EXPECT_EQ(r.calendar.events[0].first_night_days(), day("20240310"));
  EXPECT_EQ(r.calendar.events[0].end_night_days(), day("20240315"));
  EXPECT_EQ(write_availability("unit-7", stays, kExportedUs), text);
}

TEST(IcalFlavours, StaysFromNightsMergesRuns) {
  const std::int32_t nights[] = {10, 3, 4, 5, 4, 12, 11, 20, -2};
  const std::vector<Stay> stays = stays_from_nights(nights);
  ASSERT_EQ(stays.size(), 4u);
  const std::pair<int, int> want[] = {{-2, -1}, {3, 6}, {10, 13}, {20, 21}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(stays[i].first_night_days, want[i].first);
    EXPECT_EQ(stays[i].end_days, want[i].second);
    EXPECT_EQ(stays[i].kind, Stay::Kind::kBlocked);
    EXPECT_TRUE(stays[i].uid.empty());
  }
  EXPECT_TRUE(stays_from_nights({}).empty());
  // Straight into the export: each run is one VEVENT with a UID from its first night.
  const ParseResult r = parse(write_availability("u", stays, kExportedUs));
  ASSERT_EQ(r.calendar.events.size(), 4u);
  EXPECT_EQ(r.calendar.events[1].uid, "u-19700104@intsim");
  EXPECT_EQ(r.calendar.events[1].end_night_days(), 6);
}

TEST(IcalFlavours, UuidFormat) {
  EXPECT_EQ(format_uuid(0, 0), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(format_uuid(~0ull, ~0ull), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_EQ(format_uuid(0x0123456789abcdefull, 0xfedcba9876543210ull),
            "01234567-89ab-4def-bedc-ba9876543210");
}

}  // namespace
}  // namespace intsim::core::ical
