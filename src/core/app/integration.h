// The integration core as one service: what runs on the "core" node of a simulation and behind
// `intsim serve`. It owns the webhook intake, the outbox dispatcher and the domain services
// (bookings and payments today; channel sync and notifications as they land) and routes the
// drivers' calls to them.
//
// Drivers (sim/node_ports + the harness, or src/server) call:
//   create(...) then recover(now)     at start and after every crash (a new object each time)
//   handle(request, now)              for every inbound HTTP request
//   on_timer / on_http_result         as the ports deliver them
// all on one thread. The core reads no clock: `now_us` is the node's clock.
//
// Booking API (JSON bodies), used by guests (the simulator's guest model, or real clients):
//   POST /api/bookings        {"guest": "g_17", "unit": "u3", "first_night": "2026-01-10",
//                              "nights": 3, "currency": "USD", "payment_method": "pm_card_visa"}
//                             optional header Idempotency-Key: a retry with the same key gets
//                             the same answer and creates nothing new.
//        201 {"booking_id": "bk_...", "status": "held", "amount": 36000, "currency": "USD",
//             "hold_expires_at": 1767229200}
//        409 {"error": {"code": "unit_unavailable", ...}}   400 {"error": {"code": ..., "param"}}
//   GET  /api/bookings/{id}   200 {"booking_id", "status": held|confirmed|cancelled|released,
//                                  "unit", "first_night", "nights", "amount", "currency",
//                                  "payment": {"status", "payment_intent", "refunded"}}
//   POST /api/bookings/{id}/cancel    200 with the booking; refunds what was captured
//   POST /api/subscriptions, GET /api/subscriptions/{id}, POST /api/subscriptions/{id}/cancel
//                             guest club memberships (payments/subscription_service.h)
//   GET  /healthz             200 "ok"
// Webhooks: POST /webhooks/stripe, /webhooks/standard, GET+POST /webhooks/whatsapp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/bookings/conflict_resolver.h"
#include "src/core/bookings/ledger.h"
#include "src/core/http.h"
#include "src/core/notifications/notification_service.h"
#include "src/core/payments/payment.h"
#include "src/core/payments/subscription.h"
#include "src/core/payments/subscription_service.h"
#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"
#include "src/core/status.h"
#include "src/core/sync/sync_engine.h"
#include "src/core/webhook/intake.h"

namespace intsim::core::app {

struct IntegrationConfig {
  std::vector<bookings::Unit> units;
  webhook::WebhookIntakeConfig webhooks;
  resilience::DispatcherConfig dispatcher;  // per-peer policies ("stripe", ...)
  // Guest notifications over WhatsApp (off unless enabled); the "whatsapp" peer policy defaults
  // to notifications::whatsapp_peer_policy, and its retry_ambiguous always follows the policy.
  notifications::NotificationConfig notifications;
  std::string stripe_secret_key = "sk_test_intsim";
  // Price of one night of any unit, in the currency's smallest unit (core/payments/currency).
  std::map<std::string, std::int64_t, std::less<>> nightly_rate_minor = {
      {"USD", 12'000}, {"EUR", 11'000}, {"COP", 45'000'000}, {"JPY", 18'000}, {"ISK", 1'700'000}};
  TimeUs hold_ttl_us = 30 * kUsPerMin;  // a direct booking's hold while payment is pending
  TimeUs reconcile_interval_us = 10 * kUsPerMin;  // how often stuck payments are looked at
  TimeUs payment_stuck_after_us = 15 * kUsPerMin;
  bookings::ResolverPolicy resolver;
  // Stripe's search index lags: a search that decides whether to create a PaymentIntent again
  // waits this long after the create job died.
  TimeUs search_settle_us = 5 * kUsPerMin;
  // Guest club memberships (Stripe subscriptions); its search_settle_us is the one above.
  payments::SubscriptionServiceConfig memberships;
  // OTA channel sync (sync/sync_engine.h): with no channels nothing is polled. Empty units mean
  // every unit; its timer id is one of the distinct ones below.
  sync::SyncConfig sync;
  // Timer ids of the components (the dispatcher's is dispatcher.timer_id); all distinct.
  TimerId hold_timer_id = 0x686f6c64;         // "hold"
  TimerId reconcile_timer_id = 0x7265636f6e;  // "recon"
};

// Durable state the oracles may read from the core's store (tables and row formats are
// documented in the services' headers): bookings, payments, webhook inbox, outbox, DLQ.
class Integration final : public TimerSink, public HttpResultSink {
 public:
  // Uses every port in `ports`. The object holds only volatile state: after a crash the driver
  // makes a new one on the same store and calls recover().
  static Status create(IntegrationConfig config, Ports ports, std::unique_ptr<Integration>* out);
  ~Integration() override;

  Status recover(TimeUs now_us);
  HttpResponse handle(const HttpRequest& request, TimeUs now_us);
  void on_timer(TimerId id, TimeUs now_us) override;
  void on_http_result(RequestId id, HttpResult result, TimeUs now_us) override;

  const bookings::Ledger& ledger() const;
  // The channel sync engine; null when no channel is configured.
  const sync::SyncEngine* channel_sync() const;

  // Read-only views for oracles, tests and operators (they read the store).
  // The payment of every booking that has one, by booking id.
  Status payments(std::vector<payments::Payment>* out) const;
  Status payment(std::string_view booking_id, payments::Payment* out) const;
  // Every guest club membership, by id.
  Status memberships(std::vector<payments::Membership>* out) const;
  Status dlq_entries(std::vector<resilience::DlqEntry>* out) const;
  std::size_t outbox_jobs() const;

  // Cancels an active booking and refunds its payment. Sets `cancelled` when something was
  // cancelled.
  Status cancel_booking(std::string_view booking_id, TimeUs now_us, bool* cancelled = nullptr);
  // A channel's stay as its feed shows it now (channel sync calls this), persisted; conflicts
  // it creates are resolved at once under config.resolver (a direct stay that loses is
  // cancelled and refunded; what cannot be resolved raises an "unresolved_conflict" alert).
  Status upsert_channel_stay(const bookings::Stay& stay, TimeUs now_us);

 private:
  struct Impl;
  explicit Integration(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace intsim::core::app
