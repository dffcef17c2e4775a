// Test fixtures for the network: an echo server, a result recorder and a two-node world.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/network.h"
#include "sim/node_ports.h"
#include "sim/simulation.h"

namespace intsim::sim::testing {

// Answers every request with 200 "echo:<body>", now or after `delay_us` (kernel time).
class EchoServer final : public HttpEndpoint, public Handler {
 public:
  EchoServer(Simulation& sim, Network& net) : sim_(sim), net_(net) {
    kind_ = sim.register_kind("test.respond", this);
  }
  void on_request(ExchangeId x, const core::HttpRequest& request, core::TimeUs) override {
    ++arrivals[request.body];
    arrival_times_us.push_back(sim_.now_us());
    arrival_order.push_back(request.body);
    if (!answer) return;
    if (delay_us == 0) {
      net_.respond(x, reply(request));
      return;
    }
    pending_.push_back({x, reply(request)});
    sim_.after(delay_us, kind_, 0, pending_.size() - 1);
  }
  void on_event(const Event& ev) override {
    responded.push_back(net_.respond(pending_[ev.arg].first, pending_[ev.arg].second));
  }
  static core::HttpResponse reply(const core::HttpRequest& request) {
    return core::HttpResponse{200, {{"Content-Type", "text/plain"}}, "echo:" + request.body};
  }

  bool answer = true;
  core::TimeUs delay_us = 0;
  std::map<std::string, int> arrivals;
  std::vector<std::string> arrival_order;
  std::vector<core::TimeUs> arrival_times_us;
  std::vector<bool> responded;

 private:
  Simulation& sim_;
  Network& net_;
  std::uint16_t kind_;
  std::vector<std::pair<ExchangeId, core::HttpResponse>> pending_;
};

class Recorder final : public core::HttpResultSink {
 public:
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override {
    results[id].push_back(std::move(result));
    at_us[id] = now_us;
  }
  std::map<core::RequestId, std::vector<core::HttpResult>> results;
  std::map<core::RequestId, core::TimeUs> at_us;
};

// A client node and a server node ("client", "server") with a constant 10 ms latency.
struct World {
  explicit World(std::uint64_t seed = 1, Trace::Mode mode = Trace::Mode::kHashOnly,
                 NetworkConfig config = {LatencyDist{LatencyDist::Shape::kConstant, 10, 0}})
      : sim(seed, mode),
        net(sim, config),
        client(net.add_node("client")),
        server(net.add_node("server")),
        echo(sim, net),
        http(net, client, &recorder) {
    net.set_endpoint(server, &echo);
  }
  // Sends request `id` with body "r<id>" and a deadline `deadline_ms` after now.
  void send(core::RequestId id, core::TimeUs deadline_ms = 1000,
            std::string target = "/v1/things") {
    http.send(id, "server",
              core::HttpRequest{"POST", std::move(target), {}, "r" + std::to_string(id)},
              net.node_now_us(client) + deadline_ms * core::kUsPerMs);
  }
  core::Status apply(std::string_view plan_json) {
    FaultPlan plan;
    if (core::Status s = parse_fault_plan_text(plan_json, &plan); !s) return s;
    return net.apply(plan);
  }
  void run_for_ms(core::TimeUs ms) {
    sim.run_until(sim.now_us() + ms * core::kUsPerMs, 10'000'000);
  }
  core::TimeUs since_start_ms() const { return (sim.now_us() - kEpochUs) / core::kUsPerMs; }

  Simulation sim;
  Network net;
  NodeId client, server;
  EchoServer echo;
  Recorder recorder;
  NodeHttpClient http;
};

}  // namespace intsim::sim::testing
