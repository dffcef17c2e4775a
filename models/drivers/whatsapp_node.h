// Binds the sans-I/O WhatsApp model (models/whatsapp) to the simulated network: it serves the
// Cloud API on its node, wakes the model for status changes and guests writing in, and delivers
// the model's webhooks (signed with X-Hub-Signature-256) to the core's endpoint through a
// WebhookQueue, reporting each attempt's outcome so Meta's retries run.
//
// Before any webhook, Meta verifies the subscription: a GET with hub.mode=subscribe,
// hub.verify_token and a random hub.challenge that the core must echo; it is repeated every
// kHandshakeRetryUs until it succeeds, and handshake_verified() is the ground truth.
//
// Every send is tagged with the sender's incarnation (Network::incarnation), so an oracle can
// tell a core that forgot a rate-limit answer in a crash from one that ignored it.
#pragma once

#include <cstdint>
#include <map>

#include "models/whatsapp/webhook_queue.h"
#include "models/whatsapp/whatsapp_model.h"
#include "sim/network.h"
#include "sim/node_ports.h"

namespace intsim::models::drivers {

class WhatsAppNode final : public sim::HttpEndpoint,
                           public sim::Handler,
                           public core::HttpResultSink {
 public:
  // Adds the node `name`; webhooks go to the node named `core_node`.
  WhatsAppNode(sim::Network& network, whatsapp::WhatsAppConfig config,
               whatsapp::WebhookQueueConfig webhooks, std::string name = "whatsapp",
               std::string core_node = "core");

  sim::NodeId node() const { return ports_.node; }
  const whatsapp::WhatsAppModel& model() const { return model_; }
  const whatsapp::WebhookQueue& webhooks() const { return queue_; }
  // Guests begin writing in; stop_inbound() ends it (the liveness phase).
  void start();
  void stop_inbound();
  // No status change pending, no webhook waiting or in flight.
  bool idle() const;
  bool handshake_verified() const { return handshake_verified_; }
  std::uint64_t handshake_attempts() const { return handshake_attempts_; }
  static constexpr core::TimeUs kHandshakeRetryUs = 30 * core::kUsPerSec;

  void on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                  core::TimeUs now_us) override;
  void on_event(const sim::Event& event) override;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override;

 private:
  // Meta's clock never runs backwards, whatever the node's skew does.
  core::TimeUs now_us();
  void settle(core::TimeUs now_us);
  void arm_wakeup(core::TimeUs node_at_us);

  sim::Network& network_;
  sim::NodePorts ports_;
  whatsapp::WhatsAppModel model_;
  whatsapp::WebhookQueue queue_;
  std::uint16_t wake_kind_ = 0;
  sim::EventId wake_event_;
  core::TimeUs wake_at_us_ = 0;
  core::TimeUs model_now_us_ = 0;
  std::map<core::RequestId, std::uint64_t> in_flight_;  // request id -> webhook attempt id
  core::RequestId next_request_id_ = 1;
  // The GET handshake: verified once the core echoed the challenge.
  bool handshake_verified_ = false;
  bool handshake_in_flight_ = false;
  core::RequestId handshake_request_ = 0;
  std::string handshake_challenge_;
  core::TimeUs handshake_next_us_ = 0;
  std::uint64_t handshake_attempts_ = 0;
  std::string verify_token_;
  std::string webhook_path_;
};

}  // namespace intsim::models::drivers
