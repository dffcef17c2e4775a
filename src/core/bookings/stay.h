// A stay: one booking of one unit for a run of nights, from any source.
//
// Nights are days since the Unix epoch (the date the night starts on), as in core/ical/date.h;
// a stay covers [first_night, end_night), so a one-night stay has end_night = first_night + 1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core::bookings {

using Night = std::int32_t;

// Where a stay was sold. Direct stays are ours to hold, confirm and cancel; channel stays are
// facts that arrive through a feed and can only be observed (and relocated on our side).
enum class Source : std::uint8_t { kDirect, kAirbnb, kBookingCom, kVrbo };

enum class StayState : std::uint8_t {
  kHeld,       // direct only: nights reserved while payment is pending, until hold_expires_at_us
  kConfirmed,  // paid (direct) or seen in a channel's feed
  kCancelled,  // cancelled by the guest, by us after a conflict, or vanished from a feed
  kReleased,   // direct only: a hold that ended without payment (failed or expired)
};

std::string_view source_name(Source source);
std::string_view state_name(StayState state);
bool parse_source(std::string_view name, Source* out);

inline bool is_active(StayState s) { return s == StayState::kHeld || s == StayState::kConfirmed; }

struct Stay {
  std::string id;    // ours: "st_..." for direct, "<channel>:<uid>" for channel stays
  std::string unit;  // the unit it occupies now (a relocation changes it)
  Night first_night = 0;
  Night end_night = 0;  // exclusive
  Source source = Source::kDirect;
  StayState state = StayState::kHeld;
  TimeUs created_at_us = 0;  // when it was sold (direct) or first seen (channel): conflict order
  TimeUs hold_expires_at_us = 0;  // kHeld only
  std::string guest;              // a guest id; who to notify
  std::string external_uid;       // the channel's UID as last seen (UIDs churn)

  Night nights() const { return end_night - first_night; }
  bool operator==(const Stay&) const = default;
};

// Row encoding for the store (JSON with a fixed field order).
std::string encode_stay(const Stay& stay);
Status decode_stay(std::string_view row, Stay* out);

}  // namespace intsim::core::bookings
