// Small helpers shared by the Stripe model's route files: Stripe's error shape and typed reads
// of form parameters (form bodies carry only strings).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "models/stripe/objects.h"
#include "src/core/payments/currency.h"
#include "src/core/time.h"

namespace intsim::models::stripe {

// {"error":{"type","code","message","param"}} with code and param left out when empty.
nlohmann::json error_body(std::string_view type, std::string_view code, std::string message,
                          std::string_view param = {});

// An invalid_request_error (400 body).
nlohmann::json invalid(std::string_view code, std::string message, std::string_view param = {});
// "Missing required param: <param>." with code parameter_missing.
nlohmann::json missing_param(std::string_view param);
// Stripe's answer to an amount the currency rules reject (amount_too_small, amount_too_large,
// invalid_charge_amount_no_decimal_compatible, an invalid currency); nullopt when it is fine.
std::optional<nlohmann::json> amount_error(core::payments::AmountProblem problem,
                                           std::int64_t amount, std::string_view currency);
bool one_of(std::string_view s, std::initializer_list<std::string_view> set);

// The string at `key` of a decoded form body, or nullopt when absent or not a string.
std::optional<std::string> string_param(const nlohmann::json& params, std::string_view key);
// A base-10 integer with an optional leading '-', no other characters, no overflow.
bool parse_int(std::string_view text, std::int64_t* value);
// "true"/"false"; nullopt for anything else.
std::optional<bool> parse_bool(std::string_view text);

// metadata[...] as a map; false (and `error` set) when it breaks Stripe's limits: at most 50
// keys, keys up to 40 characters, values up to 500, or a nested value.
bool metadata_param(const nlohmann::json& params, Metadata* metadata, nlohmann::json* error);

nlohmann::json metadata_json(const Metadata& metadata);
std::int64_t unix_s(core::TimeUs t_us);
// An HTTP Date header value (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") for t_us.
std::string http_date(core::TimeUs t_us);
// null for an empty string, the string otherwise (Stripe writes absent ids as null).
nlohmann::json id_or_null(const std::string& id);

}  // namespace intsim::models::stripe
