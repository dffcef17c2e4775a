// What happens when a card is confirmed: Stripe's test payment methods give fixed outcomes (so
// unit tests are exact), any other payment method draws from CardOutcomeConfig.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "models/stripe/config.h"
#include "sim/rng.h"
#include "src/core/time.h"

namespace intsim::models::stripe {

enum class CardOutcome {
  kSucceed,
  kDecline,                // 402 card_error; the PaymentIntent returns to requires_payment_method
  kActionThenSucceed,      // requires_action, then the customer authenticates
  kActionThenFail,         // requires_action, then authentication fails
  kProcessingThenSucceed,  // processing, then settles
  kProcessingThenFail,     // processing, then fails
};

struct CardResult {
  CardOutcome outcome = CardOutcome::kSucceed;
  std::string decline_code;    // kDecline: "generic_decline", "insufficient_funds", ...
  core::TimeUs delay_us = 0;   // action and processing outcomes: when they resolve
  bool force_dispute = false;  // pm_card_createDispute
};

// The fixed outcome of a Stripe test payment method, or nullopt for any other id:
//   pm_card_visa, pm_card_mastercard, pm_card_amex, pm_card_visa_debit     succeed
//   pm_card_chargeDeclined                         decline generic_decline
//   pm_card_chargeDeclinedInsufficientFunds        decline insufficient_funds
//   pm_card_chargeDeclinedLostCard                 decline lost_card
//   pm_card_chargeDeclinedExpiredCard              decline expired_card
//   pm_card_threeDSecure2Required, pm_card_authenticationRequired
//                                                  requires_action, then succeeds
//   pm_card_createDispute                          succeeds, then is disputed
// and, since Stripe's test cards leave these to a human clicking in a modal, the model's own:
//   pm_card_intsim_threeDSecureFails               requires_action, then fails
//   pm_card_intsim_processingSucceeds              processing, then succeeds
//   pm_card_intsim_processingFails                 processing, then fails
// Delays of fixed outcomes are the configured minimums, so tests can advance exactly.
std::optional<CardResult> test_card_result(std::string_view payment_method,
                                           const CardOutcomeConfig& config);

// A test card's result, or a draw from `config` using `rng`.
CardResult card_result(std::string_view payment_method, const CardOutcomeConfig& config,
                       sim::Rng& rng);

// A payment method id the model accepts: "pm_" followed by at least one character.
bool is_payment_method_id(std::string_view id);

}  // namespace intsim::models::stripe
