#include "src/core/ical/writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "src/core/ical/content_line.h"
#include "src/core/ical/date.h"
#include "src/core/ical/parser.h"

namespace intsim::core::ical {
namespace {

// Texts made of the characters that need care: escapes, folding, multi-octet UTF-8.
rc::Gen<std::string> gen_text() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
          "a", "Z", "0", " ", "\t", ",", ";", ":", "\\", "\n", "\"", "\\n", "\xC3\xA9",
          "\xE2\x82\xAC", "\xF0\x9F\x8F\xA0", "Reserved", "https://www.airbnb.com/h/x?y=1")),
      [](const std::vector<std::string>& parts) {
        std::string s;
        for (const auto& p : parts) s += p;
        return s;
      });
}

rc::Gen<std::int32_t> gen_days() { return rc::gen::inRange<std::int32_t>(kDaysMin, kDaysMax); }

rc::Gen<Moment> gen_moment_of(Moment::Kind kind) {
  return rc::gen::apply(
      [kind](std::int32_t days, std::int32_t sec, std::string tzid) {
        if (kind == Moment::Kind::kDate) return Moment::date(days);
        if (kind == Moment::Kind::kUtc) {
          Moment m = Moment::utc(static_cast<TimeUs>(days) * kUsPerDay);
          m.second_of_day = sec;
          return m;
        }
        return Moment::local(days, sec, tzid);
      },
      gen_days(), rc::gen::inRange<std::int32_t>(0, kSecondsPerDay),
      rc::gen::element<std::string>("", "Europe/Madrid", "America/New_York",
                                    "/mozilla.org/20050126_1/Europe/Paris", "Zone;with:odd,chars",
                                    "caf\xC3\xA9"));
}

rc::Gen<Event> gen_event() {
  return rc::gen::apply(
      [](std::string uid, Moment::Kind kind, Moment a, Moment b, std::string summary,
         std::string description, EventStatus status, bool has_stamp, std::int64_t stamp_s) {
        Event e;
        e.uid = uid.empty() ? "u" : uid;
        // Start before end on the same kind (and zone), as the parser insists.
        Moment start = a, end = b;
        start.kind = end.kind = kind;
        if (kind != Moment::Kind::kLocal) start.tzid.clear(), end.tzid.clear();
        if (kind == Moment::Kind::kLocal) end.tzid = start.tzid;
        if (kind == Moment::Kind::kDate) start.second_of_day = end.second_of_day = 0;
        if (end.wall_seconds() < start.wall_seconds()) std::swap(start, end);
        if (kind == Moment::Kind::kDate && start.days == end.days) {
          if (end.days < kDaysMax)
            end.days += 1;
          else
            start.days -= 1;
        }
        e.start = start;
        e.end = end;
        e.summary = summary;
        e.description = description;
        e.status = status;
        e.has_stamp = has_stamp;
        e.stamp_us = has_stamp ? stamp_s * kUsPerSec : 0;
        return e;
      },
      gen_text(), rc::gen::element(Moment::Kind::kDate, Moment::Kind::kUtc, Moment::Kind::kLocal),
      gen_moment_of(Moment::Kind::kLocal), gen_moment_of(Moment::Kind::kLocal), gen_text(),
      gen_text(),
      rc::gen::element(EventStatus::kNone, EventStatus::kTentative, EventStatus::kConfirmed,
                       EventStatus::kCancelled),
      rc::gen::arbitrary<bool>(),
      rc::gen::inRange<std::int64_t>(0, std::int64_t{kDaysMax} * kSecondsPerDay));
}

RC_GTEST_PROP(IcalWrite, ParseOfWriteIsIdentity, ()) {
  Calendar c;
  c.prodid = *gen_text();
  c.events = *rc::gen::container<std::vector<Event>>(gen_event());
  const std::string text = write(c);
  const ParseResult r = parse(text);
  RC_ASSERT(r.status.is_ok());
  RC_ASSERT(r.problems.empty());
  RC_ASSERT(r.calendar == c);
  // The text is what RFC 5545 asks for: CRLF only, at most 75 octets a line.
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    RC_ASSERT(end != std::string::npos);
    RC_ASSERT(end - start <= kFoldOctets);
    RC_ASSERT(text.substr(start, end - start).find('\n') == std::string::npos);
    start = end + 2;
  }
}

RC_GTEST_PROP(IcalWrite, DateTimeIsFmtsPadding, ()) {
  const auto days = *rc::gen::inRange<std::int32_t>(kDaysMin, kDaysMax + 1);
  const auto s = *rc::gen::inRange<std::int32_t>(0, 86'400);
  const Moment m = Moment::local(days, s, "");
  RC_ASSERT(format_date_time(m) == fmt::format("{}T{:02}{:02}{:02}", format_yyyymmdd(days),
                                               s / 3600, s / 60 % 60, s % 60));
}

TEST(IcalWrite, ExactText) {
  Calendar c;
  c.prodid = "-//intsim//test//EN";
  Event e;
  e.uid = "a,b";
  e.start = Moment::date(0);
  e.end = Moment::date(2);
  e.summary = "x;y";
  e.status = EventStatus::kConfirmed;
  c.events.push_back(e);
  Event t;
  t.uid = "t";
  t.start = Moment::local(1, 3600 + 2 * 60 + 3, "Europe/Madrid");
  t.end = Moment::utc(2 * kUsPerDay + 59 * kUsPerSec);
  t.has_stamp = true;
  t.stamp_us = 1'700'000'000 * kUsPerSec;
  c.events.push_back(t);
  EXPECT_EQ(write(c),
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//intsim//test//EN\r\nCALSCALE:GREGORIAN\r\n"
            "BEGIN:VEVENT\r\nUID:a\\,b\r\nDTSTART;VALUE=DATE:19700101\r\n"
            "DTEND;VALUE=DATE:19700103\r\nSUMMARY:x\\;y\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:t\r\nDTSTAMP:20231114T221320Z\r\n"
            "DTSTART;TZID=Europe/Madrid:19700102T010203\r\nDTEND:19700103T000059Z\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n");
}

TEST(IcalWrite, LongDescriptionIsFoldedAndReadBack) {
  Calendar c;
  Event e;
  e.uid = "u";
  e.start = Moment::date(100);
  e.end = Moment::date(101);
  for (int i = 0; i < 40; ++i) e.description += "Caf\xC3\xA9 \xE2\x82\xAC; ";
  c.events.push_back(e);
  const std::string text = write(c);
  EXPECT_NE(text.find("\r\n "), std::string::npos);
  EXPECT_EQ(parse(text).calendar, c);
}

}  // namespace
}  // namespace intsim::core::ical
