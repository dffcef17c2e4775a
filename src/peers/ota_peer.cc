#include "src/peers/ota_peer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "sim/rng.h"
#include "src/peers/peer_host.h"
#include "src/server/router.h"

namespace intsim::peers {

namespace ota = models::ota;

namespace {

// Guests faster than one a microsecond would be no guests at all: the model's mean delay
// (a day over the rate) truncates to nothing.
constexpr double kBookingsPerDayMax = 86'400'000;

// One channel's model and the moments the driver owes it (ota_node.cc keeps them as timers).
struct Channel {
  // The model refuses (asserts on) a channel without units or guests: `guests` false gives it
  // a rate it never uses.
  Channel(ota::ChannelConfig config, std::uint64_t seed)
      : name(ota::flavour_name(config.flavour)),
        guests(config.bookings_per_day > 0),
        model(with_some_rate(std::move(config)), sim::Rng(seed, "ota." + name)),
        next_import_us(model.config().units.size(), kNever) {}

  static ota::ChannelConfig with_some_rate(ota::ChannelConfig c) {
    if (c.bookings_per_day <= 0) c.bookings_per_day = 1;
    return c;
  }

  std::string name;
  bool guests;
  ota::ChannelModel model;
  core::TimeUs next_arrival_us = kNever;
  std::vector<core::TimeUs> next_import_us;  // by unit index
};

// What the model would assert on, as an error naming the channel.
core::Status check_channel(const ota::ChannelConfig& c) {
  const auto fail = [&](std::string_view what) {
    return core::Status::invalid_argument(
        fmt::format("OTA peer: channel '{}': {}", ota::flavour_name(c.flavour), what));
  };
  if (c.units.empty()) return fail("no units");
  if (!(c.bookings_per_day >= 0 && c.bookings_per_day <= kBookingsPerDayMax)) {
    return fail(fmt::format("bookings per day must be from 0 to {}", kBookingsPerDayMax));
  }
  if (c.nights_min < 1 || c.nights_min > c.nights_max) {
    return fail("nights must be 1 <= min <= max");
  }
  if (c.lead_days_min < 0 || c.lead_days_min > c.lead_days_max) {
    return fail("lead days must be 0 <= min <= max");
  }
  if (c.import_interval_us < 0 || c.import_timeout_us <= 0) {
    return fail("the import interval and timeout must be positive");
  }
  return core::Status::ok();
}

}  // namespace

struct OtaPeer::Impl {
  struct Import {
    std::size_t channel = 0;
    std::string unit;
  };

  Impl(boost::asio::io_context& io, const core::Clock& clock, OtaPeerOptions o)
      : options(std::move(o)), host(io, clock, {options.address, options.port, options.core_url}) {
    host.on_wake([this](core::TimeUs now) { settle(now); });
    host.on_result([this](std::uint64_t tag, const core::HttpResult& result, core::TimeUs now) {
      const auto it = imports.find(tag);
      if (it == imports.end()) return;
      if (result.has_response() && result.response.status == 200) ++stats.imports_ok;
      channels[it->second.channel].model.on_import_result(it->second.unit, result, now);
      imports.erase(it);
    });
    host.route_prefix("GET", "/",
                      [this](const core::HttpRequest& request, server::Responder respond) {
                        respond(serve(request));
                      });
  }

  // Checks the options and makes the models.
  core::Status make_channels() {
    if (options.channels.empty()) return core::Status::invalid_argument("OTA peer: no channel");
    std::set<std::string_view> names;
    for (const ota::ChannelConfig& c : options.channels) {
      if (!names.insert(ota::flavour_name(c.flavour)).second) {
        return core::Status::invalid_argument(
            fmt::format("OTA peer: channel '{}' configured twice", ota::flavour_name(c.flavour)));
      }
      if (core::Status st = check_channel(c); !st.is_ok()) return st;
    }
    for (const ota::ChannelConfig& c : options.channels) channels.emplace_back(c, options.seed);
    return core::Status::ok();
  }

  // GET /<channel>/ical/<unit>.ics: the channel's model answers /ical/<unit>.ics.
  core::HttpResponse serve(const core::HttpRequest& request) {
    ++stats.feed_requests;
    const core::TimeUs now = host.now_us();
    settle(now);  // guests and cancellations due before this request happen first
    const std::string_view path = server::target_path(request.target);
    const std::size_t slash = path.find('/', 1);
    if (slash == std::string_view::npos) return server::text_response(404, "no such channel");
    const std::string_view name = path.substr(1, slash - 1);
    for (Channel& ch : channels) {
      if (ch.name != name) continue;
      core::HttpRequest inner = request;
      inner.target = std::string(path.substr(slash));
      return ch.model.serve(inner, now);
    }
    return server::text_response(404, "no such channel");
  }

  void start(core::TimeUs now) {
    for (Channel& ch : channels) {
      if (ch.guests) ch.next_arrival_us = now + ch.model.draw_arrival_delay_us();
      const auto n = static_cast<core::TimeUs>(ch.next_import_us.size());
      for (core::TimeUs i = 0; i < n; ++i) {
        ch.next_import_us[static_cast<std::size_t>(i)] =
            now + ch.model.import_interval_us() * (i + 1) / n;
      }
    }
    settle(now);
  }

  void settle(core::TimeUs now) {
    core::TimeUs next = kNever;
    for (std::size_t c = 0; c < channels.size(); ++c) {
      Channel& ch = channels[c];
      // A wakeup that came late (a busy loop) books one guest, not the ones it missed.
      if (ch.next_arrival_us <= now) {
        ch.model.on_guest(now);
        ch.next_arrival_us = now + ch.model.draw_arrival_delay_us();
      }
      const core::TimeUs cancel_at = ch.model.next_cancellation_us();
      if (cancel_at >= 0 && cancel_at <= now) ch.model.cancel_due(now);
      next = std::min(next, ch.next_arrival_us);
      if (const core::TimeUs t = ch.model.next_cancellation_us(); t >= 0) next = std::min(next, t);
      if (!host.has_core()) continue;
      for (std::size_t u = 0; u < ch.next_import_us.size(); ++u) {
        if (ch.next_import_us[u] <= now) {
          const std::string& unit = ch.model.config().units[u];
          const std::uint64_t tag = next_tag++;
          imports.emplace(tag, Import{c, unit});
          ++stats.imports;
          host.send_to_core(tag, ch.model.import_request(unit),
                            now + ch.model.config().import_timeout_us);
          ch.next_import_us[u] = now + ch.model.import_interval_us();
        }
        next = std::min(next, ch.next_import_us[u]);
      }
    }
    host.wake_at(next, now);
  }

  OtaPeerOptions options;
  std::vector<Channel> channels;
  PeerHost host;
  std::map<std::uint64_t, Import> imports;  // in flight, by tag
  std::uint64_t next_tag = 1;
  OtaPeerStats stats;
};

OtaPeer::OtaPeer(boost::asio::io_context& io, const core::Clock& clock, OtaPeerOptions options)
    : impl_(std::make_unique<Impl>(io, clock, std::move(options))) {}

OtaPeer::~OtaPeer() = default;

core::Status OtaPeer::start() {
  Impl& m = *impl_;
  if (core::Status st = m.make_channels(); !st.is_ok()) return st;
  if (core::Status st = m.host.start(); !st.is_ok()) return st;
  m.start(m.host.now_us());
  return core::Status::ok();
}

std::uint16_t OtaPeer::port() const { return impl_->host.port(); }
void OtaPeer::stop() { impl_->host.stop(); }

const models::ota::ChannelModel* OtaPeer::channel(std::string_view name) const {
  for (const Channel& ch : impl_->channels) {
    if (ch.name == name) return &ch.model;
  }
  return nullptr;
}

OtaPeerStats OtaPeer::stats() const { return impl_->stats; }

}  // namespace intsim::peers
