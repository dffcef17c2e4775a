// Reading single members of JSON bodies: the dedupe step needs only a Stripe event's id, so it
// reads that without parsing the rest (the full parse waits until the event is known to be new).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace intsim::core::webhook {

// The top-level string member `name` of the JSON object `json_text`, parsing no further than
// that member. nullopt when the root is not an object, the member is absent or not a string, or
// the text is malformed before it (text after it is not looked at).
std::optional<std::string> json_top_level_string(std::string_view json_text, std::string_view name);

namespace detail {
// json_top_level_string without its fast path: the reference its tests compare against.
std::optional<std::string> json_top_level_string_by_parser(std::string_view json_text,
                                                           std::string_view name);
}  // namespace detail

// object[name] when it is a string, else "".
std::string json_string_member(const nlohmann::json& object, const char* name);

}  // namespace intsim::core::webhook
