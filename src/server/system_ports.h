// The core's small ports for real mode: the system clock, OS-seeded randomness and a
// JSON-lines log. (Timers live in asio_timers.h, since they need the event loop.)
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "src/core/ports.h"

namespace intsim::server {

// Microseconds since the Unix epoch from the system clock: the same epoch the simulator's
// virtual time uses, so timestamps on the wire (Stripe's t=) compare the same way.
class SystemClock final : public core::Clock {
 public:
  core::TimeUs now_us() const override;
};

// xoshiro256** seeded through splitmix64 from std::random_device. Real mode is not
// reproducible anyway, and jitter drawn from one seed in every process of a fleet would
// synchronise their retries. Not for secrets: it is not a CSPRNG.
class OsRandom final : public core::Random {
 public:
  OsRandom();  // seeds from the OS
  explicit OsRandom(std::uint64_t seed);
  std::uint64_t next_u64() override;

 private:
  std::uint64_t s_[4];
};

// True when a log field's name suggests a secret ("secret", "token", "password", "signature",
// "authorization", "api_key", "cookie", ...), case-insensitively. Such fields are never printed.
bool looks_like_secret(std::string_view field_name);

// One JSON object per line: {"ts_us":..,"level":"info","event":"..",<fields>}. Fields whose name
// looks like a secret are written as "[redacted]". Each line goes out in one write, so lines
// from several processes sharing stderr do not interleave mid-line.
class JsonLineLog final : public core::Log {
 public:
  explicit JsonLineLog(std::FILE* out = stderr, core::LogLevel level_min = core::LogLevel::kInfo)
      : out_(out), level_min_(level_min) {}
  void write(core::TimeUs at_us, core::LogLevel level, std::string_view event,
             std::initializer_list<core::LogField> fields) override;

  // The line write() would print, without the trailing newline (exposed for tests).
  static std::string format(core::TimeUs at_us, core::LogLevel level, std::string_view event,
                            std::initializer_list<core::LogField> fields);

 private:
  std::FILE* out_;
  core::LogLevel level_min_;
};

std::string_view log_level_name(core::LogLevel level);

// Appends `text` to `out` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace intsim::server
