// The simulated OTA channels (models/ota: Airbnb, Booking.com, Vrbo) on real HTTP with the real
// clock, for `intsim peers`: the same sans-I/O channel models the simulator drives through
// models/drivers/ota_node, here on Asio (peer_host.h), several on one port.
//
// Each channel, named by its flavour ("airbnb", "booking_com", "vrbo"), serves its iCal export of
// every unit at GET /<channel>/ical/<unit>.ics in the channel's real shape, with the feed faults
// its model is configured with (503, empty body, stale copy, truncation, UID churn); its own
// guests book what it believes free at bookings_per_day and cancel some of it; and it imports
// the core's export of each unit (GET <core-url>/ical/<unit>.ics) every import interval, which
// is what it believes taken from then on. So the core's channel sync (config "peers" base URL
// http://<address>:<port>/<channel>) sees the stays a real channel would sell, races included.
//
// The models serve no ETag, so conditional requests are always answered in full.
//
// Single-threaded: everything on the io_context's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/ota/channel_model.h"
#include "src/core/ports.h"
#include "src/core/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::peers {

struct OtaPeerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port (see OtaPeer::port())
  // The core's base URL, whose /ical/<unit>.ics the channels import. Empty: no imports.
  std::string core_url;
  std::uint64_t seed = 1;  // each channel's random stream is split from it by name
  // At most one channel per flavour (the flavour names the channel), each with its units;
  // bookings_per_day 0: no guests of its own.
  std::vector<models::ota::ChannelConfig> channels;
};

struct OtaPeerStats {
  std::uint64_t feed_requests = 0;
  std::uint64_t imports = 0;     // import requests sent to the core
  std::uint64_t imports_ok = 0;  // answered 200
};

class OtaPeer {
 public:
  // `clock` outlives the peer.
  OtaPeer(boost::asio::io_context& io, const core::Clock& clock, OtaPeerOptions options);
  ~OtaPeer();
  OtaPeer(const OtaPeer&) = delete;
  OtaPeer& operator=(const OtaPeer&) = delete;

  // Checks the channels (errors name the channel and what its model cannot run), binds and
  // listens, starts the guests and the imports (each channel's units spread over one interval).
  core::Status start();
  std::uint16_t port() const;
  void stop();

  // The channel named `name`, or nullptr.
  const models::ota::ChannelModel* channel(std::string_view name) const;
  OtaPeerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace intsim::peers
