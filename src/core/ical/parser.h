// The iCal parser: error-tolerant, bounded, never crashes.
//
// A broken VEVENT (missing UID or DTSTART, an unreadable date, DTEND before DTSTART, both DTEND
// and DURATION, a repeated DTSTART/DTEND/DURATION/UID) is reported with the line of the problem
// and skipped; every other event is kept. Unknown properties and components (VTIMEZONE, VALARM,
// X-...) are skipped, nested ones too. Property order inside a component is free (Airbnb writes
// DTEND before DTSTART).
//
// ParseResult::status is not OK when the text as a whole cannot be trusted as a complete
// calendar: it does not start with BEGIN:VCALENDAR, it ends before END:VCALENDAR (a truncated
// download), or it breaks a limit. The events accepted before that point are still returned
// (bad input loses nothing already accepted), but a caller that treats a feed as a full
// snapshot (a vanished booking means a cancellation) must not do so when status is not OK.
//
// An empty body (nothing but whitespace and a BOM) is an empty calendar with OK status and
// `empty_body` set: Booking.com answers an empty calendar that way.
//
// Limits (ParseLimits), each an error naming the line where it was hit:
//   input_octets_max   32 MiB   checked first, before reading anything
//   line_octets_max    64 KiB   one unfolded line; a longer line is a problem and is skipped
//   events_max        100000    VEVENTs accepted
//   depth_max             16    nested components (VCALENDAR > VEVENT > VALARM is 3)
//   problems_max        1000    then one last "too many problems" entry and the parse stops
// Memory is bounded by a small multiple of the input size. Work is linear in the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/ical/calendar.h"
#include "src/core/status.h"

namespace intsim::core::ical {

struct ParseLimits {
  std::size_t input_octets_max = 32u << 20;
  std::size_t line_octets_max = 64u << 10;
  std::size_t events_max = 100000;
  std::size_t depth_max = 16;
  std::size_t problems_max = 1000;
};

struct Problem {
  std::int64_t line = 0;  // 1-based physical line; 0: the input as a whole
  std::string message;
  bool operator==(const Problem&) const = default;
};

struct ParseResult {
  Status status;  // see above: not OK means "not a complete calendar"
  Calendar calendar;
  std::vector<Problem> problems;  // everything skipped or doubtful, in line order
  bool empty_body = false;
};

ParseResult parse(std::string_view text, const ParseLimits& limits = {});

// Parses an iCal DURATION ("P15DT5H0M20S", "-PT15M", "P7W") into days and seconds. Each
// number is limited to 9 digits so that nothing overflows.
struct Duration {
  bool negative = false;
  std::int64_t days = 0;     // weeks are counted as 7 days
  std::int64_t seconds = 0;  // the time part
};
bool parse_duration(std::string_view text, Duration* out);

}  // namespace intsim::core::ical
