#include "src/peers/stripe_peer.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>

#include "sim/rng.h"
#include "src/server/http_client.h"
#include "src/server/http_server.h"

namespace intsim::peers {

namespace stripe = models::stripe;

struct StripePeer::Impl final : core::HttpResultSink, std::enable_shared_from_this<Impl> {
  struct Held {
    server::Responder respond;
    core::HttpResponse response;
    std::string request_id;
    core::TimeUs not_before_us = 0;
  };

  Impl(boost::asio::io_context& io_context, const core::Clock& c, StripePeerOptions o)
      : io(io_context),
        clock(c),
        options(std::move(o)),
        model(options.model, sim::Rng(options.seed, "stripe")),
        delivery(options.delivery, sim::Rng(options.seed, "stripe.webhooks")),
        client(io_context, c, client_options(options)),
        wake(io_context) {}

  static server::HttpClientOptions client_options(const StripePeerOptions& o) {
    server::HttpClientOptions c;
    if (!o.core_url.empty()) c.base_urls["core"] = o.core_url;
    return c;
  }

  // The model's clock never goes backwards, even if the wall clock steps back.
  core::TimeUs now_us() {
    model_now_us = std::max(model_now_us, clock.now_us());
    return model_now_us;
  }

  void on_request(const core::HttpRequest& request, server::Responder respond) {
    if (stopped) return;
    ++stats.api_requests;
    const core::TimeUs now = now_us();
    model.advance(now);  // asynchronous changes due before this request happen first
    stripe::ApiResult r = model.call(request, now);
    held.emplace(next_held++, Held{std::move(respond), std::move(r.response),
                                   std::move(r.request_id), std::max(r.completes_at_us, now)});
    settle(now);
  }

  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs) override {
    const auto it = in_flight.find(id);
    if (it == in_flight.end() || stopped) return;
    const std::uint64_t delivery_id = it->second;
    in_flight.erase(it);
    stripe::DeliveryOutcome outcome = stripe::DeliveryOutcome::kFailure;
    switch (result.error) {
      case core::HttpError::kNone:
        if (result.response.status >= 200 && result.response.status < 300) {
          outcome = stripe::DeliveryOutcome::kSuccess;
          ++stats.deliveries_accepted;
        }
        break;
      case core::HttpError::kTimeout:
      case core::HttpError::kMalformedResponse:
        outcome = stripe::DeliveryOutcome::kTimeout;
        break;
      case core::HttpError::kConnectionFailed:
        outcome = stripe::DeliveryOutcome::kConnectionFailed;
        break;
    }
    const core::TimeUs now = now_us();
    delivery.on_outcome(delivery_id, outcome, now);
    model.advance(now);
    settle(now);
  }

  // Moves new events into delivery, sends what is due, releases responses, re-arms the wakeup.
  void settle(core::TimeUs now) {
    for (const stripe::Event& ev : model.take_events()) delivery.enqueue(ev, now);
    for (stripe::Delivery& d : delivery.take_due(now)) {
      if (options.core_url.empty()) {
        delivery.on_outcome(d.delivery_id, stripe::DeliveryOutcome::kConnectionFailed, now);
        continue;
      }
      const core::RequestId id = next_request_id++;
      in_flight.emplace(id, d.delivery_id);
      ++stats.deliveries;
      client.send(id, "core", std::move(d.request), now + options.delivery_timeout_us);
    }
    for (auto it = held.begin(); it != held.end();) {
      if (it->second.not_before_us <= now && delivery.response_may_go(it->second.request_id)) {
        it->second.respond(std::move(it->second.response));
        it = held.erase(it);
      } else {
        ++it;
      }
    }
    core::TimeUs next = std::min(model.next_wakeup_us(), delivery.next_wakeup_us());
    for (const auto& [seq, h] : held) {
      if (h.not_before_us > now) next = std::min(next, h.not_before_us);
    }
    arm(next, now);
  }

  void arm(core::TimeUs at_us, core::TimeUs now) {
    if (stopped || at_us == stripe::kNever) {
      wake.cancel();
      wake_at_us = stripe::kNever;
      return;
    }
    if (at_us == wake_at_us) return;
    wake_at_us = at_us;
    wake.expires_after(std::chrono::microseconds(std::max<core::TimeUs>(at_us - now, 0)));
    wake.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      const auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->wake_at_us = stripe::kNever;
      const core::TimeUs t = self->now_us();
      self->model.advance(t);
      self->settle(t);
    });
  }

  boost::asio::io_context& io;
  const core::Clock& clock;
  StripePeerOptions options;
  stripe::StripeModel model;
  stripe::WebhookDelivery delivery;
  server::BeastHttpClient client;
  std::unique_ptr<server::HttpServer> http;
  boost::asio::steady_timer wake;
  core::TimeUs wake_at_us = stripe::kNever;
  core::TimeUs model_now_us = 0;
  std::map<std::uint64_t, Held> held;  // by arrival order
  std::uint64_t next_held = 0;
  std::map<core::RequestId, std::uint64_t> in_flight;  // request id -> delivery id
  core::RequestId next_request_id = 1;
  bool stopped = false;
  StripePeerStats stats;
};

StripePeer::StripePeer(boost::asio::io_context& io, const core::Clock& clock,
                       StripePeerOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options))) {}

StripePeer::~StripePeer() { stop(); }

core::Status StripePeer::start() {
  Impl& m = *impl_;
  if (core::Status st = m.client.init(); !st.is_ok()) return st;
  m.client.set_sink(impl_.get());
  server::Router router;
  const server::AsyncHandler h = [weak = std::weak_ptr<Impl>(impl_)](
                                     const core::HttpRequest& request, server::Responder respond) {
    if (const auto self = weak.lock()) self->on_request(request, std::move(respond));
  };
  for (const char* method : {"GET", "POST", "DELETE"}) router.add_prefix_async(method, "/v1/", h);
  server::HttpServerOptions o;
  o.address = m.options.address;
  o.port = m.options.port;
  m.http = std::make_unique<server::HttpServer>(m.io, std::move(router), std::move(o));
  return m.http->start();
}

std::uint16_t StripePeer::port() const { return impl_->http ? impl_->http->port() : 0; }

void StripePeer::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.wake.cancel();
  if (m.http) m.http->stop();
}

const models::stripe::StripeModel& StripePeer::model() const { return impl_->model; }
StripePeerStats StripePeer::stats() const { return impl_->stats; }

}  // namespace intsim::peers
