// The simulated WhatsApp Cloud API (models/whatsapp) on real HTTP with the real clock, for
// `intsim peers`: the same sans-I/O model the simulator drives through
// models/drivers/whatsapp_node, here on Asio (peer_host.h).
//
// It serves POST /<version>/<phone-number-id>/messages on a loopback port as the model does
// (bearer token, 130429 / 131056 / 131026 / 131047, the 24 h window, 500s after or before the
// send) and delivers the model's status webhooks, signed with X-Hub-Signature-256 under the app
// secret, to <core-url><webhooks.path> ("/webhooks/whatsapp") through the model's WebhookQueue:
// random delays that reorder them, duplicates, and Meta's retries with backoff, on the wall
// clock. Like the simulated node, it first verifies the subscription with the GET handshake
// (hub.mode=subscribe, hub.verify_token, hub.challenge), again every handshake_retry_us until
// the core echoes the challenge; webhooks do not wait for it (Meta's do not either).
//
// Single-threaded: everything on the io_context's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/whatsapp/webhook_queue.h"
#include "models/whatsapp/whatsapp_model.h"
#include "src/core/ports.h"
#include "src/core/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::peers {

struct WhatsAppPeerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port (see WhatsAppPeer::port())
  // The core's base URL; webhooks go to core_url + webhooks.path. Empty: none is delivered.
  std::string core_url;
  std::uint64_t seed = 1;  // the model's random streams (statuses, delays, duplicates)
  models::whatsapp::WhatsAppConfig model;
  // app_secret signs the webhooks; verify_token empty: no handshake.
  models::whatsapp::WebhookQueueConfig webhooks;
  core::TimeUs delivery_timeout_us = 20 * core::kUsPerSec;
  core::TimeUs handshake_retry_us = 30 * core::kUsPerSec;
};

struct WhatsAppPeerStats {
  std::uint64_t api_requests = 0;
  std::uint64_t deliveries = 0;           // webhook attempts sent to the core
  std::uint64_t deliveries_accepted = 0;  // answered 2xx
  std::uint64_t handshake_attempts = 0;
  bool handshake_verified = false;
};

class WhatsAppPeer {
 public:
  // `clock` outlives the peer.
  WhatsAppPeer(boost::asio::io_context& io, const core::Clock& clock, WhatsAppPeerOptions options);
  ~WhatsAppPeer();
  WhatsAppPeer(const WhatsAppPeer&) = delete;
  WhatsAppPeer& operator=(const WhatsAppPeer&) = delete;

  // Binds and listens, starts the guests writing in and the handshake.
  core::Status start();
  std::uint16_t port() const;
  void stop();

  const models::whatsapp::WhatsAppModel& model() const;
  const models::whatsapp::WebhookQueue& webhooks() const;
  WhatsAppPeerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace intsim::peers
