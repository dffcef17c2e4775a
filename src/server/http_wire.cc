#include "src/server/http_wire.h"

// Beast's status.hpp streams its enum: <ostream> must be complete before it.
// clang-format off
#include <ostream>
#include <boost/beast/http/status.hpp>
// clang-format on

namespace intsim::server {
namespace {

bool splits_lines(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

void append_decimal(std::string& out, std::size_t n) {
  char digits[20];
  int i = 0;
  do {
    digits[i++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  while (i > 0) out += digits[--i];
}

}  // namespace

bool is_framing_header(std::string_view name) {
  return core::iequals(name, "Content-Length") || core::iequals(name, "Transfer-Encoding") ||
         core::iequals(name, "Connection");
}

std::string serialize_response(const core::HttpResponse& response, unsigned version,
                               bool keep_alive) {
  const unsigned status = response.status >= 100 && response.status <= 999
                              ? static_cast<unsigned>(response.status)
                              : 500u;
  const std::string_view reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  std::string out;
  std::size_t size = 64 + reason.size() + response.body.size();
  for (const core::Header& h : response.headers) size += h.name.size() + h.value.size() + 4;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_decimal(out, status);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const core::Header& h : response.headers) {
    if (is_framing_header(h.name) || splits_lines(h.name) || splits_lines(h.value)) continue;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  append_decimal(out, response.body.size());
  out += "\r\n";
  if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace intsim::server
