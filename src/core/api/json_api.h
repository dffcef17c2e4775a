// The JSON answers of the core's own HTTP API (bookings, memberships), and its Idempotency-Key
// contract, which follows Stripe's for our guests: a request's first final answer is stored
// under its key together with the request body; a retry with the same key and body gets that
// answer again (header Idempotent-Replayed: true) and changes nothing; the same key with another
// body is refused with 422. Keys are 1 to 255 characters.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "src/core/http.h"
#include "src/core/ports.h"

namespace intsim::core::api {

HttpResponse json_response(int status, const nlohmann::json& body);
// {"error": {"code", "message", "param"?}}, as Stripe shapes its errors.
HttpResponse error_response(int status, std::string_view code, std::string message,
                            std::string_view param = {});

// What `table` already says of `request`'s Idempotency-Key: the stored answer to replay, a 400
// for an invalid key, a 422 for a key used with another body; nullopt when the request is new
// (or has no key) and must be answered.
std::optional<HttpResponse> replay_or_refuse(Store& store, std::string_view table,
                                             const HttpRequest& request);

// Stores `response` as the final answer to `request` under its key, into `batch` (which must
// commit with the effects of the answer); nothing without a key.
void remember_answer(std::string_view table, const HttpRequest& request,
                     const HttpResponse& response, WriteBatch& batch);

}  // namespace intsim::core::api
