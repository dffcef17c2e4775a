// The simulated Stripe (models/stripe) on real HTTP with the real clock, for `intsim peers`:
// the same sans-I/O model the simulator drives through models/drivers/stripe_node, here driven
// by Asio. It serves the API on a loopback port and delivers the model's signed events to the
// core's webhook URL with Stripe's retry schedule, duplicates, reordering and events that
// overtake the response that caused them; so `intsim serve`, or a user's own service in any
// language, can be exercised against a realistic, misbehaving Stripe.
//
// What the simulator drives from virtual time happens here on the wall clock: a response is
// held until the model says the request completes (and until an event chosen to overtake it
// was attempted once); the model is woken at its next_wakeup_us() with a steady timer.
//
// Single-threaded: everything on the io_context's thread. The listening, holding, waking and
// sending are peer_host.h's, shared with the WhatsApp and OTA peers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/stripe/stripe_model.h"
#include "models/stripe/webhook_delivery.h"
#include "src/core/ports.h"
#include "src/core/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::peers {

struct StripePeerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port (see StripePeer::port())
  // Where events go: the core's base URL ("http://127.0.0.1:8080"); the delivery's path
  // (delivery.path, "/webhooks/stripe") is appended. Empty: events are created, not delivered.
  std::string core_url;
  std::uint64_t seed = 1;  // the model's random streams (card outcomes, delivery faults)
  models::stripe::StripeConfig model;
  models::stripe::WebhookDeliveryConfig delivery;
  // How long a delivery waits for the core's answer before it counts as a timeout.
  core::TimeUs delivery_timeout_us = 20 * core::kUsPerSec;
};

struct StripePeerStats {
  std::uint64_t api_requests = 0;
  std::uint64_t deliveries = 0;           // attempts sent to the core
  std::uint64_t deliveries_accepted = 0;  // answered 2xx
};

class StripePeer {
 public:
  // `clock` outlives the peer.
  StripePeer(boost::asio::io_context& io, const core::Clock& clock, StripePeerOptions options);
  ~StripePeer();
  StripePeer(const StripePeer&) = delete;
  StripePeer& operator=(const StripePeer&) = delete;

  // Binds and listens; errors name the address, the port or the core URL.
  core::Status start();
  std::uint16_t port() const;
  // Stops listening and waking the model; deliveries in flight are abandoned.
  void stop();

  const models::stripe::StripeModel& model() const;
  StripePeerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace intsim::peers
