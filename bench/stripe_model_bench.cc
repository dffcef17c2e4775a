// Throughput of the simulated Stripe on one core, so scenario authors know what a run of N
// payments costs. Prints CPU microseconds per operation for
//   create+confirm   POST /v1/payment_intents with confirm=true and a fresh idempotency key
//                    (form decode, validation, card outcome, charge, 3 events, ledger, key stored)
//   replay           the same POST again with the same key: the idempotency layer's answer
//   search           GET /v1/payment_intents/search by booking id over the stored intents
//   deliver          WebhookDelivery enqueue + take_due (signs with HMAC-SHA256) + on_outcome
// and the ratio of create+confirm to replay (what a retry with the same key saves).
#include <fmt/format.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/stripe/stripe_model.h"
#include "models/stripe/webhook_delivery.h"
#include "sim/rng.h"
#include "src/core/payments/form_codec.h"

namespace {

namespace ms = intsim::models::stripe;
using intsim::core::TimeUs;

constexpr TimeUs kStartUs = 1'767'225'600LL * intsim::core::kUsPerSec;

// CPU time of this thread, so a shared machine does not inflate the figures.
std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

intsim::core::HttpRequest create_request(int i) {
  intsim::core::HttpRequest r;
  r.method = "POST";
  r.target = "/v1/payment_intents";
  r.headers = {{"Authorization", "Bearer sk_test_intsim"},
               {"Idempotency-Key", fmt::format("key-{}", i)}};
  r.body = intsim::core::payments::form_encode({{"amount", "12500"},
                                                {"currency", "eur"},
                                                {"payment_method", "pm_card_visa"},
                                                {"confirm", "true"},
                                                {"metadata[booking_id]", fmt::format("bk_{}", i)}});
  return r;
}

}  // namespace

int main() {
  constexpr int kOps = 20'000;
  ms::StripeConfig config;
  config.dispute.probability = 0;
  config.search_lag_ms = 0;
  ms::StripeModel model(config, intsim::sim::Rng(1));
  std::vector<intsim::core::HttpRequest> requests;
  requests.reserve(kOps);
  for (int i = 0; i < kOps; ++i) requests.push_back(create_request(i));

  TimeUs now = kStartUs;
  std::int64_t t0 = thread_cpu_ns();
  for (const auto& r : requests) {
    now += 1'000;
    if (model.call(r, now).response.status != 200) return 4;
  }
  const double create_us = (thread_cpu_ns() - t0) / 1e3 / kOps;

  now += intsim::core::kUsPerSec;
  t0 = thread_cpu_ns();
  for (const auto& r : requests) {
    if (model.call(r, now).response.status != 200) return 4;
  }
  const double replay_us = (thread_cpu_ns() - t0) / 1e3 / kOps;

  constexpr int kSearches = 200;
  intsim::core::HttpRequest search;
  search.method = "GET";
  search.headers = {{"Authorization", "Bearer sk_test_intsim"}};
  t0 = thread_cpu_ns();
  for (int i = 0; i < kSearches; ++i) {
    search.target =
        "/v1/payment_intents/search?query=" + intsim::core::payments::form_escape(fmt::format(
                                                  "metadata['booking_id']:'bk_{}'", i * 97 % kOps));
    if (model.call(search, now).response.status != 200) return 4;
  }
  const double search_us = (thread_cpu_ns() - t0) / 1e3 / kSearches;

  const std::vector<ms::Event> events = model.take_events();
  ms::WebhookDeliveryConfig wconfig;
  wconfig.duplicate_probability = 0;
  ms::WebhookDelivery delivery(wconfig, intsim::sim::Rng(2));
  t0 = thread_cpu_ns();
  for (const ms::Event& e : events) delivery.enqueue(e, now);
  now += 60 * intsim::core::kUsPerSec;
  for (const ms::Delivery& d : delivery.take_due(now)) {
    delivery.on_outcome(d.delivery_id, ms::DeliveryOutcome::kSuccess, now);
  }
  const double deliver_us = (thread_cpu_ns() - t0) / 1e3 / static_cast<double>(events.size());

  fmt::print("stripe_model_bench: {} payment intents, {} events (CPU time, one core)\n", kOps,
             events.size());
  fmt::print("  create+confirm  {:8.2f} us/request\n", create_us);
  fmt::print("  replay          {:8.2f} us/request   create/replay = {:.1f}x\n", replay_us,
             create_us / replay_us);
  fmt::print("  search          {:8.2f} us/query over {} intents (linear scan)\n", search_us, kOps);
  fmt::print("  deliver         {:8.2f} us/event (enqueue, sign, outcome)\n", deliver_us);
  return 0;
}
