// What every peer of `intsim peers` needs around its sans-I/O model on the wall clock, so each
// peer (stripe_peer, whatsapp_peer, ota_peer) is only the binding of one model:
//   - an HTTP server on a loopback port whose routes reach the peer only while it runs;
//   - responses held until the model says the request completes (and until whatever else the
//     peer asks for, such as an event chosen to overtake the response);
//   - one steady timer that wakes the peer when its model next needs it (next_wakeup_us);
//   - requests to the core (webhook deliveries, iCal imports) whose outcome comes back tagged,
//     so the model's own delivery component (retries, backoff, duplicates) decides what next;
//   - a model clock that never runs backwards, even when the wall clock steps back.
// The simulator's drivers (models/drivers/*_node.cc) do the same from virtual time.
//
// Single-threaded: everything runs on the io_context's thread. Callbacks run only between
// start() and stop(); destroying the host stops it, so a peer may capture itself in them.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "src/core/http.h"
#include "src/core/ports.h"
#include "src/core/status.h"
#include "src/server/router.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::peers {

// "No wakeup": the models' own kNever has this value.
inline constexpr core::TimeUs kNever = std::numeric_limits<core::TimeUs>::max();

struct PeerHostOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port (see PeerHost::port())
  // The core's base URL ("http://127.0.0.1:8080"); empty: nothing can be sent to the core.
  std::string core_url;
};

class PeerHost {
 public:
  // The peer's model is due: run it up to `now_us` and settle (send, release, re-arm).
  using WakeFn = std::function<void(core::TimeUs now_us)>;
  // The outcome of send_to_core(tag, ...).
  using ResultFn =
      std::function<void(std::uint64_t tag, const core::HttpResult& result, core::TimeUs now_us)>;
  // Whether a held response with this key may go now (besides its time having come).
  using MayGoFn = std::function<bool(const std::string& key)>;

  // `clock` outlives the host.
  PeerHost(boost::asio::io_context& io, const core::Clock& clock, PeerHostOptions options);
  ~PeerHost();
  PeerHost(const PeerHost&) = delete;
  PeerHost& operator=(const PeerHost&) = delete;

  void on_wake(WakeFn fn);
  void on_result(ResultFn fn);
  // Routes, added before start(). The handler runs only while the host runs.
  void route_prefix(const std::string& method, const std::string& prefix,
                    server::AsyncHandler handler);

  // Binds and listens; errors name the address, the port or the core URL.
  core::Status start();
  std::uint16_t port() const;
  // Stops listening, waking and reporting results; requests in flight are abandoned.
  void stop();

  // The wall clock, never earlier than a value it returned before.
  core::TimeUs now_us();

  bool has_core() const;
  // Sends `request` to the core; its outcome reaches on_result with `tag`. Without a core URL
  // the outcome is kConnectionFailed, reported like any other (never from inside this call).
  void send_to_core(std::uint64_t tag, core::HttpRequest request, core::TimeUs deadline_us);
  std::size_t in_flight() const;

  // Holds `response` until not_before_us and until may_go(key) (see release()).
  void hold(server::Responder respond, core::HttpResponse response, core::TimeUs not_before_us,
            std::string key);
  // Answers every held response, in arrival order, whose time has come and that may go.
  void release(core::TimeUs now_us, const MayGoFn& may_go);
  // The earliest not_before_us of a held response still in the future (kNever: none).
  core::TimeUs next_release_us(core::TimeUs now_us) const;

  // Wakes the peer at at_us (kNever: not at all); replaces the previous wakeup.
  void wake_at(core::TimeUs at_us, core::TimeUs now_us);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace intsim::peers
