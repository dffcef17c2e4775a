#include "src/core/notifications/notification_service.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "src/core/assert.h"
#include "src/core/bookings/booking_service.h"
#include "src/core/payments/payment.h"

namespace intsim::core::notifications {
namespace {

namespace bk = bookings;

std::string unconfirmed_key(TimeUs check_at_us, std::string_view id) {
  return fmt::format("{:020}/{}", check_at_us, id);
}

// The notification id a send job carries (biz_opaque_callback_data of its body).
std::string callback_of(const resilience::Job& job) {
  const nlohmann::json j = nlohmann::json::parse(job.body, nullptr, false);
  if (!j.is_object()) return {};
  return j.value("biz_opaque_callback_data", std::string());
}

bool is_template(const resilience::Job& job) {
  return job.body.find("\"type\":\"template\"") != std::string::npos;
}

// The last op on (table, key) in `batch`, or null.
const WriteBatch::Op* last_op(const WriteBatch& batch, std::string_view table,
                              std::string_view key) {
  const auto& ops = batch.ops();
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
    if (it->table == table && it->key == key) return &*it;
  }
  return nullptr;
}

}  // namespace

std::string_view ambiguous_policy_name(AmbiguousSendPolicy policy) {
  switch (policy) {
    case AmbiguousSendPolicy::kAwaitStatus:
      return "await_status";
    case AmbiguousSendPolicy::kResend:
      return "resend";
  }
  return "unknown";
}

bool parse_ambiguous_policy(std::string_view name, AmbiguousSendPolicy* out) {
  for (AmbiguousSendPolicy p : {AmbiguousSendPolicy::kAwaitStatus, AmbiguousSendPolicy::kResend}) {
    if (ambiguous_policy_name(p) == name) {
      *out = p;
      return true;
    }
  }
  return false;
}

resilience::PeerPolicy whatsapp_peer_policy(const NotificationConfig& config) {
  resilience::PeerPolicy p;
  p.timeout_ms = 10'000;
  p.backoff.jitter = resilience::Jitter::kDecorrelated;
  p.backoff.base_delay_ms = config.pair_interval_us / kUsPerMs;
  p.backoff.cap_ms = 10 * 60 * 1000;
  p.backoff.attempts_max = 30;
  p.backoff.deadline_ms = 24 * 60 * 60 * 1000LL;
  p.rate = resilience::TokenBucketConfig::per_second(20, 20);  // well under Meta's 80/s
  p.recipient_rate = resilience::TokenBucketConfig{1, config.pair_interval_us};
  p.retry_ambiguous = config.ambiguous == AmbiguousSendPolicy::kResend;
  return p;
}

NotificationService::NotificationService(NotificationConfig config, Ports ports,
                                         resilience::Dispatcher* dispatcher)
    : config_(std::move(config)), ports_(ports), dispatcher_(dispatcher) {
  INTSIM_ASSERT(ports_.store && ports_.timers && ports_.log && ports_.metrics && ports_.alerts);
  INTSIM_ASSERT(dispatcher_ != nullptr);
  INTSIM_ASSERT(config_.sends_max >= 1 && config_.await_status_us > 0);
}

void NotificationService::register_handlers() {
  dispatcher_->add_handler(std::string(kSendKind), this);
}

Status NotificationService::find(std::string_view id, Notification* out) {
  return load(id, nullptr, out);
}

Status NotificationService::load(std::string_view id, const WriteBatch* batch, Notification* out) {
  if (batch) {
    if (const WriteBatch::Op* op = last_op(*batch, kNotificationsTable, id)) {
      if (!op->value) return Status::not_found(std::string(id));
      return decode_notification(*op->value, out);
    }
  }
  std::string row;
  if (Status s = ports_.store->get(kNotificationsTable, id, &row); !s.is_ok()) return s;
  return decode_notification(row, out);
}

void NotificationService::save(Notification& n, WriteBatch& batch, TimeUs now_us) {
  n.updated_at_us = now_us;
  batch.put(kNotificationsTable, n.id, encode_notification(n));
}

std::optional<TimeUs> NotificationService::last_inbound_us(std::string_view wa_id,
                                                           const WriteBatch* batch) {
  std::string row;
  if (batch) {
    if (const WriteBatch::Op* op = last_op(*batch, kWindowsTable, wa_id); op && op->value) {
      row = *op->value;
    }
  }
  if (row.empty() && !ports_.store->get(kWindowsTable, wa_id, &row).is_ok()) return std::nullopt;
  try {
    return static_cast<TimeUs>(std::stoll(row));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool NotificationService::window_open_in(std::string_view wa_id, const WriteBatch* batch,
                                         TimeUs now_us) {
  const std::optional<TimeUs> last = last_inbound_us(wa_id, batch);
  return last && now_us + config_.window_margin_us < *last + config_.window_us;
}

bool NotificationService::window_open(std::string_view wa_id, TimeUs now_us) {
  return window_open_in(wa_id, nullptr, now_us);
}

OutboundMessage NotificationService::message_for(const Notification& n, bool use_template) const {
  OutboundMessage m;
  m.to = n.recipient;
  m.use_template = use_template;
  m.language = config_.language;
  m.callback_data = n.id;
  m.template_name = std::string(template_name(n.kind));
  const std::string retry_link = fmt::format("https://book.intsim.example/retry/{}", n.booking_id);
  switch (n.kind) {
    case NotificationKind::kBookingConfirmed:
      m.text =
          fmt::format("Your booking {} ({}) is confirmed. See you soon!", n.booking_id, n.unit);
      m.body_params = {n.booking_id, n.unit};
      break;
    case NotificationKind::kPaymentFailed:
      m.text = fmt::format("The payment for booking {} did not go through. Try again: {}",
                           n.booking_id, retry_link);
      m.body_params = {n.booking_id, retry_link};
      break;
    case NotificationKind::kBookingCancelled:
      m.text =
          fmt::format("Your booking {} is cancelled; anything you paid is refunded.", n.booking_id);
      m.body_params = {n.booking_id};
      break;
    case NotificationKind::kBookingRelocated:
      m.text =
          fmt::format("Your booking {} has moved to unit {}, same dates.", n.booking_id, n.unit);
      m.body_params = {n.booking_id, n.unit};
      break;
    case NotificationKind::kCheckinReminder:
      m.text = fmt::format("See you tomorrow! Check-in for booking {} ({}) opens at 15:00.",
                           n.booking_id, n.unit);
      m.body_params = {n.booking_id, n.unit};
      break;
    case NotificationKind::kMembershipPaymentFailed: {
      // booking_id holds the invoice here (Notification's subject).
      const std::string card_link =
          fmt::format("https://book.intsim.example/membership/invoices/{}", n.booking_id);
      m.text = fmt::format(
          "The renewal of your guest club membership did not go through (invoice {}). We will "
          "try again; to update your card: {}",
          n.booking_id, card_link);
      m.body_params = {n.booking_id, card_link};
      break;
    }
  }
  return m;
}

void NotificationService::enqueue_send(Notification& n, bool use_template, WriteBatch& batch,
                                       TimeUs now_us) {
  resilience::Job job;
  job.kind = std::string(kSendKind);
  job.peer = config_.peer;
  job.method = "POST";
  job.target = fmt::format("/{}/{}/messages", config_.api_version, config_.phone_number_id);
  job.headers = {{"Authorization", "Bearer " + config_.access_token},
                 {"Content-Type", "application/json"}};
  job.body = send_body(message_for(n, use_template));
  job.recipient = n.recipient;
  n.job_id = dispatcher_->enqueue(batch, std::move(job), now_us);
  enqueued_.push_back({std::string(resilience::kOutboxTable), n.job_id, std::string()});
  ++n.sends;
  n.used_template = use_template;
  n.state = NotificationState::kQueued;
  ports_.metrics->count("intsim_notifications_sends_total", config_.peer,
                        use_template ? "template" : "text");
}

Status NotificationService::notify_membership_payment_failed(std::string_view invoice_id,
                                                             std::string_view guest,
                                                             WriteBatch& batch, TimeUs now_us) {
  bk::Stay subject;
  subject.id = std::string(invoice_id);
  subject.guest = std::string(guest);
  return notify(NotificationKind::kMembershipPaymentFailed, subject, batch, now_us);
}

Status NotificationService::notify(NotificationKind kind, const bk::Stay& stay, WriteBatch& batch,
                                   TimeUs now_us) {
  if (!config_.enabled || stay.guest.empty()) return Status::ok();
  Notification n;
  n.id = notification_id(kind, stay.id, stay.unit);
  if (Status s = load(n.id, &batch, &n); s.is_ok()) return Status::ok();  // already notified
  n = Notification{};
  n.id = notification_id(kind, stay.id, stay.unit);
  n.kind = kind;
  n.booking_id = stay.id;
  n.guest = stay.guest;
  n.recipient = guest_wa_id(stay.guest);
  n.unit = stay.unit;
  n.created_at_us = now_us;
  enqueue_send(n, !window_open_in(n.recipient, &batch, now_us), batch, now_us);
  save(n, batch, now_us);
  ports_.log->write(now_us, LogLevel::kInfo, "notifications.created",
                    {{"notification", n.id},
                     {"recipient", n.recipient},
                     {"template", n.used_template ? "true" : "false"}});
  return Status::ok();
}

void NotificationService::on_commit(const WriteBatch& batch, WriteBatch& out, TimeUs now_us) {
  if (!config_.enabled) return;
  // The final row of each stay and payment this batch writes (ordered maps: a fixed order).
  std::map<std::string, const std::string*> stays;
  std::map<std::string, const std::string*> payments_rows;
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.table == bk::kStaysTable) stays[op.key] = op.value ? &*op.value : nullptr;
    if (op.table == payments::kPaymentsTable) {
      payments_rows[op.key] = op.value ? &*op.value : nullptr;
    }
  }
  for (const auto& [id, row] : stays) {
    bk::Stay after;
    if (!row || !bk::decode_stay(*row, &after).is_ok() || after.source != bk::Source::kDirect) {
      continue;
    }
    std::optional<bk::Stay> before;
    std::string old;
    if (ports_.store->get(bk::kStaysTable, id, &old).is_ok()) {
      bk::Stay s;
      if (bk::decode_stay(old, &s).is_ok()) before = s;
    }
    if (after.state == bk::StayState::kConfirmed &&
        (!before || before->state != bk::StayState::kConfirmed)) {
      notify(NotificationKind::kBookingConfirmed, after, out, now_us);
      const TimeUs remind_at_us =
          after.first_night * kUsPerDay + config_.checkin_time_us - config_.reminder_before_us;
      if (remind_at_us > now_us) out.put(kRemindersTable, unconfirmed_key(remind_at_us, id), "");
    }
    if (after.state == bk::StayState::kCancelled && before && bk::is_active(before->state)) {
      notify(NotificationKind::kBookingCancelled, after, out, now_us);
    }
    if (bk::is_active(after.state) && before && bk::is_active(before->state) &&
        before->unit != after.unit) {
      notify(NotificationKind::kBookingRelocated, after, out, now_us);
    }
  }
  for (const auto& [booking_id, row] : payments_rows) {
    payments::Payment after;
    if (!row || !payments::decode_payment(*row, &after).is_ok() ||
        after.status != payments::PayStatus::kFailed) {
      continue;
    }
    std::string old;
    payments::Payment before;
    if (ports_.store->get(payments::kPaymentsTable, booking_id, &old).is_ok() &&
        payments::decode_payment(old, &before).is_ok() &&
        before.status == payments::PayStatus::kFailed) {
      continue;
    }
    // The stay names the guest: from this batch when it changes too, else from the store.
    std::string stay_row;
    if (const auto it = stays.find(booking_id); it != stays.end() && it->second) {
      stay_row = *it->second;
    } else if (!ports_.store->get(bk::kStaysTable, booking_id, &stay_row).is_ok()) {
      continue;
    }
    bk::Stay stay;
    if (bk::decode_stay(stay_row, &stay).is_ok()) {
      notify(NotificationKind::kPaymentFailed, stay, out, now_us);
    }
  }
  // Every commit passes here, so this sees any change to the rows the timer waits for.
  for (const WriteBatch::Op& op : out.ops()) {
    if (op.table == kUnconfirmedTable || op.table == kRemindersTable) due_rows_changed_ = true;
  }
}

resilience::Classification NotificationService::classify(const resilience::Job& job,
                                                         const HttpResult& result) {
  if (result.has_response() && result.response.status >= 400 && result.response.status < 500) {
    if (const auto e = parse_graph_error(result.response.body)) {
      switch (e->code) {
        case kErrorThroughput:
          return {resilience::Outcome::kRetryable, false, "throughput_limited", /*throttled=*/true};
        case kErrorPairRate:
          return {resilience::Outcome::kRetryable, false, "pair_rate_limited", /*throttled=*/true};
        case kErrorWindowClosed:
          // Free-form refused: on_success turns it into a template send. A template refused
          // for the window is a misconfigured template: nothing to retry.
          if (!is_template(job)) return {resilience::Outcome::kSuccess, false, "window_closed"};
          return {resilience::Outcome::kPermanent, false, "window_closed"};
        case kErrorUndeliverable:
          return {resilience::Outcome::kPermanent, false, "undeliverable"};
        default:
          break;
      }
    }
  }
  const resilience::Classification c = resilience::classify(result);
  if (c.ambiguous) {
    // A status webhook already proved a copy went out: nothing to retry or wait for.
    Notification n;
    if (load(callback_of(job), nullptr, &n).is_ok() && n.state == NotificationState::kAccepted) {
      return {resilience::Outcome::kSuccess, false, "already_sent"};
    }
  }
  return c;
}

void NotificationService::on_success(const resilience::Job& job, const HttpResponse& response,
                                     WriteBatch& batch, TimeUs now_us) {
  Notification n;
  if (!load(callback_of(job), &batch, &n).is_ok()) {
    ports_.log->write(now_us, LogLevel::kWarn, "notifications.unknown_job", {{"job", job.id}});
    return;
  }
  if (n.state == NotificationState::kAccepted &&
      !(response.status >= 200 && response.status <= 299)) {
    return;  // an ambiguous answer to a send a status webhook already settled (see classify)
  }
  if (response.status < 200 || response.status > 299) {
    // 131047 on a free-form send (see classify): the window closed while it waited.
    ports_.metrics->count("intsim_notifications_fallbacks_total", config_.peer, "window_closed");
    if (n.job_id != job.id) return;
    if (n.sends >= config_.sends_max) {
      n.state = NotificationState::kFailed;
      ports_.log->write(now_us, LogLevel::kError, "notifications.gave_up",
                        {{"notification", n.id}, {"reason", "window_closed"}});
    } else {
      enqueue_send(n, /*use_template=*/true, batch, now_us);
    }
    save(n, batch, now_us);
    return;
  }
  std::string wamid;
  if (!parse_send_response(response.body, &wamid).is_ok()) {
    ports_.log->write(now_us, LogLevel::kWarn, "notifications.bad_response", {{"job", job.id}});
  }
  if (n.wamid.empty()) n.wamid = wamid;
  n.status = merge_status(n.status, MessageStatus::kAccepted);
  if (n.state != NotificationState::kFailed) n.state = NotificationState::kAccepted;
  save(n, batch, now_us);
}

void NotificationService::on_failure(const resilience::Job& job, const resilience::DlqEntry& entry,
                                     WriteBatch& batch, TimeUs now_us) {
  Notification n;
  if (!load(callback_of(job), &batch, &n).is_ok()) return;
  if (n.job_id != job.id || n.state == NotificationState::kAccepted) {
    // A later send or a status webhook already settled it: this entry is history.
    if (n.state == NotificationState::kAccepted) batch.erase(resilience::kDlqTable, entry.id);
    return;
  }
  n.dlq_entry = entry.id;
  if (entry.reason == resilience::DeadReason::kAmbiguous) {
    n.state = NotificationState::kUnconfirmed;
    n.check_at_us = now_us + config_.await_status_us;
    batch.put(kUnconfirmedTable, unconfirmed_key(n.check_at_us, n.id), "");
    ports_.metrics->count("intsim_notifications_ambiguous_total", config_.peer, "await_status");
  } else {
    n.state = NotificationState::kFailed;
    ports_.metrics->count("intsim_notifications_failed_total", config_.peer,
                          resilience::dead_reason_name(entry.reason));
  }
  save(n, batch, now_us);
}

bool NotificationService::needs_attention(const resilience::Job& /*job*/,
                                          resilience::DeadReason reason) const {
  return reason != resilience::DeadReason::kAmbiguous;
}

Status NotificationService::apply(const webhook::VerifiedEvent& event, WriteBatch& effects,
                                  TimeUs now_us) {
  const nlohmann::json& p = event.payload;
  if (!p.is_object()) return Status::ok();
  if (event.type == "message") {
    const std::string from = p.value("from", std::string());
    const std::string ts = p.value("timestamp", std::string());
    if (from.empty() || ts.empty() || ts.find_first_not_of("0123456789") != std::string::npos ||
        ts.size() > 12) {
      return Status::ok();  // nothing we can use; acknowledged so Meta stops retrying
    }
    const TimeUs at_us = std::stoll(ts) * kUsPerSec;
    const std::optional<TimeUs> last = last_inbound_us(from, &effects);
    if (!last || at_us > *last) effects.put(kWindowsTable, from, std::to_string(at_us));
    return Status::ok();
  }
  if (event.type != "status") return Status::ok();
  MessageStatus status;
  if (!parse_message_status(p.value("status", std::string()), &status)) return Status::ok();
  Notification n;
  const std::string callback = p.value("biz_opaque_callback_data", std::string());
  if (callback.empty() || !load(callback, &effects, &n).is_ok()) return Status::ok();
  const Notification before = n;
  n.status = merge_status(n.status, status);
  if (n.wamid.empty()) n.wamid = p.value("id", std::string());
  const bool went_out = message_status_rank(status) >= message_status_rank(MessageStatus::kSent);
  if (went_out && n.state == NotificationState::kUnconfirmed) {
    // The ambiguous send did go out: adopt it, resend nothing.
    effects.erase(kUnconfirmedTable, unconfirmed_key(n.check_at_us, n.id));
    if (!n.dlq_entry.empty()) effects.erase(resilience::kDlqTable, n.dlq_entry);
    n.dlq_entry.clear();
    n.state = NotificationState::kAccepted;
    ports_.metrics->count("intsim_notifications_ambiguous_total", config_.peer, "adopted");
  } else if (went_out && n.state == NotificationState::kQueued) {
    // A copy went out, so the job still in the outbox (a resend, a retry after an ambiguous
    // answer, a send replayed after a crash) would only duplicate it: cancel it. One in flight
    // is left alone by the dispatcher; its result merges like any other.
    effects.erase(resilience::kOutboxTable, n.job_id);
    enqueued_.push_back({std::string(resilience::kOutboxTable), n.job_id, std::nullopt});
    n.state = NotificationState::kAccepted;
    ports_.metrics->count("intsim_notifications_ambiguous_total", config_.peer, "resend_cancelled");
  }
  if (n == before) return Status::ok();  // a duplicate or a stale status: nothing changes
  save(n, effects, now_us);
  return Status::ok();
}

std::vector<WriteBatch::Op> NotificationService::take_enqueued() {
  std::vector<WriteBatch::Op> out;
  out.swap(enqueued_);
  return out;
}

Status NotificationService::recover(TimeUs now_us) {
  enqueued_.clear();
  armed_at_us_.reset();
  settle(now_us);
  return Status::ok();
}

void NotificationService::settle(TimeUs) {
  // Called after every request and timer: scan only when a commit touched the due rows.
  if (!due_rows_changed_) return;
  due_rows_changed_ = false;
  rearm();
}

void NotificationService::rearm() {
  std::optional<TimeUs> want;
  for (const std::string_view table : {kUnconfirmedTable, kRemindersTable}) {
    ports_.store->scan(table, "", [&](std::string_view key, std::string_view) {
      const TimeUs at_us = std::stoll(std::string(key.substr(0, 20)));
      if (!want || at_us < *want) want = at_us;
      return false;
    });
  }
  if (want == armed_at_us_) return;
  if (want) {
    ports_.timers->arm(config_.timer_id, *want);
  } else {
    ports_.timers->disarm(config_.timer_id);
  }
  armed_at_us_ = want;
}

void NotificationService::send_reminders(WriteBatch& batch, TimeUs now_us) {
  std::vector<std::pair<std::string, std::string>> due;  // (reminder key, booking id)
  ports_.store->scan(kRemindersTable, "", [&](std::string_view key, std::string_view) {
    if (std::stoll(std::string(key.substr(0, 20))) > now_us) return false;
    due.emplace_back(std::string(key), std::string(key.substr(21)));
    return true;
  });
  for (const auto& [key, booking_id] : due) {
    batch.erase(kRemindersTable, key);
    std::string row;
    bk::Stay stay;
    // Only a stay still confirmed (on whatever unit it is now) is reminded.
    if (ports_.store->get(bk::kStaysTable, booking_id, &row).is_ok() &&
        bk::decode_stay(row, &stay).is_ok() && stay.state == bk::StayState::kConfirmed) {
      notify(NotificationKind::kCheckinReminder, stay, batch, now_us);
    }
  }
}

void NotificationService::on_timer(TimeUs now_us) {
  armed_at_us_.reset();
  std::vector<std::pair<std::string, std::string>> due;  // (index key, notification id)
  ports_.store->scan(kUnconfirmedTable, "", [&](std::string_view key, std::string_view) {
    if (std::stoll(std::string(key.substr(0, 20))) > now_us) return false;
    due.emplace_back(std::string(key), std::string(key.substr(21)));
    return true;
  });
  WriteBatch batch;
  send_reminders(batch, now_us);
  if (!due.empty() || !batch.empty()) {
    for (const auto& [key, id] : due) {
      batch.erase(kUnconfirmedTable, key);
      Notification n;
      if (!load(id, &batch, &n).is_ok() || n.state != NotificationState::kUnconfirmed) continue;
      if (n.sends >= config_.sends_max) {
        n.state = NotificationState::kFailed;  // its DLQ entry (and alert) stays
        ports_.log->write(now_us, LogLevel::kError, "notifications.gave_up",
                          {{"notification", n.id}, {"reason", "ambiguous"}});
      } else {
        // No status came: the send most likely never reached WhatsApp. Send again.
        if (!n.dlq_entry.empty()) batch.erase(resilience::kDlqTable, n.dlq_entry);
        n.dlq_entry.clear();
        enqueue_send(n, !window_open_in(n.recipient, &batch, now_us), batch, now_us);
        ports_.metrics->count("intsim_notifications_ambiguous_total", config_.peer, "resent");
      }
      save(n, batch, now_us);
    }
    if (const Status s = ports_.store->commit(batch); s.is_ok()) {
      dispatcher_->on_committed(batch, now_us);
    } else {
      ports_.log->write(now_us, LogLevel::kError, "notifications.commit_failed",
                        {{"error", s.to_string()}});
    }
  }
  rearm();
  // A failed commit leaves the rows due: look again shortly rather than spin.
  if (armed_at_us_ && *armed_at_us_ <= now_us) {
    ports_.timers->arm(config_.timer_id, now_us + kUsPerSec);
    armed_at_us_ = now_us + kUsPerSec;
  }
}

}  // namespace intsim::core::notifications
