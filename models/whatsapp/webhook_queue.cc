#include "models/whatsapp/webhook_queue.h"

#include <algorithm>

#include "src/core/assert.h"
#include "src/core/webhook/signature.h"

namespace intsim::models::whatsapp {

WebhookQueue::WebhookQueue(WebhookQueueConfig config, sim::Rng rng)
    : config_(std::move(config)), rng_(std::move(rng)) {
  INTSIM_ASSERT(config_.delay_us_min >= 0 && config_.delay_us_min <= config_.delay_us_max);
  INTSIM_ASSERT(config_.first_retry_us > 0);
}

void WebhookQueue::schedule(Payload p, core::TimeUs at_us) {
  const std::uint64_t id = next_id_++;
  due_.insert({at_us, id});
  pending_.emplace(id, std::move(p));
}

void WebhookQueue::enqueue(std::string body, core::TimeUs now_us) {
  ++stats_.payloads;
  Payload p{std::move(body), now_us, config_.first_retry_us, false};
  schedule(std::move(p), now_us + rng_.uniform_range(config_.delay_us_min, config_.delay_us_max));
}

std::vector<WebhookAttempt> WebhookQueue::take_due(core::TimeUs now_us) {
  std::vector<WebhookAttempt> out;
  while (!due_.empty() && due_.begin()->first <= now_us) {
    const std::uint64_t id = due_.begin()->second;
    due_.erase(due_.begin());
    auto it = pending_.find(id);
    INTSIM_ASSERT(it != pending_.end());
    core::HttpRequest r;
    r.method = "POST";
    r.target = config_.path;
    r.headers = {{"Content-Type", "application/json"},
                 {"X-Hub-Signature-256",
                  core::webhook::whatsapp_signature_header(config_.app_secret, it->second.body)}};
    r.body = it->second.body;
    in_flight_.emplace(id, std::move(it->second));
    pending_.erase(it);
    ++stats_.attempts;
    out.push_back({id, std::move(r)});
  }
  return out;
}

void WebhookQueue::on_outcome(std::uint64_t id, bool delivered, core::TimeUs now_us) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  Payload p = std::move(it->second);
  in_flight_.erase(it);
  if (delivered) {
    if (!p.duplicate && rng_.bernoulli(config_.duplicate_probability)) {
      ++stats_.duplicates;
      Payload copy{p.body, now_us, config_.first_retry_us, true};
      schedule(std::move(copy), now_us + rng_.uniform_range(0, config_.duplicate_delay_us_max));
    }
    return;
  }
  ++stats_.failures;
  const core::TimeUs at_us = now_us + p.next_retry_us;
  if (at_us > p.first_at_us + config_.retry_window_us) {
    ++stats_.given_up;
    return;
  }
  p.next_retry_us = std::min(p.next_retry_us * 2, config_.retry_delay_us_max);
  schedule(std::move(p), at_us);
}

core::TimeUs WebhookQueue::next_wakeup_us() const {
  return due_.empty() ? kNever : due_.begin()->first;
}

}  // namespace intsim::models::whatsapp
