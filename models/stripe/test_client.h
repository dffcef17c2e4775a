// Test helper: builds authenticated requests against a StripeModel and parses its answers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "models/stripe/stripe_model.h"
#include "sim/simulation.h"
#include "src/core/payments/form_codec.h"

namespace intsim::models::stripe::testing {

class Client {
 public:
  explicit Client(StripeModel* model) : model_(model) {}

  core::TimeUs now_us = sim::kEpochUs;

  ApiResult post(const std::string& path, const core::payments::FormFields& fields,
                 const std::string& idempotency_key = "") {
    core::HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.headers = {{"Authorization", "Bearer " + model_->config().secret_key},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
    if (!idempotency_key.empty()) r.headers.push_back({"Idempotency-Key", idempotency_key});
    r.body = core::payments::form_encode(fields);
    return model_->call(r, now_us);
  }
  ApiResult get(const std::string& target) {
    core::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"Authorization", "Bearer " + model_->config().secret_key}};
    return model_->call(r, now_us);
  }
  ApiResult del(const std::string& target) {
    core::HttpRequest r;
    r.method = "DELETE";
    r.target = target;
    r.headers = {{"Authorization", "Bearer " + model_->config().secret_key}};
    return model_->call(r, now_us);
  }
  // Moves time forward and lets the model run what fell due.
  void advance_by(core::TimeUs delta_us) {
    now_us += delta_us;
    model_->advance(now_us);
  }
  // Runs the model's timers until none is left before `until_us`.
  void run_until(core::TimeUs until_us) {
    while (model_->next_wakeup_us() <= until_us) {
      now_us = std::max(now_us, model_->next_wakeup_us());
      model_->advance(now_us);
    }
    now_us = until_us;
    model_->advance(now_us);
  }

  static nlohmann::json body(const ApiResult& r) { return nlohmann::json::parse(r.response.body); }

  // A PaymentIntent created and confirmed at once.
  ApiResult pay(std::int64_t amount, const std::string& pm, const std::string& booking_id,
                const std::string& key = "", const std::string& currency = "usd",
                bool manual = false) {
    core::payments::FormFields f = {{"amount", std::to_string(amount)},
                                    {"currency", currency},
                                    {"payment_method", pm},
                                    {"confirm", "true"},
                                    {"metadata[booking_id]", booking_id}};
    if (manual) f.emplace_back("capture_method", "manual");
    return post("/v1/payment_intents", f, key);
  }

 private:
  StripeModel* model_;
};

inline std::vector<std::string> event_types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(e.type);
  return out;
}

}  // namespace intsim::models::stripe::testing
