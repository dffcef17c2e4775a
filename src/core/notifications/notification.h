// One guest notification as the core stores it.
//
// Table "notifications", key = notification id, value = encode_notification (JSON, fixed field
// order). The id is derived from what the notification is about ("n_<booking>_confirmed"), so
// the same state change can never create two notifications, and it travels with every send as
// biz_opaque_callback_data, which Meta echoes in status webhooks: that is how a status finds
// its notification even when the send's own response was lost.
//
// Table "notifications_unconfirmed", key "<check_at_us, 20 digits>/<id>": notifications whose
// send was ambiguous and that wait for a status webhook until check_at (ascending: the timer
// reads only the due ones).
// Table "notification_reminders", key "<at_us, 20 digits>/<booking id>": check-in reminders
// to send at at_us if the stay is still confirmed then (written with the confirmation).
// Table "wa_windows", key = wa_id, value = the time (us) of the guest's last inbound message:
// the 24-hour customer-service window runs from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/core/notifications/message_status.h"
#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core::notifications {

inline constexpr std::string_view kNotificationsTable = "notifications";
inline constexpr std::string_view kUnconfirmedTable = "notifications_unconfirmed";
inline constexpr std::string_view kWindowsTable = "wa_windows";
inline constexpr std::string_view kRemindersTable = "notification_reminders";

enum class NotificationKind : std::uint8_t {
  kBookingConfirmed,  // the payment arrived and the stay is confirmed
  kPaymentFailed,     // the card failed: the guest can book again (a link to retry)
  kBookingCancelled,  // cancelled by the guest, or by us after losing a conflict (refunded)
  kBookingRelocated,  // moved to another unit after a conflict
  kCheckinReminder,   // the day before check-in, for a stay still confirmed then
  // A guest club renewal failed (payments/subscription_service.h): Stripe retries it, and the
  // member can update the card meanwhile. Its subject is the invoice, not a booking.
  kMembershipPaymentFailed,
};
std::string_view notification_kind_name(NotificationKind kind);  // "confirmed", ...
bool parse_notification_kind(std::string_view name, NotificationKind* out);
// The approved template used outside the customer-service window.
std::string_view template_name(NotificationKind kind);

enum class NotificationState : std::uint8_t {
  kQueued,       // a send job is in the outbox
  kAccepted,     // WhatsApp took it (a wamid is known, from the response or a status webhook)
  kUnconfirmed,  // the send was ambiguous: waiting for a status webhook before sending again
  kFailed,       // given up: the job is in the DLQ and an alert was raised
};
std::string_view notification_state_name(NotificationState state);
bool parse_notification_state(std::string_view name, NotificationState* out);

struct Notification {
  std::string id;
  NotificationKind kind = NotificationKind::kBookingConfirmed;
  std::string booking_id;
  std::string guest;
  std::string recipient;  // wa_id
  std::string unit;       // the unit the stay is on (relocation: the new one)
  NotificationState state = NotificationState::kQueued;
  std::string job_id;  // the latest send job
  std::string wamid;   // the accepted message (the first one learned)
  MessageStatus status = MessageStatus::kNone;
  bool used_template = false;  // the latest send was a template
  int sends = 0;               // send jobs made (a resend after ambiguity, a template fallback)
  std::string dlq_entry;       // kUnconfirmed / kFailed: the DLQ entry of the job
  TimeUs check_at_us = 0;      // kUnconfirmed: when to give up waiting for a status
  TimeUs created_at_us = 0;
  TimeUs updated_at_us = 0;

  bool operator==(const Notification&) const = default;
};

std::string encode_notification(const Notification& n);
Status decode_notification(std::string_view row, Notification* out);

// The id of the notification about `booking_id`; relocations also name the new unit, since a
// stay may move more than once.
std::string notification_id(NotificationKind kind, std::string_view booking_id,
                            std::string_view unit = {});

// The guest's WhatsApp number. The booking API knows guests by id only, so the number is derived
// from it: "g_<n>" gets 1555 followed by n in seven digits, any other id a number from its
// FNV-1a hash. The simulated guests' phones use the same function.
std::string guest_wa_id(std::string_view guest);

}  // namespace intsim::core::notifications
