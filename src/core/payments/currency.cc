#include "src/core/payments/currency.h"

#include <array>
#include <string>

#include "src/core/http.h"

namespace intsim::core::payments {
namespace {

constexpr std::array<std::string_view, 16> kZeroDecimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf",
                                                           "krw", "mga", "pyg", "rwf", "ugx", "vnd",
                                                           "vuv", "xaf", "xof", "xpf"};

struct Minimum {
  std::string_view currency;
  std::int64_t amount;  // smallest unit
};

// Stripe's minimum charge amounts for the currencies we support; cop and isk are our fixed
// equivalents of 0.50 USD (see the header).
constexpr std::array<Minimum, 14> kMinimums = {{
    {"usd", 50},
    {"eur", 50},
    {"gbp", 30},
    {"cad", 50},
    {"aud", 50},
    {"chf", 50},
    {"brl", 50},
    {"mxn", 1000},
    {"sek", 300},
    {"nok", 300},
    {"dkk", 250},
    {"jpy", 50},
    {"cop", 200000},
    {"isk", 10000},
}};

bool is_isk(std::string_view currency) { return iequals(currency, "isk"); }

}  // namespace

bool is_zero_decimal(std::string_view currency) {
  for (std::string_view c : kZeroDecimal) {
    if (iequals(c, currency)) return true;
  }
  return false;
}

bool is_supported(std::string_view currency) { return minimum_charge_amount(currency) > 0; }

int api_exponent(std::string_view currency) { return is_zero_decimal(currency) ? 0 : 2; }

std::int64_t minimum_charge_amount(std::string_view currency) {
  // Stripe requires lowercase codes in requests; "USD" is not a code it accepts.
  for (const Minimum& m : kMinimums) {
    if (m.currency == currency) return m.amount;
  }
  return 0;
}

std::string_view amount_problem_name(AmountProblem problem) {
  switch (problem) {
    case AmountProblem::kNone:
      return "none";
    case AmountProblem::kUnsupportedCurrency:
      return "unsupported_currency";
    case AmountProblem::kNotPositive:
      return "not_positive";
    case AmountProblem::kTooSmall:
      return "too_small";
    case AmountProblem::kTooLarge:
      return "too_large";
    case AmountProblem::kNotWholeUnit:
      return "not_whole_unit";
  }
  return "unknown";
}

AmountProblem check_partial_amount(std::int64_t amount, std::string_view currency) {
  if (!is_supported(currency)) return AmountProblem::kUnsupportedCurrency;
  if (amount <= 0) return AmountProblem::kNotPositive;
  if (amount > kAmountMax) return AmountProblem::kTooLarge;
  if (is_isk(currency) && amount % 100 != 0) return AmountProblem::kNotWholeUnit;
  return AmountProblem::kNone;
}

AmountProblem check_charge_amount(std::int64_t amount, std::string_view currency) {
  const AmountProblem partial = check_partial_amount(amount, currency);
  if (partial != AmountProblem::kNone) return partial;
  if (amount < minimum_charge_amount(currency)) return AmountProblem::kTooSmall;
  return AmountProblem::kNone;
}

Status validate_charge_amount(std::int64_t amount, std::string_view currency) {
  const AmountProblem problem = check_charge_amount(amount, currency);
  const std::string cur(currency);
  switch (problem) {
    case AmountProblem::kNone:
      return Status::ok();
    case AmountProblem::kUnsupportedCurrency:
      return Status::invalid_argument("unsupported currency '" + cur + "'");
    case AmountProblem::kNotPositive:
      return Status::invalid_argument("amount must be positive, got " + std::to_string(amount));
    case AmountProblem::kTooSmall:
      return Status::invalid_argument("amount " + std::to_string(amount) + " " + cur +
                                      " is below the minimum charge of " +
                                      std::to_string(minimum_charge_amount(currency)));
    case AmountProblem::kTooLarge:
      return Status::invalid_argument("amount " + std::to_string(amount) +
                                      " exceeds the maximum of " + std::to_string(kAmountMax));
    case AmountProblem::kNotWholeUnit:
      return Status::invalid_argument("isk amount " + std::to_string(amount) +
                                      " must be divisible by 100 (whole kronur)");
  }
  return Status::internal("unknown amount problem");
}

Status to_smallest_unit(std::string_view major, std::string_view currency, std::int64_t* amount) {
  if (!is_supported(currency) && !is_zero_decimal(currency)) {
    return Status::invalid_argument("unsupported currency '" + std::string(currency) + "'");
  }
  const int exponent = api_exponent(currency);
  const std::size_t dot = major.find('.');
  const std::string_view whole = major.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : major.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return Status::invalid_argument("not a plain decimal price: '" + std::string(major) + "'");
  }
  if (fraction.size() > static_cast<std::size_t>(exponent)) {
    return Status::invalid_argument("'" + std::string(major) + "' has more decimals than " +
                                    std::string(currency) + " allows (" + std::to_string(exponent) +
                                    ")");
  }
  // Accumulate digit by digit against a bound, so no input can overflow.
  constexpr std::int64_t kBound = 1'000'000'000'000'000'000LL;
  std::int64_t value = 0;
  auto push = [&](char c) {
    if (value > kBound / 10) return false;
    value = value * 10 + (c - '0');
    return true;
  };
  for (char c : whole) {
    if (!push(c)) return Status::invalid_argument("price too large: '" + std::string(major) + "'");
  }
  for (int i = 0; i < exponent; ++i) {
    const char c = static_cast<std::size_t>(i) < fraction.size() ? fraction[i] : '0';
    if (!push(c)) return Status::invalid_argument("price too large: '" + std::string(major) + "'");
  }
  if (is_isk(currency) && value % 100 != 0) {
    return Status::invalid_argument("isk prices must be whole kronur: '" + std::string(major) +
                                    "'");
  }
  *amount = value;
  return Status::ok();
}

}  // namespace intsim::core::payments
