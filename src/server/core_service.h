// The integration core (core/app/integration.h) driven for real: the Asio driver that the
// simulator's core node is in simulation. It owns the core object and the ports that group
// commit needs, and exposes the core's routes to the HttpServer's Router.
//
// Durability contract: a response leaves the process only once every store write the core made
// before it is durable. The core commits into a GroupCommitStore (group_commit_store.h); while
// that store has pending batches, responses are held, and outbound requests too (a Stripe call
// must not go out for an outbox row that a crash could still lose). At the end of the event
// loop's turn (a handler posted behind the requests already read) one SQLite transaction makes
// the turn's batches durable, then the held requests go out and the held responses are
// answered. So under load one fsync acknowledges every webhook of a turn.
//
// A failed flush answers 500 to every held response (Stripe, Meta and Svix redeliver on 5xx),
// drops the held requests, and rebuilds the core object from the durable store with recover():
// its memory may hold effects that never became durable. Results of requests the old object
// sent are not delivered to the new one (they belong to a generation that no longer exists).
//
// Single-threaded: every call, and the ports' callbacks, on the io_context's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "src/core/app/integration.h"
#include "src/core/ports.h"
#include "src/core/status.h"
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
  std::uint64_t rebuilds = 0;        // core objects made after a failed flush
  std::uint64_t responses_held = 0;  // responses that waited for a flush
};

class CoreService final : public core::TimerSink, public core::HttpResultSink {
 public:
  // `ports` gives the clock, random, log, metrics and alerts the core uses, plus `timers` (whose
  // sink must be set to this object), `http` (whose sink must be set to this object) and `store`
  // (the durable store). They outlive this object.
  CoreService(boost::asio::io_context& io, core::app::IntegrationConfig config, core::Ports ports);
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
  // The durable-or-pending view of the store the core writes through (tests read it).
  GroupCommitStore& store() { return *store_; }

 private:
  class HeldHttpClient;
  struct Held {
    Responder respond;
    core::HttpResponse response;
  };

  void schedule_flush();
  void flush();
  core::Status rebuild(core::TimeUs now_us);

  boost::asio::io_context& io_;
  core::app::IntegrationConfig config_;
  core::Ports base_;  // the caller's ports
  std::unique_ptr<GroupCommitStore> store_;
  std::unique_ptr<HeldHttpClient> http_;
  std::unique_ptr<core::app::Integration> core_;
  std::vector<Held> held_;
  bool flush_posted_ = false;
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
