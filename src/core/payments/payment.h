// The core's durable record of one booking's payment, and the status lattice that keeps it from
// regressing.
//
// Table "payments", key = booking id, value = encode_payment (JSON, fixed field order).
// Table "payments_by_pi", key = PaymentIntent id, value = booking id (disputes and refunds name
// only the PaymentIntent or the charge, not our booking).
//
// Status lattice (rank in brackets; a change is applied only when it raises the rank):
//   pending [0]          the create job is queued or in flight; no PaymentIntent known yet
//   requires_action [1]  3-D Secure pending on the customer's side
//   processing [2]       the charge settles asynchronously
//   failed [3]           declined or authentication failed (Stripe: requires_payment_method with
//                        last_payment_error); we never confirm that PaymentIntent again
//   canceled [3]         the PaymentIntent was canceled
//   abandoned [3]        no PaymentIntent exists and none will be created (the hold ended while
//                        Stripe was unreachable and a search found nothing)
//   succeeded [4]        money captured
// Terminal states share rank 3 so that none overwrites another, except that succeeded [4]
// overrides them all: when Stripe says money moved, we act on it (confirm or refund). An event
// whose status ranks below ours is older than what we know and is ignored; if it claims to be
// newer (its `created` is not before the last event we applied), we read the object instead.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core::payments {

inline constexpr std::string_view kPaymentsTable = "payments";
inline constexpr std::string_view kPaymentsByPiTable = "payments_by_pi";

enum class PayStatus : std::uint8_t {
  kPending,
  kRequiresAction,
  kProcessing,
  kFailed,
  kCanceled,
  kAbandoned,
  kSucceeded,
};
std::string_view pay_status_name(PayStatus status);
bool parse_pay_status(std::string_view name, PayStatus* out);
int pay_status_rank(PayStatus status);
inline bool is_terminal(PayStatus s) { return pay_status_rank(s) >= 3; }

// Our status for a PaymentIntent's Stripe status; `has_error` is whether last_payment_error is
// set (it tells a failed attempt from a fresh PaymentIntent in requires_payment_method).
PayStatus pay_status_from_stripe(std::string_view stripe_status, bool has_error);

// The refund the core owes, if any.
enum class RefundState : std::uint8_t {
  kNone,    // nothing to refund
  kWanted,  // owed once the payment succeeds (the booking ended before the money arrived)
  kQueued,  // a refund job is in the outbox
  kRetry,   // the job died for a transient reason: the reconciler queues it again
  kDone,    // Stripe refunded everything captured
  kFailed,  // Stripe refused (a disputed charge): a human must act; an alert was raised
};
std::string_view refund_state_name(RefundState state);
bool parse_refund_state(std::string_view name, RefundState* out);

struct Payment {
  std::string booking_id;
  PayStatus status = PayStatus::kPending;
  std::string stripe_status;  // the PaymentIntent's status as last applied ("" before one)
  std::string payment_intent;
  std::int64_t amount = 0;  // due, in the currency's smallest unit
  std::string currency;     // lowercase ISO code, as Stripe writes it
  std::string payment_method;
  // Refunded so far: the larger of the charge's cumulative amount_refunded as last seen and the
  // sum of the distinct refunds seen (events arrive in any order and twice; neither double
  // counts, and neither alone is always current).
  std::int64_t refunded = 0;
  std::int64_t charge_refunded = 0;
  std::map<std::string, std::int64_t> refunds;  // refund id -> amount
  RefundState refund = RefundState::kNone;
  bool disputed = false;
  std::string dispute_status;  // needs_response, under_review, won, lost
  // The create job and its key: the key is the one Stripe deduplicates on; create_dead says the
  // job ended in the DLQ, so no PaymentIntent may be created before a search says none exists.
  std::string create_job_id;
  std::string idempotency_key;
  TimeUs key_created_at_us =
      0;  // the key's age (Stripe prunes keys once 24 h old) counts from here
  bool create_dead = false;
  bool create_refused = false;    // it died because Stripe refused it (4xx): never create again
  std::string reconcile_job_id;   // a search or retrieve in the outbox ("" when none)
  int creates = 1;                // create jobs made for this booking (a new key each)
  std::int64_t last_event_s = 0;  // `created` of the newest Stripe event applied
  TimeUs created_at_us = 0;
  TimeUs updated_at_us = 0;

  // Recomputes `refunded` from charge_refunded and refunds.
  void update_refunded();
  bool operator==(const Payment&) const = default;
};

std::string encode_payment(const Payment& p);
Status decode_payment(std::string_view row, Payment* out);

}  // namespace intsim::core::payments
