// application/x-www-form-urlencoded with Stripe's nested brackets: `metadata[booking_id]=b_1`,
// `items[0][price]=price_1`, `expand[]=customer`. The core's Stripe client encodes with it and
// the Stripe model decodes with it, so both sides agree byte for byte.
//
// Encoding: keys and values are percent-encoded except ALPHA DIGIT - . _ ~ (and the brackets of
// a key path, which are written literally as Stripe's SDKs do); a space becomes '+'. Fields
// come out in the order given (flat) or in key order (nested JSON, whose objects are sorted),
// so the same request always has the same body.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/status.h"

namespace intsim::core::payments {

// One decoded field: the full key path as written ("metadata[booking_id]") and its value.
using FormField = std::pair<std::string, std::string>;
using FormFields = std::vector<FormField>;

std::string form_escape(std::string_view text);
// Percent-decoding with '+' as space; kInvalidArgument for a malformed %XX escape.
Status form_unescape(std::string_view text, std::string* out);

// "k=v&k2=v2" in the given order.
std::string form_encode(const FormFields& fields);
// Splits and unescapes; empty pairs ("a=1&&b=2") are skipped, a pair without '=' has an empty
// value. kInvalidArgument for a bad escape.
Status form_decode(std::string_view body, FormFields* fields);

// A JSON object flattened into bracketed keys: {"metadata":{"booking_id":"b_1"}} ->
// "metadata[booking_id]=b_1"; arrays use indices ("items[0][price]=p"); numbers and booleans
// are written as JSON writes them; null values are written as an empty value (Stripe's way of
// unsetting a field). `object` must be a JSON object.
std::string form_encode_json(const nlohmann::json& object);

// The inverse of form_encode_json: bracketed keys become nested objects; numeric indices and
// "[]" become arrays (indices must run 0, 1, 2 ... in order); every leaf is a string (form
// bodies carry no types). kInvalidArgument for an unbalanced bracket, a key used both as a
// value and as a parent, an index out of order, or a bad escape.
Status form_decode_json(std::string_view body, nlohmann::json* object);

}  // namespace intsim::core::payments
