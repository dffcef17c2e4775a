// libFuzzer target for the iCal parser (built with clang by run_ical_fuzz.sh, run by the long
// test set). Beyond "no crash, no sanitizer report, no hang", it checks what callers rely on:
//   - every problem names a line inside the input (or 0 for the input as a whole);
//   - every accepted event has a UID and does not end before it starts;
//   - whatever was accepted survives a round trip: parse(write(c)) == c, cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "src/core/ical/parser.h"
#include "src/core/ical/writer.h"

namespace {

namespace ical = intsim::core::ical;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "ical_fuzz: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ical::ParseResult r = ical::parse(text);

  std::int64_t newlines = 0;
  for (char c : text) newlines += c == '\n';
  for (const ical::Problem& p : r.problems) {
    check(p.line >= 0 && p.line <= newlines + 1, "problem line inside the input");
    check(!p.message.empty(), "problem has a message");
  }
  check(r.status.is_ok() || !r.problems.empty(), "an error is also listed as a problem");
  for (const ical::Event& e : r.calendar.events) {
    check(!e.uid.empty(), "event has a UID");
    check(e.line >= 1 && e.line <= newlines + 1, "event line inside the input");
    check(e.start.is_date() == e.end.is_date(), "start and end of the same type");
    if (e.start.kind == e.end.kind && e.start.tzid == e.end.tzid) {
      check(e.start.is_date() ? e.end.days > e.start.days
                              : e.end.wall_seconds() >= e.start.wall_seconds(),
            "event does not end before it starts");
    }
  }

  const std::string written = ical::write(r.calendar);
  const ical::ParseResult again = ical::parse(written);
  check(again.status.is_ok(), "written calendar parses");
  check(again.problems.empty(), "written calendar has no problems");
  check(again.calendar == r.calendar, "parse(write(c)) == c");
  return 0;
}
