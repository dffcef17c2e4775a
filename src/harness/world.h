// A world: one scenario instantiated for one seed. The kernel, the network with the scenario's
// fault plan, the core on its node, and the peers (Stripe, guests; channels, WhatsApp and the
// attacker as they land), wired the way DESIGN.md section 1 draws them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/attacker.h"
#include "models/drivers/ota_node.h"
#include "models/drivers/stripe_node.h"
#include "models/drivers/whatsapp_node.h"
#include "models/guests/guest_model.h"
#include "models/guests/member_model.h"
#include "sim/network.h"
#include "sim/simulation.h"
#include "src/harness/core_node.h"
#include "src/harness/core_signer.h"
#include "src/harness/scenario.h"

namespace intsim::harness {

// The peers' behaviour knobs, read from the scenario's "peers" object.
struct PeerSettings {
  models::stripe::StripeConfig stripe;
  models::stripe::WebhookDeliveryConfig stripe_webhooks;
  // Per channel ("airbnb", "booking_com", "vrbo"): the model's feed faults and import interval,
  // and how often the core polls it (peers.ota.<channel>.poll_interval_s).
  std::map<std::string, models::ota::ChannelConfig> ota;
  std::map<std::string, core::TimeUs> ota_poll_interval_us;
  // peers.whatsapp: present means a WhatsApp node and guest notifications in the core.
  bool whatsapp_enabled = false;
  models::whatsapp::WhatsAppConfig whatsapp;
  models::whatsapp::WebhookQueueConfig whatsapp_webhooks;
  core::notifications::NotificationConfig notifications;  // the core's side (peers.whatsapp.core)
};
// Validates scenario.peers; errors name the pointer ("/peers/stripe/card/decline_weight: ...").
core::Status parse_peer_settings(const nlohmann::json& peers, PeerSettings* out);

class World {
 public:
  // Builds everything; nothing runs until the caller drives the simulation. kInvalidArgument
  // when the scenario names what does not exist (a fault on an unknown node, a bad peer knob).
  static core::Status build(const Scenario& scenario, std::uint64_t seed, bool swarm,
                            sim::Trace::Mode mode, std::unique_ptr<World>* out);

  sim::Simulation& sim() { return sim_; }
  sim::Network& network() { return *network_; }
  CoreNode& core() { return *core_; }
  models::drivers::StripeNode& stripe() { return *stripe_; }
  models::guests::GuestModel& guests() { return *guests_; }
  // Null unless the scenario's workload has memberships.
  models::guests::MemberModel* members() { return members_.get(); }
  // Null unless the scenario has peers.whatsapp.
  models::drivers::WhatsAppNode* whatsapp() { return whatsapp_.get(); }
  // The core's notification settings (enabled only with peers.whatsapp).
  const core::notifications::NotificationConfig& notifications() const { return notifications_; }
  // One node per channel of scenario.workload.channels, in that order.
  const std::vector<std::unique_ptr<models::drivers::OtaNode>>& channels() const {
    return channels_;
  }
  const models::Attacker& attacker() const { return *attacker_; }
  const Scenario& scenario() const { return scenario_; }
  const sim::FaultPlan& plan() const { return plan_; }
  sim::Time start_us() const { return start_us_; }

  // Starts the core and the workload (the beginning of the fault phase).
  core::Status start();
  // The end of the fault phase: heal every fault and stop new arrivals.
  void heal();

 private:
  World(const Scenario& scenario, std::uint64_t seed, sim::Trace::Mode mode);

  Scenario scenario_;
  sim::Simulation sim_;
  std::unique_ptr<sim::Network> network_;
  std::unique_ptr<CoreNode> core_;
  std::unique_ptr<models::drivers::StripeNode> stripe_;
  std::unique_ptr<models::guests::GuestModel> guests_;
  std::unique_ptr<models::guests::MemberModel> members_;
  std::unique_ptr<models::drivers::WhatsAppNode> whatsapp_;
  core::notifications::NotificationConfig notifications_;
  std::vector<std::unique_ptr<models::drivers::OtaNode>> channels_;
  CoreSigner signer_;
  std::unique_ptr<models::Attacker> attacker_;
  sim::FaultPlan plan_;
  sim::Time start_us_ = 0;
};

}  // namespace intsim::harness
