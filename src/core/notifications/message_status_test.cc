#include "src/core/notifications/message_status.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

namespace intsim::core::notifications {
namespace {

constexpr MessageStatus kAll[] = {MessageStatus::kNone,      MessageStatus::kAccepted,
                                  MessageStatus::kSent,      MessageStatus::kFailed,
                                  MessageStatus::kDelivered, MessageStatus::kRead};

MessageStatus any_status(int i) { return kAll[static_cast<std::size_t>(i) % 6]; }

TEST(MessageStatus, ALateSentNeverOverwritesRead) {
  EXPECT_EQ(merge_status(MessageStatus::kRead, MessageStatus::kSent), MessageStatus::kRead);
  EXPECT_EQ(merge_status(MessageStatus::kSent, MessageStatus::kRead), MessageStatus::kRead);
  EXPECT_EQ(merge_status(MessageStatus::kDelivered, MessageStatus::kSent),
            MessageStatus::kDelivered);
  EXPECT_EQ(merge_status(MessageStatus::kFailed, MessageStatus::kDelivered),
            MessageStatus::kDelivered);
  EXPECT_EQ(merge_status(MessageStatus::kSent, MessageStatus::kFailed), MessageStatus::kFailed);
}

TEST(MessageStatus, NamesRoundTrip) {
  for (MessageStatus s : kAll) {
    MessageStatus back = MessageStatus::kNone;
    ASSERT_TRUE(parse_message_status(message_status_name(s), &back));
    EXPECT_EQ(back, s);
  }
  MessageStatus out;
  EXPECT_FALSE(parse_message_status("deleted", &out));
}

// Webhooks arrive in any order and any number of times: folding any sequence of statuses, in any
// order, gives the highest one, and the running value never goes down.
RC_GTEST_PROP(MessageStatusProperty, MergeIsOrderFreeAndNeverRegresses,
              (const std::vector<int>& picks)) {
  std::vector<MessageStatus> seq;
  for (int p : picks) seq.push_back(any_status(p < 0 ? -(p + 1) : p));
  MessageStatus running = MessageStatus::kNone;
  for (MessageStatus s : seq) {
    const MessageStatus next = merge_status(running, s);
    RC_ASSERT(message_status_rank(next) >= message_status_rank(running));
    RC_ASSERT(message_status_rank(next) >= message_status_rank(s));
    running = next;
  }
  std::vector<MessageStatus> shuffled = seq;
  std::reverse(shuffled.begin(), shuffled.end());
  if (!shuffled.empty()) {
    const std::size_t k = *rc::gen::inRange<std::size_t>(0, shuffled.size());
    std::rotate(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(k),
                shuffled.end());
  }
  MessageStatus other = MessageStatus::kNone;
  for (MessageStatus s : shuffled) other = merge_status(other, s);
  RC_ASSERT(other == running);
  MessageStatus highest = MessageStatus::kNone;
  for (MessageStatus s : seq) {
    if (message_status_rank(s) > message_status_rank(highest)) highest = s;
  }
  RC_ASSERT(running == highest);
  // Idempotent: applying everything again changes nothing.
  for (MessageStatus s : seq) RC_ASSERT(merge_status(running, s) == running);
}

}  // namespace
}  // namespace intsim::core::notifications
