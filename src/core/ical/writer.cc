#include "src/core/ical/writer.h"

#include <fmt/format.h>

#include "src/core/assert.h"
#include "src/core/ical/content_line.h"
#include "src/core/ical/date.h"

namespace intsim::core::ical {
namespace {

// A TZID must be quoted when it holds a character that ends a parameter value.
bool needs_quotes(std::string_view value) {
  return value.find_first_of(";:,") != std::string_view::npos;
}

}  // namespace

std::string format_date_time(const Moment& m) {
  const int s = m.second_of_day;
  INTSIM_ASSERT(s >= 0 && s < 86'400);
  std::string out;
  out.reserve(16);
  append_yyyymmdd(m.days, &out);
  out.push_back('T');
  append_digits(s / 3600, 2, &out);
  append_digits(s / 60 % 60, 2, &out);
  append_digits(s % 60, 2, &out);
  return out;
}

void IcalWriter::raw(std::string_view name, std::string_view value) {
  line_.assign(name);
  line_.push_back(':');
  line_.append(value);
  append_folded_line(line_, &out_);
}

void IcalWriter::text(std::string_view name, std::string_view value) {
  line_.assign(name);
  line_.push_back(':');
  append_escaped_text(value, &line_);
  append_folded_line(line_, &out_);
}

void IcalWriter::moment(std::string_view name, const Moment& m) {
  line_.assign(name);
  switch (m.kind) {
    case Moment::Kind::kDate:
      line_.append(";VALUE=DATE:");
      line_.append(format_yyyymmdd(m.days));
      break;
    case Moment::Kind::kUtc:
      line_.push_back(':');
      line_.append(format_date_time(m));
      line_.push_back('Z');
      break;
    case Moment::Kind::kLocal:
      if (!m.tzid.empty()) {
        line_.append(";TZID=");
        // A DQUOTE cannot be written in a parameter value at all (RFC 5545 3.1); the parser
        // never produces one, and code that builds a TZID with one loses it here.
        std::string tzid = m.tzid;
        std::erase(tzid, '"');
        if (needs_quotes(tzid)) {
          line_.push_back('"');
          line_.append(tzid);
          line_.push_back('"');
        } else {
          line_.append(tzid);
        }
      }
      line_.push_back(':');
      line_.append(format_date_time(m));
      break;
  }
  append_folded_line(line_, &out_);
}

void IcalWriter::utc(std::string_view name, TimeUs t_us) { moment(name, Moment::utc(t_us)); }

bool restamp(std::string& body, TimeUs from_us, TimeUs to_us) {
  const std::string from = format_date_time(Moment::utc(from_us)) + "Z";
  const std::string to = format_date_time(Moment::utc(to_us)) + "Z";
  constexpr std::string_view kLine = "\nDTSTAMP:";
  for (std::size_t at = body.find(kLine); at != std::string::npos;
       at = body.find(kLine, at + kLine.size())) {
    const std::size_t value = at + kLine.size();
    if (body.compare(value, from.size(), from) != 0) return false;
    body.replace(value, to.size(), to);
  }
  return true;
}

std::string write(const Calendar& calendar) {
  IcalWriter w;
  w.raw("BEGIN", "VCALENDAR");
  w.raw("VERSION", "2.0");
  w.text("PRODID", calendar.prodid);
  w.raw("CALSCALE", "GREGORIAN");
  for (const Event& e : calendar.events) {
    w.raw("BEGIN", "VEVENT");
    w.text("UID", e.uid);
    if (e.has_stamp) w.utc("DTSTAMP", e.stamp_us);
    w.moment("DTSTART", e.start);
    w.moment("DTEND", e.end);
    if (!e.summary.empty()) w.text("SUMMARY", e.summary);
    if (!e.description.empty()) w.text("DESCRIPTION", e.description);
    if (e.status != EventStatus::kNone) w.raw("STATUS", status_name(e.status));
    w.raw("END", "VEVENT");
  }
  w.raw("END", "VCALENDAR");
  return w.take();
}

}  // namespace intsim::core::ical
