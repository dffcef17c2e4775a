#include "src/core/ical/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "src/core/ical/date.h"

namespace intsim::core::ical {
namespace {

std::int32_t day(std::string_view yyyymmdd) {
  std::int32_t d = 0;
  EXPECT_TRUE(parse_yyyymmdd(yyyymmdd, &d)) << yyyymmdd;
  return d;
}

// Wraps VEVENT lines in a calendar, LF line ends.
std::string feed(std::string_view body) {
  return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + std::string(body) +
         "END:VCALENDAR\n";
}

std::string problems_of(const ParseResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += std::to_string(p.line) + ": " + p.message + "\n";
  return out;
}

TEST(IcalParse, AirbnbFeed) {
  // Airbnb's real shape: PRODID with a parameter, DTEND before DTSTART, no DTSTAMP or STATUS,
  // a folded DESCRIPTION on bookings, CRLF.
  const std::string text =
      "BEGIN:VCALENDAR\r\n"
      "PRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\n"
      "CALSCALE:GREGORIAN\r\n"
      "VERSION:2.0\r\n"
      "BEGIN:VEVENT\r\n"
      "DTEND;VALUE=DATE:20240315\r\n"
      "DTSTART;VALUE=DATE:20240310\r\n"
      "UID:1418fb94e984-4a3b8f1c2d5e6f708192a3b4c5d6e7f8@airbnb.com\r\n"
      "DESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/\r\n"
      " details/HMABCDEF12\\nPhone Number (Last 4 Digits): 4821\r\n"
      "SUMMARY:Reserved\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "DTEND;VALUE=DATE:20250601\r\n"
      "DTSTART;VALUE=DATE:20241201\r\n"
      "UID:7f3a9c1e2b4d-0c4f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c@airbnb.com\r\n"
      "SUMMARY:Airbnb (Not available)\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  const ParseResult r = parse(text);
  ASSERT_TRUE(r.status) << r.status.to_string();
  EXPECT_TRUE(r.problems.empty()) << problems_of(r);
  EXPECT_EQ(r.calendar.prodid, "-//Airbnb Inc//Hosting Calendar 0.8.8//EN");
  ASSERT_EQ(r.calendar.events.size(), 2u);
  const Event& booking = r.calendar.events[0];
  EXPECT_EQ(booking.uid, "1418fb94e984-4a3b8f1c2d5e6f708192a3b4c5d6e7f8@airbnb.com");
  EXPECT_EQ(booking.start, Moment::date(day("20240310")));
  EXPECT_EQ(booking.end, Moment::date(day("20240315")));
  EXPECT_TRUE(booking.all_day());
  EXPECT_EQ(booking.end_night_days() - booking.first_night_days(), 5);
  EXPECT_EQ(booking.summary, "Reserved");
  EXPECT_EQ(booking.description,
            "Reservation URL: https://www.airbnb.com/hosting/reservations/details/HMABCDEF12\n"
            "Phone Number (Last 4 Digits): 4821");
  EXPECT_EQ(booking.status, EventStatus::kNone);
  EXPECT_FALSE(booking.has_stamp);
  EXPECT_EQ(booking.line, 5);
  EXPECT_EQ(r.calendar.events[1].summary, "Airbnb (Not available)");
  EXPECT_EQ(r.calendar.events[1].line, 13);
}

TEST(IcalParse, VrboFeed) {
  const std::string text =
      "BEGIN:VCALENDAR\r\n"
      "PRODID:-//HomeAway.com, Inc.//EN\r\n"
      "VERSION:2.0\r\n"
      "METHOD:PUBLISH\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:3f1c2a9e-8b7d-4c6e-9a1b-2c3d4e5f6a7b\r\n"
      "DTSTAMP:20240301T081530Z\r\n"
      "DTSTART;VALUE=DATE:20240402\r\n"
      "DTEND;VALUE=DATE:20240406\r\n"
      "SUMMARY:Reservado\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\r\n"
      "DTSTAMP:20240301T081530Z\r\n"
      "DTSTART;VALUE=DATE:20240410\r\n"
      "DTEND;VALUE=DATE:20240412\r\n"
      "SUMMARY:Bloqu\xC3\xA9\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  const ParseResult r = parse(text);
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.problems.empty()) << problems_of(r);
  EXPECT_EQ(r.calendar.prodid, "-//HomeAway.com, Inc.//EN");
  ASSERT_EQ(r.calendar.events.size(), 2u);
  EXPECT_TRUE(r.calendar.events[0].has_stamp);
  EXPECT_EQ(r.calendar.events[0].stamp_us,
            (static_cast<TimeUs>(day("20240301")) * 86400 + 8 * 3600 + 15 * 60 + 30) * kUsPerSec);
  EXPECT_EQ(r.calendar.events[1].summary, "Bloqu\xC3\xA9");
}

TEST(IcalParse, BookingComFeedAndEmptyBody) {
  const ParseResult r = parse(
      "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//admin.booking.com//EN\nBEGIN:VEVENT\n"
      "DTSTAMP:20240301T000000Z\nDTSTART;VALUE=DATE:20240501\nDTEND;VALUE=DATE:20240503\n"
      "UID:a1b2c3@booking.com\nSUMMARY:CLOSED - Not available\nEND:VEVENT\nEND:VCALENDAR\n");
  ASSERT_TRUE(r.status);
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].summary, "CLOSED - Not available");
  EXPECT_FALSE(r.empty_body);

  for (std::string_view empty : {"", "\r\n", "\xEF\xBB\xBF", "  \n\t\n"}) {
    const ParseResult e = parse(empty);
    EXPECT_TRUE(e.status);
    EXPECT_TRUE(e.empty_body);
    EXPECT_TRUE(e.calendar.events.empty());
    EXPECT_TRUE(e.problems.empty());
  }
}

TEST(IcalParse, BomLfAndBlankLines) {
  const ParseResult r = parse(
      "\xEF\xBB\xBF"
      "BEGIN:VCALENDAR\n\nPRODID:x\n\r\nBEGIN:VEVENT\nUID:u\n\nDTSTART:20240101\nEND:VEVENT\n\n"
      "END:VCALENDAR\n\n");
  ASSERT_TRUE(r.status) << r.status.to_string();
  EXPECT_TRUE(r.problems.empty()) << problems_of(r);
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].line, 5);
}

TEST(IcalParse, DateWithoutEndIsOneDayAndDateTimeWithoutEndIsInstant) {
  const ParseResult r =
      parse(feed("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20241231\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:b\nDTSTART:20240101T100000Z\nEND:VEVENT\n"));
  ASSERT_EQ(r.calendar.events.size(), 2u);
  EXPECT_EQ(r.calendar.events[0].end, Moment::date(day("20250101")));
  EXPECT_EQ(r.calendar.events[1].end, r.calendar.events[1].start);
}

TEST(IcalParse, DurationInsteadOfDtend) {
  const ParseResult r =
      parse(feed("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20240228\nDURATION:P2D\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20240101\nDURATION:P2W\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:c\nDTSTART:20240101T230000Z\nDURATION:P1DT1H30M\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/Madrid:20240101T150000\nDURATION:PT12H\n"
                 "END:VEVENT\n"));
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.problems.empty()) << problems_of(r);
  ASSERT_EQ(r.calendar.events.size(), 4u);
  EXPECT_EQ(r.calendar.events[0].end, Moment::date(day("20240301")));  // leap day counted
  EXPECT_EQ(r.calendar.events[1].end, Moment::date(day("20240115")));
  EXPECT_EQ(r.calendar.events[2].end.utc_us(),
            (static_cast<TimeUs>(day("20240103")) * 86400 + 30 * 60) * kUsPerSec);
  EXPECT_EQ(r.calendar.events[3].end, Moment::local(day("20240102"), 3 * 3600, "Europe/Madrid"));
}

TEST(IcalParse, UtcAndTzidDateTimes) {
  const ParseResult r = parse(
      feed("BEGIN:VEVENT\nUID:u\nDTSTART:20240105T150000Z\nDTEND:20240108T110000Z\nEND:VEVENT\n"
           "BEGIN:VEVENT\nUID:z\nDTSTART;TZID=\"America/New_York\":20240105T220000\n"
           "DTEND;TZID=America/New_York:20240107T100000\nEND:VEVENT\n"
           "BEGIN:VEVENT\nUID:f\nDTSTART:20240105T220000\nDTEND:20240106T100000\nEND:VEVENT\n"));
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.problems.empty()) << problems_of(r);
  ASSERT_EQ(r.calendar.events.size(), 3u);
  const Event& u = r.calendar.events[0];
  EXPECT_EQ(u.start.kind, Moment::Kind::kUtc);
  EXPECT_EQ(u.start.utc_us(),
            (static_cast<TimeUs>(day("20240105")) * 86400 + 15 * 3600) * kUsPerSec);
  EXPECT_FALSE(u.all_day());
  EXPECT_EQ(u.first_night_days(), day("20240105"));
  EXPECT_EQ(u.end_night_days(), day("20240108"));
  const Event& z = r.calendar.events[1];
  EXPECT_EQ(z.start, Moment::local(day("20240105"), 22 * 3600, "America/New_York"));
  // The local date is the night, whatever the offset of New York is.
  EXPECT_EQ(z.first_night_days(), day("20240105"));
  EXPECT_EQ(z.end_night_days(), day("20240107"));
  EXPECT_EQ(r.calendar.events[2].start.tzid, "");
  EXPECT_EQ(r.calendar.events[2].start.kind, Moment::Kind::kLocal);
}

TEST(IcalParse, TextEscapesAndCaseInsensitiveNames) {
  const ParseResult r = parse(
      "begin:vcalendar\nprodid:-//a\\, b//EN\nBegin:VEvent\nuid:x\\;y\n"
      "dtstart;value=date:20240101\nsummary:a\\,b\\;c\\\\d\\ne\\Nf\nstatus:cancelled\n"
      "end:vevent\nend:vcalendar\n");
  ASSERT_TRUE(r.status) << r.status.to_string();
  EXPECT_EQ(r.calendar.prodid, "-//a, b//EN");
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].uid, "x;y");
  EXPECT_EQ(r.calendar.events[0].summary, "a,b;c\\d\ne\nf");
  EXPECT_EQ(r.calendar.events[0].status, EventStatus::kCancelled);
}

TEST(IcalParse, FoldedUtf8SplitAcrossLinesIsRejoined) {
  // A fold between the two octets of 'é': unfolding works on octets, so it comes back whole.
  const ParseResult r =
      parse(feed("BEGIN:VEVENT\nUID:u\nDTSTART:20240101\nSUMMARY:caf\xC3\r\n \xA9!\nEND:VEVENT\n"));
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].summary, "caf\xC3\xA9!");
}

TEST(IcalParse, UnknownPropertiesAndComponentsAreSkipped) {
  const ParseResult r =
      parse(feed("X-WR-CALNAME:Villa\nBEGIN:VTIMEZONE\nTZID:Europe/Madrid\nBEGIN:STANDARD\n"
                 "DTSTART:19701025T030000\nEND:STANDARD\nEND:VTIMEZONE\n"
                 "BEGIN:VEVENT\nUID:a\nDTSTART:20240101\nX-CUSTOM;P=\"q:;\":v\nLOCATION:here\n"
                 "BEGIN:VALARM\nTRIGGER:-PT15M\nDTSTART:bogus\nUID:other\nEND:VALARM\nEND:VEVENT\n"
                 "BEGIN:VTODO\nUID:t\nEND:VTODO\n"));
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.problems.empty()) << problems_of(r);
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].uid, "a");
}

TEST(IcalParse, BrokenEventIsSkippedWithItsLineAndTheRestKept) {
  const std::string text = feed(
      "BEGIN:VEVENT\nUID:ok1\nDTSTART:20240101\nEND:VEVENT\n"  // lines 4-7
      "BEGIN:VEVENT\nUID:bad\nDTSTART:20241301\nEND:VEVENT\n"  // 8-11: month 13 at line 10
      "BEGIN:VEVENT\nUID:ok2\nDTSTART:20240102\nEND:VEVENT\n");
  const ParseResult r = parse(text);
  EXPECT_TRUE(r.status);
  ASSERT_EQ(r.calendar.events.size(), 2u);
  EXPECT_EQ(r.calendar.events[0].uid, "ok1");
  EXPECT_EQ(r.calendar.events[1].uid, "ok2");
  ASSERT_EQ(r.problems.size(), 1u) << problems_of(r);
  EXPECT_EQ(r.problems[0].line, 10);
  EXPECT_NE(r.problems[0].message.find("20241301"), std::string::npos);
  EXPECT_NE(r.problems[0].message.find("line 8"), std::string::npos);
}

struct BadEvent {
  const char* body;   // the VEVENT's lines between BEGIN and END
  std::int64_t line;  // of the problem; BEGIN:VEVENT is line 4
  const char* says;
};

TEST(IcalParse, EachKindOfBrokenEventIsReported) {
  const BadEvent cases[] = {
      {"DTSTART:20240101\n", 4, "without UID"},
      {"UID:a\n", 4, "without DTSTART"},
      {"UID:a\nDTSTART:20240101\nDTEND:20240105\nDURATION:P1D\n", 4, "both DTEND and DURATION"},
      {"UID:a\nDTSTART:20240105\nDTEND:20240105\n", 4, "ends before it starts"},
      {"UID:a\nDTSTART:20240105\nDTEND:20240101\n", 4, "ends before it starts"},
      {"UID:a\nDTSTART:20240105T100000Z\nDTEND:20240105T090000Z\n", 4, "ends before"},
      {"UID:a\nDTSTART:20240105\nDTEND:20240106T100000Z\n", 4, "differ in type"},
      {"UID:a\nDTSTART;VALUE=DATE:20240105T100000Z\n", 6, "VALUE=DATE"},
      {"UID:a\nDTSTART:2024-01-05\n", 6, "neither a DATE"},
      {"UID:a\nDTSTART:20240105T250000Z\n", 6, "not a valid date-time"},
      {"UID:a\nDTSTART:20240105\nDTSTART:20240106\n", 7, "DTSTART repeated"},
      {"UID:a\nUID:b\nDTSTART:20240105\n", 6, "UID repeated"},
      {"UID:a\nDTSTART:20240105\nDURATION:1D\n", 7, "not a duration"},
      {"UID:a\nDTSTART:20240105\nDURATION:PT1H\n", 4, "time part"},
      {"UID:a\nDTSTART:20240105\nDURATION:-P1D\n", 4, "ends before"},
      {"UID:a\nDTSTART:99991231\n", 4, "last representable"},
      {"UID:a\nDTSTART;TZID=\"x\",y:20240105T100000\n", 6, "malformed TZID"},
      {"UID:a\nDTSTART:20240105\nbad line\n", 7, "expected ':'"},
  };
  for (const BadEvent& c : cases) {
    const ParseResult r = parse(feed("BEGIN:VEVENT\n" + std::string(c.body) +
                                     "END:VEVENT\nBEGIN:VEVENT\nUID:good\nDTSTART:20240101\n"
                                     "END:VEVENT\n"));
    SCOPED_TRACE(c.body);
    EXPECT_TRUE(r.status);
    ASSERT_EQ(r.calendar.events.size(), 1u);
    EXPECT_EQ(r.calendar.events[0].uid, "good");
    ASSERT_FALSE(r.problems.empty());
    EXPECT_EQ(r.problems[0].line, c.line) << problems_of(r);
    EXPECT_NE(r.problems[0].message.find(c.says), std::string::npos) << problems_of(r);
  }
}

TEST(IcalParse, DoubtfulButUsablePropertiesAreReportedAndTheEventKept) {
  const ParseResult r =
      parse(feed("BEGIN:VEVENT\nUID:a\nDTSTART:20240101\nSTATUS:MAYBE\nSUMMARY:one\nSUMMARY:two\n"
                 "DTSTAMP:20240101T000000\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n"));
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].status, EventStatus::kNone);
  EXPECT_EQ(r.calendar.events[0].summary, "one");
  EXPECT_FALSE(r.calendar.events[0].has_stamp);
  ASSERT_EQ(r.problems.size(), 4u) << problems_of(r);
  EXPECT_EQ(r.problems[0].line, 7);
  EXPECT_EQ(r.problems[1].line, 9);
  EXPECT_EQ(r.problems[2].line, 10);
  EXPECT_EQ(r.problems[3].line, 11);
}

TEST(IcalParse, StructuralErrorsNameTheLine) {
  ParseResult r = parse("<html>\n<body>502 Bad Gateway</body>\n");
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.status.message(),
            "line 1: expected BEGIN:VCALENDAR: expected a property name in '<html>'");
  r = parse("\n\nBEGIN:VEVENT\nEND:VEVENT\n");
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.status.message(), "line 3: expected BEGIN:VCALENDAR, found 'BEGIN:VEVENT'");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3);
}

TEST(IcalParse, TruncatedFeedKeepsAcceptedEventsButIsAnError) {
  const ParseResult r = parse(
      "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240101\nEND:VEVENT\nBEGIN:VEVENT\n"
      "UID:b\nDTSTA");
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.status.message(), "line 8: the input ends before END:VCALENDAR (truncated?)");
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].uid, "a");
  ASSERT_EQ(r.problems.size(), 3u) << problems_of(r);
  EXPECT_EQ(r.problems[0].line, 8);  // "DTSTA" is not a content line
  EXPECT_NE(r.problems[1].message.find("ends inside the VEVENT"), std::string::npos);
}

TEST(IcalParse, NestingMistakes) {
  const ParseResult r = parse(
      "BEGIN:VCALENDAR\n"
      "BEGIN:VEVENT\nUID:a\nDTSTART:20240101\n"              // 2-4: never ended
      "BEGIN:VEVENT\nUID:b\nDTSTART:20240101\nEND:VEVENT\n"  // 5-8
      "END:VEVENT\n"                                         // 9: stray
      "BEGIN:X-THING\nEND:X-OTHER\nEND:X-THING\n"            // 10-12
      "\n orphan\n"  // 13-14: after a blank line, a continuation continues nothing
      "END:VCALENDAR\n"
      "BEGIN:VCALENDAR\n");  // 16
  EXPECT_TRUE(r.status);
  ASSERT_EQ(r.calendar.events.size(), 1u);
  EXPECT_EQ(r.calendar.events[0].uid, "b");
  ASSERT_EQ(r.problems.size(), 5u) << problems_of(r);
  EXPECT_EQ(r.problems[0].line, 5);
  EXPECT_EQ(r.problems[1].line, 9);
  EXPECT_EQ(r.problems[2].line, 11);
  EXPECT_EQ(r.problems[3].line, 14);
  EXPECT_EQ(r.problems[4].line, 16);
}

TEST(IcalParse, Limits) {
  ParseLimits limits;
  limits.input_octets_max = 10;
  ParseResult r = parse(feed(""), limits);
  EXPECT_FALSE(r.status);
  EXPECT_NE(r.status.message().find("over the limit of 10"), std::string::npos);

  limits = ParseLimits{};
  limits.events_max = 2;
  std::string body;
  for (int i = 0; i < 3; ++i) body += "BEGIN:VEVENT\nUID:e\nDTSTART:20240101\nEND:VEVENT\n";
  r = parse(feed(body), limits);
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.status.message(), "line 12: more than 2 events");
  EXPECT_EQ(r.calendar.events.size(), 2u);

  limits = ParseLimits{};
  limits.depth_max = 3;
  r = parse(feed("BEGIN:A\nBEGIN:B\nBEGIN:C\nEND:C\nEND:B\nEND:A\n"), limits);
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.status.message(), "line 6: components nested deeper than 3");

  limits = ParseLimits{};
  limits.line_octets_max = 40;
  r = parse(feed("BEGIN:VEVENT\nUID:a\nDTSTART:20240101\nDESCRIPTION:" + std::string(50, 'x') +
                 "\nEND:VEVENT\n"),
            limits);
  EXPECT_TRUE(r.status);
  EXPECT_TRUE(r.calendar.events.empty());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 7);

  limits = ParseLimits{};
  limits.problems_max = 5;
  r = parse(feed(std::string(100, 'x') + "\n" + "junk\njunk\njunk\njunk\njunk\njunk\n"), limits);
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.problems.size(), 5u);
  EXPECT_EQ(r.problems.back().line, 8);
  EXPECT_NE(r.status.message().find("more than 5 problems"), std::string::npos);
}

TEST(IcalParseDuration, Grammar) {
  Duration d;
  ASSERT_TRUE(parse_duration("P15DT5H0M20S", &d));
  EXPECT_EQ(d.days, 15);
  EXPECT_EQ(d.seconds, 5 * 3600 + 20);
  EXPECT_FALSE(d.negative);
  ASSERT_TRUE(parse_duration("P7W", &d));
  EXPECT_EQ(d.days, 49);
  ASSERT_TRUE(parse_duration("-PT15M", &d));
  EXPECT_TRUE(d.negative);
  EXPECT_EQ(d.seconds, 900);
  ASSERT_TRUE(parse_duration("+P1D", &d));
  for (std::string_view bad : {"", "P", "PT", "1D", "P1", "P1H", "P1W2D", "P1WT1H", "PT1D", "P1DT",
                               "PT1S1M", "P1D1D", "P1234567890D", "PT1HT1M", "P-1D"}) {
    EXPECT_FALSE(parse_duration(bad, &d)) << bad;
  }
}

}  // namespace
}  // namespace intsim::core::ical
