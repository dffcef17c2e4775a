// Helpers for the loopback integration tests of src/server: a blocking HTTP/1.1 client on a raw
// socket (so a test can hold a connection open, send half a request, or read what the server
// does on the wire) with a receive timeout, so a broken server fails a test instead of hanging.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace intsim::server::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class BlockingConnection {
 public:
  explicit BlockingConnection(std::uint16_t port, int recv_timeout_ms = 3000) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{recv_timeout_ms / 1000, (recv_timeout_ms % 1000) * 1000};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  // Sends `request` and reads one response; `ec` reports a closed or timed-out connection.
  http::response<http::string_body> roundtrip(http::request<http::string_body> request,
                                              beast::error_code& ec) {
    request.prepare_payload();
    http::write(socket_, request, ec);
    if (ec) return {};
    return read(ec);
  }

  http::response<http::string_body> read(beast::error_code& ec) {
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response, ec);
    return response;
  }

  void send_raw(std::string_view bytes) { net::write(socket_, net::buffer(bytes)); }

  // True when the server closed the connection (a read sees EOF or a reset, not a timeout).
  bool closed_by_peer() {
    char byte;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  tcp::socket& socket() { return socket_; }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

inline http::request<http::string_body> make_request(http::verb method, std::string target,
                                                     std::string body = "") {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.body() = std::move(body);
  return request;
}

// Runs `io` until `done()` or `timeout` passes; true when done() answered true.
inline bool run_until(net::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace intsim::server::testing
