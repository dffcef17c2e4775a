// Refunds: whole or partial, never more than was captured, never on an open dispute.
#include <fmt/format.h>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "src/core/payments/currency.h"
#include "src/core/payments/form_codec.h"

namespace intsim::models::stripe {
namespace {
namespace pay = core::payments;
}  // namespace

StripeModel::Reply StripeModel::create_refund(const nlohmann::json& params,
                                              const RequestContext& ctx) {
  std::string pi_id;
  if (auto c = string_param(params, "charge")) {
    const Charge* ch = charge(*c);
    if (!ch)
      return {400, invalid("resource_missing", fmt::format("No such charge: '{}'", *c), "charge")};
    pi_id = ch->payment_intent;
  } else if (auto p = string_param(params, "payment_intent")) {
    pi_id = *p;
  } else {
    return {400, invalid("parameter_missing", "One of charge or payment_intent is required.",
                         "payment_intent")};
  }
  auto it = payment_intents_.find(pi_id);
  if (it == payment_intents_.end()) {
    return {400, invalid("resource_missing", fmt::format("No such payment_intent: '{}'", pi_id),
                         "payment_intent")};
  }
  PaymentIntent& pi = it->second;
  if (pi.status != "succeeded") {
    return {400, invalid("payment_intent_unexpected_state",
                         fmt::format("This PaymentIntent ({}) does not have a successful charge "
                                     "to refund.",
                                     pi.id),
                         "payment_intent")};
  }
  Charge& ch = charges_.at(pi.latest_charge);
  if (!ch.dispute.empty()) {
    const Dispute& d = disputes_.at(ch.dispute);
    if (d.status == "needs_response" || d.status == "under_review") {
      return {400,
              invalid("charge_disputed",
                      fmt::format("Charge {} has been disputed; it cannot be refunded.", ch.id))};
    }
  }
  const std::int64_t remaining = ch.amount_captured - ch.amount_refunded;
  if (remaining <= 0) {
    return {400, invalid("charge_already_refunded",
                         fmt::format("Charge {} has already been refunded.", ch.id))};
  }
  std::int64_t amount = remaining;
  if (auto a = string_param(params, "amount")) {
    if (!parse_int(*a, &amount)) {
      return {400, invalid("parameter_invalid_integer", "Invalid integer: " + *a, "amount")};
    }
    if (auto e =
            amount_error(pay::check_partial_amount(amount, pi.currency), amount, pi.currency)) {
      return {400, *e};
    }
    if (amount > remaining) {
      return {400, invalid("amount_too_large",
                           fmt::format("Refund amount ({}) is greater than unrefunded amount on "
                                       "charge ({})",
                                       amount, remaining),
                           "amount")};
    }
  }
  Refund r;
  if (auto reason = string_param(params, "reason")) {
    if (!one_of(*reason, {"duplicate", "fraudulent", "requested_by_customer"})) {
      return {400, invalid("parameter_invalid_string", "Invalid reason: " + *reason, "reason")};
    }
    r.reason = *reason;
  }
  nlohmann::json error;
  if (!metadata_param(params, &r.metadata, &error)) return {400, error};
  r.id = next_id("re");
  r.charge = ch.id;
  r.payment_intent = pi.id;
  r.currency = pi.currency;
  r.amount = amount;
  r.created_us = ctx.now_us;
  ch.amount_refunded += amount;
  ledger_.on_move({ctx.now_us, MoneyMove::kRefund, ledger_.find(pi.id)->booking_id, pi.id, r.id,
                   pi.currency, amount});
  const Refund& stored = refunds_.emplace(r.id, std::move(r)).first->second;
  emit("refund.created", render(stored), ctx);
  emit("charge.refunded", render(ch), ctx);
  return {200, render(stored)};
}

}  // namespace intsim::models::stripe
