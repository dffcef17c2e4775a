// The simulated Stripe: an HTTP API over the simulated network, as a sans-I/O state machine.
//
// The driver (the simulator) hands every request to call()/handle() with the virtual time it
// arrived, adds latency and network faults around the answer, and wakes the model at
// next_wakeup_us() with advance() for everything asynchronous (3-D Secure and `processing`
// resolving, disputes opening and moving on, subscription renewals and smart retries,
// idempotency keys pruned). The model's state changes inside call(): a driver that drops the
// response (an ambiguous commit) leaves Stripe exactly as if the client had received it.
//
// Every state change appends an Event in Stripe's shape; take_events() hands them to the
// webhook delivery component (webhook_delivery.h). ledger() is the ground truth of money.
//
// Endpoints (form-encoded bodies, JSON answers, `Authorization: Bearer <secret_key>`):
//   POST /v1/customers                      GET /v1/customers/{id}
//   GET  /v1/customers/search?query=metadata['membership_id']:'ms_1' [AND email:'..'] (lags)
//   POST /v1/payment_intents                GET /v1/payment_intents/{id}
//   POST /v1/payment_intents/{id}/confirm   POST /v1/payment_intents/{id}/capture
//   POST /v1/payment_intents/{id}/cancel    GET /v1/payment_intents?customer=&limit=
//   GET  /v1/payment_intents/search?query=metadata['booking_id']:'b_1' [AND status:'succeeded']
//   POST /v1/refunds                        GET /v1/refunds/{id}
//   GET  /v1/charges/{id}                   GET /v1/disputes/{id}
//   POST /v1/subscriptions                  GET /v1/subscriptions/{id}
//   POST /v1/subscriptions/{id}             DELETE /v1/subscriptions/{id}
//   GET  /v1/subscriptions?customer=&status=&limit=   (not canceled ones unless status=all)
//   GET  /v1/invoices/{id}                  POST /v1/invoices/{id}/pay
//   GET  /v1/events/{id}                    GET /v1/events?type=&limit=
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "models/stripe/card_outcome.h"
#include "models/stripe/config.h"
#include "models/stripe/idempotency.h"
#include "models/stripe/ledger.h"
#include "models/stripe/objects.h"
#include "sim/rng.h"
#include "src/core/http.h"
#include "src/core/time.h"

namespace intsim::models::stripe {

// One Stripe Event, ready to deliver.
struct Event {
  std::string id;    // "evt_..."
  std::string type;  // "payment_intent.succeeded"
  core::TimeUs created_us = 0;
  std::string request_id;       // the API request that caused it ("" for automatic changes)
  std::string idempotency_key;  // that request's key, if any
  nlohmann::json json;          // the full event object
  std::string body() const { return json.dump(); }
};

// The answer to one API call, with what the driver needs to stage it.
struct ApiResult {
  core::HttpResponse response;
  std::string request_id;
  // The request executes until then: the driver must not deliver the response earlier, and
  // another request with the same idempotency key arriving before it gets a 409.
  core::TimeUs completes_at_us = 0;
  // Events this call created (the driver may let one overtake the response).
  std::vector<std::string> event_ids;
};

class StripeModel {
 public:
  // `rng` is the model's own stream (e.g. sim.rng("stripe")); children are split from it for
  // card outcomes, disputes, failures and retries so one kind of draw never shifts another.
  StripeModel(StripeConfig config, const sim::Rng& rng);

  ApiResult call(const core::HttpRequest& request, core::TimeUs now_us);
  core::HttpResponse handle(const core::HttpRequest& request, core::TimeUs now_us) {
    return call(request, now_us).response;
  }

  // When advance() next has something to do; kNever when nothing is pending.
  core::TimeUs next_wakeup_us() const;
  // Runs everything due at or before now_us, in time order.
  void advance(core::TimeUs now_us);

  // Events created since the last call, in creation order.
  std::vector<Event> take_events();
  // Every event ever created (GET /v1/events reads these).
  const std::vector<Event>& events() const { return events_; }

  const Ledger& ledger() const { return ledger_; }
  const StripeConfig& config() const { return config_; }

  // Inspection for tests and oracles; null when absent.
  const PaymentIntent* payment_intent(std::string_view id) const;
  const Charge* charge(std::string_view id) const;
  const Dispute* dispute(std::string_view id) const;
  const Subscription* subscription(std::string_view id) const;
  const Invoice* invoice(std::string_view id) const;
  const std::map<std::string, Subscription, std::less<>>& subscriptions() const {
    return subscriptions_;
  }
  const std::map<std::string, Invoice, std::less<>>& invoices() const { return invoices_; }
  const std::map<std::string, Dispute, std::less<>>& disputes() const { return disputes_; }
  std::size_t idempotency_keys_stored() const { return idempotency_.size(); }

 private:
  // What a route answers before the idempotency layer decides whether to store it.
  struct Reply {
    int status = 200;
    nlohmann::json body;
  };
  // The request being executed: who caused the events it creates.
  struct RequestContext {
    std::string request_id;
    std::string idempotency_key;
    core::TimeUs now_us = 0;
  };
  enum class TimerKind : std::uint8_t {
    kResolveAction,      // 3-D Secure done: succeed or fail the PaymentIntent
    kResolveProcessing,  // processing settles
    kOpenDispute,
    kDisputeUnderReview,
    kCloseDispute,
    kRenewSubscription,
    kRetryInvoice,
    kExpireIncomplete,
  };
  struct Timer {
    TimerKind kind;
    std::string object_id;
    bool success = false;  // kResolve*: the drawn outcome
  };

  // stripe_model.cc: routing, authentication, idempotency, events, timers.
  Reply route(const core::HttpRequest& request, std::string_view path, std::string_view query,
              const nlohmann::json& params, const RequestContext& ctx);
  void emit(std::string type, nlohmann::json object, const RequestContext& ctx,
            nlohmann::json previous_attributes = nullptr);
  void schedule(core::TimeUs at_us, Timer timer);
  void run_timer(const Timer& timer, const RequestContext& ctx);
  std::string next_id(std::string_view prefix);

  // payment_intents.cc
  Reply create_payment_intent(const nlohmann::json& params, const RequestContext& ctx);
  Reply confirm_payment_intent(std::string_view id, const nlohmann::json& params,
                               const RequestContext& ctx);
  Reply capture_payment_intent(std::string_view id, const nlohmann::json& params,
                               const RequestContext& ctx);
  Reply cancel_payment_intent(std::string_view id, const nlohmann::json& params,
                              const RequestContext& ctx);
  Reply search_payment_intents(std::string_view query, const RequestContext& ctx);
  Reply list_payment_intents(std::string_view query);
  // search.cc too: GET /v1/customers/search and GET /v1/subscriptions (list).
  Reply search_customers(std::string_view query, const RequestContext& ctx);
  Reply list_subscriptions(std::string_view query);
  Reply create_refund(const nlohmann::json& params, const RequestContext& ctx);
  // Confirms with the payment method already set; off_session answers for invoices (no
  // customer present: requires_action becomes a failure). Returns the 402 error body on a
  // synchronous decline, null otherwise.
  nlohmann::json confirm(PaymentIntent& pi, bool off_session, const RequestContext& ctx);
  void charge_succeeded(PaymentIntent& pi, bool force_dispute, const RequestContext& ctx);
  void charge_failed(PaymentIntent& pi, PaymentError error, bool with_charge,
                     const RequestContext& ctx);
  Charge& new_charge(PaymentIntent& pi, const RequestContext& ctx);
  // The pending charge of a processing PaymentIntent, or a new one.
  Charge& attempt_charge(PaymentIntent& pi, const RequestContext& ctx);
  void resolve_async(const Timer& timer, const RequestContext& ctx);
  void set_status(PaymentIntent& pi, std::string status, core::TimeUs now_us);
  void after_payment_outcome(const PaymentIntent& pi, bool succeeded, const RequestContext& ctx);

  // disputes.cc
  void maybe_schedule_dispute(const Charge& charge, bool forced, core::TimeUs now_us);
  void open_dispute(std::string_view charge_id, const RequestContext& ctx);
  void dispute_under_review(std::string_view dispute_id, const RequestContext& ctx);
  void close_dispute(std::string_view dispute_id, const RequestContext& ctx);

  // subscriptions.cc
  Reply create_customer(const nlohmann::json& params, const RequestContext& ctx);
  Reply create_subscription(const nlohmann::json& params, const RequestContext& ctx);
  Reply update_subscription(std::string_view id, const nlohmann::json& params,
                            const RequestContext& ctx);
  Reply cancel_subscription(std::string_view id, const RequestContext& ctx);
  Reply pay_invoice(std::string_view id, const RequestContext& ctx);
  void start_invoice(Subscription& sub, std::string billing_reason, const RequestContext& ctx);
  // Charges the invoice's PaymentIntent off-session; the 402 body on a decline, else null.
  nlohmann::json attempt_invoice(Invoice& inv, const RequestContext& ctx);
  void on_invoice_payment(const PaymentIntent& pi, bool succeeded, const RequestContext& ctx);
  void set_subscription_status(Subscription& sub, std::string status, const RequestContext& ctx);
  void renew_subscription(std::string_view id, const RequestContext& ctx);
  void expire_incomplete(std::string_view id, const RequestContext& ctx);

  // render.cc
  nlohmann::json render(const Customer& c) const;
  nlohmann::json render(const PaymentIntent& pi) const;
  nlohmann::json render(const Charge& ch) const;
  nlohmann::json render(const Refund& r) const;
  nlohmann::json render(const Dispute& d) const;
  nlohmann::json render(const Subscription& s) const;
  nlohmann::json render(const Invoice& inv) const;

  StripeConfig config_;
  sim::Rng card_rng_;
  sim::Rng dispute_rng_;
  sim::Rng failure_rng_;
  sim::Rng retry_rng_;
  sim::Rng repeat_rng_;
  IdempotencyStore idempotency_;
  Ledger ledger_;

  std::map<std::string, Customer, std::less<>> customers_;
  std::map<std::string, PaymentIntent, std::less<>> payment_intents_;
  std::map<std::string, Charge, std::less<>> charges_;
  std::map<std::string, Refund, std::less<>> refunds_;
  std::map<std::string, Dispute, std::less<>> disputes_;
  std::map<std::string, Subscription, std::less<>> subscriptions_;
  std::map<std::string, Invoice, std::less<>> invoices_;
  // Card outcomes drawn at confirmation for asynchronous resolutions, by PaymentIntent.
  std::map<std::string, CardResult, std::less<>> pending_results_;
  // Payment methods whose last charge was declined, with its code (repeat_decline_probability).
  std::map<std::string, std::string, std::less<>> declined_cards_;

  std::vector<Event> events_;
  std::map<std::string, std::size_t, std::less<>> event_index_;
  std::size_t events_taken_ = 0;

  // Timers keyed by (time, sequence): same-instant timers run in scheduling order.
  std::map<std::pair<core::TimeUs, std::uint64_t>, Timer> timers_;
  std::uint64_t timer_seq_ = 0;
  std::uint64_t id_seq_ = 0;
  core::TimeUs last_now_us_ = 0;
};

}  // namespace intsim::models::stripe
