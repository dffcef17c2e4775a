// The simulated network: nodes that exchange HTTP requests and responses over links with
// latency, and the fault injector of DESIGN.md section 3 (network, HTTP and process layers).
//
// A node is a kernel actor with a name ("core", "stripe", "ota.airbnb", "attacker"). A node can
// serve HTTP (an HttpEndpoint: on_request, then Network::respond now or later) and send HTTP
// (Network::send, usually through sim::NodeHttpClient, which implements core::HttpClient). Every
// send gets exactly one result at its sink: a response, kTimeout at the deadline,
// kConnectionFailed (partition or peer down when it was sent), or kMalformedResponse (a
// truncated body). A response that arrives after the deadline is dropped and counted as late.
//
// The life of a request:
//   send --(link from->to: partition? drop? latency, spike, clog, reorder, duplicate)--> arrival
//   arrival at the peer: interceptor (the attacker) -> front door (HTTP faults: 5xx, 429,
//   request timeout) -> the endpoint; its respond() -> response faults (ambiguous commit, slow,
//   truncated, garbled) --(link to->from, same network faults)--> the client's sink.
//
// Crashes: crash(node) bumps the node's incarnation. Its timers, its pending calls (and the
// responses and deadlines they wait for) and the requests it was serving are gone; requests in
// flight to it are lost on arrival; requests it already sent still reach their peers. Its
// attached store drops uncommitted transactions, its NodeProcess drops volatile state, and
// restart() runs NodeProcess::recover.
//
// Every injected fault is counted per kind (fault_counts()) and noted in the trace as
// "fault.<kind>" with the link or node in the detail.
//
// Hot path: events carry a handle into slot pools (no std::function, no allocation per message
// once the pools are warm beyond the HTTP strings themselves). Randomness: one stream per
// directed link and per serving node, children of the "net" stream, so traffic on one link does
// not shift the draws of another.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/crashable_store.h"
#include "sim/faults.h"
#include "sim/rng.h"
#include "sim/simulation.h"
#include "sim/slot_pool.h"
#include "src/core/http.h"
#include "src/core/ports.h"

namespace intsim::sim {

using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = ~NodeId{0};
// One delivery of a request to a serving node; the endpoint answers it with respond().
using ExchangeId = std::uint64_t;

class HttpEndpoint {
 public:
  virtual ~HttpEndpoint() = default;
  // A request arrived. Answer with Network::respond(exchange, ...), now or later, at most once.
  // `now_us` is the node's own (possibly skewed) clock. `request` stays valid during the call.
  virtual void on_request(ExchangeId exchange, const core::HttpRequest& request,
                          core::TimeUs now_us) = 0;
};

// The software running on a node, as far as crashes are concerned.
class NodeProcess {
 public:
  virtual ~NodeProcess() = default;
  // The process died: drop every piece of volatile state (and never touch it again).
  virtual void crash() = 0;
  // The node is up again: rebuild from the store, re-arm timers. `now_us` is the node's clock.
  virtual void recover(core::TimeUs now_us) = 0;
};

// What the network knows about one delivery of a request.
struct DeliveryInfo {
  std::uint64_t delivery_id = 0;  // unique per arrival at a serving node (duplicates too)
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  std::uint64_t tag = 0;   // the sender's tag (Outgoing::tag)
  std::uint32_t copy = 0;  // 0 for the first arrival of a send, 1 for a network duplicate
  Time sent_at_us = 0;     // kernel time of the send
  Time arrived_at_us = 0;  // kernel time of the arrival
};

// Sees every request arriving at one node before its front door (the attacker on the path).
class RequestInterceptor {
 public:
  enum class Verdict {
    kDeliver,  // let it through
    kSwallow,  // it never arrives (the sender times out)
  };
  // What became of a delivery: answered by the endpoint, answered by an injected HTTP fault,
  // or left unanswered (swallowed, request_timeout).
  struct Outcome {
    bool reached_endpoint = false;
    FaultKind fault = FaultKind::kCount;           // the HTTP fault that hit it, if any
    const core::HttpResponse* response = nullptr;  // null when nothing answered
  };
  virtual ~RequestInterceptor() = default;
  virtual Verdict on_request(const DeliveryInfo& info, const core::HttpRequest& request) = 0;
  virtual void on_outcome(const DeliveryInfo& info, const Outcome& outcome) = 0;
};

// Watches message-level facts for a sequence diagram (reports/replay.h). It only reads: it
// must not send, arm timers or draw randomness, so a run with an observer is the same run.
class NetworkObserver {
 public:
  virtual ~NetworkObserver() = default;
  // A copy of a request reached its server (before the interceptor and the HTTP faults).
  virtual void on_request_arrival(const DeliveryInfo& info, const core::HttpRequest& request) = 0;
  // A send's one result reached its client: a response, or why there is none.
  virtual void on_result(NodeId client, NodeId server, const core::HttpRequest& request,
                         const core::HttpResult& result) = 0;
};

// The envelope of one send.
struct Outgoing {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  core::RequestId request_id = 0;
  core::HttpResultSink* sink = nullptr;  // may be null when nobody waits for the result
  Time deadline_us = 0;                  // kernel time, after now
  std::uint64_t tag = 0;                 // carried to interceptors (0: ordinary traffic)
};

struct NetworkStats {
  std::uint64_t requests_sent = 0;         // send() calls
  std::uint64_t messages_sent = 0;         // transmissions scheduled, duplicates included
  std::uint64_t messages_arrived = 0;      // arrivals at a live node of the right incarnation
  std::uint64_t requests_delivered = 0;    // requests handed to an endpoint
  std::uint64_t responses_delivered = 0;   // results carrying a response
  std::uint64_t timeouts = 0;              // results kTimeout
  std::uint64_t connection_failures = 0;   // results kConnectionFailed
  std::uint64_t malformed = 0;             // results kMalformedResponse
  std::uint64_t late_responses = 0;        // arrived after the call had timed out
  std::uint64_t duplicate_responses = 0;   // a second response to an answered call
  std::uint64_t lost_to_crash = 0;         // arrived at a node that is down or was restarted
  std::uint64_t blocked_by_partition = 0;  // messages a partition stopped
  std::uint64_t held_by_clog = 0;          // messages a clog held back
};

struct NetworkConfig {
  // Latency of a link with no "latency" rule.
  LatencyDist default_latency{LatencyDist::Shape::kLognormal, 20.0, 0.5};
};

class Network final : public Handler, public StoreFaultSource {
 public:
  explicit Network(Simulation& sim, NetworkConfig config = {});
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  Simulation& simulation() { return sim_; }
  // Plan times are relative to this: the kernel time when the network was made.
  Time start_us() const { return start_us_; }

  // ---- Nodes ----------------------------------------------------------------------------
  NodeId add_node(std::string name);
  std::optional<NodeId> find_node(std::string_view name) const;
  const std::string& node_name(NodeId node) const;
  std::uint32_t node_actor(NodeId node) const;
  std::size_t node_count() const { return nodes_.size(); }
  std::vector<std::string> node_names() const;

  void set_endpoint(NodeId node, HttpEndpoint* endpoint);
  void set_process(NodeId node, NodeProcess* process);
  // The store crashes and restarts with the node, and gets the node's store_failure faults.
  void attach_store(NodeId node, CrashableStore* store);
  // Sees every request arriving at `node` (one interceptor per node; null removes it).
  void set_interceptor(NodeId node, RequestInterceptor* interceptor);
  // One observer for the whole network; null removes it.
  void set_observer(NetworkObserver* observer) { observer_ = observer; }

  // ---- HTTP -----------------------------------------------------------------------------
  void send(const Outgoing& out, core::HttpRequest request);
  // Answers an exchange. False (and nothing sent) when the exchange is gone: its node crashed
  // since the request arrived. Answering twice is a bug.
  bool respond(ExchangeId exchange, core::HttpResponse response);
  // The delivery behind a live exchange (nullptr once answered or gone).
  const DeliveryInfo* exchange_info(ExchangeId exchange) const;

  // ---- Clocks ---------------------------------------------------------------------------
  // The node's view of now: virtual time plus its offset and drift.
  Time node_now_us(NodeId node) const;
  // The earliest kernel time at which the node's clock reads at least node_time_us.
  Time kernel_time_for(NodeId node, Time node_time_us) const;
  void set_clock_skew(NodeId node, Time offset_us, double drift_ppm);

  // ---- Timers (NodeTimers forwards here) ------------------------------------------------
  // Wakes sink->on_timer(id, node now) when the node's clock reaches node_at_us. Re-arming an
  // armed id moves it. A crash disarms everything the node had armed.
  void arm_timer(NodeId node, core::TimerSink* sink, core::TimerId id, Time node_at_us);
  void disarm_timer(NodeId node, core::TimerId id);
  std::size_t armed_timers(NodeId node) const;

  // ---- Crashes --------------------------------------------------------------------------
  // Crashes the node now (a no-op if it is down); restarts it after `restart_after_us` unless
  // that is negative (then only restart() brings it back).
  void crash(NodeId node, Time restart_after_us = -1);
  void restart(NodeId node);
  bool is_up(NodeId node) const;
  std::uint32_t incarnation(NodeId node) const;

  // ---- Faults ---------------------------------------------------------------------------
  // Installs a plan (already resolved: no swarm left). Node names must all be known; windows,
  // crashes and skews are scheduled relative to start_us(). Replaces any previous plan.
  core::Status apply(const FaultPlan& plan);
  const FaultPlan& plan() const { return plan_; }
  // Turns every fault off for the rest of the run (the liveness phase): no new drops,
  // partitions, HTTP faults, crashes, store failures or attacks; clock skews reset; nodes that
  // are down come back (at their scheduled restart, or now). Latency rules stay.
  void heal_all();
  bool healed() const { return healed_; }
  // True when `spec` is in force now for a request from -> to whose target is `target`
  // (link, window, path prefix; never after heal_all). For the attacker's security specs.
  bool spec_applies(const FaultSpec& spec, NodeId from, NodeId to, std::string_view target) const;
  // Counts a fault and notes it in the trace ("fault.<kind>", detail). For faults injected
  // outside the network (the attacker).
  void record_fault(FaultKind kind, NodeId node, std::uint64_t arg, std::string_view detail);
  const FaultCounts& fault_counts() const { return counts_; }
  const NetworkStats& stats() const { return stats_; }

  // StoreFaultSource.
  bool commit_fails(std::uint32_t node) override;

  // Handler.
  void on_event(const Event& event) override;

  // Live slots, for tests that check nothing leaks.
  std::size_t live_calls() const { return calls_.live(); }
  std::size_t live_exchanges() const { return exchanges_.live(); }

 private:
  using Handle = std::uint64_t;

  struct Node {
    std::string name;
    std::uint32_t actor = 0;
    bool up = true;
    std::uint32_t incarnation = 0;
    HttpEndpoint* endpoint = nullptr;
    NodeProcess* process = nullptr;
    CrashableStore* store = nullptr;
    RequestInterceptor* interceptor = nullptr;
    Time skew_offset_us = 0;
    std::int64_t drift_ppb = 0;  // parts per billion
    Time skew_since_us = 0;
    std::unordered_map<core::TimerId, Handle> timers;  // looked up only, never iterated for order
    EventId restart_event;
    Rng http_rng{0};                        // HTTP faults at this node's front door
    Rng store_rng{0};                       // store_failure draws
    std::vector<std::uint16_t> http_rules;  // plan indexes of HTTP specs for this server
  };
  struct Link {
    Rng rng{0};
    Time last_arrival_us = 0;          // FIFO of the base latency
    std::vector<std::uint16_t> rules;  // plan indexes of network specs on this link
  };
  struct Call {  // one send, until its result is delivered and nothing refers to it
    core::HttpRequest request;
    core::HttpResultSink* sink = nullptr;
    core::RequestId request_id = 0;
    NodeId from = kNoNode, to = kNoNode;
    std::uint32_t from_incarnation = 0, to_incarnation = 0;
    std::uint64_t tag = 0;
    Time sent_at_us = 0, deadline_us = 0;
    EventId deadline_event;
    std::uint32_t refs = 0;      // pending events and open exchanges that refer to it
    std::uint32_t arrivals = 0;  // copies that arrived at the server
    bool done = false;           // the sink has its result (or the sender crashed)
    bool timed_out = false;
  };
  enum class ResponseFault : std::uint8_t { kNone, kAmbiguous, kSlow, kTruncated, kGarbled };
  struct Exchange {  // one arrival at a server, until its response messages are all settled
    Handle call = 0;
    DeliveryInfo info;
    std::uint32_t server_incarnation = 0;
    std::uint32_t pending_messages = 0;
    ResponseFault fault = ResponseFault::kNone;
    FaultKind fault_kind = FaultKind::kCount;
    std::uint16_t spec = 0;  // the plan entry of a response fault (its parameters)
    bool open = true;        // not yet answered
    core::HttpResponse response;
  };
  struct Timer {
    NodeId node = kNoNode;
    std::uint32_t incarnation = 0;
    core::TimerId id = 0;
    core::TimerSink* sink = nullptr;
    Time node_at_us = 0;
    EventId event;
  };
  enum class Msg : std::uint8_t { kRequest, kResponse };

  Node& node(NodeId id);
  const Node& node(NodeId id) const;
  Link& link(NodeId from, NodeId to);
  NodeId node_of_actor(std::uint32_t actor) const;
  bool active(const FaultSpec& spec) const;  // window open now, not healed
  bool name_matches(const std::string& pattern, NodeId node) const;
  bool link_matches(const FaultSpec& spec, NodeId from, NodeId to) const;
  void rebuild_rules();
  bool partitioned(NodeId from, NodeId to);
  // Schedules the copies of one message; returns how many were scheduled (0: lost).
  std::uint32_t transmit(Msg msg, NodeId from, NodeId to, Handle handle, Time not_before_us);
  Time latency_us(Link& l, NodeId from, NodeId to);
  void fault(FaultKind kind, NodeId a, NodeId b, std::uint64_t arg);
  void count_fault(FaultKind kind, std::string_view place);
  void release_call(Handle h);
  void release_exchange(Handle h);
  void finish(Handle call_handle, core::HttpResult result);
  void on_request_arrival(const Event& ev);
  void on_response_arrival(const Event& ev);
  void on_deadline(const Event& ev);
  void on_connect_failure(const Event& ev);
  void on_timer_event(const Event& ev);
  void on_crash_event(const Event& ev);
  void on_window_event(const Event& ev);
  FaultKind draw_http_fault(Node& server, NodeId server_id, const core::HttpRequest& request);
  void schedule_random_crash(std::size_t spec_index, Time after_us);

  Simulation& sim_;
  NetworkConfig config_;
  Time start_us_;
  Rng net_rng_;
  Rng crash_rng_;
  std::vector<Node> nodes_;
  std::vector<NodeId> actor_to_node_;
  std::vector<Link> links_;  // nodes_.size() squared, row = from
  std::size_t links_side_ = 0;
  SlotPool<Call> calls_;
  SlotPool<Exchange> exchanges_;
  SlotPool<Timer> timers_;
  FaultPlan plan_;
  bool rules_dirty_ = true;
  bool healed_ = false;
  std::vector<EventId> plan_events_;  // windows and crashes, cancelled by heal_all
  std::uint16_t last_http_spec_ = 0;  // the plan entry draw_http_fault last fired
  std::uint64_t next_delivery_id_ = 1;
  FaultCounts counts_;
  NetworkStats stats_;
  std::string detail_;  // scratch for trace details
  NetworkObserver* observer_ = nullptr;

  std::uint16_t k_request_, k_response_, k_deadline_, k_connect_fail_, k_timer_, k_crash_,
      k_restart_, k_window_;
  std::uint16_t k_note_restart_, k_note_heal_, k_note_window_close_;
  std::array<std::uint16_t, kFaultKindCount> k_fault_{};
};

}  // namespace intsim::sim
