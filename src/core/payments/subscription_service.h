// The memberships service: guest club memberships (subscription.h) sold as Stripe subscriptions,
// created exactly once and kept equal to Stripe under timeouts, ambiguous commits, crashes,
// duplicate and reordered webhooks, with dunning when renewals fail.
//
// Guest API (JSON bodies; the integration routes /api/subscriptions here):
//   POST /api/subscriptions   {"guest": "g_3", "plan": "guest_club", "currency": "USD",
//                              "payment_method": "pm_..."}   optional Idempotency-Key: a retry
//                              with the same key gets the first answer and creates nothing new
//        201 {"membership_id": "ms_...", "status": "creating", ...}   400 {"error": {...}}
//   GET  /api/subscriptions/{id}          200 the membership
//   POST /api/subscriptions/{id}/cancel   200 the membership, cancel_requested: Stripe is asked
//                                         to cancel (now, or once the subscription exists)
//
// Creating: the membership row and a customer create job commit together (the outbox,
// resilience/dispatcher.h); the customer's answer queues the subscription create. Each create
// has an idempotency key made once and kept across retries and restarts, and carries
// metadata[membership_id]. A create job that dies (DLQ) is never retried blindly: first a read
// looks for what it may have made (customers: search by metadata, after search_settle_us since
// Stripe's search lags; subscriptions: the customer's list, status=all, which does not lag). A
// find is adopted; only when none exists is the create made again, under the same key while
// Stripe keeps it, a new one after; creates_max creates, or a refusal, end in `failed`.
//
// Status (webhooks customer.subscription.created|updated|deleted, invoice.paid,
// invoice.payment_failed, and answers that render the subscription, timed by their Date
// header): merged by subscription.h's merge_news, so old news never overwrites newer and a
// doubt (two changes in one second) is settled by reading the subscription a second later.
//
// Dunning: invoice.payment_failed marks the invoice failed and, once per invoice, tells the
// member (a WhatsApp "payment_failed" notification through the notifications service when it
// is enabled, a "dunning" alert, metric intsim_dunning_notices_total); the subscription goes
// past_due while Stripe's smart retries run. invoice.paid marks it paid (active again). When
// retries run out Stripe ends it (canceled, or unpaid): the membership lapses (a
// "membership_lapsed" alert).
//
// reconcile() (on the integration's timer): reads memberships whose create died and no read is
// running, re-sends a cancel the member asked for, and reads a non-final membership when news
// Stripe owed it did not come (nothing by news_grace_us after its period's end or an invoice's
// next attempt: a webhook that never came), or after check_after_us without any news. A time
// ordered index (subscription.h) makes a pass read only the memberships due.
//
// Outbox job kinds (all to peer "stripe"):
//   stripe.create_customer        POST /v1/customers
//   stripe.create_subscription    POST /v1/subscriptions
//   stripe.cancel_subscription    DELETE /v1/subscriptions/{id}
//   stripe.retrieve_subscription  GET /v1/subscriptions/{id}
//   stripe.search_customers       GET /v1/customers/search?query=metadata['membership_id']:'ms'
//   stripe.list_subscriptions     GET /v1/subscriptions?customer=cus&status=all&limit=100
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/http.h"
#include "src/core/payments/subscription.h"
#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"
#include "src/core/webhook/intake.h"

namespace intsim::core::notifications {
class NotificationService;
}

namespace intsim::core::payments {

inline constexpr std::string_view kMembershipRequestsTable = "membership_requests";
inline constexpr std::string_view kCreateCustomerKind = "stripe.create_customer";
inline constexpr std::string_view kCreateSubscriptionKind = "stripe.create_subscription";
inline constexpr std::string_view kCancelSubscriptionKind = "stripe.cancel_subscription";
inline constexpr std::string_view kRetrieveSubscriptionKind = "stripe.retrieve_subscription";
inline constexpr std::string_view kSearchCustomersKind = "stripe.search_customers";
inline constexpr std::string_view kListSubscriptionsKind = "stripe.list_subscriptions";

struct SubscriptionServiceConfig {
  std::string peer = "stripe";
  std::string plan = "guest_club";  // the only plan sold, and its Stripe product
  std::string interval = "month";   // day, week, month, year
  // The price per interval, in the smallest unit, by upper-case currency code.
  std::map<std::string, std::int64_t, std::less<>> price_minor = {
      {"USD", 2'900}, {"EUR", 2'700}, {"COP", 12'000'000}, {"JPY", 4'500}, {"ISK", 400'000}};
  // Stripe's search lags ("typically within a minute"): a search deciding whether to create a
  // customer again waits this long after the create died.
  TimeUs search_settle_us = 5 * kUsPerMin;
  int creates_max = 4;  // create jobs per membership (customer and subscription together)
  TimeUs key_prune_age_us = 24 * kUsPerHour;  // how long Stripe keeps idempotency keys
  // A non-final membership with no news for this long is read from Stripe, and one whose
  // expected news (a renewal, a retry) is this late.
  TimeUs check_after_us = 24 * kUsPerHour;
  TimeUs news_grace_us = 30 * kUsPerMin;
};

class SubscriptionService final : public resilience::JobHandler {
 public:
  // Uses ports.random (ids), store, log, metrics, alerts. `dispatcher` outlives the service;
  // `notifications` may be null (then members are told only through the alert).
  SubscriptionService(SubscriptionServiceConfig config, Ports ports,
                      resilience::Dispatcher* dispatcher,
                      notifications::NotificationService* notifications);

  void register_handlers();

  // The guest API; other targets answer 404.
  HttpResponse handle(const HttpRequest& request, TimeUs now_us);
  // Stripe events about subscriptions and invoices (others: nothing), into `effects`.
  Status apply(const webhook::VerifiedEvent& event, WriteBatch& effects, TimeUs now_us);
  // One reconciliation pass over every membership, into `batch`.
  Status reconcile(WriteBatch& batch, TimeUs now_us);

  Status find(std::string_view membership_id, Membership* out);
  Status list(std::vector<Membership>* out);

  // resilience::JobHandler
  resilience::Classification classify(const resilience::Job& job,
                                      const HttpResult& result) override;
  void on_success(const resilience::Job& job, const HttpResponse& response, WriteBatch& batch,
                  TimeUs now_us) override;
  void on_failure(const resilience::Job& job, const resilience::DlqEntry& entry, WriteBatch& batch,
                  TimeUs now_us) override;

  // Outbox rows written into batches the dispatcher did not commit itself (webhook effects,
  // on_failure effects, the API's commits): the integration hands those that committed to
  // Dispatcher::on_committed.
  std::vector<WriteBatch::Op> take_enqueued();

 private:
  Status load(std::string_view id, Membership* out);
  void save(Membership& m, WriteBatch& batch);
  // The membership a job is about (its metadata, its query, or an index of its target).
  std::string membership_of_job(const resilience::Job& job);
  std::string membership_of(const nlohmann::json& subscription_or_invoice);

  HttpResponse create(const HttpRequest& request, TimeUs now_us);
  HttpResponse cancel(std::string_view id, TimeUs now_us);
  nlohmann::json view(const Membership& m) const;

  std::string enqueue(WriteBatch& batch, resilience::Job job, TimeUs now_us);
  resilience::Job stripe_job(std::string_view kind, std::string method, std::string target,
                             std::string body) const;
  // Enqueues a create under *key (with its age) when reuse_key, else under the new key the
  // dispatcher makes, which is written back to *key and *key_at_us. Returns the job's id.
  std::string enqueue_create(resilience::Job job, bool reuse_key, std::string* key,
                             TimeUs* key_at_us, WriteBatch& batch, TimeUs now_us);
  void enqueue_create_customer(Membership& m, WriteBatch& batch, TimeUs now_us, bool reuse_key);
  void enqueue_create_subscription(Membership& m, WriteBatch& batch, TimeUs now_us, bool reuse_key);
  void enqueue_cancel(Membership& m, WriteBatch& batch, TimeUs now_us);
  // A read of the subscription (or, while creating, of what a dead create may have made).
  void enqueue_read(Membership& m, WriteBatch& batch, TimeUs now_us, TimeUs at_us);

  // The subscription as Stripe showed it at at_s (its clock; 0 when unknown): ids, indexes,
  // status through merge_news.
  void absorb(Membership& m, const nlohmann::json& sub, std::int64_t at_s, WriteBatch& batch,
              TimeUs now_us);
  // Logs, counts and, when dunning ended it, marks the membership lapsed (with an alert).
  void set_status(Membership& m, MemberStatus to, WriteBatch& batch, TimeUs now_us);
  void learn_subscription(Membership& m, const std::string& id, WriteBatch& batch);
  void learn_customer(Membership& m, const std::string& id, WriteBatch& batch);
  // What a dead create's read found (customers: a search result; subscriptions: a list).
  void on_customers_found(Membership& m, const nlohmann::json& body, WriteBatch& batch,
                          TimeUs now_us);
  void on_subscriptions_found(Membership& m, const nlohmann::json& body, WriteBatch& batch,
                              TimeUs now_us);
  // Neither create may run again: the membership failed.
  void give_up(Membership& m, WriteBatch& batch, TimeUs now_us, std::string_view why);
  void dun(Membership& m, const nlohmann::json& invoice, WriteBatch& batch, TimeUs now_us);
  // Logs the alert now and adds it to `batch`, to be raised once the batch commits.
  void alert(WriteBatch& batch, TimeUs now_us, std::string kind, std::string subject,
             std::string message);

  SubscriptionServiceConfig config_;
  Ports ports_;
  resilience::Dispatcher* dispatcher_;
  notifications::NotificationService* notifications_;
  std::vector<WriteBatch::Op> enqueued_;
};

}  // namespace intsim::core::payments
