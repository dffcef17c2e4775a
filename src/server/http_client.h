// The HttpClient port on Boost.Beast: one logical peer ("stripe", "whatsapp") maps to a base URL
// (http:// or https://, so tests point peers at local servers), and the request's target is
// appended to the base URL's path.
//
// TLS is Asio SSL over OpenSSL with certificate and host name verification always on: the
// system trust store by default, plus a CA file (a test CA, a private CA) when configured.
//
// Outcomes, delivered exactly once through HttpResultSink::on_http_result on the io_context
// thread (never from inside send()):
//   a response (any status)  the whole response was read
//   kConnectionFailed        unknown peer, resolve/connect/TLS handshake failed: not sent
//   kTimeout                 the deadline passed first: the peer may have done the work
//   kMalformedResponse       the connection broke or the bytes did not parse after the request
//                            started to go out (truncated, garbled, over response_bytes_max):
//                            the peer may have done the work
// Each request uses its own connection (no pooling yet), closed after the response.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "src/core/ports.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

struct HttpClientOptions {
  std::map<std::string, std::string, std::less<>> base_urls;  // peer -> base URL
  std::string ca_file;  // PEM file of extra trusted CAs; empty: the system's only
  std::size_t response_bytes_max = 8 << 20;
  // peer -> how long each request to it may take (the configuration's per-peer "timeout_ms"):
  // its deadline is the time of send() plus this, in place of the deadline the core passed (the
  // core's dispatcher uses its own default policy, which knows nothing of the configuration).
  // Peers not listed keep the core's deadline.
  std::map<std::string, core::TimeUs, std::less<>> timeouts_us;
};

// A parsed base URL: "https://api.stripe.com:8443/v1" -> {true, "api.stripe.com", "8443", "/v1"}.
struct BaseUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path_prefix;  // without a trailing '/'
};
core::Status parse_base_url(std::string_view url, BaseUrl* out);

class BeastHttpClient final : public core::HttpClient {
 public:
  // `clock` must outlive the client. Call init() before send().
  BeastHttpClient(boost::asio::io_context& io, const core::Clock& clock, HttpClientOptions options);
  ~BeastHttpClient() override;
  BeastHttpClient(const BeastHttpClient&) = delete;
  BeastHttpClient& operator=(const BeastHttpClient&) = delete;

  // Parses every base URL and sets up TLS; errors name the peer, the URL or the CA file.
  core::Status init();
  void set_sink(core::HttpResultSink* sink);

  void send(core::RequestId id, std::string_view peer, core::HttpRequest request,
            core::TimeUs deadline_us) override;

  // Requests sent and not yet delivered.
  std::size_t in_flight() const;

 private:
  friend class HttpExchange;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace intsim::server
