// Webhook delivery: signed requests, Stripe's retry schedule up to three days, duplicates,
// reordering and events that overtake the API response that caused them.
#include "models/stripe/webhook_delivery.h"

#include <gtest/gtest.h>

#include "models/stripe/test_client.h"
#include "src/core/webhook/signature.h"

namespace intsim::models::stripe {
namespace {

using testing::Client;

WebhookDeliveryConfig quiet() {
  WebhookDeliveryConfig c;
  c.reorder_probability = 0;
  c.duplicate_probability = 0;
  c.before_response_probability = 0;
  return c;
}

// Events from a real model, so bodies are real Stripe events.
std::vector<Event> some_events(int payments) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  for (int i = 0; i < payments; ++i) (void)c.pay(5000, "pm_card_visa", "b_" + std::to_string(i));
  return model.take_events();
}

TEST(StripeDelivery, OutcomesOfTheCoresAnswers) {
  EXPECT_EQ(delivery_outcome(core::HttpResult::of({200, {}, ""})), DeliveryOutcome::kSuccess);
  EXPECT_EQ(delivery_outcome(core::HttpResult::of({299, {}, ""})), DeliveryOutcome::kSuccess);
  EXPECT_EQ(delivery_outcome(core::HttpResult::of({300, {}, ""})), DeliveryOutcome::kFailure);
  EXPECT_EQ(delivery_outcome(core::HttpResult::of({400, {}, ""})), DeliveryOutcome::kFailure);
  EXPECT_EQ(delivery_outcome(core::HttpResult::failed(core::HttpError::kTimeout)),
            DeliveryOutcome::kTimeout);
  // An answer that cannot be read may hide a processed event: as a timeout, not a failure.
  EXPECT_EQ(delivery_outcome(core::HttpResult::failed(core::HttpError::kMalformedResponse)),
            DeliveryOutcome::kTimeout);
  EXPECT_EQ(delivery_outcome(core::HttpResult::failed(core::HttpError::kConnectionFailed)),
            DeliveryOutcome::kConnectionFailed);
}

TEST(StripeWebhookDelivery, SignedPostThatTheCoreVerifies) {
  WebhookDeliveryConfig config = quiet();
  config.signing_secrets = {"whsec_old", "whsec_new"};
  WebhookDelivery delivery(config, sim::Rng(1));
  const std::vector<Event> events = some_events(1);
  const core::TimeUs t0 = sim::kEpochUs;
  delivery.enqueue(events[0], t0);
  EXPECT_TRUE(delivery.take_due(t0 + config.delivery_delay_ms_min * core::kUsPerMs - 1).empty());
  const core::TimeUs due_us = delivery.next_wakeup_us();
  ASSERT_LE(due_us, t0 + config.delivery_delay_ms_max * core::kUsPerMs);
  const std::vector<Delivery> out = delivery.take_due(due_us);
  ASSERT_EQ(out.size(), 1u);
  const core::HttpRequest& r = out[0].request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/webhooks/stripe");
  EXPECT_EQ(r.body, events[0].body());
  const auto header = r.header("Stripe-Signature");
  ASSERT_TRUE(header.has_value());
  EXPECT_TRUE(header->starts_with("t=" + std::to_string(core::unix_seconds(due_us)) + ",v1="));
  // Either secret verifies while the secret is rolled.
  for (const char* secret : {"whsec_old", "whsec_new"}) {
    core::webhook::StripeVerifier verifier({secret});
    EXPECT_TRUE(verifier.verify(header, r.body, due_us).ok()) << secret;
  }
  core::webhook::StripeVerifier wrong({"whsec_other"});
  EXPECT_FALSE(wrong.verify(header, r.body, due_us).ok());
  delivery.on_outcome(out[0].delivery_id, DeliveryOutcome::kSuccess, due_us);
  EXPECT_TRUE(delivery.delivered(events[0].id));
  EXPECT_EQ(delivery.next_wakeup_us(), kNever);
}

TEST(StripeWebhookDelivery, RetriesWithBackoffForThreeDaysThenGivesUp) {
  WebhookDeliveryConfig config = quiet();
  WebhookDelivery delivery(config, sim::Rng(2));
  const std::vector<Event> events = some_events(1);
  const core::TimeUs t0 = sim::kEpochUs;
  delivery.enqueue(events[0], t0);
  core::TimeUs now = t0;
  int attempts = 0;
  while (delivery.next_wakeup_us() != kNever) {
    now = delivery.next_wakeup_us();
    for (const Delivery& d : delivery.take_due(now)) {
      ++attempts;
      // Re-signed at each attempt: the timestamp is the attempt's.
      EXPECT_TRUE(d.request.header("Stripe-Signature")
                      ->starts_with("t=" + std::to_string(core::unix_seconds(now))));
      delivery.on_outcome(d.delivery_id,
                          attempts % 2 ? DeliveryOutcome::kTimeout : DeliveryOutcome::kFailure,
                          now + core::kUsPerSec);
    }
  }
  EXPECT_TRUE(delivery.given_up(events[0].id));
  EXPECT_FALSE(delivery.delivered(events[0].id));
  const std::vector<core::TimeUs>& times = *delivery.attempt_times(events[0].id);
  ASSERT_EQ(static_cast<int>(times.size()), attempts);
  EXPECT_GT(attempts, 8);
  EXPECT_LT(attempts, 20);
  // Exponential: gaps grow until the cap, and nothing is attempted after three days.
  EXPECT_LT(times[1] - times[0], times[3] - times[2]);
  EXPECT_LE(times.back(), t0 + 72 * core::kUsPerHour);
  EXPECT_GT(times.back(), t0 + 48 * core::kUsPerHour);
  for (std::size_t i = 1; i < times.size(); ++i) {
    EXPECT_LE(times[i] - times[i - 1],
              static_cast<core::TimeUs>(config.retry_delay_s_max * 1.1 * core::kUsPerSec) +
                  core::kUsPerSec);
  }
  EXPECT_EQ(delivery.stats().given_up, 1u);
}

TEST(StripeWebhookDelivery, SuccessOnARetryStopsRetrying) {
  WebhookDelivery delivery(quiet(), sim::Rng(3));
  const std::vector<Event> events = some_events(1);
  delivery.enqueue(events[0], sim::kEpochUs);
  core::TimeUs now = delivery.next_wakeup_us();
  auto d = delivery.take_due(now);
  delivery.on_outcome(d[0].delivery_id, DeliveryOutcome::kConnectionFailed, now);
  now = delivery.next_wakeup_us();
  d = delivery.take_due(now);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].attempt, 2);
  delivery.on_outcome(d[0].delivery_id, DeliveryOutcome::kSuccess, now);
  EXPECT_TRUE(delivery.delivered(events[0].id));
  EXPECT_EQ(delivery.next_wakeup_us(), kNever);
}

TEST(StripeWebhookDelivery, DuplicatesCarryTheSameEventId) {
  WebhookDeliveryConfig config = quiet();
  config.duplicate_probability = 1.0;
  WebhookDelivery delivery(config, sim::Rng(4));
  const std::vector<Event> events = some_events(1);
  delivery.enqueue(events[0], sim::kEpochUs);
  std::vector<Delivery> all;
  while (delivery.next_wakeup_us() != kNever) {
    const core::TimeUs now = delivery.next_wakeup_us();
    for (Delivery& d : delivery.take_due(now)) {
      delivery.on_outcome(d.delivery_id, DeliveryOutcome::kSuccess, now);
      all.push_back(std::move(d));
    }
  }
  ASSERT_EQ(all.size(), 2u);  // one extra copy, not an endless chain
  EXPECT_EQ(all[0].event_id, all[1].event_id);
  EXPECT_EQ(all[0].request.body, all[1].request.body);
  EXPECT_TRUE(all[1].duplicate);
  EXPECT_EQ(delivery.stats().duplicates, 1u);
}

TEST(StripeWebhookDelivery, ReorderingLetsLaterEventsOvertake) {
  const std::vector<Event> events = some_events(30);
  auto order = [&](double reorder_probability) {
    WebhookDeliveryConfig config = quiet();
    config.reorder_probability = reorder_probability;
    WebhookDelivery delivery(config, sim::Rng(5));
    core::TimeUs t = sim::kEpochUs;
    for (const Event& e : events) {
      delivery.enqueue(e, t);
      t += 2 * core::kUsPerSec;  // far apart: only reordering can swap them
    }
    std::vector<std::string> ids;
    while (delivery.next_wakeup_us() != kNever) {
      const core::TimeUs now = delivery.next_wakeup_us();
      for (const Delivery& d : delivery.take_due(now)) {
        ids.push_back(d.event_id);
        delivery.on_outcome(d.delivery_id, DeliveryOutcome::kSuccess, now);
      }
    }
    return ids;
  };
  std::vector<std::string> created;
  for (const Event& e : events) created.push_back(e.id);
  EXPECT_EQ(order(0.0), created);
  const std::vector<std::string> shuffled = order(0.5);
  EXPECT_NE(shuffled, created);
  EXPECT_TRUE(std::is_permutation(shuffled.begin(), shuffled.end(), created.begin()));
}

TEST(StripeWebhookDelivery, EventCanArriveBeforeTheResponse) {
  WebhookDeliveryConfig config = quiet();
  config.before_response_probability = 1.0;
  WebhookDelivery delivery(config, sim::Rng(6));
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  const ApiResult r = c.pay(5000, "pm_card_visa", "b_1");
  for (const Event& e : model.take_events()) delivery.enqueue(e, c.now_us);
  const auto held = delivery.event_before_response(r.request_id);
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(*held, r.event_ids.front());
  EXPECT_FALSE(delivery.response_may_go(r.request_id));
  // The chosen event goes out at once.
  EXPECT_EQ(delivery.next_wakeup_us(), c.now_us);
  const auto due = delivery.take_due(c.now_us);
  ASSERT_FALSE(due.empty());
  EXPECT_EQ(due[0].event_id, *held);
  delivery.on_outcome(due[0].delivery_id, DeliveryOutcome::kFailure, c.now_us);
  EXPECT_TRUE(delivery.response_may_go(r.request_id));  // attempted once: the response may go
  EXPECT_TRUE(delivery.response_may_go("req_unrelated"));
}

TEST(StripeWebhookDelivery, SameSeedSameSchedule) {
  const std::vector<Event> events = some_events(10);
  auto run = [&] {
    WebhookDelivery delivery({}, sim::Rng(77));
    for (const Event& e : events) delivery.enqueue(e, sim::kEpochUs);
    std::vector<std::pair<core::TimeUs, std::string>> out;
    while (delivery.next_wakeup_us() != kNever) {
      const core::TimeUs now = delivery.next_wakeup_us();
      for (const Delivery& d : delivery.take_due(now)) {
        out.emplace_back(now, d.event_id);
        delivery.on_outcome(d.delivery_id, DeliveryOutcome::kSuccess, now);
      }
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace intsim::models::stripe
