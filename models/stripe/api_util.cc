#include "models/stripe/api_util.h"

#include <fmt/format.h>

namespace intsim::models::stripe {

nlohmann::json error_body(std::string_view type, std::string_view code, std::string message,
                          std::string_view param) {
  nlohmann::json e = {{"type", type}, {"message", std::move(message)}};
  if (!code.empty()) e["code"] = code;
  if (!param.empty()) e["param"] = param;
  return {{"error", std::move(e)}};
}

nlohmann::json invalid(std::string_view code, std::string message, std::string_view param) {
  return error_body("invalid_request_error", code, std::move(message), param);
}

nlohmann::json missing_param(std::string_view param) {
  return invalid("parameter_missing", fmt::format("Missing required param: {}.", param), param);
}

std::optional<nlohmann::json> amount_error(core::payments::AmountProblem problem,
                                           std::int64_t amount, std::string_view currency) {
  namespace pay = core::payments;
  switch (problem) {
    case pay::AmountProblem::kNone:
      return std::nullopt;
    case pay::AmountProblem::kUnsupportedCurrency:
      return invalid("", fmt::format("Invalid currency: {}.", currency), "currency");
    case pay::AmountProblem::kNotPositive:
      return invalid("parameter_invalid_integer", "This value must be greater than or equal to 1.",
                     "amount");
    case pay::AmountProblem::kTooSmall:
      return invalid("amount_too_small",
                     fmt::format("Amount must be at least {} {} (smallest unit)",
                                 pay::minimum_charge_amount(currency), currency),
                     "amount");
    case pay::AmountProblem::kTooLarge:
      return invalid("amount_too_large",
                     fmt::format("Amount must be no more than {}", pay::kAmountMax), "amount");
    case pay::AmountProblem::kNotWholeUnit:
      return invalid("invalid_charge_amount_no_decimal_compatible",
                     fmt::format("Invalid amount {}. Currency ISK has become effectively "
                                 "zero-decimal and charged amounts must be evenly divisible by "
                                 "100.",
                                 amount),
                     "amount");
  }
  return std::nullopt;
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (x == s) return true;
  }
  return false;
}

std::optional<std::string> string_param(const nlohmann::json& params, std::string_view key) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool parse_int(std::string_view text, std::int64_t* value) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 18) return false;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *value = negative ? -v : v;
  return true;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

bool metadata_param(const nlohmann::json& params, Metadata* metadata, nlohmann::json* error) {
  auto it = params.find("metadata");
  if (it == params.end()) return true;
  if (it->is_string() && it->get<std::string>().empty()) return true;  // metadata= unsets
  if (!it->is_object()) {
    *error = error_body("invalid_request_error", "parameter_invalid_string",
                        "Invalid metadata: must be an object", "metadata");
    return false;
  }
  if (it->size() > 50) {
    *error = error_body("invalid_request_error", "",
                        "Invalid metadata: metadata can have up to 50 keys", "metadata");
    return false;
  }
  for (auto m = it->begin(); m != it->end(); ++m) {
    if (!m.value().is_string()) {
      *error = error_body("invalid_request_error", "", "Invalid metadata: values must be strings",
                          "metadata");
      return false;
    }
    const std::string value = m.value().get<std::string>();
    if (m.key().size() > 40 || value.size() > 500) {
      *error = error_body("invalid_request_error", "",
                          "Invalid metadata: keys can be up to 40 characters and values up to "
                          "500 characters",
                          "metadata");
      return false;
    }
    (*metadata)[m.key()] = value;
  }
  return true;
}

nlohmann::json metadata_json(const Metadata& metadata) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : metadata) out[k] = v;
  return out;
}

std::int64_t unix_s(core::TimeUs t_us) { return core::unix_seconds(t_us); }

nlohmann::json id_or_null(const std::string& id) {
  return id.empty() ? nlohmann::json(nullptr) : nlohmann::json(id);
}

std::string http_date(core::TimeUs t_us) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::int64_t s = unix_s(t_us);
  const std::int64_t days = s >= 0 ? s / 86'400 : (s - 86'399) / 86'400;
  const std::int64_t secs = s - days * 86'400;
  // The civil date of a day count (Howard Hinnant's algorithm).
  const std::int64_t z = days + 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const std::int64_t weekday = ((days % 7) + 7) % 7;
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[weekday], day,
                     kMonths[month - 1], year, secs / 3'600, secs % 3'600 / 60, secs % 60);
}

}  // namespace intsim::models::stripe
