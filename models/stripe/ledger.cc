#include "models/stripe/ledger.h"

#include <set>

#include "src/core/assert.h"

namespace intsim::models::stripe {

std::string_view money_move_name(MoneyMove move) {
  switch (move) {
    case MoneyMove::kCapture:
      return "capture";
    case MoneyMove::kRefund:
      return "refund";
    case MoneyMove::kDisputeWithdrawal:
      return "dispute_withdrawal";
    case MoneyMove::kDisputeReinstatement:
      return "dispute_reinstatement";
  }
  return "unknown";
}

void Ledger::on_created(const PaymentRecord& record) {
  INTSIM_ASSERT(!record.payment_intent_id.empty());
  const bool inserted = payments_.emplace(record.payment_intent_id, record).second;
  INTSIM_ASSERT_MSG(inserted, "PaymentIntent recorded twice");
}

void Ledger::on_status(std::string_view id, std::string_view status, core::TimeUs at_us) {
  auto it = payments_.find(id);
  INTSIM_ASSERT(it != payments_.end());
  it->second.status = std::string(status);
  if (status == "succeeded" && it->second.succeeded_us < 0) it->second.succeeded_us = at_us;
}

void Ledger::on_move(const LedgerEntry& entry) {
  INTSIM_ASSERT(entry.amount > 0);
  auto it = payments_.find(entry.payment_intent_id);
  INTSIM_ASSERT(it != payments_.end());
  PaymentRecord& p = it->second;
  INTSIM_ASSERT(entry.currency == p.currency);
  switch (entry.move) {
    case MoneyMove::kCapture:
      p.captured += entry.amount;
      INTSIM_ASSERT(p.captured <= p.amount);
      break;
    case MoneyMove::kRefund:
      p.refunded += entry.amount;
      INTSIM_ASSERT(p.refunded <= p.captured);
      break;
    case MoneyMove::kDisputeWithdrawal:
      p.dispute_withdrawn += entry.amount;
      break;
    case MoneyMove::kDisputeReinstatement:
      p.dispute_withdrawn -= entry.amount;
      INTSIM_ASSERT(p.dispute_withdrawn >= 0);
      break;
  }
  entries_.push_back(entry);
}

const PaymentRecord* Ledger::find(std::string_view id) const {
  auto it = payments_.find(id);
  return it == payments_.end() ? nullptr : &it->second;
}

int Ledger::succeeded_count(std::string_view booking_id) const {
  int n = 0;
  for (const auto& [id, p] : payments_) {
    if (p.booking_id == booking_id && p.succeeded_us >= 0) ++n;
  }
  return n;
}

std::int64_t Ledger::captured_minus_refunded(std::string_view booking_id,
                                             std::string_view currency) const {
  std::int64_t net = 0;
  for (const auto& [id, p] : payments_) {
    if (p.booking_id == booking_id && p.currency == currency) net += p.captured - p.refunded;
  }
  return net;
}

int Ledger::succeeded_count_for_key(std::string_view key) const {
  int n = 0;
  for (const auto& [id, p] : payments_) {
    if (!key.empty() && p.idempotency_key == key && p.succeeded_us >= 0) ++n;
  }
  return n;
}

std::vector<std::string> Ledger::booking_ids() const {
  std::set<std::string> ids;
  for (const auto& [id, p] : payments_) {
    if (!p.booking_id.empty()) ids.insert(p.booking_id);
  }
  return {ids.begin(), ids.end()};
}

}  // namespace intsim::models::stripe
