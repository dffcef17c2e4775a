#include "models/whatsapp/webhook_queue.h"

#include <gtest/gtest.h>

#include "src/core/webhook/signature.h"

namespace intsim::models::whatsapp {
namespace {

TEST(WhatsAppWebhookQueue, SignsRetriesAndGivesUpAfterTheWindow) {
  WebhookQueueConfig c;
  c.duplicate_probability = 0;
  c.retry_window_us = 10 * core::kUsPerMin;
  WebhookQueue q(c, sim::Rng(3));
  core::TimeUs now = 0;
  q.enqueue("{\"a\":1}", now);
  EXPECT_TRUE(q.take_due(now).empty() || c.delay_us_min == 0);
  now = q.next_wakeup_us();
  auto due = q.take_due(now);
  ASSERT_EQ(due.size(), 1u);
  core::webhook::WhatsAppVerifier v({c.app_secret});
  EXPECT_TRUE(v.verify(due[0].request.header("X-Hub-Signature-256"), due[0].request.body).ok());
  q.on_outcome(due[0].id, false, now);
  EXPECT_EQ(q.next_wakeup_us(), now + c.first_retry_us);
  int attempts = 1;
  while (!q.idle()) {
    now = q.next_wakeup_us();
    for (auto& a : q.take_due(now)) {
      ++attempts;
      q.on_outcome(a.id, false, now);
    }
  }
  EXPECT_EQ(q.stats().given_up, 1u);
  EXPECT_GT(attempts, 2);
  EXPECT_LE(now, c.retry_window_us + c.delay_us_max);
}

TEST(WhatsAppWebhookQueue, DuplicatesAfterSuccess) {
  WebhookQueueConfig c;
  c.duplicate_probability = 1.0;
  WebhookQueue q(c, sim::Rng(3));
  q.enqueue("{}", 0);
  int delivered = 0;
  core::TimeUs now = 0;
  while (!q.idle()) {
    now = q.next_wakeup_us();
    for (auto& a : q.take_due(now)) {
      ++delivered;
      q.on_outcome(a.id, true, now);
    }
  }
  EXPECT_EQ(delivered, 2);  // the copy itself is never copied again
  EXPECT_EQ(q.stats().duplicates, 1u);
}

}  // namespace
}  // namespace intsim::models::whatsapp
