#include "src/server/system_ports.h"

#include <array>
#include <charconv>
#include <chrono>
#include <random>

namespace intsim::server {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_lower(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && lower(haystack[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

}  // namespace

core::TimeUs SystemClock::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

OsRandom::OsRandom() {
  std::random_device device;
  // Two 32-bit draws: random_device yields unsigned int.
  const std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  *this = OsRandom(seed);
}

OsRandom::OsRandom(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (std::uint64_t& word : s_) word = splitmix64(state);
}

std::uint64_t OsRandom::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

bool looks_like_secret(std::string_view field_name) {
  static constexpr std::array<std::string_view, 10> kMarkers = {
      "secret",        "token",   "password", "passwd", "signature",
      "authorization", "api_key", "apikey",   "cookie", "private"};
  for (std::string_view marker : kMarkers) {
    if (contains_lower(field_name, marker)) return true;
  }
  return false;
}

std::string_view log_level_name(core::LogLevel level) {
  switch (level) {
    case core::LogLevel::kDebug:
      return "debug";
    case core::LogLevel::kInfo:
      return "info";
    case core::LogLevel::kWarn:
      return "warn";
    case core::LogLevel::kError:
      return "error";
  }
  return "unknown";
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
}

namespace {

// Appends one line (without its newline) to `out`: what format() returns, without a string of
// its own (a line per webhook is written at info level).
void append_line(std::string& out, core::TimeUs at_us, core::LogLevel level, std::string_view event,
                 std::initializer_list<core::LogField> fields) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, at_us);
  out += "{\"ts_us\":";
  out.append(digits, end);
  out += ",\"level\":\"";
  out += log_level_name(level);
  out += "\",\"event\":\"";
  append_json_escaped(out, event);
  out += '"';
  for (const core::LogField& field : fields) {
    out += ",\"";
    append_json_escaped(out, field.key);
    out += "\":\"";
    if (looks_like_secret(field.key)) {
      out += "[redacted]";
    } else {
      append_json_escaped(out, field.value);
    }
    out += '"';
  }
  out += '}';
}

}  // namespace

std::string JsonLineLog::format(core::TimeUs at_us, core::LogLevel level, std::string_view event,
                                std::initializer_list<core::LogField> fields) {
  std::string line;
  append_line(line, at_us, level, event, fields);
  return line;
}

void JsonLineLog::write(core::TimeUs at_us, core::LogLevel level, std::string_view event,
                        std::initializer_list<core::LogField> fields) {
  if (level < level_min_) return;
  if (schedule_flush_) {
    const bool was_empty = buffer_.empty();
    append_line(buffer_, at_us, level, event, fields);
    buffer_ += '\n';
    if (level >= core::LogLevel::kWarn || buffer_.size() > kBufferBytesMax) {
      flush();
    } else if (was_empty) {
      schedule_flush_();
    }
    return;
  }
  std::string line;
  append_line(line, at_us, level, event, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void JsonLineLog::set_deferred(std::function<void()> schedule_flush) {
  flush();
  schedule_flush_ = std::move(schedule_flush);
}

void JsonLineLog::flush() {
  if (buffer_.empty()) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  std::fflush(out_);
  buffer_.clear();
}

}  // namespace intsim::server
