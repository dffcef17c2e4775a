#include "src/core/ical/content_line.h"

#include <cstring>

namespace intsim::core::ical {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

bool equals_ascii_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

void append_escaped_text(std::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case ';':
        out->append("\\;");
        break;
      case ',':
        out->append("\\,");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

void unescape_text(std::string_view value, std::string* out) {
  out->clear();
  const std::size_t first = value.find('\\');
  if (first == std::string_view::npos) {
    out->assign(value);
    return;
  }
  out->reserve(value.size());
  out->append(value.substr(0, first));
  for (std::size_t i = first; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' || i + 1 == value.size()) {
      out->push_back(c);
      continue;
    }
    const char e = value[++i];
    out->push_back(e == 'n' || e == 'N' ? '\n' : e);
  }
}

void append_folded_line(std::string_view line, std::string* out) {
  std::size_t room = kFoldOctets;
  while (line.size() > room) {
    std::size_t cut = room;
    // Back off to the start of a UTF-8 sequence; a run of stray continuation bytes (invalid
    // UTF-8) longer than the line is cut where it is, since there is nothing to keep whole.
    while (cut > 0 && is_utf8_continuation(line[cut])) --cut;
    if (cut == 0) cut = room;
    out->append(line.substr(0, cut));
    out->append("\r\n ");
    line.remove_prefix(cut);
    room = kFoldOctets - 1;  // the leading space counts
  }
  out->append(line);
  out->append("\r\n");
}

std::string_view LineReader::take_physical() {
  const char* begin = text_.data() + pos_;
  const std::size_t left = text_.size() - pos_;
  const void* nl = std::memchr(begin, '\n', left);
  std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin) : left;
  pos_ += nl ? len + 1 : len;
  ++number_;
  if (len > 0 && begin[len - 1] == '\r') --len;
  return {begin, len};
}

bool LineReader::next(Line* out) {
  for (;;) {
    if (pos_ >= text_.size()) return false;
    std::string_view head = take_physical();
    if (head.empty()) continue;  // blank lines: not RFC 5545, but feeds have them
    *out = Line{};
    out->number = number_;
    const bool orphan = head[0] == ' ' || head[0] == '\t';
    std::size_t total = head.size();
    bool folded = false;
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) {
      std::string_view more = take_physical();
      more.remove_prefix(1);
      if (!folded) {
        folded = true;
        scratch_.clear();
        if (head.size() <= line_octets_max_) scratch_.append(head);
      }
      total += more.size();
      if (total <= line_octets_max_) scratch_.append(more);
    }
    if (orphan) {
      out->orphan = true;
      return true;
    }
    if (total > line_octets_max_) {
      out->too_long = true;
      return true;
    }
    out->text = folded ? std::string_view(scratch_) : head;
    return true;
  }
}

std::string_view ContentLine::param(std::string_view param_name) const {
  for (int i = 0; i < param_count; ++i) {
    if (equals_ascii_nocase(params[i].name, param_name)) return params[i].value;
  }
  return {};
}

bool split_content_line(std::string_view line, ContentLine* out, const char** error) {
  std::size_t i = 0;
  while (i < line.size() && is_name_char(line[i])) ++i;
  if (i == 0) {
    *error = "expected a property name";
    return false;
  }
  out->name = line.substr(0, i);
  out->param_count = 0;
  while (i < line.size() && line[i] == ';') {
    ++i;
    const std::size_t name_begin = i;
    while (i < line.size() && is_name_char(line[i])) ++i;
    if (i == name_begin || i == line.size() || line[i] != '=') {
      *error = "malformed parameter (expected NAME=VALUE)";
      return false;
    }
    const std::string_view param_name = line.substr(name_begin, i - name_begin);
    ++i;  // '='
    const std::size_t value_begin = i;
    bool single_quoted = false;
    int values = 0;
    for (;;) {  // param-value *("," param-value)
      ++values;
      if (i < line.size() && line[i] == '"') {
        const std::size_t close = line.find('"', i + 1);
        if (close == std::string_view::npos) {
          *error = "unterminated quoted parameter value";
          return false;
        }
        single_quoted = values == 1 && value_begin == i;
        i = close + 1;
      } else {
        while (i < line.size() && line[i] != ';' && line[i] != ':' && line[i] != ',' &&
               line[i] != '"') {
          ++i;
        }
      }
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    std::string_view param_value = line.substr(value_begin, i - value_begin);
    if (single_quoted && values == 1) param_value = param_value.substr(1, param_value.size() - 2);
    if (out->param_count < ContentLine::kParamsMax) {
      out->params[out->param_count++] = {param_name, param_value};
    }
  }
  if (i >= line.size() || line[i] != ':') {
    *error = "expected ':' after the property name and parameters";
    return false;
  }
  out->value = line.substr(i + 1);
  return true;
}

}  // namespace intsim::core::ical
