#include "models/guests/api_client_node.h"

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::models::guests {

ApiClientNode::ApiClientNode(sim::Network& network, const std::string& name,
                             const std::string& core_node, double arrivals_per_day)
    : network_(network),
      ports_(network, network.add_node(name), network.simulation().rng("node." + name)),
      rng_(network.simulation().rng(name)),
      arrivals_per_day_(arrivals_per_day) {
  ports_.http.set_sink(this);
  const auto core = network_.find_node(core_node);
  INTSIM_ASSERT_MSG(core.has_value(), "the core node must exist before its API clients");
  ports_.http.alias("core", *core);
  kind_ = network_.simulation().register_kind(name + ".act", this);
}

void ApiClientNode::start() {
  arriving_ = true;
  schedule_next_arrival();
}

void ApiClientNode::stop_arrivals() {
  arriving_ = false;
  if (next_arrival_.valid()) network_.simulation().cancel(next_arrival_);
  next_arrival_ = {};
}

void ApiClientNode::schedule_next_arrival() {
  if (!arriving_ || arrivals_per_day_ <= 0) return;
  const double mean_us = static_cast<double>(core::kUsPerDay) / arrivals_per_day_;
  const auto delay_us = static_cast<core::TimeUs>(rng_.exponential(mean_us)) + 1;
  next_arrival_ = network_.simulation().after(delay_us, kind_, network_.node_actor(ports_.node),
                                              arg(kArrive, 0));
}

void ApiClientNode::later(core::TimeUs delay_us, std::uint64_t action, std::size_t index) {
  INTSIM_ASSERT(action >= 1 && action <= 3);
  network_.simulation().after(delay_us, kind_, network_.node_actor(ports_.node),
                              arg(action, index));
}

void ApiClientNode::send(core::HttpRequest request, std::size_t index, std::uint64_t action,
                         core::TimeUs timeout_us) {
  const core::RequestId id = next_request_id_++;
  in_flight_.emplace(id, std::make_pair(index, action));
  ports_.http.send(id, "core", std::move(request), now_us() + timeout_us);
}

void ApiClientNode::on_event(const sim::Event& event) {
  const std::uint64_t action = event.arg & 3;
  const std::size_t index = event.arg >> 2;
  if (action != kArrive) return act(action, index);
  next_arrival_ = {};
  arrive();
  schedule_next_arrival();
}

void ApiClientNode::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs) {
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const auto [index, action] = it->second;
  in_flight_.erase(it);
  on_answer(index, action, result);
}

core::TimeUs retry_backoff_us(core::TimeUs base_us, int attempts) {
  INTSIM_ASSERT(attempts >= 1);
  return base_us << (std::min(attempts, 10) - 1);
}

}  // namespace intsim::models::guests
