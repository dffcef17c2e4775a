// Simulated network throughput: messages (requests and responses) delivered per second of wall
// time, closed-loop clients against one echo server, with faults off and with a heavy mix on
// (drop, duplicate, reorder, delay spikes, 5xx, 429, ambiguous commits, slow and truncated
// responses). Prints both, the ratio, and the network's per-kind fault counts.
//
// Each client sends its next request as soon as the previous one has its result, so the event
// queue holds a steady population and every message goes through the whole path: latency draw,
// fault rules, scheduler, interceptor-free front door, endpoint, response, result.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "sim/network.h"
#include "sim/node_ports.h"
#include "sim/simulation.h"

namespace {

using intsim::core::HttpRequest;
using intsim::core::HttpResponse;
using intsim::core::HttpResult;
using intsim::core::kUsPerSec;
using intsim::core::RequestId;
using intsim::core::TimeUs;
namespace sim = intsim::sim;

class Echo final : public sim::HttpEndpoint {
 public:
  explicit Echo(sim::Network& net) : net_(net) {
    reply_.status = 200;
    reply_.headers = {{"Content-Type", "application/json"}};
    reply_.body = std::string(300, 'r');
  }
  void on_request(sim::ExchangeId x, const HttpRequest&, TimeUs) override {
    net_.respond(x, reply_);
  }

 private:
  sim::Network& net_;
  HttpResponse reply_;
};

class Client final : public intsim::core::HttpResultSink {
 public:
  Client(sim::Network& net, sim::NodeId node) : net_(net), http_(net, node, this), node_(node) {
    request_.method = "POST";
    request_.target = "/v1/payment_intents";
    request_.headers = {{"Idempotency-Key", "k-0123456789"}, {"Content-Type", "application/json"}};
    request_.body = std::string(200, 'q');
  }
  void send() {
    http_.send(++next_id_, "server", request_, net_.node_now_us(node_) + 2 * kUsPerSec);
  }
  void on_http_result(RequestId, HttpResult, TimeUs) override {
    ++results;
    send();
  }
  std::uint64_t results = 0;

 private:
  sim::Network& net_;
  sim::NodeHttpClient http_;
  sim::NodeId node_;
  HttpRequest request_;
  RequestId next_id_ = 0;
};

struct Outcome {
  double messages_per_sec = 0;
  double results_per_sec = 0;
  std::uint64_t messages = 0;
  sim::FaultCounts faults;
};

constexpr std::string_view kFaultMix = R"({"faults":[
  {"kind":"latency","dist":"lognormal","median_ms":20,"sigma":0.6},
  {"kind":"drop","probability":0.02},
  {"kind":"duplicate","probability":0.05},
  {"kind":"reorder","probability":0.1,"window_ms":200},
  {"kind":"delay_spike","probability":0.01,"extra_ms":500,"extra_ms_max":3000},
  {"kind":"http_503","peer":"server","probability":0.02},
  {"kind":"http_429","peer":"server","probability":0.02,"retry_after_s":1},
  {"kind":"ambiguous_commit","peer":"server","probability":0.01},
  {"kind":"slow_response","peer":"server","probability":0.01,"extra_ms":100},
  {"kind":"truncated_body","peer":"server","probability":0.01}]})";

Outcome run(bool faults, int clients, TimeUs simulated_us) {
  sim::Simulation simulation(1);
  sim::Network net(simulation);
  const sim::NodeId server = net.add_node("server");
  Echo echo(net);
  net.set_endpoint(server, &echo);
  std::vector<std::unique_ptr<Client>> cs;
  for (int i = 0; i < clients; ++i)
    cs.push_back(std::make_unique<Client>(net, net.add_node(fmt::format("client{}", i))));
  if (faults) {
    sim::FaultPlan plan;
    if (!sim::parse_fault_plan_text(kFaultMix, &plan) || !net.apply(plan)) {
      fmt::print(stderr, "network_bench: bad fault plan\n");
      std::exit(4);
    }
  }
  for (auto& c : cs) c->send();
  const auto start = std::chrono::steady_clock::now();
  simulation.run_until(simulation.now_us() + simulated_us, ~std::uint64_t{0});
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Outcome o;
  o.messages = net.stats().messages_arrived;
  o.messages_per_sec = static_cast<double>(o.messages) / secs;
  std::uint64_t results = 0;
  for (auto& c : cs) results += c->results;
  o.results_per_sec = static_cast<double>(results) / secs;
  o.faults = net.fault_counts();
  return o;
}

}  // namespace

int main() {
  fmt::print("simulated network throughput (messages delivered per wall-clock second)\n");
  fmt::print("{:>8} {:>16} {:>16} {:>8} {:>14}\n", "clients", "faults off M/s", "faults on M/s",
             "on/off", "results on M/s");
  Outcome last_on;
  for (int clients : {8, 64, 512}) {
    const TimeUs simulated = (clients >= 512 ? 120 : 600) * kUsPerSec;
    run(false, clients, 10 * kUsPerSec);  // warm up
    const Outcome off = run(false, clients, simulated);
    const Outcome on = run(true, clients, simulated);
    fmt::print("{:>8} {:>16.3f} {:>16.3f} {:>7.2f}x {:>14.3f}\n", clients,
               off.messages_per_sec / 1e6, on.messages_per_sec / 1e6,
               on.messages_per_sec / off.messages_per_sec, on.results_per_sec / 1e6);
    last_on = on;
  }
  fmt::print("faults injected in the last faults-on run ({} messages):", last_on.messages);
  for (std::size_t k = 0; k < sim::kFaultKindCount; ++k) {
    if (last_on.faults.by_kind[k] == 0) continue;
    fmt::print(" {}={}", sim::fault_kind_name(static_cast<sim::FaultKind>(k)),
               last_on.faults.by_kind[k]);
  }
  fmt::print("\n");
  return 0;
}
