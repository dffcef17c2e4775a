// Binds a sans-I/O OTA channel model (models/ota) to the simulated network: it serves the
// channel's iCal exports on its node ("ota.<channel>"), wakes the model for guest arrivals and
// planned cancellations, and imports the core's export of every unit on the channel's
// interval (GET /ical/<unit>.ics to the core), feeding each result back to the model.
//
// Channels do not crash in the simulation (their outages are the network's and the model's
// feed faults), so the node keeps no process state.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "models/ota/channel_model.h"
#include "sim/network.h"
#include "sim/node_ports.h"

namespace intsim::models::drivers {

class OtaNode final : public sim::HttpEndpoint,
                      public core::TimerSink,
                      public core::HttpResultSink {
 public:
  // Adds the node "ota.<flavour name>"; imports go to the node named `core_node`.
  OtaNode(sim::Network& network, ota::ChannelConfig config, std::string core_node = "core");

  sim::NodeId node() const { return ports_.node; }
  const std::string& name() const { return name_; }
  const ota::ChannelModel& model() const { return model_; }

  // Starts guest arrivals and imports (imports of the units spread over one interval).
  void start();
  // The liveness phase: no new guests, no new cancellations, no feed faults; imports go on.
  void stop_arrivals();
  // Imports waiting for their result.
  std::size_t imports_in_flight() const { return in_flight_.size(); }

  void on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                  core::TimeUs now_us) override;
  void on_timer(core::TimerId id, core::TimeUs now_us) override;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override;

 private:
  enum Timer : core::TimerId { kArrival = 1, kCancellation = 2, kImportBase = 1000 };
  void arm_cancellation();

  sim::Network& network_;
  std::string name_;
  sim::NodePorts ports_;
  ota::ChannelModel model_;
  bool arrivals_ = false;
  std::map<core::RequestId, std::string> in_flight_;  // request id -> unit
  core::RequestId next_request_id_ = 1;
};

}  // namespace intsim::models::drivers
