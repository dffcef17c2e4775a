// A cheap result type for expected operating failures (LevelDB's Status, in spirit).
// OK carries nothing; an error carries a code and a message that names what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace intsim::core {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // the input is malformed: a header, a body, a file, a flag
    kNotFound,         // a key, a row or a resource does not exist
    kUnauthenticated,  // a signature did not verify
    kConflict,         // the write collides with existing state (e.g. idempotency mismatch)
    kUnavailable,      // a peer or the store could not be reached; retrying may help
    kIoError,          // the durable store failed
    kInternal,         // a bug or an impossible state reached from outside input
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status invalid_argument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status not_found(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status unauthenticated(std::string msg) {
    return {Code::kUnauthenticated, std::move(msg)};
  }
  static Status conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status io_error(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view code_name(Status::Code code);

}  // namespace intsim::core
