#include "src/core/webhook/json_field.h"

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

}  // namespace

std::optional<std::string> json_top_level_string(std::string_view json_text,
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
