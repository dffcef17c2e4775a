#include "src/core/resilience/dispatcher.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/core/memory_store.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"
#include "src/core/resilience/idempotency.h"
#include "src/core/resilience/test_ports.h"
#include "src/core/resilience/test_random.h"

namespace intsim::core::resilience {
namespace {

using testing::FakeHttp;
using testing::FakeTimers;
using testing::RecordingHandler;

HttpResult status(int s, std::vector<Header> headers = {}, std::string body = "") {
  return HttpResult::of(HttpResponse{s, std::move(headers), std::move(body)});
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    PeerPolicy stripe;
    stripe.backoff = {Jitter::kFull, 100, 10'000, 5, 3'600'000};
    stripe.timeout_ms = 2'000;
    stripe.breaker = {5, 30'000, 1};
    stripe.idempotency_header = "Idempotency-Key";
    stripe.key_prune_age_us = kStripeKeyPruneAgeUs;
    config.peers["stripe"] = stripe;
    PeerPolicy whatsapp;
    whatsapp.recipient_rate = TokenBucketConfig{1, 6 * kUsPerSec};
    config.peers["whatsapp"] = whatsapp;
    rebuild();
  }

  // A new incarnation on the same store (what a restart leaves).
  void rebuild() {
    timers.armed.clear();
    dispatcher = std::make_unique<Dispatcher>(
        Ports{nullptr, &random, &timers, &http, &store, &log, &metrics, &alerts}, config);
    dispatcher->add_handler("charge", &handler);
    dispatcher->add_handler("message", &handler);
  }

  std::string enqueue(std::string peer = "stripe", std::string kind = "charge",
                      std::string recipient = "") {
    Job job;
    job.kind = std::move(kind);
    job.peer = std::move(peer);
    job.method = "POST";
    job.target = "/v1/payment_intents";
    job.body = "amount=1000";
    job.recipient = std::move(recipient);
    WriteBatch batch;
    batch.put("bookings", "b1", "pending_payment");  // the state change that causes the work
    const std::string id = dispatcher->enqueue(batch, std::move(job), now_us);
    EXPECT_TRUE(store.commit(batch));
    dispatcher->on_committed(batch, now_us);
    return id;
  }

  // Fires the dispatcher's timer while it is due at or before until_us.
  void advance_to(TimeUs until_us) {
    for (int i = 0; i < 1000; ++i) {
      const auto it = timers.armed.find(config.timer_id);
      if (it == timers.armed.end() || it->second > until_us) break;
      now_us = std::max(now_us, it->second);
      timers.armed.erase(it);
      dispatcher->on_timer(config.timer_id, now_us);
    }
    now_us = std::max(now_us, until_us);
  }

  void answer(std::size_t sent_index, HttpResult result) {
    dispatcher->on_http_result(http.sent.at(sent_index).id, std::move(result), now_us);
  }

  std::string key_of(std::size_t sent_index) const {
    return std::string(http.sent.at(sent_index).request.header("Idempotency-Key").value_or(""));
  }

  std::vector<DlqEntry> dlq() {
    std::vector<DlqEntry> out;
    EXPECT_TRUE(dispatcher->dlq_entries(&out));
    return out;
  }

  TimeUs now_us = 1'000 * kUsPerSec;
  DispatcherConfig config;
  testing::SplitMixRandom random{11};
  FakeTimers timers;
  FakeHttp http;
  MemoryStore store;
  observability::RecordingLog log;
  observability::MetricsRegistry metrics;
  observability::RecordingAlerts alerts;
  RecordingHandler handler;
  std::unique_ptr<Dispatcher> dispatcher;
};

TEST_F(DispatcherTest, JobCommitsWithTheCallersStateChangeOnly) {
  Job job;
  job.kind = "charge";
  job.peer = "stripe";
  WriteBatch batch;
  batch.put("bookings", "b1", "pending_payment");
  const std::string id = dispatcher->enqueue(batch, job, now_us);
  EXPECT_EQ(store.size("outbox"), 0u);  // nothing until the caller commits
  EXPECT_TRUE(http.sent.empty());
  ASSERT_TRUE(store.commit(batch));
  EXPECT_EQ(store.size("outbox"), 1u);
  EXPECT_EQ(store.size("bookings"), 1u);
  dispatcher->on_committed(batch, now_us);
  ASSERT_EQ(http.sent.size(), 1u);
  EXPECT_EQ(http.sent[0].deadline_us, now_us + 2'000 * kUsPerMs);
  std::string row;
  ASSERT_TRUE(store.get("outbox", id, &row));
  Job stored;
  ASSERT_TRUE(job_from_json(row, &stored));
  EXPECT_EQ(stored.idempotency_key, key_of(0));  // stored before the first attempt
  EXPECT_EQ(stored.idempotency_key_created_at_us, now_us);
}

TEST_F(DispatcherTest, RetriesUntilSuccessWithOneIdempotencyKey) {
  const std::string id = enqueue();
  ASSERT_EQ(http.sent.size(), 1u);
  answer(0, status(503));
  answer(0, status(503));  // a duplicate result for the same request is ignored
  advance_to(now_us + kUsPerMin);
  ASSERT_EQ(http.sent.size(), 2u);
  answer(1, HttpResult::failed(HttpError::kTimeout));
  advance_to(now_us + kUsPerMin);
  ASSERT_EQ(http.sent.size(), 3u);
  answer(2, status(200, {}, R"({"id":"pi_1"})"));
  EXPECT_EQ(key_of(0), key_of(1));
  EXPECT_EQ(key_of(1), key_of(2));
  EXPECT_FALSE(key_of(0).empty());
  EXPECT_EQ(store.size("outbox"), 0u);
  std::string effect;
  ASSERT_TRUE(store.get("effects", id, &effect));
  EXPECT_EQ(effect, R"({"id":"pi_1"})");
  EXPECT_EQ(handler.succeeded, std::vector<std::string>{id});
  EXPECT_TRUE(alerts.alerts().empty());
  EXPECT_EQ(dispatcher->jobs(), 0u);
  EXPECT_EQ(metrics.counter("intsim_outbound_requests_total", "stripe", "status_5xx"), 1);
  EXPECT_EQ(metrics.counter("intsim_outbound_requests_total", "stripe", "timeout"), 1);
  EXPECT_EQ(metrics.counter("intsim_outbox_jobs_total", "stripe", "done"), 1);
  EXPECT_FALSE(timers.armed.count(config.timer_id));
}

TEST_F(DispatcherTest, RetryIsWrittenDurablyWithErrorsAndNotSentEarly) {
  const std::string id = enqueue();
  const TimeUs t0 = now_us;
  answer(0, status(502, {}, "bad gateway"));
  std::string row;
  ASSERT_TRUE(store.get("outbox", id, &row));
  Job j;
  ASSERT_TRUE(job_from_json(row, &j));
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.first_error, "status 502: bad gateway");
  EXPECT_EQ(j.first_error_at_us, t0);
  EXPECT_GE(j.next_attempt_at_us, t0);
  EXPECT_LE(j.next_attempt_at_us, t0 + 100 * kUsPerMs);  // first retry: full jitter in [0, base]
  EXPECT_EQ(timers.armed.at(config.timer_id), j.next_attempt_at_us);
  dispatcher->on_timer(config.timer_id, j.next_attempt_at_us - 1);  // an early wake sends nothing
  EXPECT_EQ(http.sent.size(), 1u);
}

TEST_F(DispatcherTest, PermanentErrorGoesToTheDlqWithExactlyOneAlert) {
  const std::string id = enqueue();
  answer(0, status(400, {}, R"({"error":{"type":"invalid_request_error"}})"));
  EXPECT_EQ(store.size("outbox"), 0u);
  const auto entries = dlq();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, id);
  EXPECT_EQ(entries[0].reason, DeadReason::kPermanent);
  EXPECT_EQ(entries[0].job.attempts, 1);
  EXPECT_EQ(entries[0].job.body, "amount=1000");
  EXPECT_EQ(entries[0].job.first_error.rfind("status 400", 0), 0u);
  EXPECT_EQ(entries[0].job.last_error, entries[0].job.first_error);
  EXPECT_EQ(alerts.count("dlq"), 1u);
  EXPECT_EQ(alerts.count("dlq", id), 1u);
  std::string effect;
  ASSERT_TRUE(store.get("effects", id, &effect));  // on_failure's effect, same commit
  EXPECT_EQ(effect, "permanent");
  advance_to(now_us + kUsPerHour);
  EXPECT_EQ(http.sent.size(), 1u);  // never retried
  EXPECT_EQ(alerts.count("dlq"), 1u);
}

TEST_F(DispatcherTest, ExhaustedAttemptsKeepFirstAndLastError) {
  enqueue();
  answer(0, HttpResult::failed(HttpError::kConnectionFailed));
  for (std::size_t i = 1; i < 5; ++i) {
    advance_to(now_us + kUsPerMin);
    ASSERT_EQ(http.sent.size(), i + 1);
    answer(i, i == 4 ? status(504) : HttpResult::failed(HttpError::kTimeout));
  }
  const auto entries = dlq();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].reason, DeadReason::kAttemptsExhausted);
  EXPECT_EQ(entries[0].job.attempts, 5);
  EXPECT_EQ(entries[0].job.first_error, "connection_failed");
  EXPECT_EQ(entries[0].job.last_error, "status 504: ");
  EXPECT_LT(entries[0].job.first_error_at_us, entries[0].job.last_error_at_us);
  EXPECT_EQ(alerts.count("dlq"), 1u);
}

TEST_F(DispatcherTest, CrashWhileInFlightResendsWithTheSameKeyAfterRecover) {
  const std::string id = enqueue();
  ASSERT_EQ(http.sent.size(), 1u);
  const std::string key = key_of(0);
  const RequestId old_request = http.sent[0].id;
  dispatcher.reset();  // crash: the result of the request is never seen
  now_us += 5 * kUsPerSec;
  rebuild();
  EXPECT_TRUE(http.sent.size() == 1u);
  ASSERT_TRUE(dispatcher->recover(now_us));
  ASSERT_EQ(http.sent.size(), 2u);
  EXPECT_EQ(key_of(1), key);
  EXPECT_NE(http.sent[1].id, old_request);
  dispatcher->on_http_result(old_request, status(200), now_us);  // the old incarnation's answer
  EXPECT_EQ(store.size("outbox"), 1u);                           // ignored
  answer(1, status(200));
  EXPECT_EQ(store.size("outbox"), 0u);
  EXPECT_EQ(handler.succeeded, std::vector<std::string>{id});
}

TEST_F(DispatcherTest, CrashDuringBackoffKeepsTheScheduleAndKey) {
  enqueue();
  answer(0, status(500));
  const TimeUs retry_at_us = timers.armed.at(config.timer_id);
  dispatcher.reset();
  rebuild();
  ASSERT_TRUE(dispatcher->recover(now_us));
  EXPECT_EQ(http.sent.size(), 1u);  // not due yet
  EXPECT_EQ(timers.armed.at(config.timer_id), retry_at_us);
  advance_to(retry_at_us);
  ASSERT_EQ(http.sent.size(), 2u);
  EXPECT_EQ(key_of(1), key_of(0));
}

TEST_F(DispatcherTest, RetryAfterIsAFloor) {
  enqueue();
  const TimeUs t0 = now_us;
  answer(0, status(429, {{"retry-after", "30"}}));
  EXPECT_EQ(timers.armed.at(config.timer_id), t0 + 30 * kUsPerSec);  // > any 100 ms jitter
  advance_to(t0 + 30 * kUsPerSec - 1);
  EXPECT_EQ(http.sent.size(), 1u);
  advance_to(t0 + 30 * kUsPerSec);
  EXPECT_EQ(http.sent.size(), 2u);
  // A 429 is the peer protecting itself, not an outage.
  EXPECT_EQ(dispatcher->breaker("stripe")->consecutive_failures(), 0);
}

TEST_F(DispatcherTest, OpenCircuitDelaysSendsUntilTheCoolDownThenProbesOnce) {
  config.peers["stripe"].breaker = {2, 30'000, 1};
  config.peers["stripe"].backoff.base_delay_ms = 1;
  rebuild();
  enqueue();
  enqueue();
  enqueue();
  ASSERT_EQ(http.sent.size(), 3u);
  const TimeUs t0 = now_us;
  answer(0, status(503));
  answer(1, status(503));
  EXPECT_EQ(dispatcher->breaker("stripe")->state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(alerts.count("circuit_open", "stripe"), 1u);
  answer(2, status(503));  // admitted before it opened: does not extend the cool-down
  advance_to(t0 + 30 * kUsPerSec - 1);
  EXPECT_EQ(http.sent.size(), 3u);  // retries were due after ~1 ms but the circuit held them
  EXPECT_GE(metrics.counter("intsim_outbox_delayed_total", "stripe", "circuit_open"), 1);
  advance_to(t0 + 30 * kUsPerSec);
  ASSERT_EQ(http.sent.size(), 4u);  // one probe only
  answer(3, status(200));
  EXPECT_EQ(dispatcher->breaker("stripe")->state(), CircuitBreaker::State::kClosed);
  advance_to(now_us + kUsPerSec);
  EXPECT_EQ(http.sent.size(), 6u);  // the rest go once it closes
  EXPECT_EQ(alerts.count("circuit_open"), 1u);
}

TEST_F(DispatcherTest, PerRecipientRateLimitSpacesMessages) {
  enqueue("whatsapp", "message", "+34600000001");
  enqueue("whatsapp", "message", "+34600000001");
  enqueue("whatsapp", "message", "+34600000002");
  const TimeUs t0 = now_us;
  ASSERT_EQ(http.sent.size(), 2u);                                              // one per recipient
  EXPECT_TRUE(http.sent[0].request.header("Idempotency-Key") == std::nullopt);  // none to send
  advance_to(t0 + 6 * kUsPerSec - 1);
  EXPECT_EQ(http.sent.size(), 2u);
  advance_to(t0 + 6 * kUsPerSec);
  EXPECT_EQ(http.sent.size(), 3u);
}

TEST_F(DispatcherTest, DlqReplayKeepsOrRenewsTheKey) {
  const std::string id = enqueue();
  answer(0, status(402));
  ASSERT_EQ(dlq().size(), 1u);
  const std::string key = key_of(0);
  std::string replayed;
  ASSERT_TRUE(dispatcher->replay(id, now_us, false, &replayed));
  EXPECT_NE(replayed, id);
  EXPECT_TRUE(dlq().empty());
  ASSERT_EQ(http.sent.size(), 2u);
  EXPECT_EQ(key_of(1), key);
  answer(1, status(402));  // fails again: a new entry, a new alert
  ASSERT_EQ(dlq().size(), 1u);
  EXPECT_EQ(dlq()[0].job.attempts, 1);  // a fresh count, not 2
  EXPECT_EQ(alerts.count("dlq"), 2u);
  ASSERT_TRUE(dispatcher->replay(replayed, now_us, true, &replayed));
  ASSERT_EQ(http.sent.size(), 3u);
  EXPECT_NE(key_of(2), key);
  answer(2, status(200));
  EXPECT_TRUE(dlq().empty());
  EXPECT_EQ(store.size("outbox"), 0u);
  EXPECT_EQ(dispatcher->replay("job_missing", now_us, false, nullptr).code(),
            Status::Code::kNotFound);
}

TEST_F(DispatcherTest, KeyPastThePrunAgeStopsRetriesForReconciliation) {
  config.peers["stripe"].backoff.deadline_ms = 3 * 24 * 3'600'000LL;
  rebuild();
  const std::string id = enqueue();
  answer(0, status(503, {{"Retry-After", "86400"}}));  // come back in a day: the key is stale then
  advance_to(now_us + 2 * kUsPerDay);
  EXPECT_EQ(http.sent.size(), 1u);
  const auto entries = dlq();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].reason, DeadReason::kKeyPastPruneAge);
  // Replaying with the same key would hit the same wall; a new key is the reconciled path.
  std::string replayed;
  ASSERT_TRUE(dispatcher->replay(id, now_us, false, &replayed));
  EXPECT_EQ(http.sent.size(), 1u);
  ASSERT_TRUE(dispatcher->replay(replayed, now_us, true, &replayed));
  EXPECT_EQ(http.sent.size(), 2u);
}

TEST_F(DispatcherTest, DeadlineEndsRetries) {
  config.peers["stripe"].backoff = {Jitter::kFull, 1'000, 1'000, 100, 5'000};
  rebuild();
  enqueue();
  for (int i = 0; i < 20 && dlq().empty(); ++i) {
    answer(http.sent.size() - 1, HttpResult::failed(HttpError::kTimeout));
    advance_to(now_us + 2 * kUsPerSec);
  }
  const auto entries = dlq();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].reason, DeadReason::kDeadlineExceeded);
  for (const auto& s : http.sent)
    EXPECT_LT(s.deadline_us - 2 * kUsPerSec, entries[0].job.deadline_us);
}

TEST_F(DispatcherTest, WithoutRetryingAmbiguityOnlyUnsentRequestsRetry) {
  config.peers["whatsapp"].retry_ambiguous = false;
  rebuild();
  enqueue("whatsapp", "message");
  answer(0, HttpResult::failed(HttpError::kConnectionFailed));  // never left: retry
  advance_to(now_us + kUsPerMin);
  ASSERT_EQ(http.sent.size(), 2u);
  answer(1, HttpResult::failed(HttpError::kTimeout));  // may have been delivered: stop
  advance_to(now_us + kUsPerMin);
  EXPECT_EQ(http.sent.size(), 2u);
  const auto entries = dlq();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].reason, DeadReason::kAmbiguous);
  EXPECT_EQ(entries[0].job.attempts, 2);
  EXPECT_EQ(alerts.count("dlq"), 1u);
}

TEST_F(DispatcherTest, UnknownKindGoesToTheDlq) {
  enqueue("stripe", "refund");
  EXPECT_TRUE(http.sent.empty());
  const auto entries = dlq();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].reason, DeadReason::kNoHandler);
  EXPECT_EQ(alerts.count("dlq"), 1u);
}

TEST_F(DispatcherTest, InFlightBoundHoldsJobsBack) {
  config.in_flight_max = 2;
  rebuild();
  for (int i = 0; i < 4; ++i) enqueue();
  EXPECT_EQ(http.sent.size(), 2u);
  EXPECT_FALSE(timers.armed.count(config.timer_id));  // no timer spinning on a full window
  answer(0, status(200));
  EXPECT_EQ(http.sent.size(), 3u);
}

}  // namespace
}  // namespace intsim::core::resilience

namespace intsim::core::resilience {
namespace {

TEST_F(DispatcherTest, CredentialsAreSentButNeverStoredInOutboxOrDlqRows) {
  config.peers["stripe"].credential_headers = {{"Authorization", "Bearer sk_test_secret"}};
  rebuild();
  const std::string id = enqueue();
  ASSERT_EQ(http.sent.size(), 1u);
  EXPECT_EQ(http.sent[0].request.header("Authorization"), "Bearer sk_test_secret");
  std::string row;
  ASSERT_TRUE(store.get("outbox", id, &row));
  EXPECT_EQ(row.find("sk_test_secret"), std::string::npos) << row;
  answer(0, status(400, {}, "{}"));
  ASSERT_TRUE(store.get("dlq", id, &row));
  EXPECT_EQ(row.find("sk_test_secret"), std::string::npos) << row;
}

}  // namespace
}  // namespace intsim::core::resilience
