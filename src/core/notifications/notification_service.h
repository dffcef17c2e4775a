// Guest notifications over the WhatsApp Cloud API, driven by booking and payment state changes
// through the outbox.
//
// What is sent, and when (each in the same commit as the change, see observed_store.h):
//   a direct stay becomes confirmed            -> "confirmed"
//   a payment becomes failed                   -> "payment_failed" (with a link to book again)
//   an active direct stay is cancelled         -> "cancelled" (guest's request or lost conflict)
//   an active direct stay moves to another unit -> "relocated"
//   the day before check-in, if still confirmed -> "checkin_reminder" (scheduled with the
//                                                 confirmation, table notification_reminders)
// Each notification has a stable id (notification.h): a state change seen twice (a redelivered
// webhook, a replayed batch) never notifies twice.
//
// How it is sent: one outbox job "whatsapp.send" (POST /<api_version>/<phone-number-id>/messages)
// with recipient = the guest's wa_id, so the dispatcher's per-recipient bucket keeps the pair
// rate (about one message per 6 s to one user) before Meta has to enforce it. Free-form text
// when the guest's 24-hour customer-service window (opened by their last inbound message) is
// still open for window_margin_us more, else the approved template. The notification id rides
// along as biz_opaque_callback_data, which Meta echoes in every status webhook.
//
// Outcomes (classify):
//   2xx                    -> accepted, the wamid recorded
//   130429 / 131056        -> retryable: backoff (decorrelated, never below the pair interval)
//   131047 on free-form    -> the window closed meanwhile: the job is done and a template send of
//                             the same notification is queued in the same commit
//   131026, other 4xx      -> permanent: DLQ + alert, the notification is failed
//   timeout, 5xx, garbled  -> ambiguous: WhatsApp has no idempotency key (see the policy below)
//
// The ambiguous-send policy (NotificationConfig::ambiguous), because a timed-out send may or may
// not have reached the guest:
//   kAwaitStatus (default) the job goes to the DLQ (reason ambiguous_outcome, one alert) and the
//                          notification waits await_status_us for a status webhook carrying its
//                          callback data. One arrives: the message went out, nothing is resent
//                          and the DLQ entry is cleared. None by then: it is sent again (the
//                          entry cleared likewise). A duplicate remains possible only when the
//                          status webhook is later than await_status_us (Meta retries them for
//                          days), and a real loss costs await_status_us of delay.
//   kResend                the dispatcher retries at once (with backoff): never slow, but every
//                          ambiguous send that did go out becomes a duplicate.
//   Either way a status webhook that shows a copy went out cancels any send of that notification
//   still waiting in the outbox (a resend, a retry, a send replayed after a crash), and an
//   ambiguous answer that comes after it counts as done ("already_sent").
//
// Webhooks (apply, for the WhatsApp endpoint): statuses merge into the notification's status
// monotonically (message_status.h); inbound messages open the sender's window.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/bookings/stay.h"
#include "src/core/notifications/notification.h"
#include "src/core/notifications/observed_store.h"
#include "src/core/notifications/whatsapp_api.h"
#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"
#include "src/core/webhook/intake.h"

namespace intsim::core::notifications {

inline constexpr std::string_view kSendKind = "whatsapp.send";

enum class AmbiguousSendPolicy : std::uint8_t {
  kAwaitStatus,  // wait for a status webhook before sending again (fewer duplicates, slower)
  kResend,       // send again at once (never slow, duplicates whenever the first one went out)
};
std::string_view ambiguous_policy_name(AmbiguousSendPolicy policy);  // "await_status", "resend"
bool parse_ambiguous_policy(std::string_view name, AmbiguousSendPolicy* out);

struct NotificationConfig {
  // Off: no notification is created (the core runs without a WhatsApp peer).
  bool enabled = false;
  std::string peer = "whatsapp";
  std::string api_version = "v1";
  std::string phone_number_id = "106540352242922";
  std::string access_token = "intsim_wa_access_token";
  std::string language = "en_US";
  TimeUs window_us = 24 * kUsPerHour;
  // Free-form only while the window stays open this much longer: the send may be retried.
  TimeUs window_margin_us = 15 * kUsPerMin;
  AmbiguousSendPolicy ambiguous = AmbiguousSendPolicy::kAwaitStatus;
  TimeUs await_status_us = 10 * kUsPerMin;
  // Send jobs per notification (first send, resends after ambiguity, template fallback).
  int sends_max = 4;
  // The pair rate the core keeps (Meta enforces about one per 6 s; a margin absorbs latency).
  TimeUs pair_interval_us = 7 * kUsPerSec;
  // Check-in is at checkin_time_us into the first night's day (UTC); the reminder goes
  // reminder_before_us earlier (none when that moment has passed at confirmation).
  TimeUs checkin_time_us = 15 * kUsPerHour;
  TimeUs reminder_before_us = 24 * kUsPerHour;
  TimerId timer_id = 0x6e6f74696679;  // "notify"
};

// The dispatcher policy for the WhatsApp peer: the per-recipient bucket at the pair interval,
// decorrelated backoff whose floor is the pair interval (so a retry after 130429/131056 never
// comes sooner), retry_ambiguous per the policy.
resilience::PeerPolicy whatsapp_peer_policy(const NotificationConfig& config);

class NotificationService final : public resilience::JobHandler,
                                  public webhook::EventProcessor,
                                  public CommitObserver {
 public:
  // Uses ports.store (reads and the timer's commits), timers, log, metrics, alerts. The
  // dispatcher outlives the service.
  NotificationService(NotificationConfig config, Ports ports, resilience::Dispatcher* dispatcher);

  void register_handlers();
  // After a (re)start: arm the timer for the earliest unconfirmed notification.
  Status recover(TimeUs now_us);
  void on_timer(TimeUs now_us);
  // After any commit (someone else's included): re-arm the timer.
  void settle(TimeUs now_us);

  // The notification `kind` about `stay`, into `batch` (nothing when it exists already, the stay
  // has no guest, or the service is disabled).
  Status notify(NotificationKind kind, const bookings::Stay& stay, WriteBatch& batch,
                TimeUs now_us);
  // A member's renewal invoice failed: the kMembershipPaymentFailed notification about it, once
  // per invoice (a redelivered event finds the row), into `batch`.
  Status notify_membership_payment_failed(std::string_view invoice_id, std::string_view guest,
                                          WriteBatch& batch, TimeUs now_us);
  // The guest's window, as of now (tests, operators).
  bool window_open(std::string_view wa_id, TimeUs now_us);

  // CommitObserver: notifications for the stay and payment rows in `batch`.
  void on_commit(const WriteBatch& batch, WriteBatch& out, TimeUs now_us) override;

  // resilience::JobHandler
  resilience::Classification classify(const resilience::Job& job,
                                      const HttpResult& result) override;
  void on_success(const resilience::Job& job, const HttpResponse& response, WriteBatch& batch,
                  TimeUs now_us) override;
  void on_failure(const resilience::Job& job, const resilience::DlqEntry& entry, WriteBatch& batch,
                  TimeUs now_us) override;
  // An ambiguous send is parked until a status webhook (or await_status_us) settles it, which
  // needs nobody; every other death does.
  bool needs_attention(const resilience::Job& job, resilience::DeadReason reason) const override;

  // webhook::EventProcessor, for the WhatsApp endpoint.
  Status apply(const webhook::VerifiedEvent& event, WriteBatch& effects, TimeUs now_us) override;

  // Outbox rows written (puts) or cancelled (erases) in batches the dispatcher did not commit
  // itself: the integration hands those that committed to Dispatcher::on_committed.
  std::vector<WriteBatch::Op> take_enqueued();

  Status find(std::string_view id, Notification* out);

 private:
  // `batch` first (the latest write in it wins), then the store.
  Status load(std::string_view id, const WriteBatch* batch, Notification* out);
  void save(Notification& n, WriteBatch& batch, TimeUs now_us);
  bool window_open_in(std::string_view wa_id, const WriteBatch* batch, TimeUs now_us);
  std::optional<TimeUs> last_inbound_us(std::string_view wa_id, const WriteBatch* batch);
  void enqueue_send(Notification& n, bool use_template, WriteBatch& batch, TimeUs now_us);
  OutboundMessage message_for(const Notification& n, bool use_template) const;
  void rearm();
  // Due reminders into `batch`.
  void send_reminders(WriteBatch& batch, TimeUs now_us);

  NotificationConfig config_;
  Ports ports_;
  resilience::Dispatcher* dispatcher_;
  std::vector<WriteBatch::Op> enqueued_;
  std::optional<TimeUs> armed_at_us_;
  // A batch put or erased an unconfirmed or reminder row since the last settle (on_commit sees
  // every batch): only then can the timer have to move. True at first, so recovery looks.
  bool due_rows_changed_ = true;
};

}  // namespace intsim::core::notifications
