#include "src/core/notifications/message_status.h"

namespace intsim::core::notifications {

std::string_view message_status_name(MessageStatus status) {
  switch (status) {
    case MessageStatus::kNone:
      return "none";
    case MessageStatus::kAccepted:
      return "accepted";
    case MessageStatus::kSent:
      return "sent";
    case MessageStatus::kFailed:
      return "failed";
    case MessageStatus::kDelivered:
      return "delivered";
    case MessageStatus::kRead:
      return "read";
  }
  return "unknown";
}

bool parse_message_status(std::string_view name, MessageStatus* out) {
  for (MessageStatus s :
       {MessageStatus::kNone, MessageStatus::kAccepted, MessageStatus::kSent,
        MessageStatus::kFailed, MessageStatus::kDelivered, MessageStatus::kRead}) {
    if (message_status_name(s) == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

int message_status_rank(MessageStatus status) { return static_cast<int>(status); }

}  // namespace intsim::core::notifications
