// The transactional outbox and its dispatcher.
//
// Work that must reach a peer is written as a job row into the SAME batch as the state change
// that causes it (enqueue), so both commit or neither does. The dispatcher drains the outbox:
// it sends due jobs through the HttpClient port with a per-peer timeout, classifies each
// result, and commits what follows in one batch per result:
//   success    -> the handler's effects + the job row erased;
//   retryable  -> attempts, errors and the next attempt time (backoff, Retry-After) updated;
//   permanent, attempts or deadline exhausted, idempotency key past the peer's prune age
//              -> a DLQ row + the job row erased + the handler's on_failure effects, then
//                 exactly one alert.
// Before each send it asks the peer's circuit breaker and rate limiters (per peer, and per
// recipient when the job names one); a refusal only delays the job in memory.
//
// Sans-I/O: time enters as now_us, the dispatcher acts only through its ports and wakes itself
// with one timer for the earliest due job. The store holds everything durable; memory holds
// only the schedule, the in-flight requests, breakers and buckets, all rebuilt (fresh) by
// recover() after a crash: jobs that were in flight are due again, with the same key.
//
// A crash between a send and its result loses the attempt count of that attempt (it was never
// committed): the retry is free. The job's deadline still bounds how long that can go on.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/ports.h"
#include "src/core/resilience/backoff.h"
#include "src/core/resilience/circuit_breaker.h"
#include "src/core/resilience/classify.h"
#include "src/core/resilience/job.h"
#include "src/core/resilience/token_bucket.h"

namespace intsim::core::resilience {

struct PeerPolicy {
  BackoffConfig backoff;
  std::int64_t timeout_ms = 10'000;  // per request
  CircuitBreaker::Config breaker;
  TokenBucketConfig rate = TokenBucketConfig::per_second(50, 25);
  // Per (peer, recipient) when the job names a recipient (WhatsApp: about 1 per 6 s per user).
  std::optional<TokenBucketConfig> recipient_rate;
  std::size_t recipient_keys_max = 10'000;
  // The header that carries the job's key ("Idempotency-Key" for Stripe); empty when the peer
  // has no idempotency keys (WhatsApp): then ambiguous outcomes may duplicate the work.
  std::string idempotency_header;
  // How long the peer keeps keys (Stripe: 24 h); 0: forever or not applicable.
  TimeUs key_prune_age_us = 0;
  // Headers added to every request at send time and never written to the outbox or the DLQ:
  // credentials (`Authorization: Bearer sk_...`) must not sit in rows that are dumped, replayed
  // and shipped to reviewers.
  std::vector<Header> credential_headers;
  // Whether to retry an ambiguous outcome (timeout, malformed response, 5xx). With a key the
  // peer deduplicates, so retrying is safe. Without one (WhatsApp) a retry may deliver twice;
  // false sends such jobs to the DLQ (reason ambiguous_outcome) for reconciliation instead.
  bool retry_ambiguous = true;
};

struct DispatcherConfig {
  PeerPolicy default_policy;
  std::map<std::string, PeerPolicy, std::less<>> peers;  // overrides by peer name
  std::size_t in_flight_max = 64;
  TimerId timer_id = 0x6f7574626f78;  // "outbox": distinct from other components' timers
};

// What a kind of job does with its outcome. Effects go into `batch`, which commits together
// with the job's own row change.
class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // Override to refine the generic classification for one peer's API (e.g. Stripe's 409
  // idempotency_key_in_use is worth retrying). The reason becomes a metrics label and must
  // outlive the call: return a string literal.
  virtual Classification classify(const Job& /*job*/, const HttpResult& result) {
    return resilience::classify(result);
  }
  virtual void on_success(const Job& job, const HttpResponse& response, WriteBatch& batch,
                          TimeUs now_us) = 0;
  virtual void on_failure(const Job& job, const DlqEntry& entry, WriteBatch& batch,
                          TimeUs now_us) = 0;
  // Whether a job that died for `reason` needs a human (a "dlq" alert). False when the handler
  // settles the entry by itself: an alert that needs no action teaches people to ignore alerts.
  virtual bool needs_attention(const Job& /*job*/, DeadReason /*reason*/) const { return true; }
};

class Dispatcher final : public TimerSink, public HttpResultSink {
 public:
  // Uses ports.random, timers, http, store, log, metrics and alerts (all required).
  Dispatcher(Ports ports, DispatcherConfig config);

  // `handler` must outlive the dispatcher.
  void add_handler(std::string kind, JobHandler* handler);

  // Completes the job (id, idempotency key and its time, created_at, next attempt, deadline
  // when left empty or 0) and writes its row into the caller's batch. Returns the job's id.
  // Nothing happens until the caller commits the batch and calls on_committed.
  std::string enqueue(WriteBatch& batch, Job job, TimeUs now_us);
  // After a successful commit of a batch that may hold outbox rows: learn them, send what is due.
  void on_committed(const WriteBatch& batch, TimeUs now_us);
  // After a (re)start: forget everything volatile, load the outbox, send what is due.
  Status recover(TimeUs now_us);

  void on_timer(TimerId id, TimeUs now_us) override;
  void on_http_result(RequestId id, HttpResult result, TimeUs now_us) override;

  // The dead-letter queue, in entry id order.
  Status dlq_entries(std::vector<DlqEntry>* out);
  // Moves a DLQ entry back into the outbox as a fresh job (new id, no attempts, no errors, a
  // deadline as long as the original's), keeping the idempotency key unless new_key is asked
  // for (after reconciling a key past its prune age, say). Returns the new job's id.
  Status replay(std::string_view entry_id, TimeUs now_us, bool new_key, std::string* job_id);

  std::size_t jobs() const { return entries_.size(); }
  std::size_t in_flight() const { return in_flight_.size(); }
  std::optional<TimeUs> armed_at_us() const { return armed_at_us_; }
  const CircuitBreaker* breaker(std::string_view peer) const;
  const PeerPolicy& policy(std::string_view peer) const;

 private:
  struct Entry {
    Job job;
    TimeUs due_us = 0;
    bool in_flight = false;
  };
  struct Flight {
    std::string job_id;
    CircuitBreaker::Permit permit;
    TimeUs sent_at_us = 0;
  };

  void load(Job job);
  void schedule(Entry& e, TimeUs at_us);
  void pump(TimeUs now_us);
  void dispatch(Entry& e, TimeUs now_us);
  void succeed(Entry& e, const HttpResponse& response, TimeUs now_us);
  void retry_later(Entry& e, const HttpResult& result, std::string detail, TimeUs now_us);
  void kill(Entry& e, DeadReason reason, std::string detail, TimeUs now_us);
  void release_held(std::string_view peer, TimeUs now_us);
  void rearm();
  JobHandler* handler(std::string_view kind) const;
  CircuitBreaker& breaker_for(std::string_view peer);
  TokenBucket& bucket_for(std::string_view peer, TimeUs now_us);
  KeyedLimiter* recipients_for(std::string_view peer);

  Ports ports_;
  DispatcherConfig config_;
  std::map<std::string, JobHandler*, std::less<>> handlers_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::set<std::pair<TimeUs, std::string>> due_;  // jobs not in flight, by (due time, id)
  std::map<RequestId, Flight> in_flight_;
  std::map<std::string, CircuitBreaker, std::less<>> breakers_;
  std::map<std::string, TokenBucket, std::less<>> buckets_;
  std::map<std::string, KeyedLimiter, std::less<>> recipient_limiters_;
  RequestId next_request_id_ = 0;
  std::optional<TimeUs> armed_at_us_;
};

}  // namespace intsim::core::resilience
