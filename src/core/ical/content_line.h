// RFC 5545 section 3.1 content lines: unfolding on read, folding on write, the
// `name *(";" param) ":" value` split, and TEXT escapes (section 3.3.11). No allocation per
// line unless a line is folded or a value has escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace intsim::core::ical {

inline constexpr std::size_t kFoldOctets = 75;  // octets per physical line, CRLF excluded

// Appends `value` with TEXT escapes: backslash, semicolon, comma and newline.
void append_escaped_text(std::string_view value, std::string* out);
// Replaces *out with `value` unescaped: \\ \; \, \n \N. An unknown escape keeps the character
// after the backslash (writers that escape ':' exist); a trailing lone backslash is kept.
void unescape_text(std::string_view value, std::string* out);
// Appends `line` folded to at most kFoldOctets octets per physical line (continuations start
// with one space), each ended by CRLF. Never splits a UTF-8 sequence.
void append_folded_line(std::string_view line, std::string* out);

// Yields logical (unfolded) lines. Accepts CRLF and bare LF; skips blank lines.
class LineReader {
 public:
  struct Line {
    std::string_view text;    // valid until the next call to next()
    std::int64_t number = 0;  // 1-based physical line where it starts
    bool orphan = false;      // a continuation line with no line before it to continue
    bool too_long = false;    // longer than line_octets_max: text is empty
  };

  LineReader(std::string_view text, std::size_t line_octets_max)
      : text_(text), line_octets_max_(line_octets_max) {}
  bool next(Line* out);
  std::int64_t lines_read() const { return number_; }

 private:
  // The physical line starting at pos_, without its line break; advances pos_ and number_.
  std::string_view take_physical();

  std::string_view text_;
  std::size_t pos_ = 0;
  std::int64_t number_ = 0;
  std::size_t line_octets_max_;
  std::string scratch_;
};

struct ContentLine {
  struct Param {
    std::string_view name;
    std::string_view value;  // quotes removed when the whole value was one quoted string
  };
  static constexpr int kParamsMax = 8;  // further parameters are checked, then ignored

  std::string_view name;
  Param params[kParamsMax];
  int param_count = 0;
  std::string_view value;

  // The value of parameter `name` (case-insensitive), or empty.
  std::string_view param(std::string_view name) const;
};

// Splits a logical line. On a malformed line returns false and sets *error.
bool split_content_line(std::string_view line, ContentLine* out, const char** error);

bool equals_ascii_nocase(std::string_view a, std::string_view b);

}  // namespace intsim::core::ical
