// A WhatsApp message's delivery status as a join-semilattice, so that status webhooks, which
// Meta delivers out of order, duplicated and retried for days, can be merged in any order and
// any number of times and still end at the same value.
//
//   none < accepted < sent < failed < delivered < read
//
// "accepted" is ours: the send returned a wamid, no webhook yet. "failed" ranks above "sent"
// (Meta reports sent, then failed) but below "delivered" and "read": a device that received or
// read the message is stronger evidence than a failure report, and neither can be taken back.
#pragma once

#include <cstdint>
#include <string_view>

namespace intsim::core::notifications {

enum class MessageStatus : std::uint8_t { kNone, kAccepted, kSent, kFailed, kDelivered, kRead };

std::string_view message_status_name(MessageStatus status);
// Meta's names ("sent", "delivered", "read", "failed") and ours ("none", "accepted").
bool parse_message_status(std::string_view name, MessageStatus* out);
int message_status_rank(MessageStatus status);

// The least upper bound: commutative, associative, idempotent. A late "sent" never overwrites
// "read".
inline MessageStatus merge_status(MessageStatus a, MessageStatus b) {
  return message_status_rank(a) >= message_status_rank(b) ? a : b;
}

}  // namespace intsim::core::notifications
