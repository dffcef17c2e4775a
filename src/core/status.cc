#include "src/core/status.h"

namespace intsim::core {

std::string_view code_name(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kInvalidArgument:
      return "invalid_argument";
    case Status::Code::kNotFound:
      return "not_found";
    case Status::Code::kUnauthenticated:
      return "unauthenticated";
    case Status::Code::kConflict:
      return "conflict";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kIoError:
      return "io_error";
    case Status::Code::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out(code_name(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace intsim::core
