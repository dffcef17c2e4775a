#include "src/peers/stripe_peer.h"

#include <algorithm>

#include "sim/rng.h"
#include "src/peers/peer_host.h"

namespace intsim::peers {

namespace stripe = models::stripe;
static_assert(stripe::kNever == kNever);

struct StripePeer::Impl {
  Impl(boost::asio::io_context& io, const core::Clock& clock, StripePeerOptions o)
      : options(std::move(o)),
        model(options.model, sim::Rng(options.seed, "stripe")),
        delivery(options.delivery, sim::Rng(options.seed, "stripe.webhooks")),
        host(io, clock, {options.address, options.port, options.core_url}) {
    host.on_wake([this](core::TimeUs now) {
      model.advance(now);
      settle(now);
    });
    host.on_result([this](std::uint64_t delivery_id, const core::HttpResult& result,
                          core::TimeUs now) { on_delivery_result(delivery_id, result, now); });
    for (const char* method : {"GET", "POST", "DELETE"}) {
      host.route_prefix(method, "/v1/",
                        [this](const core::HttpRequest& request, server::Responder respond) {
                          on_request(request, std::move(respond));
                        });
    }
  }

  void on_request(const core::HttpRequest& request, server::Responder respond) {
    ++stats.api_requests;
    const core::TimeUs now = host.now_us();
    model.advance(now);  // asynchronous changes due before this request happen first
    stripe::ApiResult r = model.call(request, now);
    host.hold(std::move(respond), std::move(r.response), std::max(r.completes_at_us, now),
              std::move(r.request_id));
    settle(now);
  }

  void on_delivery_result(std::uint64_t delivery_id, const core::HttpResult& result,
                          core::TimeUs now) {
    const stripe::DeliveryOutcome outcome = stripe::delivery_outcome(result);
    if (outcome == stripe::DeliveryOutcome::kSuccess) ++stats.deliveries_accepted;
    delivery.on_outcome(delivery_id, outcome, now);
    model.advance(now);
    settle(now);
  }

  // Moves new events into delivery, sends what is due, releases responses, re-arms the wakeup.
  void settle(core::TimeUs now) {
    for (const stripe::Event& ev : model.take_events()) delivery.enqueue(ev, now);
    for (stripe::Delivery& d : delivery.take_due(now)) {
      if (host.has_core()) ++stats.deliveries;
      host.send_to_core(d.delivery_id, std::move(d.request), now + options.delivery_timeout_us);
    }
    // A response waits for an event chosen to overtake it to have been attempted once.
    host.release(now, [this](const std::string& request_id) {
      return delivery.response_may_go(request_id);
    });
    host.wake_at(
        std::min({model.next_wakeup_us(), delivery.next_wakeup_us(), host.next_release_us(now)}),
        now);
  }

  StripePeerOptions options;
  stripe::StripeModel model;
  stripe::WebhookDelivery delivery;
  PeerHost host;
  StripePeerStats stats;
};

StripePeer::StripePeer(boost::asio::io_context& io, const core::Clock& clock,
                       StripePeerOptions options)
    : impl_(std::make_unique<Impl>(io, clock, std::move(options))) {}

StripePeer::~StripePeer() = default;

core::Status StripePeer::start() { return impl_->host.start(); }
std::uint16_t StripePeer::port() const { return impl_->host.port(); }
void StripePeer::stop() { impl_->host.stop(); }

const models::stripe::StripeModel& StripePeer::model() const { return impl_->model; }
StripePeerStats StripePeer::stats() const { return impl_->stats; }

}  // namespace intsim::peers
