#include "src/peers/whatsapp_peer.h"

#include <algorithm>

#include "sim/rng.h"
#include "src/peers/peer_host.h"

namespace intsim::peers {

namespace whatsapp = models::whatsapp;
static_assert(whatsapp::kNever == kNever);

namespace {
// The tag of the handshake's request; webhook attempts are tagged with their ids, from 1.
constexpr std::uint64_t kHandshakeTag = 0;
}  // namespace

struct WhatsAppPeer::Impl {
  Impl(boost::asio::io_context& io, const core::Clock& c, WhatsAppPeerOptions o)
      : options(std::move(o)),
        model(options.model, sim::Rng(options.seed, "whatsapp")),
        queue(options.webhooks, sim::Rng(options.seed, "whatsapp.webhooks")),
        challenges(options.seed, "whatsapp.handshake"),
        host(io, c, {options.address, options.port, options.core_url}) {
    host.on_wake([this](core::TimeUs now) { settle(now); });
    host.on_result([this](std::uint64_t tag, const core::HttpResult& result, core::TimeUs now) {
      on_result(tag, result, now);
    });
    // Every path: the model answers the Graph API's 404 for anything but a send.
    for (const char* method : {"GET", "POST", "DELETE"}) {
      host.route_prefix(method, "/",
                        [this](const core::HttpRequest& request, server::Responder respond) {
                          ++stats.api_requests;
                          const core::TimeUs now = host.now_us();
                          respond(model.handle(request, now));
                          settle(now);
                        });
    }
    stats.handshake_verified = options.webhooks.verify_token.empty();
  }

  void on_result(std::uint64_t tag, const core::HttpResult& result, core::TimeUs now) {
    if (tag == kHandshakeTag) {
      handshake_in_flight = false;
      stats.handshake_verified = result.has_response() && result.response.status == 200 &&
                                 result.response.body == challenge;
      if (!stats.handshake_verified) handshake_next_us = now + options.handshake_retry_us;
      settle(now);
      return;
    }
    const bool ok =
        result.has_response() && result.response.status >= 200 && result.response.status <= 299;
    if (ok) ++stats.deliveries_accepted;
    queue.on_outcome(tag, ok, now);
    settle(now);
  }

  void settle(core::TimeUs now) {
    const bool handshake_due = !stats.handshake_verified && !handshake_in_flight &&
                               host.has_core() && now >= handshake_next_us;
    if (handshake_due) {
      ++stats.handshake_attempts;
      handshake_in_flight = true;
      challenge = std::to_string(challenges.next_u64());
      core::HttpRequest r;
      r.method = "GET";
      r.target = options.webhooks.path +
                 "?hub.mode=subscribe&hub.verify_token=" + options.webhooks.verify_token +
                 "&hub.challenge=" + challenge;
      host.send_to_core(kHandshakeTag, std::move(r), now + options.delivery_timeout_us);
    }
    model.advance(now);
    for (std::string& body : model.take_webhooks()) queue.enqueue(std::move(body), now);
    for (whatsapp::WebhookAttempt& a : queue.take_due(now)) {
      if (host.has_core()) ++stats.deliveries;
      host.send_to_core(a.id, std::move(a.request), now + options.delivery_timeout_us);
    }
    core::TimeUs next = std::min(model.next_wakeup_us(), queue.next_wakeup_us());
    if (!stats.handshake_verified && !handshake_in_flight && host.has_core()) {
      next = std::min(next, handshake_next_us);
    }
    host.wake_at(next, now);
  }

  WhatsAppPeerOptions options;
  whatsapp::WhatsAppModel model;
  whatsapp::WebhookQueue queue;
  sim::Rng challenges;
  PeerHost host;
  WhatsAppPeerStats stats;
  bool handshake_in_flight = false;
  core::TimeUs handshake_next_us = 0;
  std::string challenge;
};

WhatsAppPeer::WhatsAppPeer(boost::asio::io_context& io, const core::Clock& clock,
                           WhatsAppPeerOptions options)
    : impl_(std::make_unique<Impl>(io, clock, std::move(options))) {}

WhatsAppPeer::~WhatsAppPeer() = default;

core::Status WhatsAppPeer::start() {
  Impl& m = *impl_;
  if (core::Status st = m.host.start(); !st.is_ok()) return st;
  const core::TimeUs now = m.host.now_us();
  m.model.start(now);
  m.settle(now);
  return core::Status::ok();
}

std::uint16_t WhatsAppPeer::port() const { return impl_->host.port(); }
void WhatsAppPeer::stop() { impl_->host.stop(); }

const models::whatsapp::WhatsAppModel& WhatsAppPeer::model() const { return impl_->model; }
const models::whatsapp::WebhookQueue& WhatsAppPeer::webhooks() const { return impl_->queue; }
WhatsAppPeerStats WhatsAppPeer::stats() const { return impl_->stats; }

}  // namespace intsim::peers
