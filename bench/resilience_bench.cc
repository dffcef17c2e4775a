// Outbound resilience throughput: the outbox dispatcher's full cycle (enqueue, commit, send,
// result, commit) per second on a MemoryStore, next to a baseline that does only the two store
// commits per job the cycle needs; plus backoff draws, keyed rate limiting under eviction and
// metrics recording/rendering. Fake ports answer at once, so this measures the core's own cost.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "src/core/memory_store.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"
#include "src/core/resilience/backoff.h"
#include "src/core/resilience/dispatcher.h"
#include "src/core/resilience/token_bucket.h"

namespace {

namespace core = intsim::core;
namespace res = intsim::core::resilience;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct NullTimers final : core::Timers {
  void arm(core::TimerId, core::TimeUs) override {}
  void disarm(core::TimerId) override {}
};

struct QueueHttp final : core::HttpClient {
  std::vector<core::RequestId> pending;
  void send(core::RequestId id, std::string_view, core::HttpRequest, core::TimeUs) override {
    pending.push_back(id);
  }
};

struct NoopHandler final : res::JobHandler {
  void on_success(const res::Job& job, const core::HttpResponse&, core::WriteBatch& batch,
                  core::TimeUs) override {
    batch.put("effects", job.id, "done");
  }
  void on_failure(const res::Job&, const res::DlqEntry&, core::WriteBatch&, core::TimeUs) override {
  }
};

// Each job fails `failures` times with 503 before succeeding; returns jobs per second.
double dispatcher_jobs_per_sec(int jobs, int failures) {
  intsim::sim::Rng rng(1, "bench");
  NullTimers timers;
  QueueHttp http;
  core::MemoryStore store;
  core::observability::RecordingLog log(core::LogLevel::kError);
  core::observability::MetricsRegistry metrics;
  core::observability::RecordingAlerts alerts;
  res::DispatcherConfig config;
  config.in_flight_max = 1'000'000;
  config.default_policy.rate = {1'000'000'000, 1};
  config.default_policy.breaker.failures_to_open = 1'000'000;
  config.default_policy.backoff.base_delay_ms = 0;  // retries due at once: no timer needed
  config.default_policy.idempotency_header = "Idempotency-Key";
  res::Dispatcher d({nullptr, &rng, &timers, &http, &store, &log, &metrics, &alerts}, config);
  NoopHandler handler;
  d.add_handler("charge", &handler);
  std::map<core::RequestId, int> seen;
  core::TimeUs now_us = 1;
  const auto start = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    res::Job job;
    job.kind = "charge";
    job.peer = "stripe";
    job.method = "POST";
    job.target = "/v1/payment_intents";
    job.body = "amount=1000&currency=eur";
    core::WriteBatch batch;
    batch.put("bookings", std::to_string(i), "pending");
    d.enqueue(batch, std::move(job), now_us);
    store.commit(batch);
    d.on_committed(batch, now_us);
    for (int attempt = 0; !http.pending.empty(); ++attempt) {
      const core::RequestId id = http.pending.back();
      http.pending.pop_back();
      ++now_us;
      d.on_http_result(
          id, core::HttpResult::of({attempt < failures ? 503 : 200, {}, R"({"id":"pi"})"}), now_us);
      d.on_timer(config.timer_id, now_us);
    }
  }
  const double secs = seconds_since(start);
  if (d.jobs() != 0 || store.size("effects") != static_cast<std::size_t>(jobs)) {
    fmt::print("dispatcher bench: jobs left behind\n");
  }
  return jobs / secs;
}

// The least a durable outbox must do per job: commit the job row with the state change, then
// commit the effect with the row's removal.
double store_only_jobs_per_sec(int jobs) {
  core::MemoryStore store;
  const std::string row(420, 'x');  // about the size of a serialized job
  const auto start = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    const std::string id = fmt::format("job_{:016x}", i * 0x9e3779b97f4a7c15ULL);
    core::WriteBatch a;
    a.put("bookings", std::to_string(i), "pending");
    a.put("outbox", id, row);
    store.commit(a);
    core::WriteBatch b;
    b.put("effects", id, "done");
    b.erase("outbox", id);
    store.commit(b);
  }
  return jobs / seconds_since(start);
}

double backoff_draws_per_sec(res::Jitter jitter) {
  intsim::sim::Rng rng(2, "bench");
  res::BackoffConfig c{jitter, 100, 60'000, 10, 86'400'000};
  constexpr int kDraws = 2'000'000;
  core::TimeUs prev = 0, sum = 0;
  const auto start = Clock::now();
  for (int i = 0; i < kDraws; ++i) {
    prev = res::backoff_delay_us(c, 1 + i % 10, prev, rng);
    sum += prev;
  }
  const double secs = seconds_since(start);
  if (sum == 42) fmt::print("");
  return kDraws / secs;
}

double limiter_takes_per_sec(std::size_t keys_max, std::uint64_t distinct_keys) {
  intsim::sim::Rng rng(3, "bench");
  res::KeyedLimiter limiter(res::TokenBucketConfig{1, 6 * core::kUsPerSec}, keys_max);
  constexpr int kTakes = 1'000'000;
  std::vector<std::string> keys(4096);
  for (auto& k : keys) k = fmt::format("+34{:09d}", rng.uniform(distinct_keys));
  std::uint64_t granted = 0;
  const auto start = Clock::now();
  for (int i = 0; i < kTakes; ++i) granted += limiter.try_take(keys[i & 4095], i) ? 1 : 0;
  const double secs = seconds_since(start);
  if (granted == 42) fmt::print("");
  return kTakes / secs;
}

}  // namespace

int main() {
  constexpr int kJobs = 100'000;
  const double base = store_only_jobs_per_sec(kJobs);
  const double ok = dispatcher_jobs_per_sec(kJobs, 0);
  const double retried = dispatcher_jobs_per_sec(kJobs / 4, 2);
  fmt::print("outbox cycle, first try succeeds : {:>12.0f} jobs/s\n", ok);
  fmt::print("outbox cycle, two 503s then 200  : {:>12.0f} jobs/s\n", retried);
  fmt::print("baseline: two store commits/job  : {:>12.0f} jobs/s  (dispatcher = {:.2f}x of it)\n",
             base, ok / base);
  fmt::print("backoff draws, full jitter       : {:>12.0f} /s\n",
             backoff_draws_per_sec(res::Jitter::kFull));
  fmt::print("backoff draws, decorrelated      : {:>12.0f} /s\n",
             backoff_draws_per_sec(res::Jitter::kDecorrelated));
  fmt::print("keyed limiter, 1k keys (hits)    : {:>12.0f} takes/s\n",
             limiter_takes_per_sec(10'000, 1'000));
  fmt::print("keyed limiter, evicting (1k max) : {:>12.0f} takes/s\n",
             limiter_takes_per_sec(1'000, 1'000'000));

  core::observability::MetricsRegistry metrics;
  constexpr int kObservations = 1'000'000;
  auto start = Clock::now();
  for (int i = 0; i < kObservations; ++i) {
    metrics.observe_us("intsim_outbound_latency", i % 2 ? "stripe" : "whatsapp",
                       i % 3 ? "success" : "timeout",
                       (static_cast<std::int64_t>(i) * 7919) % 20'000'000);
  }
  fmt::print("metrics observe_us               : {:>12.0f} /s\n",
             kObservations / seconds_since(start));
  for (int i = 0; i < 1000; ++i) metrics.count("intsim_x_total", fmt::format("peer{}", i), "ok");
  start = Clock::now();
  const std::string text = metrics.prometheus_text();
  fmt::print("prometheus text, 1006 series     : {:>12.3f} ms ({} bytes)\n",
             seconds_since(start) * 1e3, text.size());
  return 0;
}
