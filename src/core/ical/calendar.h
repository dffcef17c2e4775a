// The iCal value types availability needs (RFC 5545 VCALENDAR / VEVENT, the part OTA channels
// use). Parsing is in parser.h, writing in writer.h, the channels' shapes in flavours.h.
//
// Time zones: a TZID date-time ("DTSTART;TZID=Europe/Madrid:20240105T150000") names a zone
// whose rules live in a tz database the core must not read (it would make a run depend on the
// machine). We keep the wall-clock time with its TZID, never convert it to an instant, and
// availability uses its local DATE, which is what a night is. Floating date-times (no Z, no
// TZID) are treated the same way with an empty TZID.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/time.h"

namespace intsim::core::ical {

inline constexpr std::int32_t kSecondsPerDay = 86400;

// A DTSTART / DTEND value: a DATE, a UTC DATE-TIME, or a local (TZID or floating) DATE-TIME.
struct Moment {
  enum class Kind : std::uint8_t {
    kDate,   // all-day: `days` only
    kUtc,    // "...Z": an instant
    kLocal,  // wall clock in `tzid` (empty: floating); the instant is unknown on purpose
  };
  Kind kind = Kind::kDate;
  std::int32_t days = 0;           // the date: UTC date for kUtc, local date for kLocal
  std::int32_t second_of_day = 0;  // 0..86399; always 0 for kDate
  std::string tzid;                // kLocal only

  static Moment date(std::int32_t days);
  static Moment utc(TimeUs t_us);  // truncated to whole seconds (iCal has no fractions)
  static Moment local(std::int32_t days, std::int32_t second_of_day, std::string tzid);

  bool is_date() const { return kind == Kind::kDate; }
  // Only for kUtc (INTSIM_ASSERT otherwise).
  TimeUs utc_us() const;
  // Seconds on a clock that ignores zones: comparable between two kUtc moments, or two kLocal
  // moments with the same tzid, or two dates.
  std::int64_t wall_seconds() const;

  bool operator==(const Moment&) const = default;
};

enum class EventStatus : std::uint8_t { kNone, kTentative, kConfirmed, kCancelled };

struct Event {
  std::string uid;
  Moment start;
  Moment end;  // exclusive; always set: from DTEND, from DURATION, or the RFC default
  std::string summary;
  std::string description;
  EventStatus status = EventStatus::kNone;
  bool has_stamp = false;  // DTSTAMP present (Vrbo: the export time)
  TimeUs stamp_us = 0;
  // 1-based line of its BEGIN:VEVENT in the parsed text (0 when built in code). Provenance, not
  // content: operator== ignores it so that parse(write(c)) == c.
  std::int64_t line = 0;

  bool all_day() const { return start.is_date(); }
  // The nights [first_night_days, end_night_days) the event occupies, by date: a stay from
  // 15:00 on the 1st to 11:00 on the 5th takes the nights of the 1st..4th, like the all-day
  // DTSTART 1st / DTEND 5th. UTC date-times use the UTC date (the property's zone is unknown).
  std::int32_t first_night_days() const { return start.days; }
  std::int32_t end_night_days() const { return end.days > start.days ? end.days : start.days; }

  bool operator==(const Event& other) const;
};

struct Calendar {
  std::string prodid;
  std::vector<Event> events;
  bool operator==(const Calendar&) const = default;
};

std::string_view status_name(EventStatus status);  // "", "TENTATIVE", "CONFIRMED", "CANCELLED"

}  // namespace intsim::core::ical
