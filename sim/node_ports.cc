#include "sim/node_ports.h"

#include "src/core/assert.h"

namespace intsim::sim {

void NodeTimers::arm(core::TimerId id, core::TimeUs at_us) {
  INTSIM_ASSERT_MSG(sink_ != nullptr, "NodeTimers::arm before set_sink");
  network_.arm_timer(node_, sink_, id, at_us);
}

void NodeHttpClient::send(core::RequestId id, std::string_view peer, core::HttpRequest request,
                          core::TimeUs deadline_us) {
  NodeId to = kNoNode;
  if (const auto it = aliases_.find(peer); it != aliases_.end()) {
    to = it->second;
  } else if (const auto found = network_.find_node(peer)) {
    to = *found;
  }
  INTSIM_ASSERT_MSG(to != kNoNode, "HTTP request to a peer that is no node of the network");
  Outgoing out;
  out.from = node_;
  out.to = to;
  out.request_id = id;
  out.sink = sink_;
  out.deadline_us = network_.kernel_time_for(node_, deadline_us);
  out.tag = tag_;
  network_.send(out, std::move(request));
}

}  // namespace intsim::sim
