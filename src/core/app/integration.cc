#include "src/core/app/integration.h"

#include <fmt/format.h>

#include "src/core/alerting_store.h"
#include "src/core/assert.h"
#include "src/core/bookings/booking_service.h"
#include "src/core/payments/payment_service.h"
#include "src/core/payments/subscription_service.h"
#include "src/core/resilience/idempotency.h"
#include "src/core/sync/availability_export.h"

namespace intsim::core::app {
namespace {

// Hands each verified event to the service that owns its endpoint: Stripe's to payments (and
// subscriptions and invoices to memberships), WhatsApp's to notifications; Standard Webhooks'
// are acknowledged (recorded in the inbox) until their service lands.
class EventRouter final : public webhook::EventProcessor {
 public:
  EventRouter(webhook::EventProcessor* stripe, payments::SubscriptionService* memberships,
              webhook::EventProcessor* whatsapp)
      : stripe_(stripe), memberships_(memberships), whatsapp_(whatsapp) {}
  Status apply(const webhook::VerifiedEvent& event, WriteBatch& effects, TimeUs now_us) override {
    if (event.endpoint == webhook::Endpoint::kStripe) {
      if (event.type.starts_with("invoice.") || event.type.starts_with("customer.subscription.")) {
        return memberships_->apply(event, effects, now_us);
      }
      return stripe_->apply(event, effects, now_us);
    }
    if (event.endpoint == webhook::Endpoint::kWhatsApp) {
      return whatsapp_->apply(event, effects, now_us);
    }
    return Status::ok();
  }

 private:
  webhook::EventProcessor* stripe_;
  payments::SubscriptionService* memberships_;
  webhook::EventProcessor* whatsapp_;
};

// The sync engine's view of the bookings service: upserts resolve the conflicts they create
// (relocate, or cancel + refund a direct stay, or alert), a vanished stay is cancelled.
class ChannelSink final : public sync::ChannelStaySink {
 public:
  explicit ChannelSink(bookings::BookingService* bookings) : bookings_(bookings) {}
  const bookings::Ledger& ledger() const override { return bookings_->ledger(); }
  Status upsert_channel_stay(const bookings::Stay& stay, TimeUs now_us) override {
    return bookings_->upsert_channel_stay(stay, now_us);
  }
  Status cancel_channel_stay(std::string_view stay_id, TimeUs now_us) override {
    return bookings_->cancel(stay_id, now_us);
  }

 private:
  bookings::BookingService* bookings_;
};

HttpResponse text_response(int status, std::string body) {
  return {status, {{"Content-Type", "text/plain"}}, std::move(body)};
}

}  // namespace

struct Integration::Impl {
  Impl(IntegrationConfig c, Ports p, std::unique_ptr<notifications::ObservedStore> t,
       std::unique_ptr<AlertingStore> a, resilience::DispatcherConfig dc)
      : config(std::move(c)),
        ports(p),
        trigger(std::move(t)),
        alerting(std::move(a)),
        dispatcher(p, std::move(dc)) {}

  // After any call that may have committed rows written by the services into a batch someone
  // else committed: outbox rows the dispatcher has not learned, and stays whose commit may have
  // failed.
  void settle(TimeUs now_us) {
    WriteBatch learned;
    for (const WriteBatch::Op& op : payments->take_enqueued()) {
      std::string row;
      if (op.table == resilience::kOutboxTable &&
          ports.store->get(op.table, op.key, &row).is_ok()) {
        learned.put(op.table, op.key, row);
      }
    }
    for (const WriteBatch::Op& op : memberships->take_enqueued()) {
      std::string row;
      if (ports.store->get(op.table, op.key, &row).is_ok()) learned.put(op.table, op.key, row);
    }
    // Notification jobs (written by the store trigger or in others' batches), and resends a
    // status webhook cancelled.
    for (const WriteBatch::Op& op : notifications->take_enqueued()) {
      std::string row;
      const Status s = ports.store->get(op.table, op.key, &row);
      if (op.value && s.is_ok()) learned.put(op.table, op.key, row);
      if (!op.value && s.code() == Status::Code::kNotFound) learned.erase(op.table, op.key);
    }
    if (!learned.empty()) dispatcher.on_committed(learned, now_us);
    bookings->settle(now_us);
    notifications->settle(now_us);
  }

  void reconcile(TimeUs now_us) {
    WriteBatch batch;
    Status s = payments->reconcile(batch, now_us);
    if (s.is_ok() && !batch.empty()) s = ports.store->commit(batch);
    payments->take_enqueued();  // learned below from the batch itself, if it committed
    if (s.is_ok()) {
      if (!batch.empty()) dispatcher.on_committed(batch, now_us);
    } else {
      ports.log->write(now_us, LogLevel::kError, "payments.reconcile_failed",
                       {{"error", s.to_string()}});
    }
    // Memberships stuck in creating, cancels not done, statuses no webhook fixed: read Stripe.
    WriteBatch members;
    Status ms = memberships->reconcile(members, now_us);
    if (ms.is_ok() && !members.empty()) ms = ports.store->commit(members);
    memberships->take_enqueued();  // learned below from the batch itself, if it committed
    if (ms.is_ok()) {
      if (!members.empty()) dispatcher.on_committed(members, now_us);
    } else {
      ports.log->write(now_us, LogLevel::kError, "memberships.reconcile_failed",
                       {{"error", ms.to_string()}});
    }
    // The inbox only needs rows inside the peers' redelivery windows.
    std::size_t erased = 0;
    intake->prune(now_us, 10'000, &erased);
    ports.timers->arm(config.reconcile_timer_id, now_us + config.reconcile_interval_us);
  }

  IntegrationConfig config;
  // ports.store is `alerting` over `trigger`: every commit passes the notifications' trigger,
  // and the alerts a batch carries are raised once it committed.
  Ports ports;
  std::unique_ptr<notifications::ObservedStore> trigger;
  std::unique_ptr<AlertingStore> alerting;
  resilience::Dispatcher dispatcher;
  std::unique_ptr<bookings::BookingService> bookings;
  std::unique_ptr<payments::PaymentService> payments;
  std::unique_ptr<payments::SubscriptionService> memberships;
  std::unique_ptr<notifications::NotificationService> notifications;
  std::unique_ptr<EventRouter> router;
  std::unique_ptr<webhook::WebhookIntake> intake;
  std::unique_ptr<ChannelSink> channel_sink;
  std::unique_ptr<sync::SyncEngine> sync;  // null without channels
  sync::AvailabilityExports exports;       // what channels import of our calendars
};

Status Integration::create(IntegrationConfig config, Ports ports,
                           std::unique_ptr<Integration>* out) {
  if (!ports.clock || !ports.random || !ports.timers || !ports.http || !ports.store || !ports.log ||
      !ports.metrics || !ports.alerts) {
    return Status::invalid_argument("the integration needs every port");
  }
  const TimerId outbox_timer = config.dispatcher.timer_id;
  const TimerId notify_timer = config.notifications.timer_id;
  if (outbox_timer == config.hold_timer_id || outbox_timer == config.reconcile_timer_id ||
      config.hold_timer_id == config.reconcile_timer_id || notify_timer == outbox_timer ||
      notify_timer == config.hold_timer_id || notify_timer == config.reconcile_timer_id) {
    return Status::invalid_argument("timer ids must be distinct");
  }
  if (config.reconcile_interval_us <= 0 || config.hold_ttl_us <= 0) {
    return Status::invalid_argument("reconcile_interval_us and hold_ttl_us must be positive");
  }
  // Stripe deduplicates on Idempotency-Key and prunes keys after 24 h; the outbox must send the
  // key and must not retry one past that age (the payments service reconciles instead).
  resilience::DispatcherConfig dc = config.dispatcher;
  auto [it, added] = dc.peers.try_emplace("stripe", dc.default_policy);
  resilience::PeerPolicy& stripe = it->second;
  if (added) {
    // Unless configured otherwise, a payment job keeps trying (backoff capped at 10 min) until
    // its key is about to be pruned; then the payments service reconciles by search.
    stripe.backoff.attempts_max = 1'000;
    stripe.backoff.cap_ms = 10 * 60 * 1000;
    stripe.backoff.deadline_ms = 3 * 24 * 60 * 60 * 1000LL;
  }
  if (stripe.idempotency_header.empty()) stripe.idempotency_header = "Idempotency-Key";
  if (stripe.key_prune_age_us <= 0) stripe.key_prune_age_us = resilience::kStripeKeyPruneAgeUs;
  stripe.credential_headers = {{"Authorization", "Bearer " + config.stripe_secret_key}};

  // WhatsApp has no idempotency key: whether an ambiguous send is retried is the notifications'
  // policy (notification_service.h), whatever else the peer's policy says.
  const notifications::NotificationConfig& nc = config.notifications;
  auto [wa, wa_added] = dc.peers.try_emplace(nc.peer, notifications::whatsapp_peer_policy(nc));
  wa->second.retry_ambiguous = nc.ambiguous == notifications::AmbiguousSendPolicy::kResend;
  wa->second.idempotency_header.clear();

  auto trigger = std::make_unique<notifications::ObservedStore>(ports.store, ports.clock);
  auto alerting = std::make_unique<AlertingStore>(trigger.get(), ports.alerts);
  ports.store = alerting.get();
  auto impl = std::make_unique<Impl>(std::move(config), ports, std::move(trigger),
                                     std::move(alerting), std::move(dc));
  const IntegrationConfig& c = impl->config;
  bookings::BookingServiceConfig bc;
  bc.units = c.units;
  bc.hold_ttl_us = c.hold_ttl_us;
  bc.nightly_rate_minor = c.nightly_rate_minor;
  bc.hold_timer_id = c.hold_timer_id;
  bc.resolver = c.resolver;
  impl->bookings = std::make_unique<bookings::BookingService>(bc, ports, &impl->dispatcher);
  payments::PaymentServiceConfig pc;
  pc.payment_stuck_after_us = c.payment_stuck_after_us;
  pc.search_settle_us = c.search_settle_us;
  impl->payments = std::make_unique<payments::PaymentService>(pc, ports, &impl->dispatcher,
                                                              impl->bookings.get());
  impl->bookings->attach(impl->payments.get());
  impl->payments->register_handlers();
  impl->notifications = std::make_unique<notifications::NotificationService>(c.notifications, ports,
                                                                             &impl->dispatcher);
  impl->notifications->register_handlers();
  // Disabled, batches commit as they are (not even copied).
  if (c.notifications.enabled) impl->trigger->set_observer(impl->notifications.get());
  payments::SubscriptionServiceConfig msc = c.memberships;
  msc.search_settle_us = c.search_settle_us;
  impl->memberships = std::make_unique<payments::SubscriptionService>(
      msc, ports, &impl->dispatcher, c.notifications.enabled ? impl->notifications.get() : nullptr);
  impl->memberships->register_handlers();
  impl->router = std::make_unique<EventRouter>(impl->payments.get(), impl->memberships.get(),
                                               impl->notifications.get());
  if (Status s =
          webhook::WebhookIntake::create(c.webhooks, ports, impl->router.get(), &impl->intake);
      !s.is_ok()) {
    return s;
  }
  if (!c.sync.channels.empty()) {
    const TimerId t = c.sync.timer_id;
    if (t == outbox_timer || t == c.hold_timer_id || t == c.reconcile_timer_id ||
        t == c.notifications.timer_id) {
      return Status::invalid_argument("timer ids must be distinct");
    }
    sync::SyncConfig sc = c.sync;
    if (sc.units.empty()) {
      for (const bookings::Unit& u : c.units) sc.units.push_back(u.id);
    }
    impl->channel_sink = std::make_unique<ChannelSink>(impl->bookings.get());
    impl->sync = std::make_unique<sync::SyncEngine>(std::move(sc), ports, impl->channel_sink.get());
  }
  out->reset(new Integration(std::move(impl)));
  return Status::ok();
}

Integration::Integration(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Integration::~Integration() = default;

Status Integration::recover(TimeUs now_us) {
  Impl& m = *impl_;
  if (Status s = m.bookings->recover(now_us); !s.is_ok()) return s;
  m.payments->take_enqueued();
  m.memberships->take_enqueued();
  m.notifications->recover(now_us);
  if (Status s = m.dispatcher.recover(now_us); !s.is_ok()) {
    // A damaged outbox row is left for a human (logged); the rest of the outbox runs.
    m.ports.log->write(now_us, LogLevel::kError, "integration.outbox_recovery",
                       {{"error", s.to_string()}});
  }
  if (m.sync) {
    if (Status s = m.sync->recover(now_us); !s.is_ok()) return s;
    // A crash between a channel stay's commit and its conflict's resolution left the conflict.
    if (Status s = m.bookings->resolve_conflicts(now_us); !s.is_ok()) return s;
  }
  m.ports.timers->arm(m.config.reconcile_timer_id, now_us + m.config.reconcile_interval_us);
  m.ports.log->write(now_us, LogLevel::kInfo, "integration.recovered",
                     {{"stays", std::to_string(m.bookings->ledger().stays().size())},
                      {"outbox_jobs", std::to_string(m.dispatcher.jobs())}});
  return Status::ok();
}

HttpResponse Integration::handle(const HttpRequest& request, TimeUs now_us) {
  Impl& m = *impl_;
  std::string_view path = request.target;
  if (const std::size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  HttpResponse response;
  if (path == "/healthz") {
    response = request.method == "GET" ? text_response(200, "ok")
                                       : text_response(405, "method not allowed");
  } else if (path.starts_with("/webhooks/")) {
    response = m.intake->handle(request, now_us);
  } else if (path.starts_with("/ical/")) {
    response = m.exports.respond(m.bookings->ledger(), request, now_us);
  } else if (path == "/api/bookings" || path.starts_with("/api/bookings/")) {
    response = m.bookings->handle(request, now_us);
  } else if (path == "/api/subscriptions" || path.starts_with("/api/subscriptions/")) {
    response = m.memberships->handle(request, now_us);
  } else {
    response = text_response(404, "not found");
  }
  m.settle(now_us);
  return response;
}

void Integration::on_timer(TimerId id, TimeUs now_us) {
  Impl& m = *impl_;
  if (id == m.config.dispatcher.timer_id) {
    m.dispatcher.on_timer(id, now_us);
  } else if (id == m.config.hold_timer_id) {
    m.bookings->on_hold_timer(now_us);
  } else if (id == m.config.reconcile_timer_id) {
    m.reconcile(now_us);
  } else if (id == m.config.notifications.timer_id) {
    m.notifications->on_timer(now_us);
  } else if (m.sync && id == m.config.sync.timer_id) {
    m.sync->on_timer(now_us);
  } else {
    m.ports.log->write(now_us, LogLevel::kWarn, "integration.unknown_timer",
                       {{"timer", std::to_string(id)}});
    return;
  }
  m.settle(now_us);
}

void Integration::on_http_result(RequestId id, HttpResult result, TimeUs now_us) {
  // The sync engine's feed polls carry its id range; everything else is the outbox's (both
  // ignore ids of a previous incarnation).
  if (impl_->sync && impl_->sync->owns_request(id)) {
    impl_->sync->on_http_result(id, std::move(result), now_us);
  } else {
    impl_->dispatcher.on_http_result(id, std::move(result), now_us);
  }
  impl_->settle(now_us);
}

const bookings::Ledger& Integration::ledger() const { return impl_->bookings->ledger(); }

const sync::SyncEngine* Integration::channel_sync() const { return impl_->sync.get(); }

Status Integration::payments(std::vector<payments::Payment>* out) const {
  return impl_->payments->list(out);
}

Status Integration::payment(std::string_view booking_id, payments::Payment* out) const {
  return impl_->payments->find(booking_id, out);
}

Status Integration::memberships(std::vector<payments::Membership>* out) const {
  return impl_->memberships->list(out);
}

Status Integration::dlq_entries(std::vector<resilience::DlqEntry>* out) const {
  return impl_->dispatcher.dlq_entries(out);
}

std::size_t Integration::outbox_jobs() const { return impl_->dispatcher.jobs(); }

Status Integration::upsert_channel_stay(const bookings::Stay& stay, TimeUs now_us) {
  const Status s = impl_->bookings->upsert_channel_stay(stay, now_us);
  impl_->settle(now_us);
  return s;
}

Status Integration::cancel_booking(std::string_view booking_id, TimeUs now_us, bool* cancelled) {
  const Status s = impl_->bookings->cancel(booking_id, now_us, cancelled);
  impl_->settle(now_us);
  return s;
}

}  // namespace intsim::core::app
