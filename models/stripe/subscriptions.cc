// Customers, subscriptions and invoices of the Stripe model: a first invoice at creation,
// renewals each period, invoice.payment_failed and smart retries (about 8 tries within two
// weeks), then past_due -> canceled | unpaid as configured. Periods are fixed lengths (a month
// is 30 days, a year 365): renewals need a clock, not a calendar.
#include <fmt/format.h>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "src/core/assert.h"
#include "src/core/payments/currency.h"

namespace intsim::models::stripe {
namespace {

core::TimeUs interval_us(const Price& price) {
  core::TimeUs unit = core::kUsPerDay;
  if (price.interval == "week") unit = 7 * core::kUsPerDay;
  if (price.interval == "month") unit = 30 * core::kUsPerDay;
  if (price.interval == "year") unit = 365 * core::kUsPerDay;
  return unit * price.interval_count;
}

}  // namespace

StripeModel::Reply StripeModel::create_customer(const nlohmann::json& params,
                                                const RequestContext& ctx) {
  Customer c;
  c.email = string_param(params, "email").value_or("");
  c.name = string_param(params, "name").value_or("");
  if (auto settings = params.find("invoice_settings");
      settings != params.end() && settings->is_object()) {
    if (auto pm = string_param(*settings, "default_payment_method")) {
      if (!is_payment_method_id(*pm)) {
        return {400, invalid("resource_missing", fmt::format("No such PaymentMethod: '{}'", *pm),
                             "invoice_settings[default_payment_method]")};
      }
      c.default_payment_method = *pm;
    }
  }
  nlohmann::json error;
  if (!metadata_param(params, &c.metadata, &error)) return {400, error};
  c.id = next_id("cus");
  c.created_us = ctx.now_us;
  const Customer& stored = customers_.emplace(c.id, std::move(c)).first->second;
  emit("customer.created", render(stored), ctx);
  return {200, render(stored)};
}

StripeModel::Reply StripeModel::create_subscription(const nlohmann::json& params,
                                                    const RequestContext& ctx) {
  const auto customer = string_param(params, "customer");
  if (!customer)
    return {400, invalid("parameter_missing", "Missing required param: customer.", "customer")};
  auto cit = customers_.find(*customer);
  if (cit == customers_.end()) {
    return {400, invalid("resource_missing", fmt::format("No such customer: '{}'", *customer),
                         "customer")};
  }
  auto items = params.find("items");
  if (items == params.end() || !items->is_array() || items->size() != 1 ||
      !(*items)[0].is_object() || !(*items)[0].contains("price_data") ||
      !(*items)[0]["price_data"].is_object()) {
    return {400,
            invalid("parameter_missing",
                    "Missing required param: items (exactly one item with price_data).", "items")};
  }
  const nlohmann::json& pd = (*items)[0]["price_data"];
  Price price;
  price.currency = string_param(pd, "currency").value_or("");
  price.product = string_param(pd, "product").value_or("");
  const auto unit_amount = string_param(pd, "unit_amount");
  if (price.currency.empty() || price.product.empty() || !unit_amount ||
      !pd.contains("recurring") || !pd["recurring"].is_object()) {
    return {400, invalid("parameter_missing",
                         "Missing required param: items[0][price_data] needs currency, product, "
                         "unit_amount and recurring[interval].",
                         "items[0][price_data]")};
  }
  if (!parse_int(*unit_amount, &price.unit_amount)) {
    return {400, invalid("parameter_invalid_integer", "Invalid integer: " + *unit_amount,
                         "items[0][price_data][unit_amount]")};
  }
  price.interval = string_param(pd["recurring"], "interval").value_or("");
  if (price.interval != "day" && price.interval != "week" && price.interval != "month" &&
      price.interval != "year") {
    return {400, invalid("parameter_invalid_string", "Invalid interval: " + price.interval,
                         "items[0][price_data][recurring][interval]")};
  }
  if (auto n = string_param(pd["recurring"], "interval_count")) {
    if (!parse_int(*n, &price.interval_count) || price.interval_count < 1) {
      return {400, invalid("parameter_invalid_integer", "Invalid interval_count: " + *n,
                           "items[0][price_data][recurring][interval_count]")};
    }
  }
  const auto problem = core::payments::check_charge_amount(price.unit_amount, price.currency);
  if (problem != core::payments::AmountProblem::kNone) {
    return {
        400,
        invalid(problem == core::payments::AmountProblem::kTooSmall ? "amount_too_small" : "",
                core::payments::validate_charge_amount(price.unit_amount, price.currency).message(),
                "items[0][price_data][unit_amount]")};
  }
  Subscription sub;
  sub.default_payment_method =
      string_param(params, "default_payment_method").value_or(cit->second.default_payment_method);
  if (sub.default_payment_method.empty()) {
    return {400, invalid("resource_missing",
                         "This customer has no attached payment source or default payment "
                         "method.")};
  }
  if (!is_payment_method_id(sub.default_payment_method)) {
    return {400, invalid("resource_missing",
                         fmt::format("No such PaymentMethod: '{}'", sub.default_payment_method),
                         "default_payment_method")};
  }
  nlohmann::json error;
  if (!metadata_param(params, &sub.metadata, &error)) return {400, error};
  sub.id = next_id("sub");
  sub.customer = *customer;
  sub.status = "incomplete";
  sub.price = price;
  sub.created_us = ctx.now_us;
  sub.current_period_start_us = ctx.now_us;
  sub.current_period_end_us = ctx.now_us + interval_us(price);
  Subscription& stored = subscriptions_.emplace(sub.id, std::move(sub)).first->second;
  emit("customer.subscription.created", render(stored), ctx);
  start_invoice(stored, "subscription_create", ctx);
  if (stored.status == "incomplete") {
    schedule(ctx.now_us + config_.subscription.incomplete_expiry_h * core::kUsPerHour,
             Timer{TimerKind::kExpireIncomplete, stored.id, false});
  }
  schedule(stored.current_period_end_us, Timer{TimerKind::kRenewSubscription, stored.id, true});
  return {200, render(stored)};
}

void StripeModel::start_invoice(Subscription& sub, std::string billing_reason,
                                const RequestContext& ctx) {
  Invoice inv;
  inv.id = next_id("in");
  inv.customer = sub.customer;
  inv.subscription = sub.id;
  inv.subscription_metadata = sub.metadata;
  inv.currency = sub.price.currency;
  inv.amount_due = sub.price.unit_amount;
  inv.status = "open";
  inv.billing_reason = std::move(billing_reason);
  inv.created_us = ctx.now_us;
  inv.period_start_us = sub.current_period_start_us;
  inv.period_end_us = sub.current_period_end_us;

  PaymentIntent pi;
  pi.id = next_id("pi");
  pi.customer = sub.customer;
  pi.currency = inv.currency;
  pi.amount = inv.amount_due;
  pi.status = "requires_confirmation";
  pi.invoice = inv.id;
  pi.created_us = ctx.now_us;
  PaymentRecord record;
  record.payment_intent_id = pi.id;
  auto booking = sub.metadata.find("booking_id");
  record.booking_id = booking == sub.metadata.end() ? "" : booking->second;
  record.invoice_id = inv.id;
  record.currency = pi.currency;
  record.amount = pi.amount;
  record.status = pi.status;
  record.created_us = ctx.now_us;
  ledger_.on_created(record);
  inv.payment_intent = pi.id;
  sub.latest_invoice = inv.id;
  const PaymentIntent& spi = payment_intents_.emplace(pi.id, std::move(pi)).first->second;
  Invoice& stored = invoices_.emplace(inv.id, std::move(inv)).first->second;
  emit("invoice.created", render(stored), ctx);
  emit("payment_intent.created", render(spi), ctx);
  emit("invoice.finalized", render(stored), ctx);
  attempt_invoice(stored, ctx);
}

nlohmann::json StripeModel::attempt_invoice(Invoice& inv, const RequestContext& ctx) {
  INTSIM_ASSERT(inv.status == "open");
  PaymentIntent& pi = payment_intents_.at(inv.payment_intent);
  const Subscription& sub = subscriptions_.at(inv.subscription);
  ++inv.attempt_count;
  inv.next_payment_attempt_us = -1;
  pi.payment_method = sub.default_payment_method;
  if (pi.status == "requires_payment_method" || pi.status == "requires_confirmation") {
    return confirm(pi, /*off_session=*/true, ctx);
  }
  return nullptr;
}

void StripeModel::on_invoice_payment(const PaymentIntent& pi, bool succeeded,
                                     const RequestContext& ctx) {
  Invoice& inv = invoices_.at(pi.invoice);
  Subscription& sub = subscriptions_.at(inv.subscription);
  if (succeeded) {
    inv.status = "paid";
    inv.amount_paid = inv.amount_due;
    inv.next_payment_attempt_us = -1;
    emit("invoice.payment_succeeded", render(inv), ctx);
    emit("invoice.paid", render(inv), ctx);
    if (sub.status == "incomplete" || sub.status == "past_due" || sub.status == "unpaid") {
      set_subscription_status(sub, "active", ctx);
    }
    return;
  }
  if (inv.first_failure_us < 0) inv.first_failure_us = ctx.now_us;
  // The first invoice of a subscription is not retried: the subscription stays incomplete
  // until it is paid by hand or expires.
  const auto& offsets = config_.subscription.retry_offsets_h;
  const std::size_t retries_done = static_cast<std::size_t>(inv.attempt_count - 1);
  const bool first_invoice = inv.billing_reason == "subscription_create";
  const bool retry_left =
      !first_invoice && retries_done < offsets.size() && sub.status != "canceled";
  if (retry_left) {
    const std::int64_t jitter_h = config_.subscription.retry_jitter_h;
    core::TimeUs at_us = inv.first_failure_us + offsets[retries_done] * core::kUsPerHour +
                         retry_rng_.uniform_range(-jitter_h, jitter_h) * core::kUsPerHour;
    at_us = std::max(at_us, ctx.now_us + core::kUsPerHour);
    inv.next_payment_attempt_us = at_us;
    schedule(at_us, Timer{TimerKind::kRetryInvoice, inv.id, true});
  }
  emit("invoice.payment_failed", render(inv), ctx);
  if (first_invoice || sub.status == "canceled") return;
  if (retry_left) {
    if (sub.status == "active") set_subscription_status(sub, "past_due", ctx);
    return;
  }
  switch (config_.subscription.dunning_end) {
    case DunningEnd::kCancel:
      sub.canceled_us = ctx.now_us;
      set_subscription_status(sub, "canceled", ctx);
      return;
    case DunningEnd::kUnpaid:
      set_subscription_status(sub, "unpaid", ctx);
      return;
    case DunningEnd::kPastDue:
      if (sub.status == "active") set_subscription_status(sub, "past_due", ctx);
      return;
  }
}

void StripeModel::set_subscription_status(Subscription& sub, std::string status,
                                          const RequestContext& ctx) {
  if (sub.status == status) return;
  const std::string previous = sub.status;
  sub.status = std::move(status);
  if (sub.status == "canceled" || sub.status == "incomplete_expired") {
    // Retries of its open invoices stop.
    for (auto& [id, inv] : invoices_) {
      if (inv.subscription == sub.id) inv.next_payment_attempt_us = -1;
    }
    emit("customer.subscription.deleted", render(sub), ctx);
  } else {
    emit("customer.subscription.updated", render(sub), ctx, {{"status", previous}});
  }
}

void StripeModel::renew_subscription(std::string_view id, const RequestContext& ctx) {
  Subscription& sub = subscriptions_.at(std::string(id));
  if (sub.current_period_end_us != ctx.now_us) return;  // superseded
  if (sub.status != "active" && sub.status != "past_due") return;
  const nlohmann::json previous = {{"current_period_start", unix_s(sub.current_period_start_us)},
                                   {"current_period_end", unix_s(sub.current_period_end_us)}};
  sub.current_period_start_us = sub.current_period_end_us;
  sub.current_period_end_us += interval_us(sub.price);
  emit("customer.subscription.updated", render(sub), ctx, previous);
  start_invoice(sub, "subscription_cycle", ctx);
  schedule(sub.current_period_end_us, Timer{TimerKind::kRenewSubscription, sub.id, true});
}

void StripeModel::expire_incomplete(std::string_view id, const RequestContext& ctx) {
  Subscription& sub = subscriptions_.at(std::string(id));
  if (sub.status != "incomplete") return;
  Invoice& inv = invoices_.at(sub.latest_invoice);
  set_subscription_status(sub, "incomplete_expired", ctx);
  if (inv.status == "open") {
    inv.status = "void";
    emit("invoice.voided", render(inv), ctx);
    PaymentIntent& pi = payment_intents_.at(inv.payment_intent);
    if (pi.status != "succeeded" && pi.status != "canceled") {
      pi.canceled_us = ctx.now_us;
      pi.cancellation_reason = "void_invoice";
      set_status(pi, "canceled", ctx.now_us);
      emit("payment_intent.canceled", render(pi), ctx);
    }
  }
}

StripeModel::Reply StripeModel::update_subscription(std::string_view id,
                                                    const nlohmann::json& params,
                                                    const RequestContext& ctx) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    return {404, invalid("resource_missing", fmt::format("No such subscription: '{}'", id), "id")};
  }
  Subscription& sub = it->second;
  nlohmann::json previous = nlohmann::json::object();
  const auto pm = string_param(params, "default_payment_method");
  if (pm) {
    if (sub.status == "canceled" || sub.status == "incomplete_expired") {
      return {400, invalid("", "A canceled subscription can only update its metadata.")};
    }
    if (!is_payment_method_id(*pm)) {
      return {400, invalid("resource_missing", fmt::format("No such PaymentMethod: '{}'", *pm),
                           "default_payment_method")};
    }
  }
  Metadata metadata = sub.metadata;
  nlohmann::json error;
  if (!metadata_param(params, &metadata, &error)) return {400, error};
  if (pm && *pm != sub.default_payment_method) {
    previous["default_payment_method"] = sub.default_payment_method;
    sub.default_payment_method = *pm;
  }
  if (metadata != sub.metadata) {
    previous["metadata"] = metadata_json(sub.metadata);
    sub.metadata = std::move(metadata);
  }
  if (!previous.empty()) emit("customer.subscription.updated", render(sub), ctx, previous);
  return {200, render(sub)};
}

StripeModel::Reply StripeModel::cancel_subscription(std::string_view id,
                                                    const RequestContext& ctx) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    return {404, invalid("resource_missing", fmt::format("No such subscription: '{}'", id), "id")};
  }
  Subscription& sub = it->second;
  if (sub.status == "canceled" || sub.status == "incomplete_expired") {
    return {400, invalid("", fmt::format("The subscription {} has already been canceled.", id))};
  }
  sub.canceled_us = ctx.now_us;
  set_subscription_status(sub, "canceled", ctx);
  return {200, render(sub)};
}

StripeModel::Reply StripeModel::pay_invoice(std::string_view id, const RequestContext& ctx) {
  auto it = invoices_.find(id);
  if (it == invoices_.end()) {
    return {404, invalid("resource_missing", fmt::format("No such invoice: '{}'", id), "id")};
  }
  Invoice& inv = it->second;
  if (inv.status != "open") {
    return {400, invalid("invoice_not_open",
                         fmt::format("Invoice {} has a status of {} and cannot be paid.", id,
                                     inv.status))};
  }
  nlohmann::json declined = attempt_invoice(inv, ctx);
  if (!declined.is_null()) return {402, std::move(declined)};
  return {200, render(inv)};
}

}  // namespace intsim::models::stripe
