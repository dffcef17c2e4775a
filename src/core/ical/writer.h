// Writes a Calendar as RFC 5545 text: CRLF line ends, lines folded at 75 octets without
// splitting a UTF-8 sequence, TEXT escapes. parse(write(c)).calendar == c for every calendar
// the parser can produce and every calendar built in code whose TZIDs hold no '"' and whose
// lines stay under ParseLimits::line_octets_max once escaped.
//
// The channels' own shapes (Airbnb, Booking.com, Vrbo, our availability export) are in
// flavours.h; they share the helpers below.
#pragma once

#include <string>
#include <string_view>

#include "src/core/ical/calendar.h"

namespace intsim::core::ical {

std::string write(const Calendar& calendar);

// Builders for one content line each, appended folded and CRLF-terminated.
class IcalWriter {
 public:
  // NAME:VALUE with the value written as is (no escapes): BEGIN, END, VERSION, raw PRODIDs.
  void raw(std::string_view name, std::string_view value);
  // NAME:VALUE with TEXT escapes: UID, SUMMARY, DESCRIPTION, PRODID.
  void text(std::string_view name, std::string_view value);
  // DTSTART / DTEND: ";VALUE=DATE:YYYYMMDD", ":YYYYMMDDTHHMMSSZ" or ";TZID=...:YYYYMMDDTHHMMSS".
  void moment(std::string_view name, const Moment& m);
  // DTSTAMP and other UTC-only instants.
  void utc(std::string_view name, TimeUs t_us);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string line_;
  std::string out_;
};

// "YYYYMMDDTHHMMSS" (no zone suffix) of a moment's date and wall clock.
std::string format_date_time(const Moment& m);

// `body`, written at from_us, as if written at to_us: the value of every line starting
// "DTSTAMP:" (a UTC stamp, never folded) replaced. Lets a server that exports the same calendar
// again and again rewrite the stamps of its last body instead of writing it anew. False when a
// DTSTAMP line does not hold from_us's stamp, leaving the body partly changed: write it anew.
bool restamp(std::string& body, TimeUs from_us, TimeUs to_us);

}  // namespace intsim::core::ical
