// The inbox's promise as a property: under any stream of duplicated, reordered, replayed,
// forged and tampered deliveries, with processing and commit failures and restarts mixed in,
// every authentic event has its effect exactly once once the peer's retries get through, and
// nothing forged has any effect.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "src/core/webhook/intake.h"
#include "src/core/webhook/intake_test_util.h"

namespace intsim::core::webhook {
namespace {

using testing::CountingProcessor;
using testing::FlakyStore;

constexpr std::int64_t kT0 = 1'767'225'600;
const std::string kStripeSecret = "whsec_prop_stripe";
const std::string kStdSecret = "whsec_cHJvcGVydHkgdGVzdCBrZXk=";

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
  bool standard;           // Standard Webhooks instead of Stripe
  int event;               // index into the peer's events
  std::int64_t advance_s;  // time passing before this delivery
};

HttpRequest sign(bool standard, int event, std::int64_t t, const std::string& stripe_secret,
                 const std::string& std_secret) {
  const std::string id = fmt::format("evt_{}", event);
  const std::string body = fmt::format(R"({{"id":"{}","type":"t","data":{{"n":{}}}}})", id, event);
  if (!standard) {
    return {"POST",
            "/webhooks/stripe",
            {{"Stripe-Signature", stripe_signature_header(stripe_secret, t, body)}},
            body};
  }
  StandardHeaders h;
  RC_ASSERT(standard_webhook_sign(std_secret, id, t, body, &h).is_ok());
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
      rc::gen::arbitrary<bool>(), rc::gen::inRange(0, events_count),
      rc::gen::element<std::int64_t>(0, 1, 30, 299, 400, 3600)));

  FlakyStore store;
  CountingProcessor processor(&store);
  WebhookIntakeConfig config;
  config.stripe_secrets = {kStripeSecret};
  config.standard_secrets = {kStdSecret};
  Ports ports;
  ports.store = &store;
  std::unique_ptr<WebhookIntake> intake;
  RC_ASSERT(WebhookIntake::create(config, ports, &processor, &intake).is_ok());

  std::int64_t now_s = kT0;
  // Captured deliveries an attacker or the network can replay byte for byte.
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
        HttpRequest req = sign(d.standard, d.event, now_s, kStripeSecret, kStdSecret);
        processor.fail = d.kind == Kind::kProcessingFails;
        store.fail_commit = d.kind == Kind::kCommitFails;
        if (d.kind == Kind::kCrashAfterOneCommit) store.commits_before_failure = 1;
        r = intake->handle(req, now_us);
        processor.fail = store.fail_commit = false;
        store.commits_before_failure.reset();
        if (d.kind == Kind::kProcessingFails || d.kind == Kind::kCommitFails) {
          // A failure must not be acknowledged unless the event was already in the inbox.
          RC_ASSERT(r.status == 500 || r.body == R"({"status":"already_processed"})");
        }
        captured.emplace_back(std::move(req), now_s);
        break;
      }
      case Kind::kExactReplay: {
        if (captured.empty()) continue;
        const auto& [req, signed_s] = captured[static_cast<std::size_t>(d.event) % captured.size()];
        r = intake->handle(req, now_us);
        if (now_s - signed_s > 300) RC_ASSERT(r.status == 400);
        break;
      }
      case Kind::kForged:
        r = intake->handle(
            sign(d.standard, d.event + 1000, now_s, "whsec_attacker", "whsec_YXR0YWNrZXI="),
            now_us);
        RC_ASSERT(r.status == 400);
        continue;
      case Kind::kTampered: {
        HttpRequest req = sign(d.standard, d.event, now_s, kStripeSecret, kStdSecret);
        req.body = fmt::format(R"({{"id":"evt_{}","type":"t","data":{{"n":-1}}}})", d.event + 1000);
        RC_ASSERT(intake->handle(req, now_us).status == 400);
        continue;
      }
    }
    RC_ASSERT(r.status == 200 || r.status == 400 || r.status == 500);
  }
  // The peer keeps retrying every event until it is acknowledged: a fresh signature each time.
  now_s += 1;
  for (bool standard : {false, true}) {
    for (int e = 0; e < events_count; ++e) {
      const HttpResponse r =
          intake->handle(sign(standard, e, now_s, kStripeSecret, kStdSecret), now_s * kUsPerSec);
      RC_ASSERT(r.status == 200);
    }
  }
  // Exactly one effect per distinct authentic event, none for anything forged or tampered.
  std::map<std::string, std::string, std::less<>> expected;
  for (int e = 0; e < events_count; ++e) {
    expected[fmt::format("stripe/evt_{}", e)] = "1";
    expected[fmt::format("standard/evt_{}", e)] = "1";
  }
  RC_ASSERT(store.inner.tables().at("effects") == expected);
  RC_ASSERT(store.inner.size(kInboxTable) == static_cast<std::size_t>(2 * events_count));
}

}  // namespace
}  // namespace intsim::core::webhook
