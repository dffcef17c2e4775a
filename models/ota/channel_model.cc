#include "models/ota/channel_model.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/assert.h"
#include "src/core/ical/date.h"
#include "src/core/ical/parser.h"
#include "src/core/ical/writer.h"
#include "src/core/sync/sync_engine.h"

namespace intsim::models::ota {
namespace {
constexpr std::string_view kFlavourNames[] = {"airbnb", "booking_com", "vrbo"};
}  // namespace

std::string_view flavour_name(Flavour flavour) { return kFlavourNames[static_cast<int>(flavour)]; }

bool parse_flavour(std::string_view name, Flavour* out) {
  for (int i = 0; i < 3; ++i) {
    if (kFlavourNames[i] == name) {
      *out = static_cast<Flavour>(i);
      return true;
    }
  }
  return false;
}

core::TimeUs default_import_interval_us(Flavour flavour) {
  switch (flavour) {
    case Flavour::kAirbnb:
      return 30 * core::kUsPerMin;
    case Flavour::kBookingCom:
      return 2 * core::kUsPerHour;
    case Flavour::kVrbo:
      return core::kUsPerHour;
  }
  return core::kUsPerHour;
}

ChannelModel::ChannelModel(ChannelConfig config, sim::Rng rng)
    : config_(std::move(config)),
      rng_(rng),
      import_interval_us_(config_.import_interval_us > 0
                              ? config_.import_interval_us
                              : default_import_interval_us(config_.flavour)) {
  INTSIM_ASSERT(!config_.units.empty());
  INTSIM_ASSERT(config_.nights_min >= 1 && config_.nights_min <= config_.nights_max);
  INTSIM_ASSERT(config_.lead_days_min >= 0 && config_.lead_days_min <= config_.lead_days_max);
  INTSIM_ASSERT(config_.bookings_per_day > 0);
  for (const std::string& u : config_.units) imports_[u];
}

core::TimeUs ChannelModel::draw_arrival_delay_us() {
  const double mean_us = static_cast<double>(core::kUsPerDay) / config_.bookings_per_day;
  // A rate near zero ("no channel guests") draws delays past what an int64 holds, and casting
  // such a double is undefined: a century is as good as never and stays far from the limit.
  constexpr double kDelayMaxUs = 100.0 * 365 * static_cast<double>(core::kUsPerDay);
  const double delay_us = std::min(rng_.exponential(mean_us), kDelayMaxUs);
  return std::max<core::TimeUs>(1, static_cast<core::TimeUs>(delay_us));
}

std::string ChannelModel::new_uid() {
  switch (config_.flavour) {
    case Flavour::kAirbnb:
      return fmt::format("{:012x}-{:08x}@airbnb.com", rng_.next_u64() >> 16, rng_.next_u64() >> 32);
    case Flavour::kBookingCom:
      return fmt::format("{:016x}@booking.com", rng_.next_u64());
    case Flavour::kVrbo: {
      const std::uint64_t hi = rng_.next_u64();
      return core::ical::format_uuid(hi, rng_.next_u64());
    }
  }
  return {};
}

bool ChannelModel::believes_free(std::string_view unit, Night first, Night end) const {
  const auto imp = imports_.find(unit);
  if (imp != imports_.end()) {
    const auto it = imp->second.blocked.lower_bound(first);
    if (it != imp->second.blocked.end() && *it < end) return false;
  }
  for (const SoldStay& s : stays_) {
    if (s.cancelled_at_us < 0 && s.unit == unit && s.first_night < end && first < s.end_night) {
      return false;
    }
  }
  return true;
}

const SoldStay& ChannelModel::sell(std::string unit, Night first, Night end, core::TimeUs now_us) {
  return add_stay(std::move(unit), first, end, now_us);
}

SoldStay& ChannelModel::add_stay(std::string unit, Night first, Night end, core::TimeUs now_us) {
  SoldStay s;
  s.id = fmt::format("{}-{}", name(), next_id_++);
  s.unit = std::move(unit);
  s.first_night = first;
  s.end_night = end;
  s.sold_at_us = now_us;
  s.uids.push_back(new_uid());
  stays_.push_back(std::move(s));
  ++stats_.sold;
  return stays_.back();
}

const SoldStay* ChannelModel::on_guest(core::TimeUs now_us) {
  ++stats_.arrivals;
  const std::string& unit = config_.units[rng_.uniform(config_.units.size())];
  const Night today = static_cast<Night>(now_us / core::kUsPerDay);
  const Night first =
      today + static_cast<Night>(rng_.uniform_range(config_.lead_days_min, config_.lead_days_max));
  const Night end =
      first + static_cast<Night>(rng_.uniform_range(config_.nights_min, config_.nights_max));
  // Both draws happen whatever the outcome, so one guest's luck does not shift the next one's.
  const bool cancels = rng_.bernoulli(config_.cancel_probability);
  const core::TimeUs cancel_after =
      rng_.uniform_range(config_.cancel_after_us_min, config_.cancel_after_us_max);
  if (!believes_free(unit, first, end)) {
    ++stats_.refused;
    return nullptr;
  }
  SoldStay& s = add_stay(unit, first, end, now_us);
  if (cancels) s.cancel_at_us = now_us + cancel_after;
  return &s;
}

void ChannelModel::cancel_due(core::TimeUs now_us) {
  for (SoldStay& s : stays_) {
    if (s.cancelled_at_us < 0 && s.cancel_at_us >= 0 && s.cancel_at_us <= now_us) {
      s.cancelled_at_us = now_us;
      ++stats_.cancelled;
    }
  }
}

core::TimeUs ChannelModel::next_cancellation_us() const {
  core::TimeUs next = -1;
  for (const SoldStay& s : stays_) {
    if (s.cancelled_at_us < 0 && s.cancel_at_us >= 0 && (next < 0 || s.cancel_at_us < next)) {
      next = s.cancel_at_us;
    }
  }
  return next;
}

std::vector<core::ical::Stay> ChannelModel::calendar_of(std::string_view unit,
                                                        core::TimeUs as_of_us) const {
  std::vector<core::ical::Stay> out;
  for (const SoldStay& s : stays_) {
    if (s.unit != unit || !s.active_at(as_of_us)) continue;
    core::ical::Stay c;
    c.uid = s.uids.back();
    c.first_night_days = s.first_night;
    c.end_days = s.end_night;
    c.kind = core::ical::Stay::Kind::kBooked;
    if (config_.flavour == Flavour::kAirbnb) {
      c.description = "Reservation URL: https://www.airbnb.com/hosting/reservations/details/";
      c.description += s.id;
      c.description += "\nPhone Number (Last 4 Digits): ";
      core::ical::append_digits(static_cast<int>(s.sold_at_us % 10000), 4, &c.description);
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first_night_days != b.first_night_days ? a.first_night_days < b.first_night_days
                                                    : a.uid < b.uid;
  });
  return out;
}

std::string ChannelModel::export_body(std::string_view unit, core::TimeUs as_of_us,
                                      core::TimeUs now_us) const {
  std::vector<core::ical::Stay> stays = calendar_of(unit, as_of_us);
  const auto it = written_.find(unit);
  if (it != written_.end() && it->second.stays == stays) {
    WrittenFeed& last = it->second;
    if (last.written_at_us == now_us ||
        core::ical::restamp(last.body, last.written_at_us, now_us)) {
      last.written_at_us = now_us;
      return last.body;
    }
  }
  WrittenFeed& last = written_[std::string(unit)];
  last.body = write_feed(stays, now_us);
  last.stays = std::move(stays);
  last.written_at_us = now_us;
  return last.body;
}

std::string ChannelModel::write_feed(std::span<const core::ical::Stay> stays,
                                     core::TimeUs now_us) const {
  switch (config_.flavour) {
    case Flavour::kAirbnb:
      return core::ical::write_airbnb(stays);
    case Flavour::kBookingCom:
      return core::ical::write_booking_com(stays, now_us, config_.empty_body_when_empty);
    case Flavour::kVrbo:
      return core::ical::write_vrbo(stays, now_us, core::ical::VrboLanguage::kSpanish);
  }
  return {};
}

core::HttpResponse ChannelModel::serve(const core::HttpRequest& request, core::TimeUs now_us) {
  std::string_view target = request.target;
  constexpr std::string_view kPrefix = "/ical/";
  constexpr std::string_view kSuffix = ".ics";
  if (request.method != "GET" || !target.starts_with(kPrefix) || !target.ends_with(kSuffix)) {
    return {404, {}, "not found"};
  }
  const std::string_view unit =
      target.substr(kPrefix.size(), target.size() - kPrefix.size() - kSuffix.size());
  if (!imports_.count(unit)) return {404, {}, "no such listing"};
  ++stats_.exports;
  // Every draw is made on every request, so one fault's probability does not move the others.
  const bool error = rng_.bernoulli(config_.error_probability);
  const bool empty = rng_.bernoulli(config_.empty_probability);
  const bool stale = rng_.bernoulli(config_.stale_probability);
  const core::TimeUs stale_age =
      rng_.uniform_range(1, std::max<core::TimeUs>(1, config_.stale_age_us_max));
  const bool truncate = rng_.bernoulli(config_.truncate_probability);
  const double cut = rng_.next_double();
  const bool churn = rng_.bernoulli(config_.uid_churn_probability);
  if (error) {
    ++stats_.errors;
    return {503, {{"Content-Type", "text/html"}}, "<html>Service Unavailable</html>"};
  }
  if (empty) {
    ++stats_.empties;
    return {200, {{"Content-Type", "text/calendar"}}, ""};
  }
  if (churn) {
    ++stats_.churns;
    reissue_uids(unit);
  }
  core::TimeUs as_of = now_us;
  if (stale) {
    ++stats_.stales;
    as_of = now_us - stale_age;
  }
  std::string body = export_body(unit, as_of, now_us);
  if (truncate) {
    const std::size_t end = body.rfind("END:VCALENDAR");
    if (end != std::string::npos) {
      ++stats_.truncations;
      body.resize(static_cast<std::size_t>(cut * static_cast<double>(end)));
    }
  }
  return {200, {{"Content-Type", "text/calendar; charset=utf-8"}}, std::move(body)};
}

bool ChannelModel::cancel(std::string_view stay_id, core::TimeUs now_us) {
  for (SoldStay& s : stays_) {
    if (s.id == stay_id && s.cancelled_at_us < 0) {
      s.cancelled_at_us = now_us;
      ++stats_.cancelled;
      return true;
    }
  }
  return false;
}

void ChannelModel::reissue_uids(std::string_view unit) {
  for (SoldStay& s : stays_) {
    if (s.unit == unit && s.cancelled_at_us < 0) s.uids.push_back(new_uid());
  }
}

void ChannelModel::heal_feed() {
  config_.error_probability = 0;
  config_.empty_probability = 0;
  config_.stale_probability = 0;
  config_.truncate_probability = 0;
  config_.uid_churn_probability = 0;
}

core::HttpRequest ChannelModel::import_request(std::string_view unit) const {
  return {"GET", fmt::format("/ical/{}.ics", unit), {{"User-Agent", std::string(name())}}, ""};
}

void ChannelModel::on_import_result(std::string_view unit, const core::HttpResult& result,
                                    core::TimeUs now_us) {
  const auto it = imports_.find(unit);
  INTSIM_ASSERT(it != imports_.end());
  ImportState& imp = it->second;
  ++imp.attempts;
  if (!result.has_response() || result.response.status != 200) {
    ++imp.failures;
    return;
  }
  std::string& last_body = imported_bodies_[std::string(unit)];
  if (!last_body.empty() && core::sync::same_feed_content(result.response.body, last_body)) {
    imp.imported_at_us = now_us;  // the same calendar, stamped again: nothing to parse
    return;
  }
  const core::ical::ParseResult p = core::ical::parse(result.response.body);
  if (!p.status.is_ok()) {
    ++imp.failures;  // a channel keeps its previous import when ours is broken
    return;
  }
  std::set<Night> blocked;
  for (const core::ical::Event& e : p.calendar.events) {
    for (Night n = e.first_night_days(); n < e.end_night_days(); ++n) blocked.insert(n);
  }
  imp.blocked = std::move(blocked);
  imp.imported_at_us = now_us;
  last_body = result.response.body;
}

}  // namespace intsim::models::ota
