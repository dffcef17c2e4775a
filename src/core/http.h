// HTTP messages as plain values. The core, the simulated network and the real server all use
// these, so the core never depends on sim/ or on Beast.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intsim::core {

struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

// Case-insensitive lookup of the first header named `name` (HTTP field names are).
std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                            std::string_view name);
bool iequals(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // path and query: "/v1/payment_intents?limit=3"
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
  friend bool operator==(const HttpRequest&, const HttpRequest&) = default;
};

struct HttpResponse {
  int status = 200;
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
  friend bool operator==(const HttpResponse&, const HttpResponse&) = default;
};

// Why a request produced no response. A caller must treat every one of these as "the peer may
// or may not have done the work" except kConnectionFailed, which means the request never left.
enum class HttpError {
  kNone = 0,
  kTimeout,            // no response before the deadline: the work may have happened
  kConnectionFailed,   // could not connect (partition, peer down): the request was not sent
  kMalformedResponse,  // a response arrived but could not be parsed (truncated, garbled)
};
std::string_view http_error_name(HttpError error);

// The outcome of one request: a response (any status) or an error.
struct HttpResult {
  HttpError error = HttpError::kNone;
  HttpResponse response;  // meaningful when error == kNone

  bool has_response() const { return error == HttpError::kNone; }
  static HttpResult of(HttpResponse r) { return {HttpError::kNone, std::move(r)}; }
  static HttpResult failed(HttpError e) { return {e, {}}; }
};

}  // namespace intsim::core
