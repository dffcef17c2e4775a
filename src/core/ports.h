// The ports of the integration core: everything it needs from the world, as small interfaces
// it owns (LevelDB's Env, in spirit). The simulator implements them with virtual time, seeded
// streams, a simulated network and a crashable store; src/server implements them with the real
// clock, Asio/Beast and SQLite. The core cannot tell which world it is in.
//
// Direction of calls: the core calls a port to ask for something (send this request, wake me at
// t, commit this batch); the driver later calls the core back (on_http_result, on_timer) on the
// same single thread. No port call blocks or calls back into the core re-entrantly.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/http.h"
#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core {

// ---- Time ---------------------------------------------------------------------------------

class Clock {
 public:
  virtual ~Clock() = default;
  // The node's view of now (in simulation it may be skewed from the kernel's virtual time).
  virtual TimeUs now_us() const = 0;
};

using TimerId = std::uint64_t;

class Timers {
 public:
  virtual ~Timers() = default;
  // Wake the core with TimerSink::on_timer(id) at at_us (or as soon after as the driver can).
  // Arming an id that is armed moves it.
  virtual void arm(TimerId id, TimeUs at_us) = 0;
  virtual void disarm(TimerId id) = 0;
};

class TimerSink {
 public:
  virtual ~TimerSink() = default;
  virtual void on_timer(TimerId id, TimeUs now_us) = 0;
};

// ---- Randomness ---------------------------------------------------------------------------

class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint64_t next_u64() = 0;
};

// ---- HTTP out -----------------------------------------------------------------------------

using RequestId = std::uint64_t;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` to the logical peer `peer` ("stripe", "whatsapp", "ota.airbnb"). Exactly one
  // HttpResultSink::on_http_result(id, ...) follows: a response, or kTimeout at deadline_us at
  // the latest, or kConnectionFailed, or kMalformedResponse.
  virtual void send(RequestId id, std::string_view peer, HttpRequest request,
                    TimeUs deadline_us) = 0;
};

class HttpResultSink {
 public:
  virtual ~HttpResultSink() = default;
  virtual void on_http_result(RequestId id, HttpResult result, TimeUs now_us) = 0;
};

// ---- Durable store ------------------------------------------------------------------------

// A set of writes that commit atomically: all of them or none (a crash before commit loses the
// whole batch, a crash after keeps all of it). Tables are plain names ("inbox", "outbox").
struct Alert {
  TimeUs at_us = 0;
  std::string kind;     // "dlq", "dispute", "unresolved_conflict", "circuit_open"
  std::string subject;  // what it is about: a job id, a booking id
  std::string message;  // for a human
};

class WriteBatch {
 public:
  struct Op {
    std::string table;
    std::string key;
    std::optional<std::string> value;  // nullopt: erase
  };
  void put(std::string_view table, std::string_view key, std::string_view value) {
    ops_.push_back({std::string(table), std::string(key), std::string(value)});
  }
  void erase(std::string_view table, std::string_view key) {
    ops_.push_back({std::string(table), std::string(key), std::nullopt});
  }
  // An alert about a change this batch makes: raised once the batch has committed and never if
  // it fails, so a human hears neither of a change that did not happen nor twice of one whose
  // failed commit is made again. Stores ignore it; core::AlertingStore raises it.
  void alert(Alert alert) { alerts_.push_back(std::move(alert)); }
  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Alert>& alerts() const { return alerts_; }
  bool empty() const { return ops_.empty() && alerts_.empty(); }
  void clear() {
    ops_.clear();
    alerts_.clear();
  }

 private:
  std::vector<Op> ops_;
  std::vector<Alert> alerts_;
};

// An ordered key-value store with atomic batches: small enough that SQLite (one table
// `kv(tbl, key, value)`) and the simulator's crashable store both implement it directly.
class Store {
 public:
  virtual ~Store() = default;
  // kNotFound when absent; kIoError when the store failed.
  virtual Status get(std::string_view table, std::string_view key, std::string* value) = 0;
  // Visits the rows of `table` whose key starts with `prefix`, in key order, until `visit`
  // answers false.
  virtual Status scan(
      std::string_view table, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) = 0;
  // All of the batch or none of it; on error nothing was written.
  virtual Status commit(const WriteBatch& batch) = 0;
};

// ---- Observability ------------------------------------------------------------------------

enum class LogLevel { kDebug, kInfo, kWarn, kError };

struct LogField {
  std::string_view key;
  std::string value;
};

// Structured log events: a stable event name plus fields. Secrets never go in a field.
class Log {
 public:
  virtual ~Log() = default;
  virtual void write(TimeUs at_us, LogLevel level, std::string_view event,
                     std::initializer_list<LogField> fields) = 0;
};

// Counters and latency histograms keyed by (name, peer, outcome).
class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual void count(std::string_view name, std::string_view peer, std::string_view outcome,
                     std::int64_t delta = 1) = 0;
  virtual void observe_us(std::string_view name, std::string_view peer, std::string_view outcome,
                          TimeUs value_us) = 0;
};

class Alerts {
 public:
  virtual ~Alerts() = default;
  virtual void raise(const Alert& alert) = 0;
};

// Everything a core component may use, handed over at construction. Pointers, not references,
// so a test can leave out what a component does not touch (asserted on use).
struct Ports {
  Clock* clock = nullptr;
  Random* random = nullptr;
  Timers* timers = nullptr;
  HttpClient* http = nullptr;
  Store* store = nullptr;
  Log* log = nullptr;
  Metrics* metrics = nullptr;
  Alerts* alerts = nullptr;
};

}  // namespace intsim::core
