// The HTTP/1.1 server of real mode, on Boost.Beast over one Asio io_context.
//
// One thread runs the io_context, and every handler runs on it: the core is single-threaded by
// design, so the way to use more cores is one process per core (SO_REUSEPORT on the same port
// or a load balancer in front), not threads inside a process.
//
// Each connection is a session: read a request (header and body bounded by body_bytes_max,
// the whole request bounded by read_timeout_us, which also bounds an idle keep-alive
// connection), hand it to the router, write the answer, keep the connection alive if the client
// asked for it. GET /healthz and GET /metrics are built in; /metrics serves the server's own
// counters followed by the text of a hook (the core's metrics).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "src/core/status.h"
#include "src/core/time.h"
#include "src/server/router.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port (see HttpServer::port())
  std::size_t body_bytes_max = 1 << 20;
  core::TimeUs read_timeout_us = 10 * core::kUsPerSec;
  // Connections past this are accepted and closed at once, so a flood cannot exhaust memory.
  std::size_t connections_max = 1024;
  // More text for GET /metrics (Prometheus text format), after the server's own counters.
  std::function<std::string()> metrics_text;
};

struct HttpServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_rejected = 0;  // over connections_max
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;    // unparsable or too large, answered 400/413
  std::uint64_t handler_errors = 0;  // a handler threw, answered 500
  std::uint64_t read_timeouts = 0;
  std::size_t connections_open = 0;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, Router router, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts accepting. The error names the address and port.
  core::Status start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;

  // Graceful stop: closes the listener and idle connections at once; a connection in the middle
  // of a request finishes it (within read_timeout_us), is answered with Connection: close and
  // then closed. io_context::run() returns once the last connection is gone.
  void stop();

  HttpServerStats stats() const;

 private:
  friend class HttpSession;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Prometheus text exposition of the server's own counters (intsim_http_*), for metrics hooks.
std::string format_server_metrics(const HttpServerStats& stats);

}  // namespace intsim::server
