// The attacker: what each attack sends, when replays arrive, the ledger of deliveries into the
// core, and that the ledger's oracle tells a verifying core from one that is not.
#include "models/attacker.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "sim/node_ports.h"

namespace intsim::models {
namespace {

using core::kUsPerMs;
using core::kUsPerSec;
using sim::FaultKind;

std::string toy_mac(std::string_view secret, std::string_view payload) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : secret) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  h = (h ^ 0xff) * 0x100000001b3ULL;
  for (char c : payload) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return fmt::format("{:016x}", h);
}

// Signs with a toy MAC in each scheme's header format (the harness wires the real HMAC code).
class ToySigner final : public WebhookSigner {
 public:
  std::vector<core::Header> sign(std::string_view scheme, std::string_view secret,
                                 core::TimeUs at_us, const core::HttpRequest& request) override {
    ++calls;
    const std::int64_t t = core::unix_seconds(at_us);
    if (scheme == kSchemeStripe)
      return {
          {"Stripe-Signature",
           fmt::format("t={},v1={}", t, toy_mac(secret, fmt::format("{}.{}", t, request.body)))}};
    if (scheme == kSchemeStandard) {
      const std::string id(request.header("webhook-id").value_or(""));
      return {{"webhook-timestamp", std::to_string(t)},
              {"webhook-signature",
               "v1," + toy_mac(secret, fmt::format("{}.{}.{}", id, t, request.body))}};
    }
    return {{"X-Hub-Signature-256", "sha256=" + toy_mac(secret, request.body)}};
  }
  int calls = 0;
};

// A core that verifies Stripe-style and WhatsApp-style toy signatures (or, when `verify` is
// off, accepts anything) and processes each event body once.
class ToyCore final : public sim::HttpEndpoint {
 public:
  ToyCore(sim::Network& net, std::string secret) : net_(net), secret_(std::move(secret)) {}
  void on_request(sim::ExchangeId x, const core::HttpRequest& request,
                  core::TimeUs now_us) override {
    if (verify && !verified(request, now_us)) {
      net_.respond(x, {400, {}, "bad signature"});
      return;
    }
    ++effects[request.body];
    net_.respond(x, {200, {}, effects[request.body] == 1 ? "processed" : "already_processed"});
  }
  bool verified(const core::HttpRequest& request, core::TimeUs now_us) const {
    if (const auto h = request.header("Stripe-Signature")) {
      const std::string v(*h);
      const auto comma = v.find(",v1=");
      if (v.rfind("t=", 0) != 0 || comma == std::string::npos) return false;
      const std::int64_t t = std::stoll(v.substr(2, comma - 2));
      if (std::llabs(core::unix_seconds(now_us) - t) > 300) return false;
      return v.substr(comma + 4) == toy_mac(secret_, fmt::format("{}.{}", t, request.body));
    }
    if (const auto h = request.header("X-Hub-Signature-256"))
      return *h == "sha256=" + toy_mac(secret_, request.body);
    return false;
  }
  bool verify = true;
  std::map<std::string, int> effects;

 private:
  sim::Network& net_;
  std::string secret_;
};

class Ignore final : public core::HttpResultSink {
 public:
  void on_http_result(core::RequestId, core::HttpResult, core::TimeUs) override {}
};

struct World {
  explicit World(std::uint64_t seed = 1, AttackerConfig config = {})
      : sim(seed, sim::Trace::Mode::kHashOnly),
        net(sim, {sim::LatencyDist{sim::LatencyDist::Shape::kConstant, 10, 0}}),
        stripe(net.add_node("stripe")),
        core_node(net.add_node("core")),
        toy_core(net, "whsec_live"),
        attacker(sim, net, with_signer(std::move(config))),
        http(net, stripe, &ignore) {
    net.set_endpoint(core_node, &toy_core);
  }
  AttackerConfig with_signer(AttackerConfig c) {
    if (c.signer == nullptr) c.signer = &signer;
    if (c.retired_secrets.empty()) c.retired_secrets["stripe"] = "whsec_retired";
    return c;
  }
  core::Status apply(std::string_view json) {
    sim::FaultPlan plan;
    if (core::Status s = sim::parse_fault_plan_text(json, &plan); !s) return s;
    return net.apply(plan);
  }
  // Stripe sends webhook `i`, signed with the live secret at its own clock.
  void send_webhook(int i, std::string_view scheme = kSchemeStripe,
                    std::string path = "/webhooks/stripe") {
    core::HttpRequest r{
        "POST", std::move(path), {}, fmt::format(R"({{"id":"evt_{}","amount":1000}})", i)};
    for (const core::Header& h : signer.sign(scheme, "whsec_live", net.node_now_us(stripe), r))
      r.headers.push_back(h);
    http.send(static_cast<core::RequestId>(i), "core", std::move(r),
              net.node_now_us(stripe) + 10 * kUsPerSec);
  }
  void run_for_s(core::TimeUs s) { sim.run_until(sim.now_us() + s * kUsPerSec, 10'000'000); }

  sim::Simulation sim;
  sim::Network net;
  sim::NodeId stripe, core_node;
  ToySigner signer;
  ToyCore toy_core;
  Attacker attacker;
  Ignore ignore;
  sim::NodeHttpClient http;
};

constexpr std::string_view kAllAttacks = R"({"faults":[
  {"kind":"webhook_replay_inside","link":{"from":"stripe","to":"core"},"probability":1},
  {"kind":"webhook_replay_outside","link":{"from":"stripe","to":"core"},"probability":1},
  {"kind":"webhook_tamper","link":{"from":"stripe","to":"core"},"probability":1},
  {"kind":"webhook_forge","link":{"from":"stripe","to":"core"},"probability":1},
  {"kind":"webhook_strip_signature","link":{"from":"stripe","to":"core"},"probability":1},
  {"kind":"webhook_wrong_secret","link":{"from":"stripe","to":"core"},"probability":1},
  {"kind":"webhook_retired_secret","link":{"from":"stripe","to":"core"},"probability":1}]})";

TEST(Attacker, EveryAttackOnEveryWebhookAndAVerifyingCoreAcceptsNone) {
  World w;
  ASSERT_TRUE(w.apply(kAllAttacks));
  constexpr int kWebhooks = 10;
  for (int i = 1; i <= kWebhooks; ++i) {
    w.send_webhook(i);
    w.run_for_s(1);
  }
  w.run_for_s(1200);
  const WebhookLedger& ledger = w.attacker.ledger();
  EXPECT_EQ(w.attacker.recorded(), static_cast<std::uint64_t>(kWebhooks));
  EXPECT_EQ(w.attacker.injected(), 7u * kWebhooks);
  EXPECT_EQ(w.attacker.skipped(), 0u);
  EXPECT_EQ(ledger.entries().size(), 8u * kWebhooks);
  for (std::size_t o = 0; o < kOriginCount; ++o)
    EXPECT_EQ(ledger.count(static_cast<Origin>(o)), static_cast<std::uint64_t>(kWebhooks))
        << origin_name(static_cast<Origin>(o));
  for (FaultKind k : {FaultKind::kReplayInside, FaultKind::kReplayOutside, FaultKind::kTamperedBody,
                      FaultKind::kForgedSignature, FaultKind::kMissingSignature,
                      FaultKind::kWrongSecret, FaultKind::kRetiredSecret})
    EXPECT_EQ(w.net.fault_counts()[k], static_cast<std::uint64_t>(kWebhooks));
  EXPECT_TRUE(ledger.accepted_unauthentic().empty());
  // Each event had its effect once; in-window replays were answered "already processed".
  ASSERT_EQ(w.toy_core.effects.size(), static_cast<std::size_t>(kWebhooks));
  for (const auto& [body, n] : w.toy_core.effects) EXPECT_EQ(n, 2) << body;  // authentic + replay
  for (const LedgerEntry& e : ledger.entries()) {
    EXPECT_TRUE(e.webhook);
    EXPECT_TRUE(e.reached_endpoint);
    EXPECT_EQ(e.scheme, "stripe");
    EXPECT_EQ(e.source, "stripe");
    if (e.origin == Origin::kAuthentic) {
      EXPECT_EQ(e.status, 200);
      EXPECT_EQ(e.of_delivery, 0u);
      EXPECT_EQ(e.from, w.stripe);
      continue;
    }
    EXPECT_EQ(e.from, w.attacker.node());
    const LedgerEntry* original = ledger.find(e.of_delivery);
    ASSERT_NE(original, nullptr);
    EXPECT_EQ(original->origin, Origin::kAuthentic);
    const core::TimeUs later_us = e.at_us - original->at_us;
    if (e.origin == Origin::kReplayInside) {
      EXPECT_EQ(e.status, 200);
      EXPECT_LE(later_us, 180 * kUsPerSec + 10 * kUsPerMs);  // tolerance - margin + latency
    } else {
      EXPECT_EQ(e.status, 400) << origin_name(e.origin);
    }
    if (e.origin == Origin::kReplayOutside) {
      EXPECT_GE(later_us, 420 * kUsPerSec);
    }
  }
  EXPECT_GT(w.signer.calls, 0);
}

TEST(Attacker, TheOracleCatchesACoreThatDoesNotVerify) {
  World w;
  w.toy_core.verify = false;
  ASSERT_TRUE(w.apply(kAllAttacks));
  for (int i = 1; i <= 5; ++i) w.send_webhook(i);
  w.run_for_s(1200);
  const auto bad = w.attacker.ledger().accepted_unauthentic();
  std::set<Origin> origins;
  for (const LedgerEntry* e : bad) origins.insert(e->origin);
  EXPECT_EQ(origins, (std::set<Origin>{Origin::kReplayOutside, Origin::kTamperedBody,
                                       Origin::kForgedSignature, Origin::kMissingSignature,
                                       Origin::kWrongSecret, Origin::kRetiredSecret}));
}

TEST(Attacker, AttackedHeadersHaveTheSchemesShape) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[
      {"kind":"webhook_forge","probability":1},
      {"kind":"webhook_strip_signature","probability":1},
      {"kind":"webhook_tamper","probability":1}]})"));
  // What reaches the core, in arrival order: the authentic request, then the attacks.
  struct Capture final : sim::HttpEndpoint {
    explicit Capture(sim::Network& n) : net(n) {}
    void on_request(sim::ExchangeId x, const core::HttpRequest& r, core::TimeUs) override {
      seen.push_back(r);
      net.respond(x, {400, {}, ""});
    }
    sim::Network& net;
    std::vector<core::HttpRequest> seen;
  } capture(w.net);
  w.net.set_endpoint(w.core_node, &capture);
  w.send_webhook(1);
  w.run_for_s(10);
  ASSERT_EQ(capture.seen.size(), 4u);
  const core::HttpRequest& authentic = capture.seen[0];
  int forged = 0, stripped = 0, tampered = 0;
  for (std::size_t i = 1; i < capture.seen.size(); ++i) {
    const core::HttpRequest& r = capture.seen[i];
    const auto sig = r.header("Stripe-Signature");
    if (!sig) {
      ++stripped;
      EXPECT_EQ(r.body, authentic.body);
    } else if (*sig != *authentic.header("Stripe-Signature")) {
      ++forged;
      EXPECT_EQ(sig->rfind("t=", 0), 0u);
      EXPECT_NE(sig->find(",v1="), std::string::npos);
      EXPECT_EQ(sig->size() - sig->find(",v1=") - 4, 64u);
    } else {
      ++tampered;
      EXPECT_NE(r.body, authentic.body);
      EXPECT_EQ(r.body.size(), authentic.body.size());
    }
  }
  EXPECT_EQ(forged, 1);
  EXPECT_EQ(stripped, 1);
  EXPECT_EQ(tampered, 1);
}

TEST(Attacker, WhatsAppReplaysOutsideAnyWindowAreNotFlagged) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"webhook_replay_outside","probability":1}]})"));
  w.send_webhook(1, kSchemeWhatsApp, "/webhooks/whatsapp");
  w.run_for_s(1200);
  const WebhookLedger& ledger = w.attacker.ledger();
  ASSERT_EQ(ledger.count(Origin::kReplayOutside), 1u);
  EXPECT_EQ(w.toy_core.effects.begin()->second, 2);  // the toy core accepted it (no timestamp)
  EXPECT_TRUE(ledger.accepted_unauthentic().empty());
}

TEST(Attacker, OnlyWebhooksOnMatchingLinksAreAttackedButEveryDeliveryIsLedgered) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"webhook_forge","probability":1}]})"));
  w.send_webhook(1, kSchemeStripe, "/api/bookings");
  w.run_for_s(10);
  EXPECT_EQ(w.attacker.recorded(), 0u);
  EXPECT_EQ(w.attacker.injected(), 0u);
  ASSERT_EQ(w.attacker.ledger().entries().size(), 1u);
  EXPECT_FALSE(w.attacker.ledger().entries()[0].webhook);
  EXPECT_EQ(w.attacker.ledger().entries()[0].origin, Origin::kAuthentic);
  EXPECT_EQ(w.attacker.ledger().entries()[0].status, 200);
}

TEST(Attacker, UnsignedWebhooksCannotBeForgedAndAreSkipped) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"webhook_forge","probability":1},
      {"kind":"webhook_wrong_secret","probability":1}]})"));
  w.http.send(1, "core", core::HttpRequest{"POST", "/webhooks/plain", {}, "{}"},
              w.net.node_now_us(w.stripe) + 10 * kUsPerSec);
  w.run_for_s(10);
  EXPECT_EQ(w.attacker.recorded(), 1u);
  EXPECT_EQ(w.attacker.injected(), 0u);
  EXPECT_EQ(w.attacker.skipped(), 2u);
}

TEST(Attacker, RetiredSecretNeedsOneAndHealStopsPendingAttacks) {
  AttackerConfig c;
  c.retired_secrets["ota.airbnb"] = "whsec_x";  // none for stripe
  World w(1, c);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"webhook_retired_secret","probability":1},
      {"kind":"webhook_replay_outside","probability":1}]})"));
  w.send_webhook(1);
  w.run_for_s(10);
  EXPECT_EQ(w.attacker.skipped(), 1u);  // no retired secret for stripe
  w.net.heal_all();
  w.run_for_s(1200);
  EXPECT_EQ(w.attacker.injected(), 0u);
  EXPECT_EQ(w.attacker.skipped(), 2u);  // the replay was due after the heal
}

TEST(Attacker, SwallowingTamperedRequestsKeepsTheAuthenticOneFromArriving) {
  AttackerConfig c;
  c.swallow_tampered = true;
  World w(1, c);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"webhook_tamper","probability":1}]})"));
  w.send_webhook(1);
  w.run_for_s(30);
  EXPECT_TRUE(w.toy_core.effects.empty());
  const WebhookLedger& ledger = w.attacker.ledger();
  ASSERT_EQ(ledger.entries().size(), 2u);
  EXPECT_FALSE(ledger.entries()[0].reached_endpoint);
  EXPECT_EQ(ledger.entries()[0].status, -1);
  EXPECT_EQ(ledger.entries()[1].origin, Origin::kTamperedBody);
  EXPECT_EQ(ledger.entries()[1].status, 400);
}

TEST(Attacker, RunsAreAFunctionOfTheSeed) {
  auto run = [](std::uint64_t seed) {
    World w(seed);
    EXPECT_TRUE(w.apply(R"({"faults":[
        {"kind":"webhook_replay_inside","probability":0.5},
        {"kind":"webhook_tamper","probability":0.5},
        {"kind":"webhook_wrong_secret","probability":0.5}]})"));
    for (int i = 1; i <= 30; ++i) w.send_webhook(i);
    w.run_for_s(600);
    return std::pair(w.sim.trace().hash(), w.attacker.injected());
  };
  EXPECT_EQ(run(9), run(9));
  EXPECT_NE(run(9).first, run(10).first);
}

}  // namespace
}  // namespace intsim::models
