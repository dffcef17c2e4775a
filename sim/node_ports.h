// The core's ports for one simulated node: a skewed clock, timers, an HTTP client over the
// simulated network, and a random stream. The core (and every peer model that sends HTTP, such
// as Stripe delivering webhooks) uses these exactly as it would use the real ones.
//
//   sim::NodePorts ports(network, network.add_node("core"), sim.rng("node.core"));
//   ports.timers.set_sink(&core);  ports.http.set_sink(&core);
//   core::Ports p = ports.ports(&store);
//
// After a crash the harness builds a new core object and points the sinks at it before
// Network::restart runs recovery (NodeProcess::recover is the natural place).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "sim/network.h"
#include "sim/rng.h"
#include "src/core/ports.h"

namespace intsim::sim {

// The node's view of time: virtual time with the node's clock skew.
class NodeClock final : public core::Clock {
 public:
  NodeClock(Network& network, NodeId node) : network_(network), node_(node) {}
  core::TimeUs now_us() const override { return network_.node_now_us(node_); }

 private:
  Network& network_;
  NodeId node_;
};

// Timers that fire on the node's clock; a crash of the node disarms them all.
class NodeTimers final : public core::Timers {
 public:
  NodeTimers(Network& network, NodeId node, core::TimerSink* sink = nullptr)
      : network_(network), node_(node), sink_(sink) {}
  void set_sink(core::TimerSink* sink) { sink_ = sink; }
  void arm(core::TimerId id, core::TimeUs at_us) override;
  void disarm(core::TimerId id) override { network_.disarm_timer(node_, id); }

 private:
  Network& network_;
  NodeId node_;
  core::TimerSink* sink_;
};

// core::HttpClient over the simulated network. The logical peer name ("stripe") is the name of
// a node unless an alias maps it to another one. Deadlines are on the node's clock.
class NodeHttpClient final : public core::HttpClient {
 public:
  NodeHttpClient(Network& network, NodeId node, core::HttpResultSink* sink = nullptr)
      : network_(network), node_(node), sink_(sink) {}
  void set_sink(core::HttpResultSink* sink) { sink_ = sink; }
  // Requests to `peer` go to `node`.
  void alias(std::string peer, NodeId node) { aliases_[std::move(peer)] = node; }
  // Carried to interceptors with every request (0 by default).
  void set_tag(std::uint64_t tag) { tag_ = tag; }

  void send(core::RequestId id, std::string_view peer, core::HttpRequest request,
            core::TimeUs deadline_us) override;

 private:
  Network& network_;
  NodeId node_;
  core::HttpResultSink* sink_;
  std::map<std::string, NodeId, std::less<>> aliases_;
  std::uint64_t tag_ = 0;
};

// Everything one node needs, in one place.
struct NodePorts {
  NodePorts(Network& network, NodeId node, Rng random_stream)
      : node(node),
        clock(network, node),
        timers(network, node),
        http(network, node),
        random(random_stream) {}

  // The core's Ports with this node's clock, random, timers and HTTP client, and `store`.
  core::Ports ports(core::Store* store = nullptr) {
    core::Ports p;
    p.clock = &clock;
    p.random = &random;
    p.timers = &timers;
    p.http = &http;
    p.store = store;
    return p;
  }

  NodeId node;
  NodeClock clock;
  NodeTimers timers;
  NodeHttpClient http;
  Rng random;
};

}  // namespace intsim::sim
