// The integration core (core/app/integration.h) driven for real: the Asio driver that the
// simulator's core node is in simulation. It owns the core object and the ports that group
// commit needs, and exposes the core's routes to the HttpServer's Router.
//
// Durability contract: a response leaves the process only once every store write the core made
// before it is durable. The core commits into a GroupCommitStore (group_commit_store.h), whose
// in-memory layers a Committer (committer.h) makes durable one at a time. Every response, and
// every outbound request (a Stripe call must not go out for an outbox row that a crash could
// still lose), given while a layer exists is tagged with the newest layer and held until that
// layer is durable; with no layer it goes at once.
//
// The pipeline (double buffering). At the end of the event loop's turn (a handler posted behind
// the requests already read) the open layer is sealed and handed to the committer, unless a
// flush is already in flight: then the open layer keeps taking the following turns' writes
// while the committer (in real mode on its own thread, with its own SQLite connection) commits
// and fsyncs the sealed one, and the event loop goes on reading and answering what does not
// depend on undurable writes. When a flush completes, its layer retires (the reader's snapshot
// is released so reads see the commit, CoreServiceOptions::after_durable), its held requests go
// out and its held responses are answered, in order, and the open layer is sealed and flushed
// at once. So one fsync acknowledges every webhook that arrived while the previous one ran.
//
// A failed flush fails its layer and every later one (they may have read its writes): every
// held response is answered 500 (Stripe, Meta and Svix redeliver on 5xx), every held request is
// dropped, and the core object is rebuilt from the durable store with recover(): its memory may
// hold effects that never became durable. Results of requests the old object sent are not
// delivered to the new one (they belong to a generation that no longer exists).
//
// Alerts are held like responses: an alert goes to the caller's Alerts port once the newest
// layer at the end of the core call that raised it (which holds the change it reports) is
// durable, and is dropped if that layer fails (the rebuilt core raises it again when the
// redelivery makes the same change), so operators are never paged about a lost change.
//
// Backpressure. If the writer stalls (a slow disk, an fsync of seconds) held responses would
// grow without bound. While the held responses reach CoreServiceOptions::pending_requests_max,
// or the flush in flight is older than flush_age_us_max, every request for the core's routes is
// answered 503 with Retry-After at once, without reaching the core (so it writes nothing and
// its answer waits for nothing; the peers redeliver on 5xx). GET requests are refused too:
// their answers would be held behind the same stalled flush. /healthz and /metrics are the
// HttpServer's own and keep working.
//
// Single-threaded: every call, the ports' callbacks and the committer's outcomes run on the
// io_context's thread; only the committer's own commit runs elsewhere.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "src/core/app/integration.h"
#include "src/core/ports.h"
#include "src/core/status.h"
#include "src/server/committer.h"
#include "src/server/group_commit_store.h"
#include "src/server/router.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

struct CoreServiceStats {
  std::uint64_t flushes = 0;          // durable commits made for the core
  std::uint64_t batches_flushed = 0;  // core batches they carried
  std::uint64_t flush_failures = 0;
  std::uint64_t layers_failed = 0;     // layers lost to failed flushes (the failed and later ones)
  std::uint64_t rebuilds = 0;          // core objects made after a failed flush
  std::uint64_t responses_held = 0;    // responses that waited for a flush
  std::uint64_t requests_refused = 0;  // answered 503 at once while the store was behind
  std::uint64_t alerts_held = 0;       // alerts that waited for a flush
  std::uint64_t alerts_dropped = 0;    // alerts of layers lost to failed flushes
};

struct CoreServiceOptions {
  // Makes the sealed layers durable. Null: an InlineCommitter on the ports' store (the store
  // the core reads is the one flushes commit to; tests, single-connection stores).
  Committer* committer = nullptr;
  // Runs after a flush completed and before anything reads again: where the durable store the
  // core reads is another connection than the committer's, it must now see the commit
  // (SqliteStore::release_snapshot).
  std::function<void()> after_durable;
  // Backpressure (see above): new requests are refused while this many responses wait for a
  // flush, or while the flush in flight is older than flush_age_us_max.
  std::size_t pending_requests_max = 10'000;
  core::TimeUs flush_age_us_max = 5 * core::kUsPerSec;
};

class CoreService final : public core::TimerSink, public core::HttpResultSink {
 public:
  // `ports` gives the clock, random, log, metrics and alerts the core uses, plus `timers` (whose
  // sink must be set to this object), `http` (whose sink must be set to this object) and `store`
  // (the durable store the core reads). They, and options.committer, outlive this object.
  CoreService(boost::asio::io_context& io, core::app::IntegrationConfig config, core::Ports ports,
              CoreServiceOptions options = {});
  ~CoreService() override;
  CoreService(const CoreService&) = delete;
  CoreService& operator=(const CoreService&) = delete;

  // Makes the core object and recovers it from the store. Errors are the core's.
  core::Status start();

  // Adds the core's routes (webhooks, booking API, iCal export) to `router`.
  void add_routes(Router& router);
  // Hands one request to the core; `respond` runs once its writes are durable.
  void handle(const core::HttpRequest& request, Responder respond);

  void on_timer(core::TimerId id, core::TimeUs now_us) override;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override;

  CoreServiceStats stats() const;
  // Nothing waits for a flush and none is in flight: a stop now loses no answer.
  bool drained() const { return !store_->pending() && flushing_layer_ == 0; }
  // What a stop now would leave unanswered or unsent (for the shutdown log).
  std::size_t responses_waiting() const { return held_.size(); }
  std::size_t requests_waiting() const;
  // How long the flush in flight has run; 0 when none is.
  core::TimeUs flush_age_us() const;
  // The durable-or-pending view of the store the core writes through (tests read it).
  GroupCommitStore& store() { return *store_; }

 private:
  class HeldHttpClient;
  class HeldAlerts;
  struct Held {
    std::uint64_t layer;  // answered once this layer is durable
    Responder respond;
    core::HttpResponse response;
  };

  // Whether a new request must be refused (see Backpressure above); logs the transitions.
  bool overloaded(core::TimeUs now_us);
  void on_first_pending();
  // After every call into the core: tags the alerts it raised with the newest layer.
  void settle_alerts();
  void flush_turn();
  void start_flush();
  void on_flushed(std::uint64_t layer, std::size_t batches, core::Status st);
  core::Status rebuild(core::TimeUs now_us);

  boost::asio::io_context& io_;
  core::app::IntegrationConfig config_;
  core::Ports base_;  // the caller's ports
  CoreServiceOptions options_;
  std::unique_ptr<Committer> own_committer_;  // when options_ named none
  Committer* committer_;
  std::unique_ptr<GroupCommitStore> store_;
  std::unique_ptr<HeldHttpClient> http_;
  std::unique_ptr<HeldAlerts> alerts_;  // null when the caller's ports have no Alerts
  std::unique_ptr<core::app::Integration> core_;
  std::deque<Held> held_;  // in layer order
  bool flush_posted_ = false;
  std::uint64_t flushing_layer_ = 0;  // the layer the committer has; 0: none
  core::TimeUs flush_started_us_ = 0;
  bool overloaded_ = false;  // the last request was refused (for logging the transitions)
  CoreServiceStats stats_;
  // Guards posted handlers against running after destruction.
  std::shared_ptr<CoreService*> alive_;
};

// An Alerts port that writes each alert to the log at error level (event "alert"), where
// operators' log-based alerting picks it up.
class LogAlerts final : public core::Alerts {
 public:
  LogAlerts(core::Log* log) : log_(log) {}
  void raise(const core::Alert& alert) override;

 private:
  core::Log* log_;
};

}  // namespace intsim::server
