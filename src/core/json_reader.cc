#include "src/core/json_reader.h"

#include <fmt/format.h>

#include <cmath>

namespace intsim::core {

std::string json_pointer_join(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out += '/';
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string json_pointer_join(std::string_view pointer, std::size_t index) {
  return fmt::format("{}/{}", pointer, index);
}

std::string describe_json(const nlohmann::json& value) {
  std::string s = value.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

namespace {
std::string join_allowed(std::initializer_list<std::string_view> allowed) {
  std::string out;
  for (std::string_view a : allowed) {
    if (!out.empty()) out += ", ";
    out += a;
  }
  return out;
}
}  // namespace

JsonReader::JsonReader(const nlohmann::json& value, std::string pointer,
                       std::vector<std::string>* errors)
    : value_(value), pointer_(std::move(pointer)), errors_(errors) {
  if (!value_.is_object()) {
    errors_->push_back(fmt::format("{}: expected an object, got {}",
                                   pointer_.empty() ? "/" : pointer_, describe_json(value_)));
  }
}

bool JsonReader::has(std::string_view key) const {
  return value_.is_object() && value_.contains(key);
}

const nlohmann::json* JsonReader::take(std::string_view key) {
  seen_.emplace(key);
  if (!has(key)) return nullptr;
  return &value_.find(key).value();
}

void JsonReader::require(std::string_view key) {
  if (value_.is_object() && !has(key)) error(key, "required field is missing");
}

void JsonReader::error(std::string_view key, std::string_view message) {
  errors_->push_back(fmt::format("{}: {}", json_pointer_join(pointer_, key), message));
}

std::int64_t JsonReader::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                                 std::int64_t max) {
  const nlohmann::json* v = take(key);
  if (!v) return fallback;
  if (!v->is_number_integer() || v->get<std::int64_t>() < min || v->get<std::int64_t>() > max) {
    error(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, describe_json(*v)));
    return fallback;
  }
  return v->get<std::int64_t>();
}

double JsonReader::number(std::string_view key, double fallback, double min, double max) {
  const nlohmann::json* v = take(key);
  if (!v) return fallback;
  if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < min ||
      v->get<double>() > max) {
    error(key, fmt::format("expected a number in [{}, {}], got {}", min, max, describe_json(*v)));
    return fallback;
  }
  return v->get<double>();
}

bool JsonReader::boolean(std::string_view key, bool fallback) {
  const nlohmann::json* v = take(key);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    error(key, fmt::format("expected true or false, got {}", describe_json(*v)));
    return fallback;
  }
  return v->get<bool>();
}

std::string JsonReader::string(std::string_view key, std::string fallback) {
  const nlohmann::json* v = take(key);
  if (!v) return fallback;
  if (!v->is_string()) {
    error(key, fmt::format("expected a string, got {}", describe_json(*v)));
    return fallback;
  }
  return v->get<std::string>();
}

std::string JsonReader::one_of(std::string_view key, std::string fallback,
                               std::initializer_list<std::string_view> allowed) {
  const bool present = has(key);
  std::string s = string(key, fallback);
  if (!present) return s;
  for (std::string_view a : allowed) {
    if (a == s) return s;
  }
  error(key, fmt::format("unknown value \"{}\" (expected one of: {})", s, join_allowed(allowed)));
  return fallback;
}

std::vector<std::string> JsonReader::strings(std::string_view key,
                                             std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> out;
  const nlohmann::json* v = take(key);
  if (!v) return out;
  if (!v->is_array()) {
    error(key, fmt::format("expected an array of strings, got {}", describe_json(*v)));
    return out;
  }
  const std::string here = json_pointer_join(pointer_, key);
  for (std::size_t i = 0; i < v->size(); ++i) {
    const nlohmann::json& item = (*v)[i];
    if (!item.is_string()) {
      errors_->push_back(fmt::format("{}: expected a string, got {}", json_pointer_join(here, i),
                                     describe_json(item)));
      continue;
    }
    const auto s = item.get<std::string>();
    bool known = allowed.size() == 0;
    for (std::string_view a : allowed) known = known || a == s;
    if (!known) {
      errors_->push_back(fmt::format("{}: unknown value \"{}\" (expected one of: {})",
                                     json_pointer_join(here, i), s, join_allowed(allowed)));
      continue;
    }
    out.push_back(s);
  }
  return out;
}

std::optional<JsonReader> JsonReader::object(std::string_view key) {
  const nlohmann::json* v = take(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    error(key, fmt::format("expected an object, got {}", describe_json(*v)));
    return std::nullopt;
  }
  return JsonReader(*v, json_pointer_join(pointer_, key), errors_);
}

void JsonReader::finish() {
  if (!value_.is_object()) return;
  for (const auto& [key, value] : value_.items()) {
    if (!seen_.count(key)) error(key, "unknown field");
  }
}

}  // namespace intsim::core
