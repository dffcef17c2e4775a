#include "src/core/http.h"

namespace intsim::core {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                            std::string_view name) {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::string_view http_error_name(HttpError error) {
  switch (error) {
    case HttpError::kNone:
      return "none";
    case HttpError::kTimeout:
      return "timeout";
    case HttpError::kConnectionFailed:
      return "connection_failed";
    case HttpError::kMalformedResponse:
      return "malformed_response";
  }
  return "unknown";
}

}  // namespace intsim::core
