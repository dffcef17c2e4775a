// Behaviour knobs of the Stripe model, with defaults. Units are in the names; probabilities are
// in [0, 1]. A scenario overrides what it needs; unit tests pin outcomes with test cards
// (card_outcome.h) instead of probabilities.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/time.h"

namespace intsim::models::stripe {

// How a card confirmation turns out when the payment method is not a test card. The four
// probabilities are weights (they need not sum to 1; all zero means succeed).
struct CardOutcomeConfig {
  double succeed_weight = 0.86;
  double decline_weight = 0.08;
  double requires_action_weight = 0.04;  // 3-D Secure: resolved after action_delay_ms
  double processing_weight = 0.02;       // settles asynchronously after processing_delay_ms
  // A card whose last charge was declined (not a test card) declines again, with the same code,
  // with this probability: a card short of funds rarely recovers within hours, which is why
  // Smart Retries space their tries over days. 0 (the default): every charge is a fresh draw.
  double repeat_decline_probability = 0.0;
  double action_success_probability = 0.75;
  double processing_success_probability = 0.9;
  std::int64_t action_delay_ms_min = 5'000;
  std::int64_t action_delay_ms_max = 180'000;
  std::int64_t processing_delay_ms_min = 2'000;
  std::int64_t processing_delay_ms_max = 3'600'000;
  // Drawn uniformly for a random decline.
  std::vector<std::string> decline_codes = {"generic_decline", "insufficient_funds", "lost_card",
                                            "do_not_honor"};
};

struct DisputeConfig {
  // Chance that a succeeded (captured) charge is disputed at some point.
  double probability = 0.01;
  std::int64_t open_delay_h_min = 24;
  std::int64_t open_delay_h_max = 24 * 60;
  // needs_response until evidence is due, then under_review until the bank decides.
  std::int64_t evidence_window_h = 24 * 7;
  std::int64_t review_h = 24 * 10;
  double won_probability = 0.4;
  // pm_card_createDispute disputes its charge this soon after success.
  std::int64_t test_card_open_delay_ms = 60'000;
};

enum class DunningEnd {
  kCancel,   // the subscription is canceled (customer.subscription.deleted)
  kUnpaid,   // the subscription becomes unpaid; no further invoices are attempted
  kPastDue,  // it stays past_due
};

struct SubscriptionConfig {
  // Smart retries: the first attempt plus one retry per offset (hours after the first failure),
  // about 8 tries within 2 weeks as Stripe recommends; each retry is moved by up to
  // retry_jitter_h either way, as Smart Retries pick "a good time".
  std::vector<std::int64_t> retry_offsets_h = {24, 48, 96, 144, 192, 240, 336};
  std::int64_t retry_jitter_h = 6;
  DunningEnd dunning_end = DunningEnd::kCancel;
  // An incomplete subscription (first payment failed) expires after 23 hours.
  std::int64_t incomplete_expiry_h = 23;
};

struct StripeConfig {
  CardOutcomeConfig card;
  DisputeConfig dispute;
  SubscriptionConfig subscription;
  // The secret key the API accepts in `Authorization: Bearer ...`; anything else is a 401.
  std::string secret_key = "sk_test_intsim";
  std::string api_version = "2024-06-20";
  // Chance that a POST fails with a 500 api_error before doing any work (stored under its
  // idempotency key and replayed, as Stripe does).
  double api_error_probability = 0.0;
  // How long a request occupies its idempotency key: another request with the key inside this
  // window gets 409 idempotency_key_in_use. The driver delivers the response no earlier.
  std::int64_t request_processing_ms = 300;
  // Stored idempotency results may be pruned once this old; then the key makes a new request.
  std::int64_t idempotency_key_ttl_h = 24;
  // Search is eventually consistent: an object becomes searchable this long after creation
  // (Stripe: "typically within a minute"). List and retrieve are immediate.
  std::int64_t search_lag_ms = 2'000;
};

}  // namespace intsim::models::stripe
