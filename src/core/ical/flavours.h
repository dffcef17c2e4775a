// The shapes in which each channel exports a calendar (DESIGN.md section 4), for the OTA
// models to serve and for our own per-unit availability export. The OTA sync reads them all
// with parse(); these writers exist so that the simulated peers send what the real ones do.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/time.h"

namespace intsim::core::ical {

// One run of nights on a calendar: [first_night_days, end_days), end_days the checkout day.
struct Stay {
  enum class Kind : std::uint8_t {
    kBooked,     // a guest's reservation
    kBlocked,    // the host closed the nights
    kTentative,  // held, not confirmed (Vrbo shows these)
  };
  std::string uid;
  std::int32_t first_night_days = 0;
  std::int32_t end_days = 0;  // > first_night_days (INTSIM_ASSERT)
  Kind kind = Kind::kBooked;
  // Airbnb bookings carry a DESCRIPTION ("Reservation URL: ...\nPhone Number (Last 4
  // Digits): 1234"), long enough to be folded; other channels ignore it.
  std::string description;
  friend bool operator==(const Stay&, const Stay&) = default;
};

// Airbnb: PRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN, DTEND
// before DTSTART, no DTSTAMP, no STATUS; "Reserved" (with DESCRIPTION) for bookings,
// "Airbnb (Not available)" for everything else.
std::string write_airbnb(std::span<const Stay> stays);

// Booking.com: every closed night is "CLOSED - Not available", stamped with the export time.
// With no stays and `empty_body_when_empty`, the body is empty, as Booking.com sometimes
// answers.
std::string write_booking_com(std::span<const Stay> stays, TimeUs exported_us,
                              bool empty_body_when_empty);

// Vrbo / HomeAway: PRODID:-//HomeAway.com, Inc.//EN (comma unescaped, as sent), UUID UIDs
// (see format_uuid), DTSTAMP = export time, summaries in the owner's language.
enum class VrboLanguage : std::uint8_t { kEnglish, kSpanish, kFrench, kGerman };
std::string write_vrbo(std::span<const Stay> stays, TimeUs exported_us, VrboLanguage language);
// The summary Vrbo writes for a kind in a language ("Reserved", "Bloqueado", ...).
std::string_view vrbo_summary(Stay::Kind kind, VrboLanguage language);

// Our per-unit availability export: PRODID -//intsim//availability//EN, one all-day VEVENT per
// unavailable run, "Not available" whatever the reason (channels need no guest data). An empty
// uid becomes "<unit_id>-<YYYYMMDD of the first night>@intsim", stable across exports while
// the run starts on the same night.
inline constexpr std::string_view kAvailabilityProdid = "-//intsim//availability//EN";
std::string write_availability(std::string_view unit_id, std::span<const Stay> stays,
                               TimeUs exported_us);
// The runs of consecutive nights in `nights` (any order, duplicates allowed), as kBlocked stays
// with empty uids, in date order: what write_availability takes from a unit's ledger.
std::vector<Stay> stays_from_nights(std::span<const std::int32_t> nights);

// A version 4 UUID from 128 random bits (the version and variant bits are overwritten), for
// models that draw Vrbo UIDs from their sim::Rng stream.
std::string format_uuid(std::uint64_t hi, std::uint64_t lo);

}  // namespace intsim::core::ical
