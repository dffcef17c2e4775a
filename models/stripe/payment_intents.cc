// PaymentIntents and their charges in the Stripe model: create, confirm (every card outcome,
// synchronous and asynchronous), capture, cancel.
#include <fmt/format.h>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "src/core/assert.h"
#include "src/core/payments/currency.h"
#include "src/core/payments/form_codec.h"

namespace intsim::models::stripe {
namespace {

namespace pay = core::payments;

std::string decline_message(std::string_view decline_code) {
  if (decline_code == "insufficient_funds") return "Your card has insufficient funds.";
  if (decline_code == "expired_card") return "Your card has expired.";
  if (decline_code == "lost_card") return "Your card was declined.";
  if (decline_code == "authentication_required") {
    return "Your card was declined. This transaction requires authentication.";
  }
  return "Your card was declined.";
}

}  // namespace

void StripeModel::set_status(PaymentIntent& pi, std::string status, core::TimeUs now_us) {
  pi.status = std::move(status);
  ledger_.on_status(pi.id, pi.status, now_us);
}

StripeModel::Reply StripeModel::create_payment_intent(const nlohmann::json& params,
                                                      const RequestContext& ctx) {
  const auto amount_text = string_param(params, "amount");
  if (!amount_text) return {400, missing_param("amount")};
  std::int64_t amount = 0;
  if (!parse_int(*amount_text, &amount)) {
    return {400, invalid("parameter_invalid_integer",
                         fmt::format("Invalid integer: {}", *amount_text), "amount")};
  }
  const auto currency = string_param(params, "currency");
  if (!currency) return {400, missing_param("currency")};
  if (auto e = amount_error(pay::check_charge_amount(amount, *currency), amount, *currency)) {
    return {400, *e};
  }
  PaymentIntent pi;
  pi.amount = amount;
  pi.currency = *currency;
  if (auto c = string_param(params, "customer")) {
    if (!customers_.contains(*c)) {
      return {400,
              invalid("resource_missing", fmt::format("No such customer: '{}'", *c), "customer")};
    }
    pi.customer = *c;
  }
  if (auto pm = string_param(params, "payment_method")) {
    if (!is_payment_method_id(*pm)) {
      return {400, invalid("resource_missing", fmt::format("No such PaymentMethod: '{}'", *pm),
                           "payment_method")};
    }
    pi.payment_method = *pm;
  }
  if (auto cm = string_param(params, "capture_method")) {
    if (!one_of(*cm, {"automatic", "automatic_async", "manual"})) {
      return {400, invalid("parameter_invalid_string",
                           fmt::format("Invalid capture_method: {}", *cm), "capture_method")};
    }
    pi.capture_method = *cm == "manual" ? "manual" : "automatic";
  }
  bool confirm_now = false;
  if (auto c = string_param(params, "confirm")) {
    const auto b = parse_bool(*c);
    if (!b) return {400, invalid("parameter_invalid_boolean", "Invalid boolean: " + *c, "confirm")};
    confirm_now = *b;
  }
  if (confirm_now && pi.payment_method.empty()) {
    return {400, invalid("parameter_missing",
                         "You cannot confirm this PaymentIntent because it's missing a payment "
                         "method.",
                         "payment_method")};
  }
  nlohmann::json error;
  if (!metadata_param(params, &pi.metadata, &error)) return {400, error};
  pi.description = string_param(params, "description").value_or("");

  pi.id = next_id("pi");
  pi.created_us = ctx.now_us;
  pi.status = pi.payment_method.empty() ? "requires_payment_method" : "requires_confirmation";
  PaymentRecord record;
  record.payment_intent_id = pi.id;
  auto booking = pi.metadata.find("booking_id");
  record.booking_id = booking == pi.metadata.end() ? "" : booking->second;
  record.idempotency_key = ctx.idempotency_key;
  record.currency = pi.currency;
  record.amount = pi.amount;
  record.status = pi.status;
  record.created_us = ctx.now_us;
  ledger_.on_created(record);
  PaymentIntent& stored = payment_intents_.emplace(pi.id, std::move(pi)).first->second;
  emit("payment_intent.created", render(stored), ctx);
  if (!confirm_now) return {200, render(stored)};
  nlohmann::json declined = confirm(stored, false, ctx);
  if (!declined.is_null()) return {402, std::move(declined)};
  return {200, render(stored)};
}

StripeModel::Reply StripeModel::confirm_payment_intent(std::string_view id,
                                                       const nlohmann::json& params,
                                                       const RequestContext& ctx) {
  auto it = payment_intents_.find(id);
  if (it == payment_intents_.end()) {
    return {404,
            invalid("resource_missing", fmt::format("No such payment_intent: '{}'", id), "intent")};
  }
  PaymentIntent& pi = it->second;
  if (!one_of(pi.status, {"requires_payment_method", "requires_confirmation"})) {
    return {400, invalid("payment_intent_unexpected_state",
                         fmt::format("You cannot confirm this PaymentIntent because it has a "
                                     "status of {}.",
                                     pi.status))};
  }
  std::string pm = pi.payment_method;
  if (auto p = string_param(params, "payment_method")) {
    if (!is_payment_method_id(*p)) {
      return {400, invalid("resource_missing", fmt::format("No such PaymentMethod: '{}'", *p),
                           "payment_method")};
    }
    pm = *p;
  }
  if (pm.empty()) {
    return {400, invalid("payment_intent_unexpected_state",
                         "You cannot confirm this PaymentIntent because it's missing a payment "
                         "method.",
                         "payment_method")};
  }
  pi.payment_method = pm;
  nlohmann::json declined = confirm(pi, false, ctx);
  if (!declined.is_null()) return {402, std::move(declined)};
  return {200, render(pi)};
}

nlohmann::json StripeModel::confirm(PaymentIntent& pi, bool off_session,
                                    const RequestContext& ctx) {
  const double repeat = config_.card.repeat_decline_probability;
  const auto declined_before = declined_cards_.find(pi.payment_method);
  CardResult r;
  if (repeat > 0 && declined_before != declined_cards_.end() && repeat_rng_.bernoulli(repeat)) {
    r = CardResult{CardOutcome::kDecline, declined_before->second, 0, false};
  } else {
    r = card_result(pi.payment_method, config_.card, card_rng_);
  }
  if (off_session) {
    // No customer is present to authenticate, and an off-session card charge settles at once.
    if (r.outcome == CardOutcome::kActionThenSucceed || r.outcome == CardOutcome::kActionThenFail) {
      r = CardResult{CardOutcome::kDecline, "authentication_required", 0, false};
    } else if (r.outcome == CardOutcome::kProcessingThenSucceed) {
      r.outcome = CardOutcome::kSucceed;
    } else if (r.outcome == CardOutcome::kProcessingThenFail) {
      r = CardResult{CardOutcome::kDecline, "generic_decline", 0, false};
    }
  }
  pi.last_payment_error.reset();
  pi.next_action_sdk = false;
  if (repeat > 0 && !test_card_result(pi.payment_method, config_.card)) {
    if (r.outcome == CardOutcome::kDecline) {
      declined_cards_[pi.payment_method] = r.decline_code;
    } else if (declined_before != declined_cards_.end()) {
      declined_cards_.erase(declined_before);
    }
  }
  switch (r.outcome) {
    case CardOutcome::kSucceed:
      charge_succeeded(pi, r.force_dispute, ctx);
      return nullptr;
    case CardOutcome::kDecline: {
      PaymentError err;
      err.type = "card_error";
      err.code = r.decline_code == "expired_card" ? "expired_card" : "card_declined";
      err.decline_code = r.decline_code;
      err.message = decline_message(r.decline_code);
      err.payment_method = pi.payment_method;
      charge_failed(pi, err, true, ctx);
      nlohmann::json body = error_body("card_error", err.code, err.message);
      body["error"]["decline_code"] = err.decline_code;
      body["error"]["charge"] = pi.latest_charge;
      body["error"]["payment_intent"] = render(pi);
      return body;
    }
    case CardOutcome::kActionThenSucceed:
    case CardOutcome::kActionThenFail: {
      pi.next_action_sdk = true;
      set_status(pi, "requires_action", ctx.now_us);
      const bool ok = r.outcome == CardOutcome::kActionThenSucceed;
      pending_results_[pi.id] = r;
      schedule(ctx.now_us + r.delay_us, Timer{TimerKind::kResolveAction, pi.id, ok});
      emit("payment_intent.requires_action", render(pi), ctx);
      return nullptr;
    }
    case CardOutcome::kProcessingThenSucceed:
    case CardOutcome::kProcessingThenFail: {
      Charge& ch = new_charge(pi, ctx);
      ch.status = "pending";
      set_status(pi, "processing", ctx.now_us);
      const bool ok = r.outcome == CardOutcome::kProcessingThenSucceed;
      pending_results_[pi.id] = r;
      schedule(ctx.now_us + r.delay_us, Timer{TimerKind::kResolveProcessing, pi.id, ok});
      emit("charge.pending", render(ch), ctx);
      emit("payment_intent.processing", render(pi), ctx);
      return nullptr;
    }
  }
  return nullptr;
}

Charge& StripeModel::new_charge(PaymentIntent& pi, const RequestContext& ctx) {
  Charge ch;
  ch.id = next_id("ch");
  ch.payment_intent = pi.id;
  ch.customer = pi.customer;
  ch.payment_method = pi.payment_method;
  ch.currency = pi.currency;
  ch.amount = pi.amount;
  ch.metadata = pi.metadata;
  ch.created_us = ctx.now_us;
  pi.latest_charge = ch.id;
  return charges_.emplace(ch.id, std::move(ch)).first->second;
}

Charge& StripeModel::attempt_charge(PaymentIntent& pi, const RequestContext& ctx) {
  auto it = charges_.find(pi.latest_charge);
  if (it != charges_.end() && it->second.status == "pending") return it->second;
  return new_charge(pi, ctx);
}

void StripeModel::charge_succeeded(PaymentIntent& pi, bool force_dispute,
                                   const RequestContext& ctx) {
  Charge& ch = attempt_charge(pi, ctx);
  ch.status = "succeeded";
  if (pi.capture_method == "manual") {
    pi.amount_capturable = pi.amount;
    set_status(pi, "requires_capture", ctx.now_us);
    emit("charge.succeeded", render(ch), ctx);
    emit("payment_intent.amount_capturable_updated", render(pi), ctx);
  } else {
    ch.captured = true;
    ch.amount_captured = pi.amount;
    pi.amount_received = pi.amount;
    set_status(pi, "succeeded", ctx.now_us);
    ledger_.on_move({ctx.now_us, MoneyMove::kCapture, ledger_.find(pi.id)->booking_id, pi.id, ch.id,
                     pi.currency, pi.amount});
    emit("charge.succeeded", render(ch), ctx);
    emit("payment_intent.succeeded", render(pi), ctx);
    maybe_schedule_dispute(ch, force_dispute, ctx.now_us);
  }
  after_payment_outcome(pi, true, ctx);
}

void StripeModel::charge_failed(PaymentIntent& pi, PaymentError error, bool with_charge,
                                const RequestContext& ctx) {
  if (with_charge) {
    Charge& ch = attempt_charge(pi, ctx);
    ch.status = "failed";
    ch.failure_code = error.code;
    ch.failure_message = error.message;
    emit("charge.failed", render(ch), ctx);
  }
  // Stripe detaches the failed payment method: confirming again needs a new one.
  pi.payment_method.clear();
  pi.next_action_sdk = false;
  pi.last_payment_error = std::move(error);
  set_status(pi, "requires_payment_method", ctx.now_us);
  emit("payment_intent.payment_failed", render(pi), ctx);
  after_payment_outcome(pi, false, ctx);
}

void StripeModel::resolve_async(const Timer& timer, const RequestContext& ctx) {
  auto it = payment_intents_.find(timer.object_id);
  INTSIM_ASSERT(it != payment_intents_.end());
  PaymentIntent& pi = it->second;
  auto pending = pending_results_.find(pi.id);
  // Canceled (or otherwise moved on) while waiting: the outcome no longer applies.
  const char* waiting = timer.kind == TimerKind::kResolveAction ? "requires_action" : "processing";
  if (pending == pending_results_.end() || pi.status != waiting) return;
  const CardResult r = pending->second;
  pending_results_.erase(pending);
  if (timer.success) {
    charge_succeeded(pi, r.force_dispute, ctx);
    return;
  }
  PaymentError err;
  err.type = "card_error";
  err.payment_method = pi.payment_method;
  if (timer.kind == TimerKind::kResolveAction) {
    err.code = "payment_intent_authentication_failure";
    err.message =
        "The provided PaymentMethod has failed authentication. You can provide payment_method "
        "again to attempt authentication again.";
    charge_failed(pi, err, false, ctx);
  } else {
    err.code = "card_declined";
    err.decline_code = "generic_decline";
    err.message = decline_message(err.decline_code);
    charge_failed(pi, err, true, ctx);
  }
}

StripeModel::Reply StripeModel::capture_payment_intent(std::string_view id,
                                                       const nlohmann::json& params,
                                                       const RequestContext& ctx) {
  auto it = payment_intents_.find(id);
  if (it == payment_intents_.end()) {
    return {404,
            invalid("resource_missing", fmt::format("No such payment_intent: '{}'", id), "intent")};
  }
  PaymentIntent& pi = it->second;
  if (pi.status != "requires_capture") {
    return {400, invalid("payment_intent_unexpected_state",
                         fmt::format("This PaymentIntent could not be captured because it has a "
                                     "status of {}. Only a PaymentIntent with one of the "
                                     "following statuses may be captured: requires_capture.",
                                     pi.status))};
  }
  std::int64_t amount = pi.amount_capturable;
  if (auto a = string_param(params, "amount_to_capture")) {
    if (!parse_int(*a, &amount)) {
      return {400,
              invalid("parameter_invalid_integer", "Invalid integer: " + *a, "amount_to_capture")};
    }
    if (amount > pi.amount_capturable) {
      return {400, invalid("amount_too_large",
                           fmt::format("The amount to capture ({}) is greater than the amount "
                                       "capturable ({}).",
                                       amount, pi.amount_capturable),
                           "amount_to_capture")};
    }
    if (auto e =
            amount_error(pay::check_partial_amount(amount, pi.currency), amount, pi.currency)) {
      (*e)["error"]["param"] = "amount_to_capture";
      return {400, *e};
    }
  }
  Charge& ch = charges_.at(pi.latest_charge);
  ch.captured = true;
  ch.amount_captured = amount;
  pi.amount_received = amount;
  pi.amount_capturable = 0;
  set_status(pi, "succeeded", ctx.now_us);
  ledger_.on_move({ctx.now_us, MoneyMove::kCapture, ledger_.find(pi.id)->booking_id, pi.id, ch.id,
                   pi.currency, amount});
  emit("charge.captured", render(ch), ctx);
  emit("payment_intent.succeeded", render(pi), ctx);
  const auto fixed = test_card_result(ch.payment_method, config_.card);
  maybe_schedule_dispute(ch, fixed && fixed->force_dispute, ctx.now_us);
  return {200, render(pi)};
}

StripeModel::Reply StripeModel::cancel_payment_intent(std::string_view id,
                                                      const nlohmann::json& params,
                                                      const RequestContext& ctx) {
  auto it = payment_intents_.find(id);
  if (it == payment_intents_.end()) {
    return {404,
            invalid("resource_missing", fmt::format("No such payment_intent: '{}'", id), "intent")};
  }
  PaymentIntent& pi = it->second;
  if (!one_of(pi.status, {"requires_payment_method", "requires_capture", "requires_confirmation",
                          "requires_action"})) {
    return {400, invalid("payment_intent_unexpected_state",
                         fmt::format("You cannot cancel this PaymentIntent because it has a "
                                     "status of {}. Only a PaymentIntent with one of the "
                                     "following statuses may be canceled: "
                                     "requires_payment_method, requires_capture, "
                                     "requires_confirmation, requires_action.",
                                     pi.status))};
  }
  if (auto reason = string_param(params, "cancellation_reason")) {
    if (!one_of(*reason, {"duplicate", "fraudulent", "requested_by_customer", "abandoned"})) {
      return {400, invalid("parameter_invalid_string", "Invalid cancellation_reason: " + *reason,
                           "cancellation_reason")};
    }
    pi.cancellation_reason = *reason;
  }
  pending_results_.erase(pi.id);
  pi.amount_capturable = 0;
  pi.next_action_sdk = false;
  pi.canceled_us = ctx.now_us;
  set_status(pi, "canceled", ctx.now_us);
  emit("payment_intent.canceled", render(pi), ctx);
  return {200, render(pi)};
}

void StripeModel::after_payment_outcome(const PaymentIntent& pi, bool succeeded,
                                        const RequestContext& ctx) {
  if (!pi.invoice.empty()) on_invoice_payment(pi, succeeded, ctx);
}

}  // namespace intsim::models::stripe
