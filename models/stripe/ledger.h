// The Stripe model's ground truth: every PaymentIntent with its booking id and every movement
// of money (capture, refund, dispute withdrawal and reinstatement). The oracles read it to
// decide "no double charge" (DESIGN.md section 5); nothing the core does can change it except
// through the API.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/time.h"

namespace intsim::models::stripe {

enum class MoneyMove {
  kCapture,               // funds captured from the customer
  kRefund,                // funds returned by a refund
  kDisputeWithdrawal,     // funds taken back when a dispute opened
  kDisputeReinstatement,  // funds returned to the merchant when a dispute was won
};
std::string_view money_move_name(MoneyMove move);

struct LedgerEntry {
  core::TimeUs at_us = 0;
  MoneyMove move = MoneyMove::kCapture;
  std::string booking_id;  // metadata[booking_id] of the PaymentIntent ("" when none)
  std::string payment_intent_id;
  std::string object_id;  // the charge, refund or dispute
  std::string currency;
  std::int64_t amount = 0;  // smallest unit, always positive
};

struct PaymentRecord {
  std::string payment_intent_id;
  std::string booking_id;
  std::string idempotency_key;  // of the request that created the PaymentIntent ("" when none)
  std::string invoice_id;       // set for subscription payments
  std::string currency;
  std::int64_t amount = 0;
  std::string status;  // the PaymentIntent's current status
  std::int64_t captured = 0;
  std::int64_t refunded = 0;
  std::int64_t dispute_withdrawn = 0;  // net of reinstatements
  core::TimeUs created_us = 0;
  core::TimeUs succeeded_us = -1;  // when it reached succeeded, -1 if never
};

class Ledger {
 public:
  // The model's hooks.
  void on_created(const PaymentRecord& record);
  void on_status(std::string_view payment_intent_id, std::string_view status, core::TimeUs at_us);
  void on_move(const LedgerEntry& entry);

  const std::map<std::string, PaymentRecord, std::less<>>& payments() const { return payments_; }
  const std::vector<LedgerEntry>& entries() const { return entries_; }
  const PaymentRecord* find(std::string_view payment_intent_id) const;

  // Queries for the oracles.
  // PaymentIntents of `booking_id` that reached succeeded (a later refund does not undo it).
  int succeeded_count(std::string_view booking_id) const;
  // Captured minus refunded for `booking_id` in `currency` (disputes not counted: they are the
  // bank's doing, not the integration's).
  std::int64_t captured_minus_refunded(std::string_view booking_id,
                                       std::string_view currency) const;
  // PaymentIntents that reached succeeded and were created by a request carrying `key`.
  int succeeded_count_for_key(std::string_view idempotency_key) const;
  // Booking ids seen, sorted.
  std::vector<std::string> booking_ids() const;

 private:
  std::map<std::string, PaymentRecord, std::less<>> payments_;
  std::vector<LedgerEntry> entries_;
};

}  // namespace intsim::models::stripe
