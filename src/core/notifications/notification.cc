#include "src/core/notifications/notification.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace intsim::core::notifications {

std::string_view notification_kind_name(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::kBookingConfirmed:
      return "confirmed";
    case NotificationKind::kPaymentFailed:
      return "payment_failed";
    case NotificationKind::kBookingCancelled:
      return "cancelled";
    case NotificationKind::kBookingRelocated:
      return "relocated";
    case NotificationKind::kCheckinReminder:
      return "checkin_reminder";
    case NotificationKind::kMembershipPaymentFailed:
      return "membership_payment_failed";
  }
  return "unknown";
}

bool parse_notification_kind(std::string_view name, NotificationKind* out) {
  for (NotificationKind k :
       {NotificationKind::kBookingConfirmed, NotificationKind::kPaymentFailed,
        NotificationKind::kBookingCancelled, NotificationKind::kBookingRelocated,
        NotificationKind::kCheckinReminder, NotificationKind::kMembershipPaymentFailed}) {
    if (notification_kind_name(k) == name) {
      *out = k;
      return true;
    }
  }
  return false;
}

std::string_view template_name(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::kBookingConfirmed:
      return "booking_confirmation";
    case NotificationKind::kPaymentFailed:
      return "payment_failed_retry";
    case NotificationKind::kBookingCancelled:
      return "booking_cancelled";
    case NotificationKind::kBookingRelocated:
      return "booking_relocated";
    case NotificationKind::kCheckinReminder:
      return "checkin_reminder";
    case NotificationKind::kMembershipPaymentFailed:
      return "membership_payment_failed";
  }
  return "unknown";
}

std::string_view notification_state_name(NotificationState state) {
  switch (state) {
    case NotificationState::kQueued:
      return "queued";
    case NotificationState::kAccepted:
      return "accepted";
    case NotificationState::kUnconfirmed:
      return "unconfirmed";
    case NotificationState::kFailed:
      return "failed";
  }
  return "unknown";
}

bool parse_notification_state(std::string_view name, NotificationState* out) {
  for (NotificationState s : {NotificationState::kQueued, NotificationState::kAccepted,
                              NotificationState::kUnconfirmed, NotificationState::kFailed}) {
    if (notification_state_name(s) == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::string encode_notification(const Notification& n) {
  nlohmann::ordered_json j;
  j["id"] = n.id;
  j["kind"] = notification_kind_name(n.kind);
  j["booking_id"] = n.booking_id;
  j["guest"] = n.guest;
  j["recipient"] = n.recipient;
  j["unit"] = n.unit;
  j["state"] = notification_state_name(n.state);
  j["job_id"] = n.job_id;
  j["wamid"] = n.wamid;
  j["status"] = message_status_name(n.status);
  j["used_template"] = n.used_template;
  j["sends"] = n.sends;
  j["dlq_entry"] = n.dlq_entry;
  j["check_at_us"] = n.check_at_us;
  j["created_at_us"] = n.created_at_us;
  j["updated_at_us"] = n.updated_at_us;
  return j.dump();
}

Status decode_notification(std::string_view row, Notification* out) {
  const nlohmann::json j = nlohmann::json::parse(row, nullptr, false);
  if (!j.is_object()) return Status::invalid_argument("notification: not a JSON object");
  try {
    Notification n;
    n.id = j.at("id").get<std::string>();
    if (!parse_notification_kind(j.at("kind").get<std::string>(), &n.kind)) {
      return Status::invalid_argument("notification: unknown kind");
    }
    n.booking_id = j.at("booking_id").get<std::string>();
    n.guest = j.at("guest").get<std::string>();
    n.recipient = j.at("recipient").get<std::string>();
    n.unit = j.at("unit").get<std::string>();
    if (!parse_notification_state(j.at("state").get<std::string>(), &n.state)) {
      return Status::invalid_argument("notification: unknown state");
    }
    n.job_id = j.at("job_id").get<std::string>();
    n.wamid = j.at("wamid").get<std::string>();
    if (!parse_message_status(j.at("status").get<std::string>(), &n.status)) {
      return Status::invalid_argument("notification: unknown status");
    }
    n.used_template = j.at("used_template").get<bool>();
    n.sends = j.at("sends").get<int>();
    n.dlq_entry = j.at("dlq_entry").get<std::string>();
    n.check_at_us = j.at("check_at_us").get<TimeUs>();
    n.created_at_us = j.at("created_at_us").get<TimeUs>();
    n.updated_at_us = j.at("updated_at_us").get<TimeUs>();
    *out = std::move(n);
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_argument(std::string("notification: ") + e.what());
  }
  return Status::ok();
}

std::string notification_id(NotificationKind kind, std::string_view booking_id,
                            std::string_view unit) {
  if (kind == NotificationKind::kBookingRelocated) {
    return fmt::format("n_{}_{}_{}", booking_id, notification_kind_name(kind), unit);
  }
  return fmt::format("n_{}_{}", booking_id, notification_kind_name(kind));
}

std::string guest_wa_id(std::string_view guest) {
  if (guest.size() > 2 && guest.size() <= 9 && guest.substr(0, 2) == "g_" &&
      guest.substr(2).find_first_not_of("0123456789") == std::string_view::npos) {
    return fmt::format("1555{:0>7}", guest.substr(2));
  }
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : guest) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return fmt::format("1556{:07}", h % 10'000'000);
}

}  // namespace intsim::core::notifications
