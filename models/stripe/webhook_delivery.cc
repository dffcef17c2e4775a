#include "models/stripe/webhook_delivery.h"

#include <algorithm>

#include "src/core/assert.h"
#include "src/core/webhook/signature.h"

namespace intsim::models::stripe {

WebhookDelivery::WebhookDelivery(WebhookDeliveryConfig config, const sim::Rng& rng)
    : config_(std::move(config)),
      delay_rng_(rng.child("webhook_delay")),
      fault_rng_(rng.child("webhook_fault")) {
  INTSIM_ASSERT(!config_.signing_secrets.empty());
  INTSIM_ASSERT(config_.delivery_delay_ms_min <= config_.delivery_delay_ms_max);
}

void WebhookDelivery::schedule(core::TimeUs at_us, Pending pending) {
  due_.emplace(std::make_pair(at_us, ++seq_), std::move(pending));
}

void WebhookDelivery::enqueue(const Event& event, core::TimeUs now_us) {
  EventState state;
  state.body = event.body();
  state.request_id = event.request_id;
  state.created_us = now_us;
  const bool inserted = events_.emplace(event.id, std::move(state)).second;
  INTSIM_ASSERT_MSG(inserted, "event enqueued twice");
  // Every draw happens for every event, so one knob never shifts the others' draws.
  core::TimeUs delay_us =
      delay_rng_.uniform_range(config_.delivery_delay_ms_min, config_.delivery_delay_ms_max) *
      core::kUsPerMs;
  const bool reorder = fault_rng_.bernoulli(config_.reorder_probability);
  const core::TimeUs extra_us =
      delay_rng_.uniform_range(0, config_.reorder_delay_ms_max) * core::kUsPerMs;
  const bool before_response = fault_rng_.bernoulli(config_.before_response_probability);
  if (reorder) delay_us += extra_us;
  if (before_response && !event.request_id.empty() && !held_responses_.contains(event.request_id)) {
    held_responses_.emplace(event.request_id, event.id);
    delay_us = 0;
  }
  schedule(now_us + delay_us, Pending{event.id, 1, false});
}

bool WebhookDelivery::response_may_go(std::string_view request_id) const {
  auto it = held_responses_.find(request_id);
  if (it == held_responses_.end()) return true;
  return events_.find(it->second)->second.first_attempt_done;
}

std::optional<std::string> WebhookDelivery::event_before_response(
    std::string_view request_id) const {
  auto it = held_responses_.find(request_id);
  if (it == held_responses_.end()) return std::nullopt;
  return it->second;
}

core::TimeUs WebhookDelivery::next_wakeup_us() const {
  return due_.empty() ? kNever : due_.begin()->first.first;
}

std::vector<Delivery> WebhookDelivery::take_due(core::TimeUs now_us) {
  std::vector<Delivery> out;
  while (!due_.empty() && due_.begin()->first.first <= now_us) {
    auto node = due_.extract(due_.begin());
    Pending p = std::move(node.mapped());
    EventState& state = events_.at(p.event_id);
    Delivery d;
    d.delivery_id = ++next_delivery_id_;
    d.event_id = p.event_id;
    d.attempt = p.attempt;
    d.duplicate = p.duplicate;
    d.request.method = "POST";
    d.request.target = config_.path;
    d.request.headers = {
        {"Content-Type", "application/json; charset=utf-8"},
        {"User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
        {"Stripe-Signature", core::webhook::stripe_signature_header(
                                 config_.signing_secrets, core::unix_seconds(now_us), state.body)}};
    d.request.body = state.body;
    state.attempts_us.push_back(now_us);
    ++stats_.attempts;
    if (p.duplicate) ++stats_.duplicates;
    in_flight_.emplace(d.delivery_id, std::move(p));
    out.push_back(std::move(d));
  }
  return out;
}

core::TimeUs WebhookDelivery::retry_delay_us(int failed_attempt) {
  double delay_s = static_cast<double>(config_.first_retry_s);
  for (int i = 1; i < failed_attempt; ++i) {
    delay_s *= config_.retry_factor;
    if (delay_s >= static_cast<double>(config_.retry_delay_s_max)) break;
  }
  delay_s = std::min(delay_s, static_cast<double>(config_.retry_delay_s_max));
  const double jitter = (delay_rng_.next_double() * 2.0 - 1.0) * config_.retry_jitter;
  return static_cast<core::TimeUs>(delay_s * (1.0 + jitter) * core::kUsPerSec);
}

void WebhookDelivery::on_outcome(std::uint64_t delivery_id, DeliveryOutcome outcome,
                                 core::TimeUs now_us) {
  auto it = in_flight_.find(delivery_id);
  INTSIM_ASSERT_MSG(it != in_flight_.end(), "outcome for an unknown delivery");
  const Pending p = std::move(it->second);
  in_flight_.erase(it);
  EventState& state = events_.at(p.event_id);
  if (!p.duplicate) state.first_attempt_done = true;
  if (outcome == DeliveryOutcome::kSuccess) {
    ++stats_.successes;
    const bool first_success = !state.delivered;
    state.delivered = true;
    const bool dup = fault_rng_.bernoulli(config_.duplicate_probability);
    const core::TimeUs dup_delay_us =
        delay_rng_.uniform_range(0, config_.duplicate_delay_ms_max) * core::kUsPerMs;
    if (first_success && !p.duplicate && dup) {
      schedule(now_us + dup_delay_us, Pending{p.event_id, 1, true});
    }
    return;
  }
  ++stats_.failures;
  // A failed extra copy is not retried: the original already arrived.
  if (p.duplicate || state.delivered) return;
  const core::TimeUs at_us = now_us + retry_delay_us(p.attempt);
  if (at_us > state.created_us + config_.retry_window_h * core::kUsPerHour) {
    state.given_up = true;
    ++stats_.given_up;
    return;
  }
  schedule(at_us, Pending{p.event_id, p.attempt + 1, false});
}

bool WebhookDelivery::delivered(std::string_view event_id) const {
  auto it = events_.find(event_id);
  return it != events_.end() && it->second.delivered;
}

bool WebhookDelivery::given_up(std::string_view event_id) const {
  auto it = events_.find(event_id);
  return it != events_.end() && it->second.given_up;
}

const std::vector<core::TimeUs>* WebhookDelivery::attempt_times(std::string_view event_id) const {
  auto it = events_.find(event_id);
  return it == events_.end() ? nullptr : &it->second.attempts_us;
}

DeliveryOutcome delivery_outcome(const core::HttpResult& result) {
  switch (result.error) {
    case core::HttpError::kNone:
      return result.response.status >= 200 && result.response.status < 300
                 ? DeliveryOutcome::kSuccess
                 : DeliveryOutcome::kFailure;
    case core::HttpError::kTimeout:
    case core::HttpError::kMalformedResponse:
      return DeliveryOutcome::kTimeout;
    case core::HttpError::kConnectionFailed:
      return DeliveryOutcome::kConnectionFailed;
  }
  return DeliveryOutcome::kFailure;
}

}  // namespace intsim::models::stripe
