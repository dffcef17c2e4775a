#include "src/core/ical/flavours.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/assert.h"
#include "src/core/ical/calendar.h"
#include "src/core/ical/date.h"
#include "src/core/ical/writer.h"

namespace intsim::core::ical {
namespace {

void check(const Stay& s) {
  INTSIM_ASSERT_MSG(s.first_night_days < s.end_days, "a stay needs at least one night");
  INTSIM_ASSERT(s.first_night_days >= kDaysMin && s.end_days <= kDaysMax);
}

void dates(IcalWriter& w, const Stay& s) {
  w.moment("DTSTART", Moment::date(s.first_night_days));
  w.moment("DTEND", Moment::date(s.end_days));
}

}  // namespace

std::string write_airbnb(std::span<const Stay> stays) {
  IcalWriter w;
  w.raw("BEGIN", "VCALENDAR");
  w.raw("PRODID;X-RICAL-TZSOURCE=TZINFO", "-//Airbnb Inc//Hosting Calendar 0.8.8//EN");
  w.raw("CALSCALE", "GREGORIAN");
  w.raw("VERSION", "2.0");
  for (const Stay& s : stays) {
    check(s);
    w.raw("BEGIN", "VEVENT");
    w.moment("DTEND", Moment::date(s.end_days));  // Airbnb's order: DTEND first
    w.moment("DTSTART", Moment::date(s.first_night_days));
    w.text("UID", s.uid);
    const bool booked = s.kind == Stay::Kind::kBooked;
    if (booked && !s.description.empty()) w.text("DESCRIPTION", s.description);
    w.text("SUMMARY", booked ? "Reserved" : "Airbnb (Not available)");
    w.raw("END", "VEVENT");
  }
  w.raw("END", "VCALENDAR");
  return w.take();
}

std::string write_booking_com(std::span<const Stay> stays, TimeUs exported_us,
                              bool empty_body_when_empty) {
  if (stays.empty() && empty_body_when_empty) return {};
  IcalWriter w;
  w.raw("BEGIN", "VCALENDAR");
  w.raw("VERSION", "2.0");
  w.raw("PRODID", "-//admin.booking.com//EN");
  w.raw("CALSCALE", "GREGORIAN");
  for (const Stay& s : stays) {
    check(s);
    w.raw("BEGIN", "VEVENT");
    w.utc("DTSTAMP", exported_us);
    dates(w, s);
    w.text("UID", s.uid);
    w.text("SUMMARY", "CLOSED - Not available");
    w.raw("END", "VEVENT");
  }
  w.raw("END", "VCALENDAR");
  return w.take();
}

std::string_view vrbo_summary(Stay::Kind kind, VrboLanguage language) {
  static constexpr std::string_view kSummaries[4][3] = {
      {"Reserved", "Blocked", "Tentative"},
      {"Reservado", "Bloqueado", "Provisional"},
      {"R\xC3\xA9serv\xC3\xA9", "Bloqu\xC3\xA9", "Provisoire"},
      {"Reserviert", "Blockiert", "Vorl\xC3\xA4ufig"},
  };
  return kSummaries[static_cast<int>(language)][static_cast<int>(kind)];
}

std::string write_vrbo(std::span<const Stay> stays, TimeUs exported_us, VrboLanguage language) {
  IcalWriter w;
  w.raw("BEGIN", "VCALENDAR");
  w.raw("PRODID", "-//HomeAway.com, Inc.//EN");
  w.raw("VERSION", "2.0");
  w.raw("METHOD", "PUBLISH");
  for (const Stay& s : stays) {
    check(s);
    w.raw("BEGIN", "VEVENT");
    w.text("UID", s.uid);
    w.utc("DTSTAMP", exported_us);
    dates(w, s);
    w.text("SUMMARY", vrbo_summary(s.kind, language));
    w.raw("END", "VEVENT");
  }
  w.raw("END", "VCALENDAR");
  return w.take();
}

std::string write_availability(std::string_view unit_id, std::span<const Stay> stays,
                               TimeUs exported_us) {
  IcalWriter w;
  w.raw("BEGIN", "VCALENDAR");
  w.raw("VERSION", "2.0");
  w.text("PRODID", kAvailabilityProdid);
  w.raw("CALSCALE", "GREGORIAN");
  w.text("X-WR-CALNAME", fmt::format("intsim {}", unit_id));
  for (const Stay& s : stays) {
    check(s);
    w.raw("BEGIN", "VEVENT");
    w.text("UID", s.uid.empty()
                      ? fmt::format("{}-{}@intsim", unit_id, format_yyyymmdd(s.first_night_days))
                      : s.uid);
    w.utc("DTSTAMP", exported_us);
    dates(w, s);
    w.text("SUMMARY", "Not available");
    w.raw("END", "VEVENT");
  }
  w.raw("END", "VCALENDAR");
  return w.take();
}

std::vector<Stay> stays_from_nights(std::span<const std::int32_t> nights) {
  std::vector<std::int32_t> sorted(nights.begin(), nights.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Stay> out;
  for (std::int32_t night : sorted) {
    INTSIM_ASSERT(night >= kDaysMin && night < kDaysMax);
    if (!out.empty() && night < out.back().end_days) continue;  // a duplicate
    if (!out.empty() && night == out.back().end_days) {
      out.back().end_days = night + 1;
      continue;
    }
    Stay s;
    s.first_night_days = night;
    s.end_days = night + 1;
    s.kind = Stay::Kind::kBlocked;
    out.push_back(std::move(s));
  }
  return out;
}

std::string format_uuid(std::uint64_t hi, std::uint64_t lo) {
  hi = (hi & ~std::uint64_t{0xF000}) | 0x4000;                         // version 4
  lo = (lo & ~(std::uint64_t{0xC} << 60)) | (std::uint64_t{8} << 60);  // variant 10xx
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

}  // namespace intsim::core::ical
