// What the core's two Stripe clients (payment_service.h, subscription_service.h) share: reading
// Stripe's JSON without trusting its shape, making outbox jobs for its API, and enqueueing them
// into a caller's batch while remembering the outbox rows the dispatcher must be told of once
// that batch commits.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/http.h"
#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"

namespace intsim::core::payments {

// The Stripe API version the core reads: every request pins it (Stripe-Version), so a change of
// the account's default version cannot move fields the core reads (2025-03-31.basil moved
// invoice.subscription under invoice.parent, for one). Webhook endpoints must be created with
// the same version.
inline constexpr std::string_view kStripeApiVersion = "2024-06-20";

// j[key] when j is an object holding a string (an integer) there; "" (0) otherwise.
std::string json_str(const nlohmann::json& j, std::string_view key);
std::int64_t json_int(const nlohmann::json& j, std::string_view key);
// The body as JSON; a discarded value (is_discarded) when it is not JSON.
nlohmann::json parse_json(std::string_view body);
// error.code of a Stripe error answer ("idempotency_key_in_use"); "" when there is none.
std::string stripe_error_code(const HttpResponse& response);

// A job for Stripe's API on `peer`, pinned to kStripeApiVersion. The secret key is not in it:
// the dispatcher adds it at send time (PeerPolicy::credential_headers), so outbox and DLQ rows
// never hold it. A body is form-encoded, as Stripe takes it.
resilience::Job stripe_job(std::string peer, std::string_view kind, std::string method,
                           std::string target, std::string body);

// Enqueues `job` into `batch` and appends its outbox rows to `enqueued` (the integration hands
// them to Dispatcher::on_committed once the batch has committed). Returns the job's id.
std::string enqueue_into(resilience::Dispatcher& dispatcher, WriteBatch& batch, resilience::Job job,
                         TimeUs now_us, std::vector<WriteBatch::Op>* enqueued);

}  // namespace intsim::core::payments
