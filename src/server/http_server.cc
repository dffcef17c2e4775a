#include "src/server/http_server.h"

#include <fmt/format.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <map>
#include <optional>

#include "src/server/http_wire.h"

namespace intsim::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

}  // namespace

class HttpSession;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, Router router, HttpServerOptions options)
      : io(io),
        router(std::move(router)),
        options(std::move(options)),
        acceptor(io),
        accept_retry(io) {}

  void do_accept();
  void respond(const core::HttpRequest& request, const Responder& answer);

  net::io_context& io;
  Router router;
  HttpServerOptions options;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  bool stopping = false;
  HttpServerStats stats;
  std::map<std::uint64_t, std::weak_ptr<HttpSession>> sessions;
  std::uint64_t session_id_next = 1;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server, std::uint64_t id)
      : stream_(std::move(socket)), server_(std::move(server)), id_(id) {}
  ~HttpSession() {
    server_->sessions.erase(id_);
    server_->stats.connections_open = server_->sessions.size();
  }

  void start() {
    // Room for a whole typical request (a signed webhook is well under 4 KiB) in the first
    // read: the buffer would otherwise start at 512 bytes and take two recv calls for one.
    buffer_.reserve(4096);
    do_read();
  }

  // Called by HttpServer::stop(): an idle connection closes now, a busy one after its answer.
  void on_server_stop() {
    const bool idle =
        !writing_ && !waiting_ && buffer_.size() == 0 && (!parser_ || !parser_->got_some());
    if (idle) close();
  }

 private:
  void do_read() {
    if (server_->stopping) return close();
    parser_.emplace();
    parser_->body_limit(server_->options.body_bytes_max);
    stream_.expires_after(std::chrono::microseconds(server_->options.read_timeout_us));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted) return close();
    if (ec == beast::error::timeout) {
      ++server_->stats.read_timeouts;
      return close();
    }
    if (ec == http::error::body_limit) {
      ++server_->stats.bad_requests;
      return write(text_response(413, "request body too large\n"), 11, false);
    }
    if (ec == http::error::partial_message) return close();  // the peer went away mid-request
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()) {
      ++server_->stats.bad_requests;
      return write(text_response(400, "bad request\n"), 11, false);
    }
    if (ec) return close();

    http::request<http::string_body> message = parser_->release();
    core::HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(message.body());
    ++server_->stats.requests;
    // The responder holds the session: a connection lives until its request is answered. The
    // sequence number makes a second call, or a call for an older request, a no-op.
    waiting_ = true;
    // While a handler has not answered, no I/O is pending on this connection; the guard keeps
    // io_context::run() from returning (after stop()) before the answer is written.
    waiting_work_.emplace(server_->io.get_executor());
    const std::uint64_t seq = ++request_seq_;
    server_->respond(request, [self = shared_from_this(), seq, version = message.version(),
                               keep_alive = message.keep_alive()](core::HttpResponse out) {
      if (!self->waiting_ || seq != self->request_seq_) return;
      self->waiting_ = false;
      self->waiting_work_.reset();
      self->write(out, version, keep_alive && !self->server_->stopping);
    });
  }

  void write(const core::HttpResponse& out, unsigned version, bool keep_alive) {
    wire_ = serialize_response(out, version, keep_alive);
    keep_alive_ = keep_alive;
    writing_ = true;
    stream_.expires_after(std::chrono::microseconds(server_->options.read_timeout_us));
    net::async_write(stream_, net::buffer(wire_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       if (ec || !self->keep_alive_) return self->close();
                       self->do_read();
                     });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string wire_;  // the answer being written
  bool keep_alive_ = false;
  bool writing_ = false;
  bool waiting_ = false;  // for a handler's answer
  std::optional<net::executor_work_guard<net::io_context::executor_type>> waiting_work_;
  std::uint64_t request_seq_ = 0;
  std::shared_ptr<HttpServer::Impl> server_;
  std::uint64_t id_;
};

void HttpServer::Impl::respond(const core::HttpRequest& request, const Responder& answer) {
  const std::string_view path = target_path(request.target);
  if (request.method == "GET" && path == "/healthz") return answer(text_response(200, "ok\n"));
  if (request.method == "GET" && path == "/metrics") {
    std::string text = format_server_metrics(stats);
    if (options.metrics_text) text += options.metrics_text();
    core::HttpResponse response = text_response(200, std::move(text));
    response.headers[0].value = "text/plain; version=0.0.4; charset=utf-8";
    return answer(std::move(response));
  }
  // The server is a boundary: a handler that throws costs one 500, not the process. (If it had
  // already answered, the responder ignores the second answer.)
  try {
    router.dispatch(request, answer);
  } catch (const std::exception&) {
    ++stats.handler_errors;
    answer(text_response(500, "internal error\n"));
  }
}

void HttpServer::Impl::do_accept() {
  // `self` keeps the acceptor alive while an accept is pending, even if HttpServer is gone.
  acceptor.async_accept(
      [this, self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (stopping || ec == net::error::operation_aborted) return;
        if (ec) {
          // Typically EMFILE: back off briefly rather than spin on a listener that stays readable.
          accept_retry.expires_after(std::chrono::milliseconds(10));
          accept_retry.async_wait([this, self](beast::error_code wait_ec) {
            if (!wait_ec && !stopping) do_accept();
          });
          return;
        }
        if (sessions.size() >= options.connections_max) {
          ++stats.connections_rejected;
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          ++stats.connections_accepted;
          // No Nagle: answers are single small writes and latency matters more than packets.
          beast::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          const std::uint64_t id = session_id_next++;
          auto session = std::make_shared<HttpSession>(std::move(socket), self, id);
          sessions.emplace(id, session);
          stats.connections_open = sessions.size();
          session->start();
        }
        do_accept();
      });
}

HttpServer::HttpServer(net::io_context& io, Router router, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(router), std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

core::Status HttpServer::start() {
  Impl& s = *impl_;
  auto fail = [&](std::string_view what, const beast::error_code& ec) {
    return core::Status::unavailable(fmt::format("http server {}:{}: {}: {}", s.options.address,
                                                 s.options.port, what, ec.message()));
  };
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(s.options.address, ec);
  if (ec) {
    return core::Status::invalid_argument(
        fmt::format("http server: '{}' is not an IP address", s.options.address));
  }
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open", ec);
  s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR", ec);
  s.acceptor.bind(endpoint, ec);
  if (ec) return fail("bind", ec);
  s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen", ec);
  s.do_accept();
  return core::Status::ok();
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  const tcp::endpoint endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (s.stopping) return;
  s.stopping = true;
  beast::error_code ignored;
  s.acceptor.close(ignored);
  s.accept_retry.cancel();
  // Copy first: a session that closes may be destroyed and erase itself from the map.
  std::vector<std::shared_ptr<HttpSession>> live;
  for (auto& [id, weak] : s.sessions) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  for (auto& session : live) session->on_server_stop();
}

HttpServerStats HttpServer::stats() const { return impl_->stats; }

std::string format_server_metrics(const HttpServerStats& s) {
  return fmt::format(
      "# HELP intsim_http_connections_accepted_total Connections accepted.\n"
      "# TYPE intsim_http_connections_accepted_total counter\n"
      "intsim_http_connections_accepted_total {}\n"
      "# HELP intsim_http_connections_rejected_total Connections closed over connections_max.\n"
      "# TYPE intsim_http_connections_rejected_total counter\n"
      "intsim_http_connections_rejected_total {}\n"
      "# HELP intsim_http_requests_total Requests parsed and dispatched.\n"
      "# TYPE intsim_http_requests_total counter\n"
      "intsim_http_requests_total {}\n"
      "# HELP intsim_http_bad_requests_total Requests answered 400 or 413.\n"
      "# TYPE intsim_http_bad_requests_total counter\n"
      "intsim_http_bad_requests_total {}\n"
      "# HELP intsim_http_handler_errors_total Handlers that threw (answered 500).\n"
      "# TYPE intsim_http_handler_errors_total counter\n"
      "intsim_http_handler_errors_total {}\n"
      "# HELP intsim_http_read_timeouts_total Connections closed by the read timeout.\n"
      "# TYPE intsim_http_read_timeouts_total counter\n"
      "intsim_http_read_timeouts_total {}\n"
      "# HELP intsim_http_connections_open Connections open now.\n"
      "# TYPE intsim_http_connections_open gauge\n"
      "intsim_http_connections_open {}\n",
      s.connections_accepted, s.connections_rejected, s.requests, s.bad_requests, s.handler_errors,
      s.read_timeouts, s.connections_open);
}

}  // namespace intsim::server
