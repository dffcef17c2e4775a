// A hostile peer on the path of webhooks (DESIGN.md section 3, security layer).
//
// The attacker intercepts every request arriving at its target node (the core). It records the
// authentic webhook deliveries (requests whose path starts with /webhooks/, sent by a real peer)
// and, as the fault plan's security specs ask, injects its own deliveries derived from them:
// replays inside and outside the signature tolerance window, tampered bodies, forged and
// stripped signatures, and signatures made with a wrong or a retired secret. Signing is not
// hard-coded here: the harness wires a WebhookSigner to the core's signature code.
//
// Every request delivered into the target is entered in a ledger with its origin (authentic
// from peer X, or which attack on which authentic delivery) and the answer it got, so an oracle
// can check that the core acted only on authentic webhooks.
//
// Security specs (sim/FAULTS.md): {"kind": "webhook_replay_inside", "link": {"from": "stripe",
// "to": "core"}, "probability": 0.2}; each authentic delivery on a matching link draws each
// active spec once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/network.h"
#include "sim/rng.h"
#include "sim/simulation.h"
#include "src/core/http.h"
#include "src/core/ports.h"

namespace intsim::models {

// Signature schemes by the name the signer receives.
inline constexpr std::string_view kSchemeStripe = "stripe";               // Stripe-Signature
inline constexpr std::string_view kSchemeStandard = "standard_webhooks";  // webhook-signature
inline constexpr std::string_view kSchemeWhatsApp = "whatsapp";           // X-Hub-Signature-256

// The scheme whose signature header `request` carries ("" when it carries none).
std::string_view webhook_scheme(const core::HttpRequest& request);

class WebhookSigner {
 public:
  virtual ~WebhookSigner() = default;
  // The signature headers for `request` (its body, and for Standard Webhooks its webhook-id)
  // signed with `secret` at `at_us` in `scheme`. Each returned header replaces the request's
  // header of the same name (or is added): e.g. {"Stripe-Signature", "t=...,v1=..."}, or
  // {"webhook-timestamp", ...} and {"webhook-signature", "v1,..."}.
  virtual std::vector<core::Header> sign(std::string_view scheme, std::string_view secret,
                                         core::TimeUs at_us, const core::HttpRequest& request) = 0;
};

// Where a delivery into the target came from.
enum class Origin : std::uint8_t {
  kAuthentic,         // sent by the peer itself (network duplicates included)
  kReplayInside,      // a byte-identical replay inside the tolerance window
  kReplayOutside,     // a byte-identical replay after the tolerance window
  kTamperedBody,      // the body changed, the original signature kept
  kForgedSignature,   // a random signature in the scheme's format
  kMissingSignature,  // the signature header removed
  kWrongSecret,       // re-signed with a secret that was never the peer's
  kRetiredSecret,     // re-signed with the peer's retired secret
};
inline constexpr std::size_t kOriginCount = 8;
std::string_view origin_name(Origin origin);
// The origin an attack of this security fault kind produces.
Origin origin_of(sim::FaultKind kind);

struct LedgerEntry {
  std::uint64_t delivery_id = 0;
  core::TimeUs at_us = 0;  // kernel time of arrival
  sim::NodeId from = sim::kNoNode;
  std::string source;  // the peer whose webhook it is, or derives from ("stripe")
  Origin origin = Origin::kAuthentic;
  std::uint64_t of_delivery = 0;  // attacks: the authentic delivery it derives from
  std::uint32_t copy = 0;         // 1 for a network duplicate
  std::string method;
  std::string target;
  std::string scheme;             // the signature scheme of the (original) request
  bool webhook = false;           // target starts with /webhooks/
  bool reached_endpoint = false;  // the target's endpoint saw it (no front-door fault)
  int status = -1;                // the answer (-1: none, e.g. swallowed or never answered)
  sim::FaultKind http_fault = sim::FaultKind::kCount;
};

class WebhookLedger {
 public:
  const std::vector<LedgerEntry>& entries() const { return entries_; }
  const LedgerEntry* find(std::uint64_t delivery_id) const;
  std::uint64_t count(Origin origin) const { return counts_[static_cast<std::size_t>(origin)]; }

  // Deliveries the target's endpoint accepted (2xx) that it must have rejected: every attack
  // except in-window replays (a verbatim replay verifies; the core deduplicates it). Replays
  // outside the window count only for schemes that sign a timestamp (Stripe, Standard
  // Webhooks): a WhatsApp signature verifies at any age, so there deduplication is the defence.
  std::vector<const LedgerEntry*> accepted_unauthentic() const;

 private:
  friend class Attacker;
  LedgerEntry& add(LedgerEntry entry);
  LedgerEntry* find_mut(std::uint64_t delivery_id);

  std::vector<LedgerEntry> entries_;
  std::map<std::uint64_t, std::size_t> by_delivery_;
  std::uint64_t counts_[kOriginCount] = {};
};

struct AttackerConfig {
  std::string name = "attacker";  // its node
  std::string target = "core";    // the node whose incoming requests it sits in front of
  core::TimeUs tolerance_us = 300 * core::kUsPerSec;  // the target's signature tolerance
  // Replays stay this far from the window's edge, so clock skew cannot move them across it.
  core::TimeUs replay_margin_us = 120 * core::kUsPerSec;
  core::TimeUs deadline_us = 30 * core::kUsPerSec;  // for its own requests
  // Retired secrets by source node name ("stripe" -> "whsec_old..."), for kRetiredSecret.
  std::map<std::string, std::string, std::less<>> retired_secrets;
  WebhookSigner* signer = nullptr;  // needed by kWrongSecret and kRetiredSecret
  // A true man in the middle: a tampered request replaces the authentic one, which then never
  // arrives (its sender times out and redelivers).
  bool swallow_tampered = false;
};

class Attacker final : public sim::RequestInterceptor,
                       public core::HttpResultSink,
                       public sim::Handler {
 public:
  // Adds the attacker's node to the network and intercepts requests into config.target (which
  // must exist already).
  Attacker(sim::Simulation& sim, sim::Network& network, AttackerConfig config = {});

  sim::NodeId node() const { return node_; }
  const WebhookLedger& ledger() const { return ledger_; }
  std::uint64_t recorded() const { return recorded_; }  // authentic webhooks captured
  std::uint64_t injected() const { return injected_; }  // attacks sent
  // Attacks drawn but not sent: the plan was healed first, or the attack needed something the
  // request or config lacks (no signature to forge, no signer, no retired secret).
  std::uint64_t skipped() const { return skipped_; }
  std::uint64_t answers() const { return answers_; }  // results of its own requests

  Verdict on_request(const sim::DeliveryInfo& info, const core::HttpRequest& request) override;
  void on_outcome(const sim::DeliveryInfo& info, const Outcome& outcome) override;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override;
  void on_event(const sim::Event& event) override;

 private:
  struct Injection {
    Origin origin = Origin::kAuthentic;
    sim::FaultKind kind = sim::FaultKind::kCount;
    std::uint64_t of_delivery = 0;
    std::string source;
    std::string scheme;
    std::optional<core::HttpRequest> request;  // until it is sent
  };
  bool prepare(Injection& inj, core::HttpRequest& request);
  void tamper(std::string& body);
  std::string random_hex(std::size_t chars);
  std::string random_base64(std::size_t bytes);
  std::string random_secret(std::string_view scheme);

  sim::Simulation& sim_;
  sim::Network& network_;
  AttackerConfig config_;
  sim::NodeId node_;
  sim::NodeId target_;
  sim::Rng rng_;
  std::uint16_t k_inject_;
  WebhookLedger ledger_;
  std::vector<Injection> injections_;  // index + 1 is the tag and request id of its send
  std::uint64_t recorded_ = 0, injected_ = 0, skipped_ = 0, answers_ = 0;
};

}  // namespace intsim::models
