// A simulated OTA channel (Airbnb, Booking.com or Vrbo) as a sans-I/O state machine: its own
// guests book what the channel believes is free, it serves its iCal export in its real shape
// (core/ical/flavours.h) with the feed faults of DESIGN.md section 4, and it imports our export
// on its own interval. The driver (models/drivers/ota_node.h) carries time and HTTP.
//
// Belief: what the channel thinks is free on a unit is "not one of its own active stays and not
// a night of our export as last imported". The import lags (Booking.com imports about every two
// hours), so its guests can book nights we sold meanwhile: the race the core must resolve.
//
// Ground truth: every stay it sold, when, whether and when it was cancelled, and every UID it
// was ever exported under (UIDs churn), so an oracle can match the core's view to the truth.
//
// Export faults, each drawn per request: 5xx, an empty body, a stale copy (the calendar as it
// was up to stale_age_us_max ago), a truncated body (cut before END:VCALENDAR), and UID churn
// (every active stay gets a new UID from then on). A cancelled stay simply vanishes.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.h"
#include "src/core/http.h"
#include "src/core/ical/flavours.h"

namespace intsim::models::ota {

using Night = std::int32_t;

enum class Flavour : std::uint8_t { kAirbnb, kBookingCom, kVrbo };
std::string_view flavour_name(Flavour flavour);  // "airbnb", "booking_com", "vrbo"
bool parse_flavour(std::string_view name, Flavour* out);

struct ChannelConfig {
  Flavour flavour = Flavour::kAirbnb;
  std::vector<std::string> units{"u1"};  // one listing per unit, under the unit's id
  double bookings_per_day = 10.0;
  std::int64_t nights_min = 1, nights_max = 5;
  std::int64_t lead_days_min = 0, lead_days_max = 30;
  double cancel_probability = 0.05;
  core::TimeUs cancel_after_us_min = 30 * core::kUsPerMin;
  core::TimeUs cancel_after_us_max = 3 * core::kUsPerHour;
  // How often the channel imports our export of each unit (0: the flavour's default: Airbnb
  // 30 min, Vrbo 1 h, Booking.com 2 h).
  core::TimeUs import_interval_us = 0;
  core::TimeUs import_timeout_us = 30 * core::kUsPerSec;
  // Export faults, per request.
  double error_probability = 0.0;  // answered 503
  double empty_probability = 0.0;  // answered 200 with an empty body
  double stale_probability = 0.0;  // answered a copy up to stale_age_us_max old
  core::TimeUs stale_age_us_max = 30 * core::kUsPerMin;
  double truncate_probability = 0.0;   // the body is cut before END:VCALENDAR
  double uid_churn_probability = 0.0;  // every active stay is exported under a new UID
  // Booking.com's empty calendar as an empty body (its real behaviour).
  bool empty_body_when_empty = true;
};

// The flavour's import interval when the config leaves it 0.
core::TimeUs default_import_interval_us(Flavour flavour);

struct SoldStay {
  std::string id;  // the channel's reservation number
  std::string unit;
  Night first_night = 0;
  Night end_night = 0;
  core::TimeUs sold_at_us = 0;
  core::TimeUs cancel_at_us = -1;     // planned (or done, once cancelled_at_us is set)
  core::TimeUs cancelled_at_us = -1;  // -1 while active
  std::vector<std::string> uids;      // every UID it was exported under, the current one last
  bool active_at(core::TimeUs t_us) const {
    return sold_at_us <= t_us && (cancelled_at_us < 0 || cancelled_at_us > t_us);
  }
};

// What the channel last imported of our export for one unit.
struct ImportState {
  std::set<Night> blocked;
  core::TimeUs imported_at_us = -1;  // the last successful import
  std::uint64_t attempts = 0, failures = 0;
};

struct ChannelStats {
  std::uint64_t arrivals = 0;
  std::uint64_t sold = 0;
  std::uint64_t refused = 0;  // the guest found the dates taken (by the channel's belief)
  std::uint64_t cancelled = 0;
  std::uint64_t exports = 0;
  std::uint64_t errors = 0, empties = 0, stales = 0, truncations = 0, churns = 0;
};

class ChannelModel {
 public:
  ChannelModel(ChannelConfig config, sim::Rng rng);

  std::string_view name() const { return flavour_name(config_.flavour); }
  const ChannelConfig& config() const { return config_; }
  core::TimeUs import_interval_us() const { return import_interval_us_; }

  // The delay to the next guest (exponential with the configured rate).
  core::TimeUs draw_arrival_delay_us();
  // A guest arrives: picks a unit and dates and books them if the channel believes them free.
  // Returns the stay sold (valid until the next sale), or nullptr.
  const SoldStay* on_guest(core::TimeUs now_us);
  // Cancels every stay whose planned cancellation is due.
  void cancel_due(core::TimeUs now_us);
  // The earliest planned cancellation of an active stay (-1: none).
  core::TimeUs next_cancellation_us() const;

  // GET /ical/<unit>.ics on the channel (faults included).
  core::HttpResponse serve(const core::HttpRequest& request, core::TimeUs now_us);
  // The export of a unit as of as_of_us, without faults (for tests and oracles).
  std::string export_body(std::string_view unit, core::TimeUs as_of_us, core::TimeUs now_us) const;

  // The import of our export for `unit` (the request to send to the core).
  core::HttpRequest import_request(std::string_view unit) const;
  void on_import_result(std::string_view unit, const core::HttpResult& result, core::TimeUs now_us);

  // Ground truth and belief.
  const std::vector<SoldStay>& stays() const { return stays_; }
  const std::map<std::string, ImportState, std::less<>>& imports() const { return imports_; }
  bool believes_free(std::string_view unit, Night first, Night end) const;
  const ChannelStats& stats() const { return stats_; }

  // A guest cancels the stay now (it vanishes from the export). False if not active.
  bool cancel(std::string_view stay_id, core::TimeUs now_us);
  // Every active stay on the unit is exported under a new UID from now on.
  void reissue_uids(std::string_view unit);
  // The liveness phase: the feed serves fresh, complete calendars from now on.
  void heal_feed();

  // Test hook: sell exactly this stay (no belief check); returns it.
  const SoldStay& sell(std::string unit, Night first, Night end, core::TimeUs now_us);

 private:
  SoldStay& add_stay(std::string unit, Night first, Night end, core::TimeUs now_us);
  std::string new_uid();
  std::vector<core::ical::Stay> calendar_of(std::string_view unit, core::TimeUs as_of_us) const;
  std::string write_feed(std::span<const core::ical::Stay> stays, core::TimeUs now_us) const;

  // The last feed written per unit and what it was written from. The core polls every feed
  // every few minutes and a calendar rarely changes in between, so the body is reused, its
  // export stamps rewritten (core::ical::restamp). Only a cache: answers are byte for byte a
  // fresh write's.
  struct WrittenFeed {
    std::vector<core::ical::Stay> stays;
    core::TimeUs written_at_us = 0;
    std::string body;
  };
  mutable std::map<std::string, WrittenFeed, std::less<>> written_;
  // The last body of our export each unit's import parsed: a body equal to it but for its
  // DTSTAMPs (the core restamps an unchanged export) needs no parse. Only a cache.
  std::map<std::string, std::string, std::less<>> imported_bodies_;

  ChannelConfig config_;
  sim::Rng rng_;
  core::TimeUs import_interval_us_;
  std::vector<SoldStay> stays_;
  std::map<std::string, ImportState, std::less<>> imports_;
  std::uint64_t next_id_ = 1;
  ChannelStats stats_;
};

}  // namespace intsim::models::ota
