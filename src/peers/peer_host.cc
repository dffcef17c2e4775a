#include "src/peers/peer_host.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>

#include "src/server/http_client.h"
#include "src/server/http_server.h"

namespace intsim::peers {

struct PeerHost::Impl final : core::HttpResultSink, std::enable_shared_from_this<Impl> {
  struct Held {
    server::Responder respond;
    core::HttpResponse response;
    core::TimeUs not_before_us = 0;
    std::string key;
  };

  Impl(boost::asio::io_context& io_context, const core::Clock& c, PeerHostOptions o)
      : io(io_context),
        clock(c),
        options(std::move(o)),
        client(io_context, c, client_options(options)),
        wake(io_context) {}

  static server::HttpClientOptions client_options(const PeerHostOptions& o) {
    server::HttpClientOptions c;
    if (!o.core_url.empty()) c.base_urls["core"] = o.core_url;
    return c;
  }

  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs) override {
    const auto it = in_flight.find(id);
    if (it == in_flight.end() || !running()) return;
    const std::uint64_t tag = it->second;
    in_flight.erase(it);
    if (result_fn) result_fn(tag, result, now());
  }

  bool running() const { return started && !stopped; }

  core::TimeUs now() {
    model_now_us = std::max(model_now_us, clock.now_us());
    return model_now_us;
  }

  void arm(core::TimeUs at_us, core::TimeUs now_us) {
    if (!running() || at_us == kNever) {
      wake.cancel();
      wake_at_us = kNever;
      return;
    }
    if (at_us == wake_at_us) return;
    wake_at_us = at_us;
    // Waited for on the steady clock: a wall-clock step does not move a wakeup already armed.
    wake.expires_after(std::chrono::microseconds(std::max<core::TimeUs>(at_us - now_us, 0)));
    wake.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      const auto self = weak.lock();
      if (ec || !self || !self->running()) return;
      self->wake_at_us = kNever;
      if (self->wake_fn) self->wake_fn(self->now());
    });
  }

  boost::asio::io_context& io;
  const core::Clock& clock;
  PeerHostOptions options;
  server::BeastHttpClient client;
  server::Router router;
  std::unique_ptr<server::HttpServer> http;
  boost::asio::steady_timer wake;
  core::TimeUs wake_at_us = kNever;
  core::TimeUs model_now_us = 0;
  WakeFn wake_fn;
  ResultFn result_fn;
  std::map<std::uint64_t, Held> held;  // by arrival order
  std::uint64_t next_held = 0;
  std::map<core::RequestId, std::uint64_t> in_flight;  // request id -> the sender's tag
  core::RequestId next_request_id = 1;
  bool started = false;
  bool stopped = false;
};

PeerHost::PeerHost(boost::asio::io_context& io, const core::Clock& clock, PeerHostOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options))) {}

PeerHost::~PeerHost() { stop(); }

void PeerHost::on_wake(WakeFn fn) { impl_->wake_fn = std::move(fn); }
void PeerHost::on_result(ResultFn fn) { impl_->result_fn = std::move(fn); }

void PeerHost::route_prefix(const std::string& method, const std::string& prefix,
                            server::AsyncHandler handler) {
  impl_->router.add_prefix_async(method, prefix,
                                 [weak = std::weak_ptr<Impl>(impl_), h = std::move(handler)](
                                     const core::HttpRequest& request, server::Responder respond) {
                                   const auto self = weak.lock();
                                   if (!self || !self->running()) {
                                     respond(server::text_response(503, "peer stopped"));
                                     return;
                                   }
                                   h(request, std::move(respond));
                                 });
}

core::Status PeerHost::start() {
  Impl& m = *impl_;
  if (core::Status st = m.client.init(); !st.is_ok()) return st;
  m.client.set_sink(impl_.get());
  server::HttpServerOptions o;
  o.address = m.options.address;
  o.port = m.options.port;
  m.http = std::make_unique<server::HttpServer>(m.io, std::move(m.router), std::move(o));
  if (core::Status st = m.http->start(); !st.is_ok()) return st;
  m.started = true;
  return core::Status::ok();
}

std::uint16_t PeerHost::port() const { return impl_->http ? impl_->http->port() : 0; }

void PeerHost::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.wake.cancel();
  if (m.http) m.http->stop();
  // A responder never called would hold its connection open: answer as a peer going away.
  for (auto& [seq, h] : m.held) h.respond(server::text_response(503, "peer stopped"));
  m.held.clear();
  m.wake_fn = nullptr;
  m.result_fn = nullptr;
}

core::TimeUs PeerHost::now_us() { return impl_->now(); }

bool PeerHost::has_core() const { return !impl_->options.core_url.empty(); }

void PeerHost::send_to_core(std::uint64_t tag, core::HttpRequest request,
                            core::TimeUs deadline_us) {
  Impl& m = *impl_;
  const core::RequestId id = m.next_request_id++;
  m.in_flight.emplace(id, tag);
  // With no core URL the client knows no peer "core" and reports kConnectionFailed.
  m.client.send(id, "core", std::move(request), deadline_us);
}

std::size_t PeerHost::in_flight() const { return impl_->in_flight.size(); }

void PeerHost::hold(server::Responder respond, core::HttpResponse response,
                    core::TimeUs not_before_us, std::string key) {
  Impl& m = *impl_;
  m.held.emplace(m.next_held++, Impl::Held{std::move(respond), std::move(response), not_before_us,
                                           std::move(key)});
}

void PeerHost::release(core::TimeUs now_us, const MayGoFn& may_go) {
  Impl& m = *impl_;
  for (auto it = m.held.begin(); it != m.held.end();) {
    if (it->second.not_before_us <= now_us && (!may_go || may_go(it->second.key))) {
      it->second.respond(std::move(it->second.response));
      it = m.held.erase(it);
    } else {
      ++it;
    }
  }
}

core::TimeUs PeerHost::next_release_us(core::TimeUs now_us) const {
  core::TimeUs next = kNever;
  for (const auto& [seq, h] : impl_->held) {
    if (h.not_before_us > now_us) next = std::min(next, h.not_before_us);
  }
  return next;
}

void PeerHost::wake_at(core::TimeUs at_us, core::TimeUs now_us) { impl_->arm(at_us, now_us); }

}  // namespace intsim::peers
