#include "src/core/payments/payment.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace intsim::core::payments {
namespace {

constexpr std::string_view kStatusNames[] = {"pending",  "requires_action", "processing", "failed",
                                             "canceled", "abandoned",       "succeeded"};
constexpr std::string_view kRefundNames[] = {"none", "wanted", "queued", "retry", "done", "failed"};

template <typename Enum, std::size_t N>
bool parse_name(const std::string_view (&names)[N], std::string_view name, Enum* out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view pay_status_name(PayStatus status) {
  return kStatusNames[static_cast<int>(status)];
}
bool parse_pay_status(std::string_view name, PayStatus* out) {
  return parse_name(kStatusNames, name, out);
}

int pay_status_rank(PayStatus status) {
  switch (status) {
    case PayStatus::kPending:
      return 0;
    case PayStatus::kRequiresAction:
      return 1;
    case PayStatus::kProcessing:
      return 2;
    case PayStatus::kFailed:
    case PayStatus::kCanceled:
    case PayStatus::kAbandoned:
      return 3;
    case PayStatus::kSucceeded:
      return 4;
  }
  return 0;
}

PayStatus pay_status_from_stripe(std::string_view s, bool has_error) {
  if (s == "succeeded") return PayStatus::kSucceeded;
  if (s == "canceled") return PayStatus::kCanceled;
  if (s == "processing") return PayStatus::kProcessing;
  if (s == "requires_action") return PayStatus::kRequiresAction;
  if (s == "requires_payment_method" && has_error) return PayStatus::kFailed;
  // requires_payment_method (fresh), requires_confirmation, requires_capture: we confirm at
  // creation with automatic capture, so these are only ever a moment before an outcome.
  return PayStatus::kPending;
}

std::string_view refund_state_name(RefundState state) {
  return kRefundNames[static_cast<int>(state)];
}
bool parse_refund_state(std::string_view name, RefundState* out) {
  return parse_name(kRefundNames, name, out);
}

void Payment::update_refunded() {
  std::int64_t sum = 0;
  for (const auto& [id, amount] : refunds) sum += amount;
  refunded = std::max({refunded, charge_refunded, sum});
}

std::string encode_payment(const Payment& p) {
  nlohmann::ordered_json j;
  j["booking_id"] = p.booking_id;
  j["status"] = pay_status_name(p.status);
  j["stripe_status"] = p.stripe_status;
  j["payment_intent"] = p.payment_intent;
  j["amount"] = p.amount;
  j["currency"] = p.currency;
  j["payment_method"] = p.payment_method;
  j["refunded"] = p.refunded;
  j["charge_refunded"] = p.charge_refunded;
  j["refunds"] = p.refunds;
  j["refund"] = refund_state_name(p.refund);
  j["disputed"] = p.disputed;
  j["dispute_status"] = p.dispute_status;
  j["create_job_id"] = p.create_job_id;
  j["idempotency_key"] = p.idempotency_key;
  j["key_created_at_us"] = p.key_created_at_us;
  j["create_dead"] = p.create_dead;
  j["create_refused"] = p.create_refused;
  j["reconcile_job_id"] = p.reconcile_job_id;
  j["creates"] = p.creates;
  j["last_event_s"] = p.last_event_s;
  j["created_at_us"] = p.created_at_us;
  j["updated_at_us"] = p.updated_at_us;
  return j.dump();
}

Status decode_payment(std::string_view row, Payment* out) {
  const auto j = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::invalid_argument("payment row not JSON");
  try {
    Payment p;
    p.booking_id = j.at("booking_id").get<std::string>();
    if (!parse_pay_status(j.at("status").get<std::string>(), &p.status)) {
      return Status::invalid_argument("payment row: unknown status");
    }
    p.stripe_status = j.at("stripe_status").get<std::string>();
    p.payment_intent = j.at("payment_intent").get<std::string>();
    p.amount = j.at("amount").get<std::int64_t>();
    p.currency = j.at("currency").get<std::string>();
    p.payment_method = j.at("payment_method").get<std::string>();
    p.refunded = j.at("refunded").get<std::int64_t>();
    if (!parse_refund_state(j.at("refund").get<std::string>(), &p.refund)) {
      return Status::invalid_argument("payment row: unknown refund state");
    }
    p.charge_refunded = j.at("charge_refunded").get<std::int64_t>();
    p.refunds = j.at("refunds").get<std::map<std::string, std::int64_t>>();
    p.disputed = j.at("disputed").get<bool>();
    p.dispute_status = j.at("dispute_status").get<std::string>();
    p.create_job_id = j.at("create_job_id").get<std::string>();
    p.idempotency_key = j.at("idempotency_key").get<std::string>();
    p.key_created_at_us = j.at("key_created_at_us").get<TimeUs>();
    p.create_dead = j.at("create_dead").get<bool>();
    p.create_refused = j.at("create_refused").get<bool>();
    p.reconcile_job_id = j.at("reconcile_job_id").get<std::string>();
    p.creates = j.at("creates").get<int>();
    p.last_event_s = j.at("last_event_s").get<std::int64_t>();
    p.created_at_us = j.at("created_at_us").get<TimeUs>();
    p.updated_at_us = j.at("updated_at_us").get<TimeUs>();
    *out = std::move(p);
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_argument(std::string("payment row: ") + e.what());
  }
  return Status::ok();
}

}  // namespace intsim::core::payments
