// The dispatcher under random results, time steps and crashes, then a healed peer: every job
// ends exactly once, either done or in the DLQ with exactly one alert, and every request for a
// job carries the key that was stored with it before its first attempt ("nothing lost",
// DESIGN.md section 5, at the scale of one component).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "src/core/memory_store.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"
#include "src/core/resilience/dispatcher.h"
#include "src/core/resilience/test_ports.h"
#include "src/core/resilience/test_random.h"

namespace intsim::core::resilience {
namespace {

struct Step {
  int kind = 0;           // 0 answer a request, 1 let time pass, 2 crash and recover
  std::size_t which = 0;  // which outstanding request
  int outcome = 0;        // index into results()
  TimeUs dt_us = 0;
};

HttpResult result_of(int outcome) {
  switch (outcome) {
    case 0:
      return HttpResult::of({200, {}, "ok"});
    case 1:
      return HttpResult::of({503, {}, ""});
    case 2:
      return HttpResult::of({429, {{"Retry-After", "1"}}, ""});
    case 3:
      return HttpResult::failed(HttpError::kTimeout);
    case 4:
      return HttpResult::failed(HttpError::kConnectionFailed);
    case 5:
      return HttpResult::failed(HttpError::kMalformedResponse);
    default:
      return HttpResult::of({400, {}, "bad"});
  }
}

RC_GTEST_PROP(DispatcherProperty, EveryJobEndsOnceDoneOrDeadWithOneAlertAndOneKey, ()) {
  DispatcherConfig config;
  PeerPolicy p;
  p.backoff = {*rc::gen::element(Jitter::kFull, Jitter::kDecorrelated), 100, 5'000,
               *rc::gen::inRange(1, 7), 600'000};
  p.timeout_ms = 1'000;
  p.breaker = {3, 2'000, 1};
  p.idempotency_header = "Idempotency-Key";
  config.peers["stripe"] = p;
  config.in_flight_max = *rc::gen::inRange<std::size_t>(1, 4);

  MemoryStore store;
  testing::FakeTimers timers;
  testing::FakeHttp http;
  testing::SplitMixRandom random(*rc::gen::arbitrary<std::uint64_t>());
  observability::RecordingLog log(LogLevel::kError);
  observability::MetricsRegistry metrics;
  observability::RecordingAlerts alerts;
  testing::RecordingHandler handler;
  std::unique_ptr<Dispatcher> d;
  auto start = [&] {
    timers.armed.clear();
    d = std::make_unique<Dispatcher>(
        Ports{nullptr, &random, &timers, &http, &store, &log, &metrics, &alerts}, config);
    d->add_handler("charge", &handler);
  };
  start();

  TimeUs now_us = 1'000 * kUsPerSec;
  std::map<std::string, std::string> key_of_job;
  const int jobs = *rc::gen::inRange(1, 7);
  for (int i = 0; i < jobs; ++i) {
    Job job;
    job.kind = "charge";
    job.peer = "stripe";
    job.method = "POST";
    job.target = "/v1/payment_intents";
    WriteBatch batch;
    const std::string id = d->enqueue(batch, job, now_us);
    RC_ASSERT(store.commit(batch).is_ok());
    std::string row;
    RC_ASSERT(store.get(kOutboxTable, id, &row).is_ok());
    Job stored;
    RC_ASSERT(job_from_json(row, &stored).is_ok());
    key_of_job[id] = stored.idempotency_key;
    d->on_committed(batch, now_us);
  }

  std::vector<RequestId> outstanding;
  std::size_t seen = 0;
  auto collect = [&] {
    for (; seen < http.sent.size(); ++seen) outstanding.push_back(http.sent[seen].id);
  };
  auto fire_due = [&] {
    for (int i = 0; i < 1000; ++i) {
      const auto it = timers.armed.find(config.timer_id);
      if (it == timers.armed.end() || it->second > now_us) break;
      timers.armed.erase(it);
      d->on_timer(config.timer_id, now_us);
      collect();
    }
  };
  collect();

  const auto steps = *rc::gen::container<std::vector<Step>>(rc::gen::build<Step>(
      rc::gen::set(&Step::kind, rc::gen::weightedElement<int>({{6, 0}, {3, 1}, {1, 2}})),
      rc::gen::set(&Step::which, rc::gen::inRange<std::size_t>(0, 16)),
      rc::gen::set(&Step::outcome, rc::gen::inRange(0, 7)),
      rc::gen::set(&Step::dt_us, rc::gen::inRange<TimeUs>(0, 5 * kUsPerSec))));
  for (const Step& s : steps) {
    if (s.kind == 0 && !outstanding.empty()) {
      const std::size_t i = s.which % outstanding.size();
      const RequestId id = outstanding[i];
      outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(i));
      d->on_http_result(id, result_of(s.outcome), now_us);
    } else if (s.kind == 1) {
      now_us += s.dt_us;
      fire_due();
    } else if (s.kind == 2) {
      d.reset();  // crash: outstanding answers are lost with the process
      outstanding.clear();
      start();
      RC_ASSERT(d->recover(now_us).is_ok());
    }
    collect();
  }

  // Heal: the peer answers 200 to everything; time runs until nothing is left to do.
  for (int i = 0; i < 10'000; ++i) {
    if (!outstanding.empty()) {
      const RequestId id = outstanding.front();
      outstanding.erase(outstanding.begin());
      d->on_http_result(id, result_of(0), now_us);
      collect();
    } else if (const auto it = timers.armed.find(config.timer_id); it != timers.armed.end()) {
      now_us = std::max(now_us, it->second);
      fire_due();
    } else {
      break;
    }
  }

  RC_ASSERT(d->jobs() == 0u);
  RC_ASSERT(store.size(kOutboxTable) == 0u);
  std::multiset<std::string> done(handler.succeeded.begin(), handler.succeeded.end());
  std::multiset<std::string> dead(handler.failed.begin(), handler.failed.end());
  std::vector<DlqEntry> entries;
  RC_ASSERT(d->dlq_entries(&entries).is_ok());
  RC_ASSERT(entries.size() == dead.size());
  RC_ASSERT(alerts.count("dlq") == dead.size());
  for (const auto& [id, key] : key_of_job) {
    RC_ASSERT(done.count(id) + dead.count(id) == 1u);
    RC_ASSERT(alerts.count("dlq", id) == dead.count(id));
  }
  std::set<std::string> keys;
  for (const auto& [id, key] : key_of_job) keys.insert(key);
  for (const auto& sent : http.sent) {
    const auto key = sent.request.header("Idempotency-Key");
    RC_ASSERT(key.has_value());
    RC_ASSERT(keys.count(std::string(*key)) == 1u);
  }
}

}  // namespace
}  // namespace intsim::core::resilience
