// The inbox's promise as a property: under any stream of duplicated, reordered, replayed,
// forged and tampered deliveries from the three peers, with processing and commit failures and
// restarts mixed in, every authentic event has its effect exactly once once the peer's retries
// get through, and nothing forged or tampered has any effect.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "src/core/webhook/intake.h"
#include "src/core/webhook/intake_test_util.h"

namespace intsim::core::webhook {
namespace {

using testing::CountingProcessor;
using testing::FlakyStore;

constexpr std::int64_t kT0 = 1'767'225'600;
constexpr const char* kStatuses[] = {"sent", "delivered", "read"};

struct Secrets {
  std::string stripe;
  std::string standard;
  std::string whatsapp;
};
const Secrets kAuthentic{"whsec_prop_stripe", "whsec_cHJvcGVydHkgdGVzdCBrZXk=", "meta_app_prop"};
const Secrets kAttacker{"whsec_attacker", "whsec_YXR0YWNrZXI=", "meta_attacker"};

enum class Peer { kStripe, kStandard, kWhatsApp };

enum class Kind {
  kFresh,
  kExactReplay,
  kForged,
  kTampered,
  kProcessingFails,
  kCommitFails,
  kCrashAfterOneCommit,  // only a request that commits twice notices: effects without inbox row
  kRestart,
};

struct Delivery {
  Kind kind;
  Peer peer;
  int event;               // Stripe/Standard: the event; WhatsApp: the message
  int statuses_mask;       // WhatsApp: which of sent/delivered/read this POST carries (1..7)
  std::int64_t advance_s;  // time passing before this delivery
};

// One POST of `peer` about `event`, signed at t with `secrets`. A WhatsApp POST carries the
// masked statuses of message `event` and the same statuses of message `event + 1`, so POSTs
// overlap the way Meta's batches do.
HttpRequest sign(Peer peer, int event, int mask, std::int64_t t, const Secrets& secrets) {
  if (peer == Peer::kWhatsApp) {
    nlohmann::json value = {{"messaging_product", "whatsapp"},
                            {"statuses", nlohmann::json::array()}};
    for (int m : {event, event + 1}) {
      for (int s = 0; s < 3; ++s) {
        if (mask & (1 << s)) {
          value["statuses"].push_back(
              {{"id", fmt::format("wamid.{}", m)}, {"status", kStatuses[s]}});
        }
      }
    }
    const nlohmann::json body = {
        {"object", "whatsapp_business_account"},
        {"entry", {{{"id", "WABA"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}};
    const std::string text = body.dump();
    return {"POST",
            "/webhooks/whatsapp",
            {{"X-Hub-Signature-256", whatsapp_signature_header(secrets.whatsapp, text)}},
            text};
  }
  const std::string id = fmt::format("evt_{}", event);
  const std::string body = fmt::format(R"({{"id":"{}","type":"t","data":{{"n":{}}}}})", id, event);
  if (peer == Peer::kStripe) {
    return {"POST",
            "/webhooks/stripe",
            {{"Stripe-Signature", stripe_signature_header(secrets.stripe, t, body)}},
            body};
  }
  StandardHeaders h;
  RC_ASSERT(standard_webhook_sign(secrets.standard, id, t, body, &h).is_ok());
  return {"POST",
          "/webhooks/standard",
          {{"webhook-id", h.id},
           {"webhook-timestamp", h.timestamp},
           {"webhook-signature", h.signature}},
          body};
}

RC_GTEST_PROP(WebhookInbox, EffectsEqualDistinctAuthenticEvents, ()) {
  const int events_count = *rc::gen::inRange(1, 12);
  const auto deliveries = *rc::gen::container<std::vector<Delivery>>(rc::gen::construct<Delivery>(
      rc::gen::element(Kind::kFresh, Kind::kFresh, Kind::kExactReplay, Kind::kForged,
                       Kind::kTampered, Kind::kProcessingFails, Kind::kCommitFails,
                       Kind::kCrashAfterOneCommit, Kind::kRestart),
      rc::gen::element(Peer::kStripe, Peer::kStandard, Peer::kWhatsApp),
      rc::gen::inRange(0, events_count), rc::gen::inRange(1, 8),
      rc::gen::element<std::int64_t>(0, 1, 30, 299, 400, 3600)));

  FlakyStore store;
  CountingProcessor processor(&store);
  WebhookIntakeConfig config;
  config.stripe_secrets = {kAuthentic.stripe};
  config.standard_secrets = {kAuthentic.standard};
  config.whatsapp_app_secrets = {kAuthentic.whatsapp};
  Ports ports;
  ports.store = &store;
  std::unique_ptr<WebhookIntake> intake;
  RC_ASSERT(WebhookIntake::create(config, ports, &processor, &intake).is_ok());

  std::int64_t now_s = kT0;
  // Deliveries the network or an attacker captured and can replay byte for byte.
  std::vector<std::pair<HttpRequest, std::int64_t>> captured;
  for (const Delivery& d : deliveries) {
    now_s += d.advance_s;
    const TimeUs now_us = now_s * kUsPerSec;
    HttpResponse r;
    switch (d.kind) {
      case Kind::kRestart:
        // The intake keeps nothing in memory that matters: a new one over the same store.
        RC_ASSERT(WebhookIntake::create(config, ports, &processor, &intake).is_ok());
        continue;
      case Kind::kFresh:
      case Kind::kProcessingFails:
      case Kind::kCommitFails:
      case Kind::kCrashAfterOneCommit: {
        HttpRequest req = sign(d.peer, d.event, d.statuses_mask, now_s, kAuthentic);
        processor.fail = d.kind == Kind::kProcessingFails;
        store.fail_commit = d.kind == Kind::kCommitFails;
        if (d.kind == Kind::kCrashAfterOneCommit) store.commits_before_failure = 1;
        r = intake->handle(req, now_us);
        processor.fail = store.fail_commit = false;
        store.commits_before_failure.reset();
        if (d.kind == Kind::kProcessingFails || d.kind == Kind::kCommitFails) {
          // A failure is never acknowledged, unless there was nothing left to do.
          RC_ASSERT(r.status == 500 || r.body == R"({"status":"already_processed"})");
        } else {
          RC_ASSERT(r.status == 200);
        }
        captured.emplace_back(std::move(req), now_s);
        break;
      }
      case Kind::kExactReplay: {
        if (captured.empty()) continue;
        const auto& [req, signed_s] = captured[static_cast<std::size_t>(d.event) % captured.size()];
        r = intake->handle(req, now_us);
        if (req.target == "/webhooks/whatsapp") {
          RC_ASSERT(r.status == 200);  // no timestamp: only the inbox stops a replay
        } else {
          RC_ASSERT(r.status == (now_s - signed_s > 300 ? 400 : 200));
        }
        break;
      }
      case Kind::kForged:
        r = intake->handle(sign(d.peer, d.event + 100, d.statuses_mask, now_s, kAttacker), now_us);
        RC_ASSERT(r.status == 400);
        break;
      case Kind::kTampered: {
        HttpRequest req = sign(d.peer, d.event, d.statuses_mask, now_s, kAuthentic);
        const std::string from = fmt::format("_{}", d.event),
                          to = fmt::format("_{}", d.event + 100);
        const std::string from_wa = fmt::format(".{}", d.event),
                          to_wa = fmt::format(".{}", d.event + 100);
        const bool wa = d.peer == Peer::kWhatsApp;
        req.body.replace(req.body.find(wa ? from_wa : from), (wa ? from_wa : from).size(),
                         wa ? to_wa : to);
        RC_ASSERT(intake->handle(req, now_us).status == 400);
        break;
      }
    }
  }
  // The peers keep retrying every event until it is acknowledged, signing each retry afresh.
  now_s += 1;
  for (Peer peer : {Peer::kStripe, Peer::kStandard, Peer::kWhatsApp}) {
    for (int e = 0; e < events_count; ++e) {
      const HttpResponse r = intake->handle(sign(peer, e, 7, now_s, kAuthentic), now_s * kUsPerSec);
      RC_ASSERT(r.status == 200);
    }
  }
  // Exactly one effect per distinct authentic event, none for anything forged or tampered.
  std::map<std::string, std::string, std::less<>> expected;
  for (int e = 0; e < events_count; ++e) {
    expected[fmt::format("stripe/evt_{}", e)] = "1";
    expected[fmt::format("standard/evt_{}", e)] = "1";
  }
  for (int m = 0; m <= events_count; ++m) {
    for (const char* s : kStatuses)
      expected[fmt::format("whatsapp/status:wamid.{}:{}", m, s)] = "1";
  }
  RC_ASSERT(store.inner.tables().at("effects") == expected);
  RC_ASSERT(store.inner.size(kInboxTable) == expected.size());
}

}  // namespace
}  // namespace intsim::core::webhook
