#include "src/core/payments/stripe_jobs.h"

#include "src/core/assert.h"

namespace intsim::core::payments {

std::string json_str(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::int64_t json_int(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return 0;
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

nlohmann::json parse_json(std::string_view body) {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string stripe_error_code(const HttpResponse& response) {
  const nlohmann::json j = parse_json(response.body);
  return j.is_object() && j.contains("error") ? json_str(j["error"], "code") : "";
}

resilience::Job stripe_job(std::string peer, std::string_view kind, std::string method,
                           std::string target, std::string body) {
  resilience::Job job;
  job.kind = std::string(kind);
  job.peer = std::move(peer);
  job.method = std::move(method);
  job.target = std::move(target);
  job.headers.push_back({"Stripe-Version", std::string(kStripeApiVersion)});
  if (!body.empty()) job.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  job.body = std::move(body);
  return job;
}

std::string enqueue_into(resilience::Dispatcher& dispatcher, WriteBatch& batch, resilience::Job job,
                         TimeUs now_us, std::vector<WriteBatch::Op>* enqueued) {
  WriteBatch mine;
  const std::string id = dispatcher.enqueue(mine, std::move(job), now_us);
  for (const WriteBatch::Op& op : mine.ops()) {
    INTSIM_ASSERT(op.value.has_value());
    batch.put(op.table, op.key, *op.value);
    enqueued->push_back(op);
  }
  return id;
}

}  // namespace intsim::core::payments
