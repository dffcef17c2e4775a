// The core's small ports for real mode: the system clock, OS-seeded randomness and a
// JSON-lines log. (Timers live in asio_timers.h, since they need the event loop.)
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
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
// looks like a secret are written as "[redacted]". Lines go out whole (one write holds whole
// lines only), so lines from several processes sharing stderr do not interleave mid-line.
//
// Deferred mode (set_deferred): the core logs a line per webhook at info level, and a write
// system call per line cost the server about a tenth of its time. Deferred, lines below warn
// collect in a buffer written in one go by flush(), which `schedule_flush` arranges (intsim
// serve: a handler posted to the end of the event loop's turn; it is called once per buffer,
// when the first line lands in it), or at once past 64 KiB. A warn or error line writes the
// buffer and itself at once, in order. A crash (kill -9) loses at most the info and debug lines
// of the turn it interrupts. Deferred mode is for one thread (the event loop's); without it write()
// may be called from any thread.
class JsonLineLog final : public core::Log {
 public:
  explicit JsonLineLog(std::FILE* out = stderr, core::LogLevel level_min = core::LogLevel::kInfo)
      : out_(out), level_min_(level_min) {}
  ~JsonLineLog() override { flush(); }
  JsonLineLog(const JsonLineLog&) = delete;
  JsonLineLog& operator=(const JsonLineLog&) = delete;

  void write(core::TimeUs at_us, core::LogLevel level, std::string_view event,
             std::initializer_list<core::LogField> fields) override;

  // Turns deferred mode on (see above); `schedule_flush` must arrange one later flush() call.
  void set_deferred(std::function<void()> schedule_flush);
  // Writes the buffered lines.
  void flush();

  // The line write() would print, without the trailing newline (exposed for tests).
  static std::string format(core::TimeUs at_us, core::LogLevel level, std::string_view event,
                            std::initializer_list<core::LogField> fields);

 private:
  static constexpr std::size_t kBufferBytesMax = 64 << 10;

  std::FILE* out_;
  core::LogLevel level_min_;
  std::function<void()> schedule_flush_;  // empty: not deferred
  std::string buffer_;                    // whole lines, not written yet
};

std::string_view log_level_name(core::LogLevel level);

// Appends `text` to `out` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace intsim::server
