#include "src/core/webhook/json_field.h"

#include <algorithm>

namespace intsim::core::webhook {
namespace {

using nlohmann::json;

// SAX handler that stops as soon as the top-level member it looks for has been read.
class TopLevelString final : public nlohmann::json_sax<json> {
 public:
  explicit TopLevelString(std::string_view name) : name_(name) {}
  std::optional<std::string> found;

  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t) override { return scalar(); }
  bool number_unsigned(number_unsigned_t) override { return scalar(); }
  bool number_float(number_float_t, const string_t&) override { return scalar(); }
  bool string(string_t& value) override {
    if (depth_ == 1 && wanted_) {
      found = value;
      return false;  // done: stop parsing
    }
    return scalar();
  }
  bool binary(binary_t&) override { return scalar(); }
  bool start_object(std::size_t) override {
    if (depth_ == 0 && seen_root_) return false;
    if (depth_ == 1 && wanted_) return false;  // the member is not a string
    seen_root_ = true;
    ++depth_;
    return true;
  }
  bool key(string_t& key) override {
    if (depth_ == 1) wanted_ = key == name_;
    return true;
  }
  bool end_object() override {
    --depth_;
    return depth_ > 0;  // the root closed without the member
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0 || (depth_ == 1 && wanted_)) return false;  // root array, or not a string
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool scalar() { return depth_ > 0 && !(depth_ == 1 && wanted_); }
  std::string_view name_;
  int depth_ = 0;
  bool seen_root_ = false;
  bool wanted_ = false;
};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The common case without a parser: the object's first member is `name` and its value a plain
// string (printable ASCII, no escapes), as every Stripe event's "id" is. Anything else (escapes,
// other bytes, another first member) is left to the SAX parser, so the answer is the same.
std::optional<std::string> leading_plain_string(std::string_view text, std::string_view name) {
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < text.size() && is_json_space(text[i])) ++i;
  };
  const auto expect = [&](char c) {
    skip_space();
    if (i >= text.size() || text[i] != c) return false;
    ++i;
    return true;
  };
  if (!expect('{') || !expect('"')) return std::nullopt;
  if (text.substr(i, name.size()) != name || text.substr(i + name.size(), 1) != "\"") {
    return std::nullopt;
  }
  i += name.size() + 1;
  if (!expect(':') || !expect('"')) return std::nullopt;
  const std::size_t begin = i;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') return std::string(text.substr(begin, i - begin));
    if (c == '\\' || c < 0x20 || c > 0x7e) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> json_top_level_string(std::string_view json_text,
                                                 std::string_view name) {
  // Names with escapes or non-ASCII never take the fast path (the text holds them raw).
  const bool plain_name = std::all_of(name.begin(), name.end(), [](char c) {
    return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
  });
  if (plain_name) {
    if (std::optional<std::string> fast = leading_plain_string(json_text, name)) return fast;
  }
  return detail::json_top_level_string_by_parser(json_text, name);
}

std::optional<std::string> detail::json_top_level_string_by_parser(std::string_view json_text,
                                                                   std::string_view name) {
  TopLevelString handler(name);
  json::sax_parse(json_text, &handler, nlohmann::detail::input_format_t::json, /*strict=*/true);
  return std::move(handler.found);
}

std::string json_string_member(const json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace intsim::core::webhook
