// Binds the sans-I/O Stripe model (models/stripe) to the simulated network: it serves the API
// on its node, wakes the model for asynchronous changes (3-D Secure, settlement, disputes,
// renewals, key pruning), and delivers the model's signed events to the core's webhook
// endpoint, reporting each attempt's outcome back so Stripe's retry schedule runs.
//
// A response is released no earlier than the model says the request completes, and not before
// an event chosen to overtake it has been attempted once (DESIGN.md: "events that arrive
// before the API response that caused them").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/stripe/stripe_model.h"
#include "models/stripe/webhook_delivery.h"
#include "sim/network.h"
#include "sim/node_ports.h"

namespace intsim::models::drivers {

class StripeNode final : public sim::HttpEndpoint,
                         public sim::Handler,
                         public core::HttpResultSink {
 public:
  // Adds the node `name` to the network; events go to the node named `core_node`.
  StripeNode(sim::Network& network, stripe::StripeConfig config,
             stripe::WebhookDeliveryConfig delivery, std::string name = "stripe",
             std::string core_node = "core");

  sim::NodeId node() const { return ports_.node; }
  const stripe::StripeModel& model() const { return model_; }
  const stripe::WebhookDelivery& delivery() const { return delivery_; }
  // Deliveries waiting for their result, and events not yet delivered or given up: the
  // liveness phase waits for both to drain.
  std::size_t deliveries_in_flight() const { return in_flight_.size(); }
  bool idle() const;

  void on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                  core::TimeUs now_us) override;
  void on_event(const sim::Event& event) override;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override;

 private:
  struct Held {
    sim::ExchangeId exchange = 0;
    core::HttpResponse response;
    std::string request_id;
    core::TimeUs not_before_us = 0;  // node time
  };

  // The model's clock: the node's clock, which may be skewed, but never going backwards (a
  // skew that ends steps the node's clock back; Stripe's own time does not rewind).
  core::TimeUs now_us();
  // Moves new events into delivery, sends what is due, releases responses, re-arms the wakeup.
  void settle(core::TimeUs now_us);
  void release_held(core::TimeUs now_us);
  void arm_wakeup(core::TimeUs node_at_us);

  sim::Network& network_;
  sim::NodePorts ports_;
  stripe::StripeModel model_;
  stripe::WebhookDelivery delivery_;
  std::uint16_t wake_kind_ = 0;
  sim::EventId wake_event_;
  core::TimeUs wake_at_us_ = 0;
  core::TimeUs model_now_us_ = 0;
  std::map<std::uint64_t, Held> held_;  // by arrival order
  std::uint64_t next_held_ = 0;
  std::map<core::RequestId, std::uint64_t> in_flight_;  // request id -> delivery id
  core::RequestId next_request_id_ = 1;
};

}  // namespace intsim::models::drivers
