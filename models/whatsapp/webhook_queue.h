// Delivery of the WhatsApp model's webhook payloads to the core, as Meta does it: each payload
// is signed (X-Hub-Signature-256) when it is sent, failed attempts are retried with backoff for
// up to retry_window_us (Meta: about seven days), and nothing about order or uniqueness is
// promised: payloads wait a random delay before their first attempt (so later ones overtake
// them) and some are delivered twice.
//
// Sans-I/O: enqueue(body, now), take_due(now) -> signed requests, on_outcome(id, ok, now).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/rng.h"
#include "src/core/http.h"
#include "src/core/time.h"

namespace intsim::models::whatsapp {

inline constexpr core::TimeUs kNever = std::numeric_limits<core::TimeUs>::max();

struct WebhookQueueConfig {
  std::string app_secret = "intsim_meta_app_secret";
  std::string path = "/webhooks/whatsapp";
  // The verify token of the subscription's GET handshake (hub.verify_token).
  std::string verify_token = "intsim_verify_token";
  // Delay before a payload's first attempt, uniform in [min, max]: the spread reorders.
  core::TimeUs delay_us_min = 50 * core::kUsPerMs;
  core::TimeUs delay_us_max = 3 * core::kUsPerSec;
  double duplicate_probability = 0.05;  // a delivered payload is sent once more, later
  core::TimeUs duplicate_delay_us_max = 60 * core::kUsPerSec;
  core::TimeUs first_retry_us = 30 * core::kUsPerSec;  // doubled per failure
  core::TimeUs retry_delay_us_max = 2 * core::kUsPerHour;
  core::TimeUs retry_window_us = 7 * core::kUsPerDay;
};

struct WebhookAttempt {
  std::uint64_t id = 0;
  core::HttpRequest request;
};

struct WebhookStats {
  std::uint64_t payloads = 0;
  std::uint64_t attempts = 0;
  std::uint64_t failures = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t given_up = 0;
};

class WebhookQueue {
 public:
  WebhookQueue(WebhookQueueConfig config, sim::Rng rng);

  void enqueue(std::string body, core::TimeUs now_us);
  // Every payload due at now_us, signed now; each attempt's outcome must be reported.
  std::vector<WebhookAttempt> take_due(core::TimeUs now_us);
  void on_outcome(std::uint64_t id, bool delivered, core::TimeUs now_us);

  core::TimeUs next_wakeup_us() const;
  bool idle() const { return pending_.empty() && in_flight_.empty(); }
  const WebhookStats& stats() const { return stats_; }

 private:
  struct Payload {
    std::string body;
    core::TimeUs first_at_us = 0;
    core::TimeUs next_retry_us = 0;  // the delay after the next failure
    bool duplicate = false;
  };
  void schedule(Payload p, core::TimeUs at_us);

  WebhookQueueConfig config_;
  sim::Rng rng_;
  std::uint64_t next_id_ = 1;
  std::set<std::pair<core::TimeUs, std::uint64_t>> due_;  // (at, id)
  std::map<std::uint64_t, Payload> pending_;
  std::map<std::uint64_t, Payload> in_flight_;
  WebhookStats stats_;
};

}  // namespace intsim::models::whatsapp
