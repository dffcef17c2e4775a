// The payments service: a booking's checkout through Stripe, kept exactly-once and convergent
// under timeouts, ambiguous commits, crashes, duplicate and reordered webhooks and long outages.
//
// - checkout() writes the payment row (payment.h) and a create+confirm PaymentIntent job into
//   the caller's batch (the outbox, resilience/dispatcher.h). The job's idempotency key is made
//   once and kept across retries and restarts, so Stripe creates at most one PaymentIntent per
//   key; metadata[booking_id] lets a search find it whatever happened to our answer.
// - Outcomes arrive from the job's answer, a webhook or a read (retrieve or search), whichever
//   comes first; each goes through the status lattice (payment.h), so a booking is confirmed once
//   and a late or duplicate message changes nothing. Success confirms the booking through
//   BookingHooks; when the booking can no longer take the payment (cancelled, or its nights were
//   taken after the hold lapsed) the money is refunded.
// - A create job that ends in the DLQ (above all when its key aged past Stripe's 24 h, after a
//   long outage) must never be retried blindly: a search by booking id runs first (after
//   search_settle_us, since Stripe's search index lags), adopting a PaymentIntent it finds and
//   creating one only when none exists and the booking still holds its nights: under the SAME
//   key while Stripe still keeps it (an attempt delayed on the wire may yet arrive, and the key
//   makes it and the new one a single PaymentIntent), under a NEW key once it aged past 24 h.
// - reconcile() (on a timer) looks at payments pending longer than payment_stuck_after_us and
//   reads them from Stripe; it also re-queues refunds whose jobs died for transient reasons.
// - Webhooks handled (apply): payment_intent.*, charge.refunded, refund.*, charge.dispute.*
//   (mark the booking's payment disputed and raise a "dispute" alert). Subscriptions and
//   invoices (dunning) belong to the memberships service (subscription_service.h).
//
// Outbox job kinds (all to peer "stripe"):
//   stripe.create_payment_intent  POST /v1/payment_intents (confirm=true)
//   stripe.refund                 POST /v1/refunds (the whole remaining amount)
//   stripe.retrieve_pi            GET  /v1/payment_intents/{id}
//   stripe.search_pi              GET  /v1/payment_intents/search?query=metadata['booking_id']:'bk'
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/bookings/ledger.h"
#include "src/core/payments/payment.h"
#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"
#include "src/core/webhook/intake.h"

namespace intsim::core::payments {

inline constexpr std::string_view kCreateKind = "stripe.create_payment_intent";
inline constexpr std::string_view kRefundKind = "stripe.refund";
inline constexpr std::string_view kRetrieveKind = "stripe.retrieve_pi";
inline constexpr std::string_view kSearchKind = "stripe.search_pi";

// What a payment's outcome means for its booking; the bookings service implements it. Every
// effect goes into `batch`, which commits with the payment row.
class BookingHooks {
 public:
  virtual ~BookingHooks() = default;
  // The money arrived: confirm the booking. kNightsTaken, kCancelled and kUnknown mean the
  // booking cannot take it, and the payment is refunded.
  virtual bookings::ConfirmOutcome on_paid(std::string_view booking_id, WriteBatch& batch,
                                           TimeUs now_us) = 0;
  // The payment failed or was given up: release the hold (nothing if it is not held).
  virtual void on_payment_failed(std::string_view booking_id, WriteBatch& batch, TimeUs now_us) = 0;
  // Whether the booking still holds its nights at now_us, i.e. a payment is still wanted.
  virtual bool is_held(std::string_view booking_id, TimeUs now_us) const = 0;
};

struct PaymentServiceConfig {
  std::string peer = "stripe";
  TimeUs payment_stuck_after_us = 15 * kUsPerMin;
  // Stripe's search is eventually consistent ("typically within a minute"): a search that
  // decides whether to create again waits this long after the last create attempt.
  TimeUs search_settle_us = 5 * kUsPerMin;
  int creates_max = 3;  // create jobs per booking
  // How long Stripe keeps idempotency keys: a create made again reuses the key while it is
  // younger (so a stale attempt still on the wire cannot make a second PaymentIntent) and takes
  // a new one only after.
  TimeUs key_prune_age_us = 24 * kUsPerHour;
};

struct CheckoutRequest {
  std::string booking_id;
  std::int64_t amount = 0;  // smallest unit
  std::string currency;     // lowercase
  std::string payment_method;
};

class PaymentService final : public resilience::JobHandler, public webhook::EventProcessor {
 public:
  // Uses ports.store, log, alerts. `dispatcher` and `hooks` outlive the service.
  PaymentService(PaymentServiceConfig config, Ports ports, resilience::Dispatcher* dispatcher,
                 BookingHooks* hooks);

  // Registers this service as the handler of its job kinds.
  void register_handlers();

  // The payment row and its create job, into `batch`. kInvalidArgument for an amount Stripe
  // would refuse (currency rules), kConflict when the booking already has a payment.
  Status checkout(const CheckoutRequest& request, WriteBatch& batch, TimeUs now_us);
  // The booking ended (guest cancellation, lost conflict): refund what was captured, now or as
  // soon as the payment turns out to have succeeded. kNotFound without a payment.
  Status refund_booking(std::string_view booking_id, WriteBatch& batch, TimeUs now_us);
  // One reconciliation pass over the payments that can need one, into `batch`.
  Status reconcile(WriteBatch& batch, TimeUs now_us);

  Status find(std::string_view booking_id, Payment* out);
  Status list(std::vector<Payment>* out);

  // resilience::JobHandler
  resilience::Classification classify(const resilience::Job& job,
                                      const HttpResult& result) override;
  void on_success(const resilience::Job& job, const HttpResponse& response, WriteBatch& batch,
                  TimeUs now_us) override;
  void on_failure(const resilience::Job& job, const resilience::DlqEntry& entry, WriteBatch& batch,
                  TimeUs now_us) override;

  // webhook::EventProcessor, for the Stripe endpoint.
  Status apply(const webhook::VerifiedEvent& event, WriteBatch& effects, TimeUs now_us) override;

  // Outbox rows written where the dispatcher will not learn them by itself (on_failure effects,
  // webhook effects): the integration hands those it finds committed to on_committed.
  std::vector<WriteBatch::Op> take_enqueued();

 private:
  enum class Via { kApi, kEvent, kRead };

  Status load(std::string_view booking_id, Payment* out);
  // Writes the row; news_at_us (when Stripe or the booking last changed it) becomes updated_at.
  void save(Payment& p, WriteBatch& batch, std::optional<TimeUs> news_at_us);
  std::string enqueue(WriteBatch& batch, resilience::Job job, TimeUs now_us);
  resilience::Job stripe_job(std::string_view kind, std::string method, std::string target,
                             std::string body) const;
  // reuse_key: send under the payment's existing key (and its age) instead of a new one.
  void enqueue_create(Payment& p, WriteBatch& batch, TimeUs now_us, bool reuse_key);
  void enqueue_refund(Payment& p, WriteBatch& batch, TimeUs now_us);
  void enqueue_search(Payment& p, WriteBatch& batch, TimeUs now_us, TimeUs at_us);
  void enqueue_retrieve(Payment& p, WriteBatch& batch, TimeUs now_us);

  // When `p`, as stored, next needs reconcile() (now or from a time on); nullopt when it needs
  // nothing until something else changes it.
  std::optional<TimeUs> reconcile_due_us(const Payment& p) const;
  // Fills due_ from every payment row (the first reconcile of this object, after a crash too).
  Status load_due();

  // Applies a PaymentIntent as Stripe showed it. event_created_s: the event's `created` (Via
  // kEvent only).
  void absorb(Payment& p, const nlohmann::json& pi, Via via, std::int64_t event_created_s,
              WriteBatch& batch, TimeUs now_us);
  void transition(Payment& p, PayStatus to, WriteBatch& batch, TimeUs now_us);
  // Refund now if the payment succeeded, else remember that one is owed.
  void want_refund(Payment& p, WriteBatch& batch, TimeUs now_us);

  void on_search_result(Payment& p, const nlohmann::json& body, WriteBatch& batch, TimeUs now_us);
  void on_refund_result(Payment& p, const HttpResponse& response, WriteBatch& batch, TimeUs now_us);

  Status apply_payment_intent(const nlohmann::json& object, std::int64_t created_s,
                              WriteBatch& batch, TimeUs now_us);
  Status apply_charge_refunded(const nlohmann::json& charge, WriteBatch& batch, TimeUs now_us);
  Status apply_refund(const std::string& type, const nlohmann::json& refund, WriteBatch& batch,
                      TimeUs now_us);
  Status apply_dispute(const std::string& type, const nlohmann::json& dispute, WriteBatch& batch,
                       TimeUs now_us);
  // The booking of a Stripe object: metadata.booking_id, else the payments_by_pi index. Empty
  // when the object is not one of ours.
  std::string booking_of(const nlohmann::json& object, std::string_view pi_field);
  // Logs the alert now and adds it to `batch`, to be raised once the batch commits.
  void alert(WriteBatch& batch, TimeUs now_us, std::string kind, std::string subject,
             std::string message);

  PaymentServiceConfig config_;
  Ports ports_;
  resilience::Dispatcher* dispatcher_;
  BookingHooks* hooks_;
  std::vector<WriteBatch::Op> enqueued_;
  // The payments reconcile() must look at: booking id -> the earliest time its row can need
  // it. Listing and decoding every payment on every pass was a fifth of a simulated week.
  // A volatile cache of the store, which stays the truth: filled from a scan by the first
  // reconcile() of each object (after a crash the driver makes a new one), added to by every
  // save(), and shrunk only by reconcile() after reading the committed row, so a save whose
  // batch did not commit can make it look at a row for nothing but never miss one.
  std::map<std::string, TimeUs, std::less<>> due_;
  bool due_loaded_ = false;
};

}  // namespace intsim::core::payments
