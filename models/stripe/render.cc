// Stripe's JSON for the model's objects (the fields the integration reads, in Stripe's names).
#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"

namespace intsim::models::stripe {
namespace {

nlohmann::json or_null(core::TimeUs t_us) {
  return t_us < 0 ? nlohmann::json(nullptr) : nlohmann::json(unix_s(t_us));
}

}  // namespace

nlohmann::json StripeModel::render(const Customer& c) const {
  return {{"id", c.id},
          {"object", "customer"},
          {"created", unix_s(c.created_us)},
          {"email", id_or_null(c.email)},
          {"name", id_or_null(c.name)},
          {"invoice_settings", {{"default_payment_method", id_or_null(c.default_payment_method)}}},
          {"livemode", false},
          {"metadata", metadata_json(c.metadata)}};
}

nlohmann::json StripeModel::render(const PaymentIntent& pi) const {
  nlohmann::json error = nullptr;
  if (pi.last_payment_error) {
    const PaymentError& e = *pi.last_payment_error;
    error = {{"type", e.type}, {"code", e.code}, {"message", e.message}};
    if (!e.decline_code.empty()) error["decline_code"] = e.decline_code;
    if (!e.payment_method.empty()) {
      error["payment_method"] = {{"id", e.payment_method}, {"object", "payment_method"}};
    }
  }
  nlohmann::json next_action = nullptr;
  if (pi.next_action_sdk) next_action = {{"type", "use_stripe_sdk"}};
  return {{"id", pi.id},
          {"object", "payment_intent"},
          {"amount", pi.amount},
          {"amount_capturable", pi.amount_capturable},
          {"amount_received", pi.amount_received},
          {"canceled_at", or_null(pi.canceled_us)},
          {"cancellation_reason", id_or_null(pi.cancellation_reason)},
          {"capture_method", pi.capture_method},
          {"client_secret", pi.id + "_secret_intsim"},
          {"confirmation_method", "automatic"},
          {"created", unix_s(pi.created_us)},
          {"currency", pi.currency},
          {"customer", id_or_null(pi.customer)},
          {"description", id_or_null(pi.description)},
          {"invoice", id_or_null(pi.invoice)},
          {"last_payment_error", std::move(error)},
          {"latest_charge", id_or_null(pi.latest_charge)},
          {"livemode", false},
          {"metadata", metadata_json(pi.metadata)},
          {"next_action", std::move(next_action)},
          {"payment_method", id_or_null(pi.payment_method)},
          {"payment_method_types", {"card"}},
          {"status", pi.status}};
}

nlohmann::json StripeModel::render(const Charge& ch) const {
  return {{"id", ch.id},
          {"object", "charge"},
          {"amount", ch.amount},
          {"amount_captured", ch.amount_captured},
          {"amount_refunded", ch.amount_refunded},
          {"captured", ch.captured},
          {"created", unix_s(ch.created_us)},
          {"currency", ch.currency},
          {"customer", id_or_null(ch.customer)},
          {"disputed", ch.disputed},
          {"failure_code", id_or_null(ch.failure_code)},
          {"failure_message", id_or_null(ch.failure_message)},
          {"livemode", false},
          {"metadata", metadata_json(ch.metadata)},
          {"paid", ch.status == "succeeded"},
          {"payment_intent", ch.payment_intent},
          {"payment_method", id_or_null(ch.payment_method)},
          {"refunded", ch.amount_captured > 0 && ch.amount_refunded == ch.amount_captured},
          {"status", ch.status}};
}

nlohmann::json StripeModel::render(const Refund& r) const {
  return {{"id", r.id},
          {"object", "refund"},
          {"amount", r.amount},
          {"charge", r.charge},
          {"created", unix_s(r.created_us)},
          {"currency", r.currency},
          {"metadata", metadata_json(r.metadata)},
          {"payment_intent", r.payment_intent},
          {"reason", id_or_null(r.reason)},
          {"status", r.status}};
}

nlohmann::json StripeModel::render(const Dispute& d) const {
  return {{"id", d.id},
          {"object", "dispute"},
          {"amount", d.amount},
          {"charge", d.charge},
          {"created", unix_s(d.created_us)},
          {"currency", d.currency},
          {"evidence_details",
           {{"due_by", unix_s(d.evidence_due_us)},
            {"has_evidence", false},
            {"past_due", false},
            {"submission_count", 0}}},
          {"is_charge_refundable", false},
          {"livemode", false},
          {"metadata", nlohmann::json::object()},
          {"payment_intent", d.payment_intent},
          {"reason", d.reason},
          {"status", d.status}};
}

nlohmann::json StripeModel::render(const Subscription& s) const {
  const nlohmann::json price = {
      {"object", "price"},
      {"currency", s.price.currency},
      {"unit_amount", s.price.unit_amount},
      {"product", s.price.product},
      {"recurring", {{"interval", s.price.interval}, {"interval_count", s.price.interval_count}}}};
  return {{"id", s.id},
          {"object", "subscription"},
          {"canceled_at", or_null(s.canceled_us)},
          {"created", unix_s(s.created_us)},
          {"currency", s.price.currency},
          {"current_period_end", unix_s(s.current_period_end_us)},
          {"current_period_start", unix_s(s.current_period_start_us)},
          {"customer", s.customer},
          {"default_payment_method", id_or_null(s.default_payment_method)},
          {"items",
           {{"object", "list"},
            {"data", {{{"object", "subscription_item"}, {"price", price}, {"quantity", 1}}}}}},
          {"latest_invoice", id_or_null(s.latest_invoice)},
          {"livemode", false},
          {"metadata", metadata_json(s.metadata)},
          {"status", s.status}};
}

nlohmann::json StripeModel::render(const Invoice& inv) const {
  return {{"id", inv.id},
          {"object", "invoice"},
          {"amount_due", inv.amount_due},
          {"amount_paid", inv.amount_paid},
          {"amount_remaining", inv.amount_due - inv.amount_paid},
          {"attempt_count", inv.attempt_count},
          {"attempted", inv.attempt_count > 0},
          {"billing_reason", inv.billing_reason},
          {"created", unix_s(inv.created_us)},
          {"currency", inv.currency},
          {"customer", inv.customer},
          {"livemode", false},
          {"next_payment_attempt", or_null(inv.next_payment_attempt_us)},
          {"paid", inv.status == "paid"},
          {"payment_intent", id_or_null(inv.payment_intent)},
          {"period_end", unix_s(inv.period_end_us)},
          {"period_start", unix_s(inv.period_start_us)},
          {"status", inv.status},
          {"subscription", id_or_null(inv.subscription)},
          // The subscription's metadata as of the invoice (Stripe's subscription_details), so a
          // consumer can tell whose invoice it is without another read.
          {"subscription_details", {{"metadata", metadata_json(inv.subscription_metadata)}}}};
}

}  // namespace intsim::models::stripe
