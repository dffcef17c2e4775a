#include "models/drivers/whatsapp_node.h"

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::models::drivers {
namespace {
// How long Meta waits for the core to answer a webhook before counting the attempt failed.
constexpr core::TimeUs kDeliveryTimeoutUs = 20 * core::kUsPerSec;
}  // namespace

WhatsAppNode::WhatsAppNode(sim::Network& network, whatsapp::WhatsAppConfig config,
                           whatsapp::WebhookQueueConfig webhooks, std::string name,
                           std::string core_node)
    : network_(network),
      ports_(network, network.add_node(name), network.simulation().rng("node." + name)),
      model_(std::move(config), network.simulation().rng(name)),
      queue_(webhooks, network.simulation().rng(name + ".webhooks")),
      verify_token_(webhooks.verify_token),
      webhook_path_(webhooks.path) {
  network_.set_endpoint(ports_.node, this);
  ports_.http.set_sink(this);
  const auto core = network_.find_node(core_node);
  INTSIM_ASSERT_MSG(core.has_value(), "the core node must exist before the WhatsApp node");
  ports_.http.alias("core", *core);
  wake_kind_ = network_.simulation().register_kind(name + ".wake", this);
}

void WhatsAppNode::start() {
  const core::TimeUs now = now_us();
  model_.start(now);
  settle(now);
}

void WhatsAppNode::stop_inbound() {
  model_.stop_inbound();
  settle(now_us());
}

bool WhatsAppNode::idle() const {
  return in_flight_.empty() && queue_.idle() && !model_.pending_statuses() && handshake_verified_;
}

core::TimeUs WhatsAppNode::now_us() {
  model_now_us_ = std::max(model_now_us_, network_.node_now_us(ports_.node));
  return model_now_us_;
}

void WhatsAppNode::on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                              core::TimeUs) {
  const core::TimeUs now = now_us();
  std::uint64_t tag = 0;
  if (const sim::DeliveryInfo* info = network_.exchange_info(exchange)) {
    tag = network_.incarnation(info->from);
  }
  core::HttpResponse response = model_.handle(request, now, tag);
  network_.respond(exchange, std::move(response));  // false if the client crashed: fine
  settle(now);
}

void WhatsAppNode::on_event(const sim::Event&) {
  const core::TimeUs now = now_us();
  wake_event_ = {};
  settle(now);
}

void WhatsAppNode::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs) {
  const core::TimeUs now = now_us();
  if (handshake_in_flight_ && id == handshake_request_) {
    handshake_in_flight_ = false;
    handshake_verified_ = result.has_response() && result.response.status == 200 &&
                          result.response.body == handshake_challenge_;
    if (!handshake_verified_) handshake_next_us_ = now + kHandshakeRetryUs;
    settle(now);
    return;
  }
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const std::uint64_t attempt = it->second;
  in_flight_.erase(it);
  const bool ok =
      result.has_response() && result.response.status >= 200 && result.response.status <= 299;
  queue_.on_outcome(attempt, ok, now);
  settle(now);
}

void WhatsAppNode::settle(core::TimeUs now) {
  if (!handshake_verified_ && !handshake_in_flight_ && now >= handshake_next_us_) {
    ++handshake_attempts_;
    handshake_challenge_ = std::to_string(ports_.random.next_u64());
    handshake_request_ = next_request_id_++;
    handshake_in_flight_ = true;
    core::HttpRequest r;
    r.method = "GET";
    r.target = webhook_path_ + "?hub.mode=subscribe&hub.verify_token=" + verify_token_ +
               "&hub.challenge=" + handshake_challenge_;
    ports_.http.send(handshake_request_, "core", std::move(r), now + kDeliveryTimeoutUs);
  }
  model_.advance(now);
  for (std::string& body : model_.take_webhooks()) queue_.enqueue(std::move(body), now);
  for (whatsapp::WebhookAttempt& a : queue_.take_due(now)) {
    const core::RequestId id = next_request_id_++;
    in_flight_.emplace(id, a.id);
    ports_.http.send(id, "core", std::move(a.request), now + kDeliveryTimeoutUs);
  }
  core::TimeUs next = std::min(model_.next_wakeup_us(), queue_.next_wakeup_us());
  if (!handshake_verified_ && !handshake_in_flight_) next = std::min(next, handshake_next_us_);
  arm_wakeup(next);
}

void WhatsAppNode::arm_wakeup(core::TimeUs node_at_us) {
  sim::Simulation& sim = network_.simulation();
  if (node_at_us == whatsapp::kNever) {
    if (wake_event_.valid()) sim.cancel(wake_event_);
    wake_event_ = {};
    return;
  }
  if (wake_event_.valid() && wake_at_us_ == node_at_us) return;
  if (wake_event_.valid()) sim.cancel(wake_event_);
  const core::TimeUs kernel_at =
      std::max(network_.kernel_time_for(ports_.node, node_at_us), sim.now_us());
  wake_at_us_ = node_at_us;
  wake_event_ = sim.at(kernel_at, wake_kind_, network_.node_actor(ports_.node), 0);
}

}  // namespace intsim::models::drivers
