#include "models/stripe/card_outcome.h"

#include <array>

#include "src/core/assert.h"

namespace intsim::models::stripe {
namespace {

core::TimeUs ms(std::int64_t v) { return v * core::kUsPerMs; }

CardResult decline(std::string code) {
  CardResult r;
  r.outcome = CardOutcome::kDecline;
  r.decline_code = std::move(code);
  return r;
}

CardResult delayed(CardOutcome outcome, core::TimeUs delay_us) {
  CardResult r;
  r.outcome = outcome;
  r.delay_us = delay_us;
  return r;
}

core::TimeUs draw_ms(sim::Rng& rng, std::int64_t lo, std::int64_t hi) {
  INTSIM_ASSERT(lo <= hi);
  return ms(rng.uniform_range(lo, hi));
}

}  // namespace

bool is_payment_method_id(std::string_view id) { return id.size() > 3 && id.starts_with("pm_"); }

std::optional<CardResult> test_card_result(std::string_view pm, const CardOutcomeConfig& config) {
  static constexpr std::array<std::string_view, 4> kSucceed = {
      "pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_visa_debit"};
  for (std::string_view s : kSucceed) {
    if (pm == s) return CardResult{};
  }
  if (pm == "pm_card_chargeDeclined") return decline("generic_decline");
  if (pm == "pm_card_chargeDeclinedInsufficientFunds") return decline("insufficient_funds");
  if (pm == "pm_card_chargeDeclinedLostCard") return decline("lost_card");
  if (pm == "pm_card_chargeDeclinedExpiredCard") return decline("expired_card");
  if (pm == "pm_card_threeDSecure2Required" || pm == "pm_card_authenticationRequired") {
    return delayed(CardOutcome::kActionThenSucceed, ms(config.action_delay_ms_min));
  }
  if (pm == "pm_card_intsim_threeDSecureFails") {
    return delayed(CardOutcome::kActionThenFail, ms(config.action_delay_ms_min));
  }
  if (pm == "pm_card_intsim_processingSucceeds") {
    return delayed(CardOutcome::kProcessingThenSucceed, ms(config.processing_delay_ms_min));
  }
  if (pm == "pm_card_intsim_processingFails") {
    return delayed(CardOutcome::kProcessingThenFail, ms(config.processing_delay_ms_min));
  }
  if (pm == "pm_card_createDispute") {
    CardResult r;
    r.force_dispute = true;
    return r;
  }
  return std::nullopt;
}

CardResult card_result(std::string_view pm, const CardOutcomeConfig& config, sim::Rng& rng) {
  if (auto fixed = test_card_result(pm, config)) return *fixed;
  const double weights[] = {config.succeed_weight, config.decline_weight,
                            config.requires_action_weight, config.processing_weight};
  double total = 0;
  for (double w : weights) total += w > 0 ? w : 0;
  if (total <= 0) return CardResult{};
  double x = rng.next_double() * total;
  int pick = 0;
  for (; pick < 3; ++pick) {
    const double w = weights[pick] > 0 ? weights[pick] : 0;
    if (x < w) break;
    x -= w;
  }
  switch (pick) {
    case 0:
      return CardResult{};
    case 1: {
      INTSIM_ASSERT(!config.decline_codes.empty());
      return decline(config.decline_codes[rng.uniform(config.decline_codes.size())]);
    }
    case 2: {
      const bool ok = rng.bernoulli(config.action_success_probability);
      return delayed(ok ? CardOutcome::kActionThenSucceed : CardOutcome::kActionThenFail,
                     draw_ms(rng, config.action_delay_ms_min, config.action_delay_ms_max));
    }
    default: {
      const bool ok = rng.bernoulli(config.processing_success_probability);
      return delayed(ok ? CardOutcome::kProcessingThenSucceed : CardOutcome::kProcessingThenFail,
                     draw_ms(rng, config.processing_delay_ms_min, config.processing_delay_ms_max));
    }
  }
}

}  // namespace intsim::models::stripe
