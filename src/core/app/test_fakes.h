// Fake ports for the payments, bookings and integration tests: timers and an HTTP client that
// only record what they are asked, so a test decides when time moves and what Stripe answers.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/alerting_store.h"
#include "src/core/memory_store.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"
#include "src/core/ports.h"
#include "src/core/resilience/test_ports.h"
#include "src/core/resilience/test_random.h"

namespace intsim::core::testing {

struct FakeClock final : Clock {
  TimeUs now = 0;
  TimeUs now_us() const override { return now; }
};

// The dispatcher's recording fakes serve these tests as they are.
using resilience::testing::FakeHttp;
using resilience::testing::FakeTimers;

// Every port, owned together.
struct FakePorts {
  FakeClock clock;
  resilience::testing::SplitMixRandom random{42};
  FakeTimers timers;
  FakeHttp http;
  MemoryStore store;
  observability::RecordingLog log;
  observability::MetricsRegistry metrics;
  observability::RecordingAlerts alerts;
  // `store`, raising the alerts a batch carries once it committed, as the integration's does:
  // what a test of one service passes as its store (ports(&alerting_store)).
  AlertingStore alerting_store{&store, &alerts};

  Ports ports(Store* store_override = nullptr) {
    return Ports{&clock, &random,  &timers, &http, store_override ? store_override : &store,
                 &log,   &metrics, &alerts};
  }
};

inline HttpResult json_result(int status, const nlohmann::json& body) {
  return HttpResult::of(HttpResponse{status, {{"Content-Type", "application/json"}}, body.dump()});
}

// A PaymentIntent as Stripe renders it (the fields the core reads).
inline nlohmann::json stripe_pi(const std::string& id, const std::string& booking_id,
                                const std::string& status, std::int64_t amount = 36'000,
                                bool with_error = false) {
  nlohmann::json pi = {{"id", id},
                       {"object", "payment_intent"},
                       {"amount", amount},
                       {"currency", "usd"},
                       {"status", status},
                       {"metadata", {{"booking_id", booking_id}}},
                       {"last_payment_error", nullptr}};
  if (with_error) pi["last_payment_error"] = {{"type", "card_error"}, {"code", "card_declined"}};
  return pi;
}

}  // namespace intsim::core::testing
