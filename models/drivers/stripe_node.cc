#include "models/drivers/stripe_node.h"

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::models::drivers {
namespace {
// How long the model waits for the core to answer a webhook (Stripe's own timeout is tens of
// seconds; a slow core is a failed delivery that is retried later).
constexpr core::TimeUs kDeliveryTimeoutUs = 20 * core::kUsPerSec;
}  // namespace

StripeNode::StripeNode(sim::Network& network, stripe::StripeConfig config,
                       stripe::WebhookDeliveryConfig delivery, std::string name,
                       std::string core_node)
    : network_(network),
      ports_(network, network.add_node(name), network.simulation().rng("node." + name)),
      model_(std::move(config), network.simulation().rng(name)),
      delivery_(std::move(delivery), network.simulation().rng(name + ".webhooks")) {
  network_.set_endpoint(ports_.node, this);
  ports_.http.set_sink(this);
  const auto core = network_.find_node(core_node);
  INTSIM_ASSERT_MSG(core.has_value(), "the core node must exist before the Stripe node");
  ports_.http.alias("core", *core);
  wake_kind_ = network_.simulation().register_kind(name + ".wake", this);
}

bool StripeNode::idle() const {
  return in_flight_.empty() && held_.empty() && delivery_.next_wakeup_us() == stripe::kNever;
}

core::TimeUs StripeNode::now_us() {
  model_now_us_ = std::max(model_now_us_, network_.node_now_us(ports_.node));
  return model_now_us_;
}

void StripeNode::on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                            core::TimeUs) {
  const core::TimeUs now_us = this->now_us();
  model_.advance(now_us);  // asynchronous changes due before this request happen first
  stripe::ApiResult r = model_.call(request, now_us);
  held_.emplace(next_held_++, Held{exchange, std::move(r.response), std::move(r.request_id),
                                   std::max(r.completes_at_us, now_us)});
  settle(now_us);
}

void StripeNode::on_event(const sim::Event&) {
  const core::TimeUs now = now_us();
  wake_event_ = {};
  model_.advance(now);
  settle(now);
}

void StripeNode::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs) {
  const core::TimeUs now_us = this->now_us();
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const std::uint64_t delivery_id = it->second;
  in_flight_.erase(it);
  delivery_.on_outcome(delivery_id, stripe::delivery_outcome(result), now_us);
  model_.advance(now_us);
  settle(now_us);
}

void StripeNode::settle(core::TimeUs now_us) {
  for (const stripe::Event& ev : model_.take_events()) delivery_.enqueue(ev, now_us);
  for (stripe::Delivery& d : delivery_.take_due(now_us)) {
    const core::RequestId id = next_request_id_++;
    in_flight_.emplace(id, d.delivery_id);
    ports_.http.send(id, "core", std::move(d.request), now_us + kDeliveryTimeoutUs);
  }
  release_held(now_us);
  core::TimeUs next = std::min(model_.next_wakeup_us(), delivery_.next_wakeup_us());
  for (const auto& [seq, h] : held_) {
    if (h.not_before_us > now_us) next = std::min(next, h.not_before_us);
  }
  arm_wakeup(next);
}

void StripeNode::release_held(core::TimeUs now_us) {
  for (auto it = held_.begin(); it != held_.end();) {
    const Held& h = it->second;
    if (h.not_before_us <= now_us && delivery_.response_may_go(h.request_id)) {
      network_.respond(h.exchange, h.response);  // false if the client's node crashed: fine
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

void StripeNode::arm_wakeup(core::TimeUs node_at_us) {
  if (node_at_us == stripe::kNever) {
    if (wake_event_.valid()) network_.simulation().cancel(wake_event_);
    wake_event_ = {};
    return;
  }
  if (wake_event_.valid() && wake_at_us_ == node_at_us) return;
  if (wake_event_.valid()) network_.simulation().cancel(wake_event_);
  sim::Simulation& sim = network_.simulation();
  const core::TimeUs kernel_at =
      std::max(network_.kernel_time_for(ports_.node, node_at_us), sim.now_us());
  wake_at_us_ = node_at_us;
  wake_event_ = sim.at(kernel_at, wake_kind_, network_.node_actor(ports_.node), 0);
}

}  // namespace intsim::models::drivers
