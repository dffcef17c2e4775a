#include "models/drivers/ota_node.h"

#include "src/core/assert.h"

namespace intsim::models::drivers {

OtaNode::OtaNode(sim::Network& network, ota::ChannelConfig config, std::string core_node)
    : network_(network),
      name_("ota." + std::string(ota::flavour_name(config.flavour))),
      ports_(network, network.add_node(name_), network.simulation().rng("node." + name_)),
      model_(std::move(config), network.simulation().rng(name_)) {
  network_.set_endpoint(ports_.node, this);
  ports_.timers.set_sink(this);
  ports_.http.set_sink(this);
  const auto core = network_.find_node(core_node);
  INTSIM_ASSERT_MSG(core.has_value(), "the core node must exist before a channel node");
  ports_.http.alias("core", *core);
}

void OtaNode::start() {
  const core::TimeUs now = ports_.clock.now_us();
  arrivals_ = true;
  ports_.timers.arm(kArrival, now + model_.draw_arrival_delay_us());
  const auto& units = model_.config().units;
  const core::TimeUs interval = model_.import_interval_us();
  for (std::size_t i = 0; i < units.size(); ++i) {
    ports_.timers.arm(kImportBase + i, now + interval * static_cast<core::TimeUs>(i + 1) /
                                                 static_cast<core::TimeUs>(units.size()));
  }
}

void OtaNode::stop_arrivals() {
  arrivals_ = false;
  model_.heal_feed();
  ports_.timers.disarm(kArrival);
  ports_.timers.disarm(kCancellation);
}

void OtaNode::on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                         core::TimeUs now_us) {
  network_.respond(exchange, model_.serve(request, now_us));
}

void OtaNode::arm_cancellation() {
  const core::TimeUs next = model_.next_cancellation_us();
  if (arrivals_ && next >= 0) {
    ports_.timers.arm(kCancellation, next);
  } else {
    ports_.timers.disarm(kCancellation);
  }
}

void OtaNode::on_timer(core::TimerId id, core::TimeUs now_us) {
  if (id == kArrival) {
    if (!arrivals_) return;
    model_.on_guest(now_us);
    ports_.timers.arm(kArrival, now_us + model_.draw_arrival_delay_us());
    arm_cancellation();
  } else if (id == kCancellation) {
    if (!arrivals_) return;
    model_.cancel_due(now_us);
    arm_cancellation();
  } else if (id >= kImportBase && id < kImportBase + model_.config().units.size()) {
    const std::string& unit = model_.config().units[id - kImportBase];
    const core::RequestId rid = next_request_id_++;
    in_flight_.emplace(rid, unit);
    ports_.http.send(rid, "core", model_.import_request(unit),
                     now_us + model_.config().import_timeout_us);
    ports_.timers.arm(id, now_us + model_.import_interval_us());
  }
}

void OtaNode::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) {
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const std::string unit = it->second;
  in_flight_.erase(it);
  model_.on_import_result(unit, result, now_us);
}

}  // namespace intsim::models::drivers
