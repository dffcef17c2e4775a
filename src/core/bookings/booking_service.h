// The bookings service: the booking API, the ledger kept durable, and holds that expire.
//
// Every change to a stay is written (table "stays", key stay id, value encode_stay) in the same
// batch as its other effects (the payment row, the create job); recover() rebuilds the ledger
// from those rows. A booking id is its stay id ("bk_" and 16 hex digits).
//
// Booking API (see src/core/app/integration.h for the shapes):
//   POST /api/bookings               place a hold and start the checkout, in one commit; with an
//                                    Idempotency-Key the first answer is stored (table
//                                    "booking_requests", key = the key) and replayed
//   GET  /api/bookings/{id}
//   POST /api/bookings/{id}/cancel   cancels an active booking and refunds what was paid
//
// Holds: one timer (hold_timer_id) at the earliest hold expiry releases lapsed holds. A payment
// that succeeds later re-acquires the nights when they are still free (Ledger::confirm), and is
// refunded when they are not.
//
// Stays changed inside someone else's commit (payment outcomes arrive in the dispatcher's and
// the webhook intake's batches) are checked against the store by settle(): when that commit
// failed, the ledger is rebuilt from the store, so memory never runs ahead of what is durable.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/bookings/conflict_resolver.h"
#include "src/core/bookings/ledger.h"
#include "src/core/http.h"
#include "src/core/payments/payment_service.h"
#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"

namespace intsim::core::bookings {

inline constexpr std::string_view kStaysTable = "stays";
inline constexpr std::string_view kBookingRequestsTable = "booking_requests";

struct BookingServiceConfig {
  std::vector<Unit> units;
  TimeUs hold_ttl_us = 30 * kUsPerMin;
  // Price of one night, in the smallest unit, by upper-case currency code ("USD").
  std::map<std::string, std::int64_t, std::less<>> nightly_rate_minor;
  TimerId hold_timer_id = 0x686f6c64;  // "hold"
  int nights_max = 60;
  ResolverPolicy resolver;
};

// Rebuilds a ledger from the rows of the "stays" table. Inactive stays go in first and channel
// stays last, so an active direct stay is never refused for a night that a stay which has since
// ended once held, and a channel stay (always accepted) can still overlap it as a conflict.
Status load_ledger(Store& store, const std::vector<Unit>& units, Ledger* out);

class BookingService final : public payments::BookingHooks {
 public:
  // Uses ports.random (booking ids), timers, store, log, alerts. The dispatcher outlives the
  // service; attach() the payments service before use.
  BookingService(BookingServiceConfig config, Ports ports, resilience::Dispatcher* dispatcher);
  void attach(payments::PaymentService* payments) { payments_ = payments; }

  // Rebuilds the ledger from the store, releases holds that lapsed while down, arms the timer.
  Status recover(TimeUs now_us);
  // The booking API; other targets answer 404.
  HttpResponse handle(const HttpRequest& request, TimeUs now_us);
  void on_hold_timer(TimeUs now_us);
  // Cancels an active booking (a guest's request or a lost conflict) and refunds its payment,
  // in one commit. False when there was nothing to cancel.
  Status cancel(std::string_view booking_id, TimeUs now_us, bool* cancelled = nullptr);
  // After a commit someone else made: rebuilds the ledger if the stays it changed did not land.
  void settle(TimeUs now_us);

  // A channel's stay as its feed shows it now (for channel sync), persisted; then every
  // conflict is resolved as resolve_conflicts() does.
  Status upsert_channel_stay(const Stay& stay, TimeUs now_us);
  // Resolves every double-held night (conflict_resolver.h) in one commit: relocations and
  // cancellations persisted, a cancelled direct stay's payment refunded, and one
  // "unresolved_conflict" alert per conflict a human must look at: raised when it appears, not
  // again while it stays (every upsert of its channels' feeds comes here), again if it ends
  // and comes back. Which conflicts were alerted is volatile, so after a crash a conflict that
  // is still there is alerted once more (at least once, never lost).
  Status resolve_conflicts(TimeUs now_us, std::vector<Resolution>* out = nullptr);

  const Ledger& ledger() const { return ledger_; }

  // payments::BookingHooks
  ConfirmOutcome on_paid(std::string_view booking_id, WriteBatch& batch, TimeUs now_us) override;
  void on_payment_failed(std::string_view booking_id, WriteBatch& batch, TimeUs now_us) override;
  bool is_held(std::string_view booking_id, TimeUs now_us) const override;

 private:
  HttpResponse create(const HttpRequest& request, TimeUs now_us);
  HttpResponse get(std::string_view booking_id);
  HttpResponse cancel_request(std::string_view booking_id, TimeUs now_us);
  // The booking as the API shows it.
  nlohmann::json view(const Stay& stay);
  void put_stay(std::string_view id, WriteBatch& batch);
  // Commits; on failure rebuilds the ledger (memory ran ahead) and returns the error.
  Status commit(const WriteBatch& batch, TimeUs now_us);
  void reload(TimeUs now_us);
  void rearm();
  // Forgets the alerted conflicts that are no longer in the ledger.
  void forget_ended_conflicts();

  BookingServiceConfig config_;
  Ports ports_;
  resilience::Dispatcher* dispatcher_;
  payments::PaymentService* payments_ = nullptr;
  Ledger ledger_;
  std::set<std::string, std::less<>> unsettled_;  // stays written into others' batches
  std::optional<TimeUs> armed_at_us_;
  // Unresolved conflicts already alerted, as conflict_key() names them.
  std::set<std::string> alerted_conflicts_;
};

}  // namespace intsim::core::bookings
