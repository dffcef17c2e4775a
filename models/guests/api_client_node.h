// What the simulated users of the core's API share (guests booking, members subscribing): a node
// of their own whose requests go to the core node, one event kind whose argument packs an action
// and an attempt index, the requests in flight by id, and a Poisson stream of arrivals. A
// subclass says what an arrival does, what its other actions do and what each answer means.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "sim/network.h"
#include "sim/node_ports.h"

namespace intsim::models::guests {

class ApiClientNode : public sim::Handler, public core::HttpResultSink {
 public:
  // Starts arrivals now; they go on until stop_arrivals(). Retries and planned actions go on
  // after.
  void start();
  void stop_arrivals();
  sim::NodeId node() const { return ports_.node; }

  void on_event(const sim::Event& event) final;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) final;

 protected:
  // Action 0 is an arrival; a subclass numbers its own actions 1 to 3.
  static constexpr std::uint64_t kArrive = 0;

  // Adds the node `name` (and its random stream `name`); requests go to the node `core_node`,
  // which must exist. `arrivals_per_day` <= 0: nobody arrives.
  ApiClientNode(sim::Network& network, const std::string& name, const std::string& core_node,
                double arrivals_per_day);

  // Someone arrives (draws from rng_ come before the next arrival's delay is drawn).
  virtual void arrive() = 0;
  // A delayed action (later()) is due.
  virtual void act(std::uint64_t action, std::size_t index) = 0;
  // The answer (or failure) of a request sent for (index, action).
  virtual void on_answer(std::size_t index, std::uint64_t action,
                         const core::HttpResult& result) = 0;

  void later(core::TimeUs delay_us, std::uint64_t action, std::size_t index);
  void send(core::HttpRequest request, std::size_t index, std::uint64_t action,
            core::TimeUs timeout_us);
  std::size_t requests_in_flight() const { return in_flight_.size(); }
  core::TimeUs now_us() const { return network_.node_now_us(ports_.node); }

  sim::Network& network_;
  sim::NodePorts ports_;
  sim::Rng rng_;

 private:
  static std::uint64_t arg(std::uint64_t action, std::uint64_t index) {
    return (index << 2) | action;
  }
  void schedule_next_arrival();

  double arrivals_per_day_;
  std::uint16_t kind_ = 0;
  bool arriving_ = false;
  sim::EventId next_arrival_;
  // Requests in flight: request id -> (attempt index, action).
  std::map<core::RequestId, std::pair<std::size_t, std::uint64_t>> in_flight_;
  core::RequestId next_request_id_ = 1;
};

// A client's retry delay: `base_us` doubled after each failed attempt (attempts >= 1), with the
// doubling capped at 2^9.
core::TimeUs retry_backoff_us(core::TimeUs base_us, int attempts);

}  // namespace intsim::models::guests
