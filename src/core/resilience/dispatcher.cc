#include "src/core/resilience/dispatcher.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/assert.h"
#include "src/core/resilience/idempotency.h"

namespace intsim::core::resilience {
namespace {

// What a failed result was, for the job's error fields and the DLQ row: short, no body dumps
// beyond a bounded prefix (bodies may be large; secrets never appear in peers' error bodies).
std::string describe(const HttpResult& result) {
  if (!result.has_response()) return std::string(http_error_name(result.error));
  constexpr std::size_t kBodyPrefixMax = 200;
  const std::string& body = result.response.body;
  return fmt::format("status {}: {}", result.response.status,
                     std::string_view(body).substr(0, std::min(body.size(), kBodyPrefixMax)));
}

void note_error(Job& job, std::string detail, TimeUs now_us) {
  if (job.first_error_at_us == 0 && job.first_error.empty()) {
    job.first_error_at_us = now_us;
    job.first_error = detail;
  }
  job.last_error_at_us = now_us;
  job.last_error = std::move(detail);
}

}  // namespace

Dispatcher::Dispatcher(Ports ports, DispatcherConfig config)
    : ports_(ports), config_(std::move(config)) {
  INTSIM_ASSERT(ports_.random && ports_.timers && ports_.http && ports_.store);
  INTSIM_ASSERT(ports_.log && ports_.metrics && ports_.alerts);
  INTSIM_ASSERT(config_.in_flight_max >= 1);
  // A fresh incarnation numbers its requests from a random point, so a late result addressed
  // to a previous incarnation's request id is (almost surely) unknown here rather than misread.
  next_request_id_ = ports_.random->next_u64();
}

void Dispatcher::add_handler(std::string kind, JobHandler* handler) {
  INTSIM_ASSERT(handler != nullptr);
  handlers_.insert_or_assign(std::move(kind), handler);
}

const PeerPolicy& Dispatcher::policy(std::string_view peer) const {
  const auto it = config_.peers.find(peer);
  return it == config_.peers.end() ? config_.default_policy : it->second;
}

JobHandler* Dispatcher::handler(std::string_view kind) const {
  const auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : it->second;
}

std::string Dispatcher::enqueue(WriteBatch& batch, Job job, TimeUs now_us) {
  INTSIM_ASSERT(!job.kind.empty() && !job.peer.empty());
  if (job.id.empty()) job.id = new_job_id(*ports_.random);
  if (job.created_at_us == 0) job.created_at_us = now_us;
  if (job.idempotency_key.empty()) {
    job.idempotency_key = new_idempotency_key(*ports_.random);
    job.idempotency_key_created_at_us = now_us;
  }
  if (job.next_attempt_at_us == 0) job.next_attempt_at_us = now_us;
  if (job.deadline_us == 0) {
    job.deadline_us = job.created_at_us + policy(job.peer).backoff.deadline_ms * kUsPerMs;
  }
  batch.put(kOutboxTable, job.id, job_to_json(job));
  return job.id;
}

void Dispatcher::on_committed(const WriteBatch& batch, TimeUs now_us) {
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.table != kOutboxTable) continue;
    if (op.value) {
      Job job;
      const Status s = job_from_json(*op.value, &job);
      INTSIM_ASSERT_MSG(s.is_ok(), "a committed outbox row must parse");
      load(std::move(job));
    } else if (auto it = entries_.find(op.key); it != entries_.end() && !it->second.in_flight) {
      due_.erase({it->second.due_us, it->first});
      entries_.erase(it);
    }
  }
  pump(now_us);
}

Status Dispatcher::recover(TimeUs now_us) {
  entries_.clear();
  due_.clear();
  in_flight_.clear();
  breakers_.clear();
  buckets_.clear();
  recipient_limiters_.clear();
  std::vector<Job> loaded;
  Status bad;
  const Status s =
      ports_.store->scan(kOutboxTable, "", [&](std::string_view key, std::string_view value) {
        Job job;
        if (Status p = job_from_json(value, &job); !p.is_ok()) {
          // Leave the row for a human; a damaged row must not stop the rest of the outbox.
          ports_.log->write(now_us, LogLevel::kError, "outbox.row_unreadable",
                            {{"job", std::string(key)}, {"error", p.message()}});
          bad = std::move(p);
          return true;
        }
        loaded.push_back(std::move(job));
        return true;
      });
  if (!s.is_ok()) return s;
  for (Job& job : loaded) load(std::move(job));
  ports_.log->write(now_us, LogLevel::kInfo, "outbox.recovered",
                    {{"jobs", std::to_string(entries_.size())}});
  pump(now_us);
  return bad;
}

void Dispatcher::load(Job job) {
  auto it = entries_.find(job.id);
  if (it != entries_.end()) {
    if (it->second.in_flight) return;  // its result will decide; the row we know is current
    due_.erase({it->second.due_us, it->first});
    it->second.job = std::move(job);
  } else {
    const std::string id = job.id;
    it = entries_.emplace(id, Entry{std::move(job), 0, false}).first;
  }
  schedule(it->second, it->second.job.next_attempt_at_us);
}

void Dispatcher::schedule(Entry& e, TimeUs at_us) {
  INTSIM_ASSERT(!e.in_flight);
  due_.erase({e.due_us, e.job.id});
  e.due_us = at_us;
  due_.insert({at_us, e.job.id});
}

void Dispatcher::on_timer(TimerId id, TimeUs now_us) {
  if (id != config_.timer_id) return;
  armed_at_us_.reset();
  pump(now_us);
}

void Dispatcher::pump(TimeUs now_us) {
  // Bounded: each pass removes one due entry and either sends it, kills it, or moves it to a
  // time after now_us.
  while (!due_.empty() && in_flight_.size() < config_.in_flight_max) {
    const auto [at_us, id] = *due_.begin();
    if (at_us > now_us) break;
    due_.erase(due_.begin());
    Entry& e = entries_.at(id);
    e.due_us = 0;
    dispatch(e, now_us);
  }
  rearm();
}

void Dispatcher::dispatch(Entry& e, TimeUs now_us) {
  Job& job = e.job;
  const PeerPolicy& p = policy(job.peer);
  if (handler(job.kind) == nullptr) {
    return kill(e, DeadReason::kNoHandler, "no handler for kind " + job.kind, now_us);
  }
  if (now_us >= job.deadline_us) {
    return kill(e, DeadReason::kDeadlineExceeded, job.last_error, now_us);
  }
  if (!p.idempotency_header.empty() &&
      key_past_prune_age(job.idempotency_key_created_at_us, now_us, p.key_prune_age_us)) {
    return kill(e, DeadReason::kKeyPastPruneAge,
                fmt::format("key {} is {} s old", job.idempotency_key,
                            key_age_us(job.idempotency_key_created_at_us, now_us) / kUsPerSec),
                now_us);
  }
  // Rate limits first, without taking: a breaker probe slot must not be held by a job that the
  // limiter then stops.
  TokenBucket& bucket = bucket_for(job.peer, now_us);
  KeyedLimiter* recipients = job.recipient.empty() ? nullptr : recipients_for(job.peer);
  TimeUs ready_us = bucket.next_available_us(now_us);
  if (recipients)
    ready_us = std::max(ready_us, recipients->next_available_us(job.recipient, now_us));
  if (ready_us > now_us) {
    ports_.metrics->count("intsim_outbox_delayed_total", job.peer, "rate_limited");
    return schedule(e, ready_us);
  }
  CircuitBreaker& breaker = breaker_for(job.peer);
  const std::optional<CircuitBreaker::Permit> permit = breaker.try_acquire(now_us);
  if (!permit) {
    // Open: wait out the cool-down. Half-open with every probe out: the probe answers within
    // its timeout, so look again then.
    const std::optional<TimeUs> next_us = breaker.next_attempt_us(now_us);
    ports_.metrics->count("intsim_outbox_delayed_total", job.peer, "circuit_open");
    return schedule(e, next_us && *next_us > now_us ? *next_us : now_us + p.timeout_ms * kUsPerMs);
  }
  const bool took =
      bucket.try_take(now_us) && (!recipients || recipients->try_take(job.recipient, now_us));
  INTSIM_ASSERT(took);

  HttpRequest request{job.method, job.target, job.headers, job.body};
  for (const Header& h : p.credential_headers) request.headers.push_back(h);
  if (!p.idempotency_header.empty())
    request.headers.push_back({p.idempotency_header, job.idempotency_key});
  const RequestId rid = next_request_id_++;
  e.in_flight = true;
  in_flight_.emplace(rid, Flight{job.id, *permit, now_us});
  ports_.log->write(now_us, LogLevel::kDebug, "outbox.send",
                    {{"job", job.id},
                     {"peer", job.peer},
                     {"attempt", std::to_string(job.attempts + 1)},
                     {"idempotency_key", job.idempotency_key}});
  ports_.http->send(rid, job.peer, std::move(request), now_us + p.timeout_ms * kUsPerMs);
}

void Dispatcher::on_http_result(RequestId id, HttpResult result, TimeUs now_us) {
  const auto f = in_flight_.find(id);
  if (f == in_flight_.end()) {
    ports_.log->write(now_us, LogLevel::kWarn, "outbox.unknown_result",
                      {{"request", std::to_string(id)}});
    return;
  }
  const Flight flight = f->second;
  in_flight_.erase(f);
  Entry& e = entries_.at(flight.job_id);
  INTSIM_ASSERT(e.in_flight);
  e.in_flight = false;
  JobHandler* h = handler(e.job.kind);
  INTSIM_ASSERT(h != nullptr);  // checked before sending; handlers are never removed
  const Classification c = h->classify(e.job, result);
  CircuitBreaker& breaker = breaker_for(e.job.peer);
  const CircuitBreaker::State before = breaker.state();
  breaker.on_result(flight.permit, counts_as_peer_failure(c), now_us);
  if (breaker.state() != before) {
    ports_.log->write(now_us, LogLevel::kWarn, "outbox.circuit",
                      {{"peer", e.job.peer},
                       {"from", std::string(breaker_state_name(before))},
                       {"to", std::string(breaker_state_name(breaker.state()))}});
    ports_.metrics->count("intsim_circuit_transitions_total", e.job.peer,
                          breaker_state_name(breaker.state()));
    if (breaker.state() == CircuitBreaker::State::kClosed) release_held(e.job.peer, now_us);
    // An outage is worth a human's attention once, when it starts, not on every failed probe.
    if (before == CircuitBreaker::State::kClosed) {
      ports_.alerts->raise({now_us, "circuit_open", e.job.peer,
                            fmt::format("circuit to {} opened after repeated failures: {}",
                                        e.job.peer, describe(result))});
    }
  }
  ports_.metrics->count("intsim_outbound_requests_total", e.job.peer, c.reason);
  ports_.metrics->observe_us("intsim_outbound_latency", e.job.peer, c.reason,
                             now_us - flight.sent_at_us);
  switch (c.outcome) {
    case Outcome::kSuccess:
      succeed(e, result.response, now_us);
      break;
    case Outcome::kRetryable:
      if (c.ambiguous && !policy(e.job.peer).retry_ambiguous) {
        ++e.job.attempts;
        note_error(e.job, describe(result), now_us);
        kill(e, DeadReason::kAmbiguous, e.job.last_error, now_us);
        break;
      }
      retry_later(e, result, describe(result), now_us);
      break;
    case Outcome::kPermanent:
      ++e.job.attempts;
      note_error(e.job, describe(result), now_us);
      kill(e, DeadReason::kPermanent, e.job.last_error, now_us);
      break;
  }
  pump(now_us);
}

void Dispatcher::succeed(Entry& e, const HttpResponse& response, TimeUs now_us) {
  ++e.job.attempts;
  WriteBatch batch;
  handler(e.job.kind)->on_success(e.job, response, batch, now_us);
  batch.erase(kOutboxTable, e.job.id);
  if (const Status s = ports_.store->commit(batch); !s.is_ok()) {
    // The peer did the work but we could not record it: try again later. The same key makes
    // the peer answer with the stored result instead of doing the work twice.
    ports_.log->write(now_us, LogLevel::kError, "outbox.commit_failed",
                      {{"job", e.job.id}, {"error", s.to_string()}});
    return schedule(e, now_us + policy(e.job.peer).backoff.base_delay_ms * kUsPerMs);
  }
  ports_.log->write(
      now_us, LogLevel::kInfo, "outbox.done",
      {{"job", e.job.id}, {"peer", e.job.peer}, {"attempts", std::to_string(e.job.attempts)}});
  ports_.metrics->count("intsim_outbox_jobs_total", e.job.peer, "done");
  const std::string id = e.job.id;
  entries_.erase(id);
  on_committed(batch, now_us);  // follow-up jobs the handler enqueued
}

void Dispatcher::retry_later(Entry& e, const HttpResult& result, std::string detail,
                             TimeUs now_us) {
  Job& job = e.job;
  ++job.attempts;
  note_error(job, std::move(detail), now_us);
  std::optional<TimeUs> retry_after_us;
  if (result.has_response()) {
    if (const auto v = result.response.header("Retry-After"))
      retry_after_us = parse_retry_after_us(*v);
  }
  const RetryDecision d =
      decide_retry(policy(job.peer).backoff, job.attempts, now_us, job.deadline_us,
                   job.last_delay_us, retry_after_us, *ports_.random);
  switch (d.kind) {
    case RetryDecision::Kind::kRetry:
      break;
    case RetryDecision::Kind::kAttemptsExhausted:
      return kill(e, DeadReason::kAttemptsExhausted, job.last_error, now_us);
    case RetryDecision::Kind::kDeadlineExceeded:
      return kill(e, DeadReason::kDeadlineExceeded, job.last_error, now_us);
  }
  job.next_attempt_at_us = d.at_us;
  job.last_delay_us = d.delay_us;
  WriteBatch batch;
  batch.put(kOutboxTable, job.id, job_to_json(job));
  if (const Status s = ports_.store->commit(batch); !s.is_ok()) {
    // Memory runs ahead of the store until the next commit; a crash replays from the old row.
    ports_.log->write(now_us, LogLevel::kError, "outbox.commit_failed",
                      {{"job", job.id}, {"error", s.to_string()}});
  }
  ports_.log->write(now_us, LogLevel::kInfo, "outbox.retry_scheduled",
                    {{"job", job.id},
                     {"attempts", std::to_string(job.attempts)},
                     {"at_us", std::to_string(d.at_us)},
                     {"error", job.last_error}});
  schedule(e, d.at_us);
}

void Dispatcher::kill(Entry& e, DeadReason reason, std::string detail, TimeUs now_us) {
  const Job& job = e.job;
  DlqEntry entry{job.id, job, reason, std::move(detail), now_us};
  WriteBatch batch;
  batch.put(kDlqTable, entry.id, dlq_entry_to_json(entry));
  batch.erase(kOutboxTable, job.id);
  if (JobHandler* h = handler(job.kind)) h->on_failure(job, entry, batch, now_us);
  if (const Status s = ports_.store->commit(batch); !s.is_ok()) {
    // Nothing recorded, so nothing alerted: the job stays and its fate is decided again later.
    ports_.log->write(now_us, LogLevel::kError, "outbox.commit_failed",
                      {{"job", job.id}, {"error", s.to_string()}});
    return schedule(e, now_us + policy(job.peer).backoff.base_delay_ms * kUsPerMs);
  }
  // The commit and the alert happen in one call, so no crash can separate them: exactly one
  // alert per entry.
  ports_.log->write(now_us, LogLevel::kError, "outbox.dead_letter",
                    {{"job", job.id},
                     {"peer", job.peer},
                     {"reason", std::string(dead_reason_name(reason))},
                     {"detail", entry.detail},
                     {"attempts", std::to_string(job.attempts)}});
  ports_.metrics->count("intsim_outbox_jobs_total", job.peer, dead_reason_name(reason));
  if (const JobHandler* h = handler(job.kind); h == nullptr || h->needs_attention(job, reason)) {
    ports_.alerts->raise(
        {now_us, "dlq", job.id,
         fmt::format("{} job {} to {} dead after {} attempts: {} ({})", job.kind, job.id, job.peer,
                     job.attempts, dead_reason_name(reason), entry.detail)});
  }
  const std::string id = job.id;
  entries_.erase(id);
}

void Dispatcher::release_held(std::string_view peer, TimeUs now_us) {
  // Jobs whose stored schedule says "due" but which wait in memory (for the breaker) go now.
  std::vector<std::string> held;
  for (const auto& [due_us, id] : due_) {
    const Job& job = entries_.at(id).job;
    if (due_us > now_us && job.peer == peer && job.next_attempt_at_us <= now_us) held.push_back(id);
  }
  for (const std::string& id : held) schedule(entries_.at(id), now_us);
}

void Dispatcher::rearm() {
  // With every request slot taken a due job cannot go: the next result pumps instead of a
  // timer that would fire again and again at a past time.
  std::optional<TimeUs> want;
  if (!due_.empty() && in_flight_.size() < config_.in_flight_max) want = due_.begin()->first;
  if (want == armed_at_us_) return;
  if (want) {
    ports_.timers->arm(config_.timer_id, *want);
  } else {
    ports_.timers->disarm(config_.timer_id);
  }
  armed_at_us_ = want;
}

Status Dispatcher::dlq_entries(std::vector<DlqEntry>* out) {
  out->clear();
  Status bad;
  const Status s = ports_.store->scan(kDlqTable, "", [&](std::string_view, std::string_view v) {
    DlqEntry entry;
    if (Status p = dlq_entry_from_json(v, &entry); !p.is_ok()) {
      bad = std::move(p);
      return true;
    }
    out->push_back(std::move(entry));
    return true;
  });
  return s.is_ok() ? bad : s;
}

Status Dispatcher::replay(std::string_view entry_id, TimeUs now_us, bool new_key,
                          std::string* job_id) {
  std::string row;
  if (Status s = ports_.store->get(kDlqTable, entry_id, &row); !s.is_ok()) return s;
  DlqEntry entry;
  if (Status s = dlq_entry_from_json(row, &entry); !s.is_ok()) return s;
  const Job& old = entry.job;
  Job job;
  job.kind = old.kind;
  job.peer = old.peer;
  job.method = old.method;
  job.target = old.target;
  job.headers = old.headers;
  job.body = old.body;
  job.recipient = old.recipient;
  if (!new_key) {
    job.idempotency_key = old.idempotency_key;
    job.idempotency_key_created_at_us = old.idempotency_key_created_at_us;
  }
  job.created_at_us = now_us;
  job.deadline_us = now_us + std::max<TimeUs>(1, old.deadline_us - old.created_at_us);
  WriteBatch batch;
  batch.erase(kDlqTable, entry_id);
  const std::string id = enqueue(batch, std::move(job), now_us);
  if (Status s = ports_.store->commit(batch); !s.is_ok()) return s;
  ports_.log->write(
      now_us, LogLevel::kInfo, "outbox.replayed",
      {{"entry", std::string(entry_id)}, {"job", id}, {"new_key", new_key ? "true" : "false"}});
  if (job_id) *job_id = id;
  on_committed(batch, now_us);
  return Status::ok();
}

const CircuitBreaker* Dispatcher::breaker(std::string_view peer) const {
  const auto it = breakers_.find(peer);
  return it == breakers_.end() ? nullptr : &it->second;
}

CircuitBreaker& Dispatcher::breaker_for(std::string_view peer) {
  auto it = breakers_.find(peer);
  if (it == breakers_.end()) {
    it = breakers_.emplace(std::string(peer), CircuitBreaker(policy(peer).breaker)).first;
  }
  return it->second;
}

TokenBucket& Dispatcher::bucket_for(std::string_view peer, TimeUs now_us) {
  auto it = buckets_.find(peer);
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(peer), TokenBucket(policy(peer).rate, now_us)).first;
  }
  return it->second;
}

KeyedLimiter* Dispatcher::recipients_for(std::string_view peer) {
  const PeerPolicy& p = policy(peer);
  if (!p.recipient_rate) return nullptr;
  auto it = recipient_limiters_.find(peer);
  if (it == recipient_limiters_.end()) {
    it = recipient_limiters_
             .emplace(std::string(peer), KeyedLimiter(*p.recipient_rate, p.recipient_keys_max))
             .first;
  }
  return &it->second;
}

}  // namespace intsim::core::resilience
