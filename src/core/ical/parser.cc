#include "src/core/ical/parser.h"

#include <fmt/format.h>

#include "src/core/ical/content_line.h"
#include "src/core/ical/date.h"

namespace intsim::core::ical {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_blank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

// For messages: a value cut to a readable length.
std::string_view excerpt(std::string_view text) { return text.substr(0, 40); }

bool parse_two_digits(std::string_view text, std::size_t at, int* out) {
  const char a = text[at], b = text[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  *out = (a - '0') * 10 + (b - '0');
  return true;
}

// DATE ("20240105") or DATE-TIME ("20240105T150000", "...Z", with TZID). *error is set on
// failure. The shape decides DATE vs DATE-TIME, since feeds omit VALUE=DATE; a VALUE
// parameter that contradicts the shape is an error.
bool parse_moment(const ContentLine& cl, Moment* out, std::string* error) {
  const std::string_view value_type = cl.param("VALUE");
  const std::string_view v = cl.value;
  if (v.size() == 8) {
    if (!value_type.empty() && !equals_ascii_nocase(value_type, "DATE")) {
      *error = fmt::format("VALUE={} but '{}' is a DATE", excerpt(value_type), v);
      return false;
    }
    std::int32_t days = 0;
    if (!parse_yyyymmdd(v, &days)) {
      *error = fmt::format("'{}' is not a valid date (YYYYMMDD)", v);
      return false;
    }
    *out = Moment::date(days);
    return true;
  }
  if ((v.size() == 15 || v.size() == 16) && v[8] == 'T' && (v.size() == 15 || v[15] == 'Z')) {
    if (!value_type.empty() && !equals_ascii_nocase(value_type, "DATE-TIME")) {
      *error = fmt::format("VALUE={} but '{}' is a DATE-TIME", excerpt(value_type), v);
      return false;
    }
    std::int32_t days = 0;
    int hour = 0, minute = 0, second = 0;
    if (!parse_yyyymmdd(v.substr(0, 8), &days) || !parse_two_digits(v, 9, &hour) ||
        !parse_two_digits(v, 11, &minute) || !parse_two_digits(v, 13, &second) || hour > 23 ||
        minute > 59 || second > 60) {
      *error = fmt::format("'{}' is not a valid date-time (YYYYMMDDTHHMMSS[Z])", v);
      return false;
    }
    if (second == 60) second = 59;  // a leap second: no night depends on it
    const std::int32_t second_of_day = hour * 3600 + minute * 60 + second;
    if (v.size() == 16) {  // UTC; a TZID next to "Z" is an RFC violation and ignored
      Moment m;
      m.kind = Moment::Kind::kUtc;
      m.days = days;
      m.second_of_day = second_of_day;
      *out = m;
      return true;
    }
    const std::string_view tzid = cl.param("TZID");
    if (tzid.find('"') != std::string_view::npos) {
      *error = fmt::format("malformed TZID '{}'", excerpt(tzid));
      return false;
    }
    *out = Moment::local(days, second_of_day, std::string(tzid));
    return true;
  }
  *error = fmt::format("'{}' is neither a DATE (YYYYMMDD) nor a DATE-TIME (YYYYMMDDTHHMMSS[Z])",
                       excerpt(v));
  return false;
}

// Moves `m` by days and seconds on its own clock (wall clock for local times: the zone's DST
// rules are unknown, see calendar.h). False when the result leaves 0000..9999.
bool add_to_moment(const Moment& m, std::int64_t days, std::int64_t seconds, Moment* out) {
  *out = m;
  if (m.is_date()) {
    const std::int64_t d = m.days + days;
    if (d < kDaysMin || d > kDaysMax) return false;
    out->days = static_cast<std::int32_t>(d);
    return true;
  }
  const std::int64_t total = m.wall_seconds() + days * kSecondsPerDay + seconds;
  std::int64_t d = total / kSecondsPerDay;
  std::int64_t s = total % kSecondsPerDay;
  if (s < 0) {
    s += kSecondsPerDay;
    d -= 1;
  }
  if (d < kDaysMin || d > kDaysMax) return false;
  out->days = static_cast<std::int32_t>(d);
  out->second_of_day = static_cast<std::int32_t>(s);
  return true;
}

class Parser {
 public:
  Parser(const ParseLimits& limits, ParseResult* result) : limits_(limits), r_(*result) {}

  void run(std::string_view text);

 private:
  enum class State { kBeforeCalendar, kInCalendar, kDone };

  struct Pending {
    Event event;
    bool broken = false;
    bool has_start = false, has_end = false, has_duration = false, has_uid = false;
    bool has_summary = false, has_description = false, has_status = false;
    Duration duration;
  };

  // Records a problem; false once the budget is spent (the parse then stops).
  bool problem(std::int64_t line, std::string message);
  void fatal(std::int64_t line, std::string message);
  void begin(const ContentLine& cl, std::int64_t line);
  void end(const ContentLine& cl, std::int64_t line);
  void event_property(const ContentLine& cl, std::int64_t line);
  void calendar_property(const ContentLine& cl);
  void finish_event();
  void drop_event(std::int64_t line, std::string_view why);
  void mark_broken(std::int64_t line, std::string_view what);

  const ParseLimits& limits_;
  ParseResult& r_;
  State state_ = State::kBeforeCalendar;
  bool in_event_ = false;
  bool has_prodid_ = false;
  bool stop_ = false;
  Pending pending_;
  std::vector<std::string> skipping_;  // unknown components being skipped, innermost last
  std::string text_;                   // scratch for unescaping
};

bool Parser::problem(std::int64_t line, std::string message) {
  if (stop_) return false;
  if (r_.problems.size() + 1 >= limits_.problems_max) {
    fatal(line, fmt::format("more than {} problems; stopped reading", limits_.problems_max));
    return false;
  }
  r_.problems.push_back({line, std::move(message)});
  return true;
}

void Parser::fatal(std::int64_t line, std::string message) {
  if (stop_) return;
  stop_ = true;
  r_.status = Status::invalid_argument(line > 0 ? fmt::format("line {}: {}", line, message)
                                                : std::move(message));
  r_.problems.push_back({line, std::move(message)});
}

void Parser::mark_broken(std::int64_t line, std::string_view what) {
  pending_.broken = true;
  problem(line, fmt::format("{}; the VEVENT at line {} is skipped", what, pending_.event.line));
}

void Parser::drop_event(std::int64_t line, std::string_view why) {
  if (!in_event_) return;
  in_event_ = false;
  problem(line, fmt::format("{}; the VEVENT at line {} is skipped", why, pending_.event.line));
}

void Parser::run(std::string_view text) {
  if (text.size() > limits_.input_octets_max) {
    fatal(0, fmt::format("input is {} octets, over the limit of {}", text.size(),
                         limits_.input_octets_max));
    return;
  }
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  if (is_blank(text)) {
    r_.empty_body = true;
    return;
  }
  LineReader reader(text, limits_.line_octets_max);
  LineReader::Line line;
  ContentLine cl;
  while (!stop_ && reader.next(&line)) {
    if (state_ == State::kDone) {
      problem(line.number, "content after END:VCALENDAR is ignored");
      break;
    }
    if (line.orphan) {
      problem(line.number, "continuation line (leading space) with no line to continue");
      continue;
    }
    const char* error = nullptr;
    std::string why;
    if (line.too_long) {
      why = fmt::format("line longer than {} octets", limits_.line_octets_max);
    } else if (!split_content_line(line.text, &cl, &error)) {
      why = fmt::format("{} in '{}'", error, excerpt(line.text));
    }
    if (!why.empty()) {
      if (state_ == State::kBeforeCalendar) {
        fatal(line.number, fmt::format("expected BEGIN:VCALENDAR: {}", why));
      } else if (in_event_ && skipping_.empty()) {
        mark_broken(line.number, why);
      } else {
        problem(line.number, why);
      }
      continue;
    }
    if (state_ == State::kBeforeCalendar) {
      if (equals_ascii_nocase(cl.name, "BEGIN") && equals_ascii_nocase(cl.value, "VCALENDAR")) {
        state_ = State::kInCalendar;
        continue;
      }
      fatal(line.number, fmt::format("expected BEGIN:VCALENDAR, found '{}'", excerpt(line.text)));
      break;
    }
    if (equals_ascii_nocase(cl.name, "BEGIN")) {
      begin(cl, line.number);
    } else if (equals_ascii_nocase(cl.name, "END")) {
      end(cl, line.number);
    } else if (!skipping_.empty()) {
      continue;
    } else if (in_event_) {
      event_property(cl, line.number);
    } else {
      calendar_property(cl);
    }
  }
  if (stop_) return;
  const std::int64_t last = reader.lines_read();
  if (state_ == State::kBeforeCalendar) {
    fatal(last, "no BEGIN:VCALENDAR");
    return;
  }
  if (state_ != State::kDone) {
    drop_event(last, "the input ends inside the VEVENT");
    fatal(last, "the input ends before END:VCALENDAR (truncated?)");
  }
}

void Parser::begin(const ContentLine& cl, std::int64_t line) {
  const std::size_t depth = 1 + (in_event_ ? 1 : 0) + skipping_.size();
  if (depth + 1 > limits_.depth_max) {
    fatal(line, fmt::format("components nested deeper than {}", limits_.depth_max));
    return;
  }
  if (skipping_.empty() && equals_ascii_nocase(cl.value, "VEVENT")) {
    if (in_event_) drop_event(line, "BEGIN:VEVENT before END:VEVENT");
    if (r_.calendar.events.size() >= limits_.events_max) {
      fatal(line, fmt::format("more than {} events", limits_.events_max));
      return;
    }
    in_event_ = true;
    pending_ = Pending{};
    pending_.event.line = line;
    return;
  }
  // VTIMEZONE, VALARM, VTODO, X-...: nothing availability needs; skipped with what they hold.
  skipping_.emplace_back(cl.value);
}

void Parser::end(const ContentLine& cl, std::int64_t line) {
  if (!skipping_.empty()) {
    if (equals_ascii_nocase(cl.value, skipping_.back())) {
      skipping_.pop_back();
      return;
    }
    const bool closes_outer = equals_ascii_nocase(cl.value, "VCALENDAR") ||
                              (in_event_ && equals_ascii_nocase(cl.value, "VEVENT"));
    if (!closes_outer) {
      problem(line, fmt::format("END:{} does not match BEGIN:{}", excerpt(cl.value),
                                excerpt(skipping_.back())));
      return;
    }
    problem(line, fmt::format("BEGIN:{} has no END", excerpt(skipping_.back())));
    skipping_.clear();
  }
  if (equals_ascii_nocase(cl.value, "VEVENT")) {
    if (!in_event_) {
      problem(line, "END:VEVENT without BEGIN:VEVENT");
      return;
    }
    in_event_ = false;
    finish_event();
    return;
  }
  if (equals_ascii_nocase(cl.value, "VCALENDAR")) {
    drop_event(line, "END:VCALENDAR before END:VEVENT");
    state_ = State::kDone;
    return;
  }
  problem(line, fmt::format("END:{} without BEGIN", excerpt(cl.value)));
}

void Parser::calendar_property(const ContentLine& cl) {
  if (!has_prodid_ && equals_ascii_nocase(cl.name, "PRODID")) {
    has_prodid_ = true;
    unescape_text(cl.value, &r_.calendar.prodid);
  }
}

void Parser::event_property(const ContentLine& cl, std::int64_t line) {
  Pending& p = pending_;
  Event& e = p.event;
  const std::string_view name = cl.name;
  std::string error;
  if (equals_ascii_nocase(name, "DTSTART") || equals_ascii_nocase(name, "DTEND")) {
    const bool is_start = name.size() == 7;
    bool& seen = is_start ? p.has_start : p.has_end;
    if (seen) return mark_broken(line, fmt::format("{} repeated", name));
    seen = true;
    if (!parse_moment(cl, is_start ? &e.start : &e.end, &error)) {
      mark_broken(line, fmt::format("{}: {}", name, error));
    }
  } else if (equals_ascii_nocase(name, "DURATION")) {
    if (p.has_duration) return mark_broken(line, "DURATION repeated");
    p.has_duration = true;
    if (!parse_duration(cl.value, &p.duration)) {
      mark_broken(line, fmt::format("DURATION: '{}' is not a duration (e.g. P1D, PT2H)",
                                    excerpt(cl.value)));
    }
  } else if (equals_ascii_nocase(name, "UID")) {
    if (p.has_uid) return mark_broken(line, "UID repeated");
    p.has_uid = true;
    unescape_text(cl.value, &e.uid);
  } else if (equals_ascii_nocase(name, "SUMMARY") || equals_ascii_nocase(name, "DESCRIPTION")) {
    const bool is_summary = name.size() == 7;
    bool& seen = is_summary ? p.has_summary : p.has_description;
    if (seen) {
      problem(line, fmt::format("{} repeated; the first one is kept", name));
      return;
    }
    seen = true;
    unescape_text(cl.value, is_summary ? &e.summary : &e.description);
  } else if (equals_ascii_nocase(name, "STATUS")) {
    if (p.has_status) {
      problem(line, "STATUS repeated; the first one is kept");
      return;
    }
    p.has_status = true;
    if (equals_ascii_nocase(cl.value, "TENTATIVE")) {
      e.status = EventStatus::kTentative;
    } else if (equals_ascii_nocase(cl.value, "CONFIRMED")) {
      e.status = EventStatus::kConfirmed;
    } else if (equals_ascii_nocase(cl.value, "CANCELLED")) {
      e.status = EventStatus::kCancelled;
    } else {
      problem(line, fmt::format("STATUS '{}' is not an event status; ignored", excerpt(cl.value)));
    }
  } else if (equals_ascii_nocase(name, "DTSTAMP")) {
    Moment m;
    if (e.has_stamp) return;
    if (!parse_moment(cl, &m, &error) || m.kind != Moment::Kind::kUtc) {
      problem(line, fmt::format("DTSTAMP '{}' is not a UTC date-time; ignored", excerpt(cl.value)));
      return;
    }
    e.has_stamp = true;
    e.stamp_us = m.utc_us();
  } else if (equals_ascii_nocase(name, "RRULE") || equals_ascii_nocase(name, "RDATE")) {
    // Channels never send recurrences; if one does, saying so beats silently missing nights.
    problem(line, fmt::format("{} is not supported: only the first occurrence is used", name));
  }
}

void Parser::finish_event() {
  Pending& p = pending_;
  Event& e = p.event;
  const std::int64_t at = e.line;
  if (p.broken) return;  // already reported where it broke
  if (!p.has_uid || e.uid.empty()) {
    problem(at, "VEVENT without UID is skipped");
    return;
  }
  if (!p.has_start) {
    problem(at, "VEVENT without DTSTART is skipped");
    return;
  }
  if (p.has_end && p.has_duration) {
    problem(at, "VEVENT with both DTEND and DURATION is skipped");
    return;
  }
  if (p.has_end) {
    if (e.start.is_date() != e.end.is_date()) {
      problem(at, "DTSTART and DTEND differ in type (DATE vs DATE-TIME); the VEVENT is skipped");
      return;
    }
  } else if (p.has_duration) {
    const Duration& d = p.duration;
    if (e.start.is_date() && d.seconds != 0) {
      problem(at, "DURATION has a time part but DTSTART is a DATE; the VEVENT is skipped");
      return;
    }
    const std::int64_t sign = d.negative ? -1 : 1;
    if (!add_to_moment(e.start, sign * d.days, sign * d.seconds, &e.end)) {
      problem(at, "DURATION ends outside years 0000..9999; the VEVENT is skipped");
      return;
    }
  } else if (e.start.is_date()) {  // RFC 5545 3.6.1: an all-day event without end is one day
    if (!add_to_moment(e.start, 1, 0, &e.end)) {
      problem(at, "DTSTART is the last representable date; the VEVENT is skipped");
      return;
    }
  } else {
    e.end = e.start;  // a date-time event without end ends when it starts
  }
  const bool comparable = e.start.kind == e.end.kind && e.start.tzid == e.end.tzid;
  if (comparable) {
    const bool bad = e.start.is_date() ? e.end.days <= e.start.days
                                       : e.end.wall_seconds() < e.start.wall_seconds();
    if (bad) {
      problem(at, fmt::format("the event ends before it starts ({}); the VEVENT is skipped",
                              e.start.is_date() ? "DTEND is exclusive" : "DTEND < DTSTART"));
      return;
    }
  }
  r_.calendar.events.push_back(std::move(e));
}

}  // namespace

bool parse_duration(std::string_view text, Duration* out) {
  *out = Duration{};
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) out->negative = text[i++] == '-';
  if (i >= text.size() || text[i] != 'P') return false;
  ++i;
  bool in_time = false, any = false, any_time = false;
  char last = 'P';  // designators must come in order: W | D then T then H, M, S
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time || last == 'W') return false;
      in_time = true;
      last = 'T';
      ++i;
      continue;
    }
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits > 9) return false;
      n = n * 10 + (text[i++] - '0');
    }
    if (digits == 0 || i >= text.size()) return false;
    const char unit = text[i++];
    static constexpr std::string_view kDateOrder = "PWD", kTimeOrder = "THMS";
    const std::string_view order = in_time ? kTimeOrder : kDateOrder;
    const std::size_t at = order.find(unit);
    if (at == std::string_view::npos || at <= order.find(last)) return false;
    if (last == 'W') return false;  // dur-week stands alone
    if (unit == 'W') {
      out->days = n * 7;
    } else if (unit == 'D') {
      out->days = n;
    } else if (unit == 'H') {
      out->seconds += n * 3600;
    } else if (unit == 'M') {
      out->seconds += n * 60;
    } else {
      out->seconds += n;
    }
    last = unit;
    any = true;
    any_time = any_time || in_time;
  }
  return any && (!in_time || any_time);
}

ParseResult parse(std::string_view text, const ParseLimits& limits) {
  ParseResult result;
  Parser(limits, &result).run(text);
  return result;
}

}  // namespace intsim::core::ical
