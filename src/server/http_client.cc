#include "src/server/http_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

#include "src/core/assert.h"

namespace intsim::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

}  // namespace

core::Status parse_base_url(std::string_view url, BaseUrl* out) {
  BaseUrl b;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    b.tls = true;
    rest = url.substr(8);
  } else {
    return core::Status::invalid_argument(
        fmt::format("base URL '{}': expected http:// or https://", url));
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) b.path_prefix = std::string(rest.substr(slash));
  while (!b.path_prefix.empty() && b.path_prefix.back() == '/') b.path_prefix.pop_back();
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    b.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    if (b.port.empty() || b.port.size() > 5 ||
        b.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(b.port) == 0 ||
        std::stoi(b.port) > 65535) {
      return core::Status::invalid_argument(fmt::format("base URL '{}': bad port", url));
    }
  } else {
    b.port = b.tls ? "443" : "80";
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) {
    return core::Status::invalid_argument(fmt::format("base URL '{}': no host", url));
  }
  b.host = std::string(authority);
  *out = std::move(b);
  return core::Status::ok();
}

struct BeastHttpClient::Impl : std::enable_shared_from_this<BeastHttpClient::Impl> {
  Impl(net::io_context& io, const core::Clock& clock, HttpClientOptions options)
      : io(io), clock(clock), options(std::move(options)), tls(ssl::context::tls_client) {}

  void deliver(core::RequestId id, core::HttpResult result) {
    INTSIM_ASSERT(in_flight > 0);
    --in_flight;
    INTSIM_ASSERT_MSG(sink != nullptr, "BeastHttpClient: a result arrived before set_sink");
    sink->on_http_result(id, std::move(result), clock.now_us());
  }

  net::io_context& io;
  const core::Clock& clock;
  HttpClientOptions options;
  ssl::context tls;
  std::map<std::string, BaseUrl, std::less<>> peers;
  core::HttpResultSink* sink = nullptr;
  std::size_t in_flight = 0;
};

// One request on its own connection: resolve, connect, (handshake), write, read; a deadline
// timer races all of it and whichever finishes first delivers, exactly once.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  using Impl = BeastHttpClient::Impl;

  HttpExchange(std::shared_ptr<Impl> client, core::RequestId id, const BaseUrl& peer,
               http::request<http::string_body> request)
      : client_(std::move(client)),
        id_(id),
        peer_(peer),
        request_(std::move(request)),
        resolver_(client_->io),
        deadline_(client_->io) {
    if (peer_.tls) {
      tls_.emplace(client_->io, client_->tls);
    } else {
      plain_.emplace(client_->io);
    }
  }

  void start(core::TimeUs deadline_us) {
    const core::TimeUs left_us = std::max<core::TimeUs>(0, deadline_us - client_->clock.now_us());
    deadline_.expires_after(std::chrono::microseconds(left_us));
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish(core::HttpResult::failed(core::HttpError::kTimeout));
    });
    resolver_.async_resolve(
        peer_.host, peer_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->fail(core::HttpError::kConnectionFailed);
          self->connect(results);
        });
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  void connect(const tcp::resolver::results_type& results) {
    lowest().async_connect(results,
                           [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                             if (ec) return self->fail(core::HttpError::kConnectionFailed);
                             beast::error_code ignored;
                             self->lowest().socket().set_option(tcp::no_delay(true), ignored);
                             if (self->tls_) return self->handshake();
                             self->write();
                           });
  }

  void handshake() {
    // SNI, so a server hosting several names picks the right certificate; then check that the
    // certificate is for the host we meant (an IP address is matched against IP SANs).
    if (!SSL_set_tlsext_host_name(tls_->native_handle(), peer_.host.c_str())) {
      return fail(core::HttpError::kConnectionFailed);
    }
    tls_->set_verify_mode(ssl::verify_peer);
    tls_->set_verify_callback(ssl::host_name_verification(peer_.host));
    tls_->async_handshake(ssl::stream_base::client,
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) return self->fail(core::HttpError::kConnectionFailed);
                            self->write();
                          });
  }

  void write() {
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(core::HttpError::kMalformedResponse);
      self->read();
    };
    if (tls_) {
      http::async_write(*tls_, request_, std::move(done));
    } else {
      http::async_write(*plain_, request_, std::move(done));
    }
  }

  void read() {
    parser_.body_limit(client_->options.response_bytes_max);
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(core::HttpError::kMalformedResponse);
      self->respond();
    };
    if (tls_) {
      http::async_read(*tls_, buffer_, parser_, std::move(done));
    } else {
      http::async_read(*plain_, buffer_, parser_, std::move(done));
    }
  }

  void respond() {
    http::response<http::string_body> message = parser_.release();
    core::HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    response.body = std::move(message.body());
    finish(core::HttpResult::of(std::move(response)));
  }

  void fail(core::HttpError error) { finish(core::HttpResult::failed(error)); }

  void finish(core::HttpResult result) {
    if (done_) return;  // the deadline and the exchange raced; the first one won
    done_ = true;
    deadline_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    // Closing cancels whatever is still pending; those completions then find done_ set. TLS
    // close_notify is skipped on purpose: the response is complete and the connection unused.
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
    client_->deliver(id_, std::move(result));
  }

  std::shared_ptr<Impl> client_;
  core::RequestId id_;
  BaseUrl peer_;
  http::request<http::string_body> request_;
  tcp::resolver resolver_;
  net::steady_timer deadline_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool done_ = false;
};

namespace {

bool framing_header(std::string_view name) {
  return core::iequals(name, "Content-Length") || core::iequals(name, "Transfer-Encoding") ||
         core::iequals(name, "Connection") || core::iequals(name, "Host");
}

}  // namespace

BeastHttpClient::BeastHttpClient(net::io_context& io, const core::Clock& clock,
                                 HttpClientOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options))) {}

BeastHttpClient::~BeastHttpClient() = default;

core::Status BeastHttpClient::init() {
  Impl& c = *impl_;
  for (const auto& [peer, url] : c.options.base_urls) {
    BaseUrl parsed;
    if (auto st = parse_base_url(url, &parsed); !st) {
      return core::Status::invalid_argument(fmt::format("peer '{}': {}", peer, st.message()));
    }
    c.peers.insert_or_assign(peer, std::move(parsed));
  }
  beast::error_code ec;
  // TLS 1.2 is the oldest version any of our peers still accepts.
  c.tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  c.tls.set_default_verify_paths(ec);
  if (ec)
    return core::Status::unavailable("tls: cannot load the system trust store: " + ec.message());
  if (!c.options.ca_file.empty()) {
    c.tls.load_verify_file(c.options.ca_file, ec);
    if (ec) {
      return core::Status::invalid_argument(
          fmt::format("tls: cannot load CA file '{}': {}", c.options.ca_file, ec.message()));
    }
  }
  c.tls.set_verify_mode(ssl::verify_peer);
  return core::Status::ok();
}

void BeastHttpClient::set_sink(core::HttpResultSink* sink) { impl_->sink = sink; }

std::size_t BeastHttpClient::in_flight() const { return impl_->in_flight; }

void BeastHttpClient::send(core::RequestId id, std::string_view peer, core::HttpRequest request,
                           core::TimeUs deadline_us) {
  Impl& c = *impl_;
  ++c.in_flight;
  const auto it = c.peers.find(peer);
  if (it == c.peers.end()) {
    // Posted, not called: the sink must never run inside send().
    net::post(c.io, [client = impl_, id] {
      client->deliver(id, core::HttpResult::failed(core::HttpError::kConnectionFailed));
    });
    return;
  }
  const BaseUrl& base = it->second;
  http::request<http::string_body> message;
  message.version(11);
  message.method_string(request.method);
  std::string target = base.path_prefix + request.target;
  if (target.empty() || target.front() != '/') target.insert(0, "/");
  message.target(target);
  const bool default_port = base.port == (base.tls ? "443" : "80");
  const bool ipv6 = base.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + base.host + "]" : base.host;
  message.set(http::field::host, default_port ? host : host + ":" + base.port);
  message.set(http::field::user_agent, "intsim");
  for (core::Header& h : request.headers) {
    if (!framing_header(h.name)) message.insert(h.name, h.value);
  }
  message.body() = std::move(request.body);
  message.keep_alive(false);
  message.prepare_payload();
  if (const auto timeout = c.options.timeouts_us.find(peer);
      timeout != c.options.timeouts_us.end()) {
    deadline_us = c.clock.now_us() + timeout->second;
  }
  std::make_shared<HttpExchange>(impl_, id, base, std::move(message))->start(deadline_us);
}

}  // namespace intsim::server
