// Stripe's currency rules, shared by the core's payment code and the Stripe model so both sides
// agree on what an amount means (DESIGN.md section 4).
//
// Amounts are integers in the currency's smallest unit as the Stripe API counts it: cents for
// USD, whole yen for JPY. Stripe's API exponent is not always ISO 4217's: COP is two-decimal
// (10,000 COP is 1000000), and ISK stays two-decimal in the API although cards only accept whole
// kronur, so an ISK amount must be divisible by 100. Currency codes are lowercase ISO codes, as
// Stripe requires in requests.
#pragma once

#include <cstdint>
#include <string_view>

#include "src/core/status.h"

namespace intsim::core::payments {

// Stripe's zero-decimal list: BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF
// (case-insensitive).
bool is_zero_decimal(std::string_view currency);

// A currency this code knows the minimum charge for (lowercase ISO code). Only these are
// accepted for charges; every other code is rejected rather than guessed.
bool is_supported(std::string_view currency);

// Digits after the decimal point in the Stripe API's smallest unit: 0 or 2.
int api_exponent(std::string_view currency);

// The smallest chargeable amount in the smallest unit (Stripe's minimum charge table: USD 0.50,
// EUR 0.50, GBP 0.30, JPY 50, ...). COP and ISK are absent from that table, whose rule for them
// is "the equivalent of 0.50 USD in the settlement currency"; we fix COP 2,000.00 and ISK 100
// as that equivalent. 0 for an unsupported currency.
std::int64_t minimum_charge_amount(std::string_view currency);

// Stripe's upper bound on `amount`: eight digits in the smallest unit.
inline constexpr std::int64_t kAmountMax = 99'999'999;

enum class AmountProblem {
  kNone = 0,
  kUnsupportedCurrency,  // not a currency we can charge in (Stripe: invalid currency param)
  kNotPositive,          // zero or negative (Stripe: invalid_integer / amount must be >= 1)
  kTooSmall,             // below the minimum charge (Stripe: amount_too_small)
  kTooLarge,             // more than eight digits (Stripe: amount_too_large)
  kNotWholeUnit,         // ISK not divisible by 100 (invalid_charge_amount_no_decimal_compatible)
};
std::string_view amount_problem_name(AmountProblem problem);

// What is wrong with charging `amount` (smallest unit) in `currency`, if anything.
AmountProblem check_charge_amount(std::int64_t amount, std::string_view currency);
// The same check for a refund or partial capture: positive and whole-unit, no minimum.
AmountProblem check_partial_amount(std::int64_t amount, std::string_view currency);

// check_charge_amount as a Status whose message says why (kInvalidArgument).
Status validate_charge_amount(std::int64_t amount, std::string_view currency);

// Converts a decimal price in major units ("10000", "12.5", "0.50") to the smallest unit:
// ("10000", "cop") -> 1000000, ("1200", "jpy") -> 1200, ("12.5", "usd") -> 1250. Rejects signs,
// exponents, empty parts, more fraction digits than the currency has, overflow and, for ISK,
// fractional kronur.
Status to_smallest_unit(std::string_view major, std::string_view currency, std::int64_t* amount);

}  // namespace intsim::core::payments
