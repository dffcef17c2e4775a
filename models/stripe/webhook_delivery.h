// Delivery of the Stripe model's events to the core's webhook endpoint, as a sans-I/O component.
//
// The driver feeds it events (enqueue), asks what is due (take_due: signed POST requests to
// send now), and reports each attempt's outcome (on_outcome). Like Stripe in live mode it
// retries failed deliveries with exponential backoff for up to three days, then gives up; and
// like Stripe it promises neither order nor exactly-once: it delays some events at random
// (reordering), delivers some events twice (same event id), and lets some events overtake the
// API response that caused them (the driver holds that response back until
// response_may_go() says so).
//
// Every request is signed at the moment it is sent (`Stripe-Signature: t=<now>,v1=...`) with
// the core's own signing function, so a retry three days later carries a fresh timestamp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/stripe/stripe_model.h"
#include "sim/rng.h"
#include "src/core/http.h"
#include "src/core/time.h"

namespace intsim::models::stripe {

struct WebhookDeliveryConfig {
  // Every secret signs (one v1 each): several while the endpoint secret is rolled.
  std::vector<std::string> signing_secrets = {"whsec_intsim_test"};
  std::string path = "/webhooks/stripe";
  // Delay from an event's creation to its first attempt.
  std::int64_t delivery_delay_ms_min = 50;
  std::int64_t delivery_delay_ms_max = 1'500;
  // Reordering: some events wait an extra random delay, so later events overtake them.
  double reorder_probability = 0.1;
  std::int64_t reorder_delay_ms_max = 30'000;
  // Duplicates: after a successful delivery, the same event is sent again.
  double duplicate_probability = 0.03;
  std::int64_t duplicate_delay_ms_max = 60'000;
  // An event caused by an API request reaches the core before that request's response.
  double before_response_probability = 0.05;
  // Retries: first_retry_s * factor^(n-1), capped at retry_delay_s_max, each moved by up to
  // retry_jitter (a fraction) either way; no attempt later than retry_window_h after the event.
  std::int64_t first_retry_s = 60;
  double retry_factor = 2.0;
  std::int64_t retry_delay_s_max = 12 * 3600;
  double retry_jitter = 0.1;
  std::int64_t retry_window_h = 72;
};

enum class DeliveryOutcome {
  kSuccess,           // the core answered 2xx
  kFailure,           // the core answered something else
  kTimeout,           // no answer in time (the core may have processed it)
  kConnectionFailed,  // never reached the core
};
// What the core's answer to a delivery (or its absence) means: a malformed answer may hide a
// processed event, as a timeout may.
DeliveryOutcome delivery_outcome(const core::HttpResult& result);

struct Delivery {
  std::uint64_t delivery_id = 0;  // name it in on_outcome
  std::string event_id;
  int attempt = 1;         // 1 for the first attempt of this copy
  bool duplicate = false;  // an extra copy of an event already delivered
  core::HttpRequest request;
};

struct DeliveryStats {
  std::uint64_t attempts = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;  // failures, timeouts and connection failures
  std::uint64_t duplicates = 0;
  std::uint64_t given_up = 0;
};

class WebhookDelivery {
 public:
  WebhookDelivery(WebhookDeliveryConfig config, const sim::Rng& rng);

  // Queues an event created at now_us (from StripeModel::take_events()).
  void enqueue(const Event& event, core::TimeUs now_us);

  // False while the response to `request_id` must wait for an event it caused to be attempted
  // once (that event was chosen to arrive before the response).
  bool response_may_go(std::string_view request_id) const;
  // The event chosen to overtake the response to `request_id`, if any.
  std::optional<std::string> event_before_response(std::string_view request_id) const;

  core::TimeUs next_wakeup_us() const;
  // Every delivery due at or before now_us, in (time, sequence) order, signed at now_us.
  std::vector<Delivery> take_due(core::TimeUs now_us);
  void on_outcome(std::uint64_t delivery_id, DeliveryOutcome outcome, core::TimeUs now_us);

  bool delivered(std::string_view event_id) const;
  bool given_up(std::string_view event_id) const;
  const DeliveryStats& stats() const { return stats_; }
  // Attempt times of an event, for tests and reports.
  const std::vector<core::TimeUs>* attempt_times(std::string_view event_id) const;

 private:
  struct EventState {
    std::string body;
    std::string request_id;
    core::TimeUs created_us = 0;
    bool delivered = false;
    bool given_up = false;
    bool first_attempt_done = false;
    std::vector<core::TimeUs> attempts_us;
  };
  struct Pending {
    std::string event_id;
    int attempt = 1;
    bool duplicate = false;
  };
  core::TimeUs retry_delay_us(int failed_attempt);
  void schedule(core::TimeUs at_us, Pending pending);

  WebhookDeliveryConfig config_;
  sim::Rng delay_rng_;
  sim::Rng fault_rng_;
  std::map<std::string, EventState, std::less<>> events_;
  std::map<std::string, std::string, std::less<>> held_responses_;  // request id -> event id
  std::map<std::pair<core::TimeUs, std::uint64_t>, Pending> due_;
  std::map<std::uint64_t, Pending> in_flight_;
  std::uint64_t seq_ = 0;
  std::uint64_t next_delivery_id_ = 0;
  DeliveryStats stats_;
};

}  // namespace intsim::models::stripe
