#include "src/core/webhook/intake.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "src/core/webhook/intake_test_util.h"

namespace intsim::core::webhook {
namespace {

using testing::CountingProcessor;
using testing::FlakyStore;
using testing::RecordingLog;

constexpr std::int64_t kT = 1'767'225'600;
constexpr TimeUs kNowUs = kT * kUsPerSec;
const std::string kStripeSecret = "whsec_stripe_test_secret";
const std::string kStdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kAppSecret = "meta_app_secret_0123";
const std::string kVerifyToken = "verify-me";

class CountingMetrics : public Metrics {
 public:
  void count(std::string_view name, std::string_view peer, std::string_view outcome,
             std::int64_t delta) override {
    counts[std::string(name) + "|" + std::string(peer) + "|" + std::string(outcome)] += delta;
  }
  void observe_us(std::string_view, std::string_view, std::string_view, TimeUs) override {}
  std::map<std::string, std::int64_t> counts;
};

std::string stripe_event(std::string_view id, std::string_view type = "charge.succeeded") {
  return fmt::format(R"({{"id":"{}","object":"event","type":"{}","created":{},"data":{{)"
                     R"("object":{{"id":"ch_1","amount":1000}}}},"livemode":false}})",
                     id, type, kT);
}

HttpRequest stripe_request(const std::string& body, std::int64_t t = kT,
                           const std::string& secret = kStripeSecret) {
  return {"POST",
          "/webhooks/stripe",
          {{"Stripe-Signature", stripe_signature_header(secret, t, body)}},
          body};
}

HttpRequest standard_request(const std::string& id, const std::string& body, std::int64_t t = kT) {
  StandardHeaders h;
  EXPECT_TRUE(standard_webhook_sign(kStdSecret, id, t, body, &h).is_ok());
  return {"POST",
          "/webhooks/standard",
          {{"webhook-id", h.id},
           {"webhook-timestamp", h.timestamp},
           {"webhook-signature", h.signature}},
          body};
}

HttpRequest whatsapp_request(const std::string& body) {
  return {"POST",
          "/webhooks/whatsapp",
          {{"X-Hub-Signature-256", whatsapp_signature_header(kAppSecret, body)}},
          body};
}

std::string whatsapp_statuses(const std::vector<std::pair<std::string, std::string>>& statuses,
                              const std::vector<std::string>& message_ids = {}) {
  nlohmann::json value = {{"messaging_product", "whatsapp"},
                          {"metadata", {{"phone_number_id", "123"}}}};
  for (const auto& [id, status] : statuses) {
    value["statuses"].push_back(
        {{"id", id}, {"status", status}, {"timestamp", "1767225600"}, {"recipient_id", "34600"}});
  }
  for (const auto& id : message_ids) {
    value["messages"].push_back({{"id", id}, {"from", "34600"}, {"type", "text"}});
  }
  const nlohmann::json body = {
      {"object", "whatsapp_business_account"},
      {"entry", {{{"id", "WABA1"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}};
  return body.dump();
}

class IntakeTest : public ::testing::Test {
 protected:
  IntakeTest() : processor(&store) {
    config.stripe_secrets = {kStripeSecret};
    config.standard_secrets = {kStdSecret};
    config.whatsapp_app_secrets = {kAppSecret};
    config.whatsapp_verify_token = kVerifyToken;
    make();
  }
  void make() {
    Ports ports;
    ports.store = &store;
    ports.log = &log;
    ports.metrics = &metrics;
    ASSERT_TRUE(WebhookIntake::create(config, ports, &processor, &intake).is_ok());
  }
  int effects(std::string_view endpoint, std::string_view id) {
    std::string v;
    return store.inner.get("effects", std::string(endpoint) + "/" + std::string(id), &v).is_ok()
               ? std::stoi(v)
               : 0;
  }
  bool recorded(Endpoint e, std::string_view id) {
    bool r = false;
    EXPECT_TRUE(intake->is_recorded(e, id, &r).is_ok());
    return r;
  }

  WebhookIntakeConfig config;
  FlakyStore store;
  RecordingLog log;
  CountingMetrics metrics;
  CountingProcessor processor;
  std::unique_ptr<WebhookIntake> intake;
};

TEST_F(IntakeTest, NewStripeEventIsProcessedAndRecordedInOneCommit) {
  const HttpResponse r = intake->handle(stripe_request(stripe_event("evt_1")), kNowUs);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"received":true})");
  ASSERT_EQ(processor.seen.size(), 1u);
  EXPECT_EQ(processor.seen[0].id, "evt_1");
  EXPECT_EQ(processor.seen[0].type, "charge.succeeded");
  EXPECT_EQ(processor.seen[0].signed_at_s, kT);
  EXPECT_EQ(processor.seen[0].payload["data"]["object"]["amount"], 1000);
  EXPECT_EQ(store.inner.commits(), 1u);  // effects and inbox row together
  EXPECT_EQ(effects("stripe", "evt_1"), 1);
  EXPECT_TRUE(recorded(Endpoint::kStripe, "evt_1"));
  std::string at;
  ASSERT_TRUE(store.inner.get(kInboxTable, "stripe/evt_1", &at).is_ok());
  EXPECT_EQ(at, std::to_string(kNowUs));
  EXPECT_EQ(metrics.counts["webhook.requests|stripe|processed"], 1);
}

TEST_F(IntakeTest, DuplicateAndRedeliveryAnswerAlreadyProcessedWithoutEffects) {
  const std::string body = stripe_event("evt_1");
  ASSERT_EQ(intake->handle(stripe_request(body), kNowUs).status, 200);
  // The same bytes again (a network duplicate) and a redelivery signed an hour later.
  for (const auto& [req, now] :
       {std::pair{stripe_request(body), kNowUs + 1},
        std::pair{stripe_request(body, kT + 3600), kNowUs + 3600 * kUsPerSec}}) {
    const HttpResponse r = intake->handle(req, now);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"already_processed"})");
  }
  EXPECT_EQ(processor.seen.size(), 1u);
  EXPECT_EQ(store.inner.commits(), 1u);
  EXPECT_EQ(effects("stripe", "evt_1"), 1);
  EXPECT_EQ(metrics.counts["webhook.requests|stripe|duplicate"], 2);
}

TEST_F(IntakeTest, InvalidSignaturesAre400WithTheReasonAndTouchNothing) {
  const std::string body = stripe_event("evt_1");
  HttpRequest forged = stripe_request(body, kT, "whsec_attacker");
  HttpRequest unsigned_req = forged;
  unsigned_req.headers.clear();
  HttpRequest tampered = stripe_request(body);
  tampered.body = stripe_event("evt_2");
  const HttpRequest stale = stripe_request(body, kT - 301);
  const std::pair<HttpRequest, std::string> cases[] = {{forged, "no_match"},
                                                       {unsigned_req, "missing_header"},
                                                       {tampered, "no_match"},
                                                       {stale, "timestamp_too_old"}};
  for (const auto& [req, reason] : cases) {
    const HttpResponse r = intake->handle(req, kNowUs);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"({"error":"invalid_signature","reason":")" + reason + "\"}");
  }
  EXPECT_TRUE(processor.seen.empty());
  EXPECT_EQ(store.inner.commits(), 0u);
  EXPECT_EQ(metrics.counts["webhook.rejected|stripe|no_match"], 2);
  EXPECT_EQ(metrics.counts["webhook.requests|stripe|rejected"], 4);
}

TEST_F(IntakeTest, SignatureIsCheckedBeforeTheInbox) {
  ASSERT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs).status, 200);
  // A forged copy of a processed event must not learn "already processed".
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_1"), kT, "whsec_x"), kNowUs).status,
            400);
  // And a store outage cannot turn a forgery into a 500 the attacker could use.
  store.fail_get = true;
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_9"), kT, "whsec_x"), kNowUs).status,
            400);
}

TEST_F(IntakeTest, ProcessingFailureIs500AndRecordsNothingSoTheRetryProcesses) {
  processor.fail = true;
  const HttpResponse r = intake->handle(stripe_request(stripe_event("evt_1")), kNowUs);
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(recorded(Endpoint::kStripe, "evt_1"));
  EXPECT_EQ(store.inner.commits(), 0u);
  processor.fail = false;
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs + 1).status, 200);
  EXPECT_EQ(effects("stripe", "evt_1"), 1);
  EXPECT_TRUE(recorded(Endpoint::kStripe, "evt_1"));
  ASSERT_FALSE(log.lines.empty());
  EXPECT_TRUE(log.contains("injected processing failure"));
}

TEST_F(IntakeTest, CommitOrInboxReadFailureIs500AndRecordsNothing) {
  store.fail_commit = true;
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs).status, 500);
  store.fail_commit = false;
  EXPECT_EQ(effects("stripe", "evt_1"), 0);
  EXPECT_FALSE(recorded(Endpoint::kStripe, "evt_1"));
  store.fail_get = true;
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs).status, 500);
  store.fail_get = false;
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs).status, 200);
  EXPECT_EQ(effects("stripe", "evt_1"), 1);
}

TEST_F(IntakeTest, AuthenticButMalformedEventIs400) {
  for (const std::string& body : {std::string(R"({"object":"event"})"), std::string(R"({"id":7})"),
                                  std::string("not json"), std::string(R"({"id":"evt_1",)")}) {
    EXPECT_EQ(intake->handle(stripe_request(body), kNowUs).body, R"({"error":"malformed_event"})")
        << body;
  }
  EXPECT_TRUE(processor.seen.empty());
  EXPECT_EQ(store.inner.commits(), 0u);
}

TEST_F(IntakeTest, StandardWebhooksDeduplicateOnWebhookId) {
  const std::string body =
      R"({"type":"invoice.paid","timestamp":"2026-01-01T00:00:00Z","data":{}})";
  EXPECT_EQ(intake->handle(standard_request("msg_1", body), kNowUs).status, 200);
  ASSERT_EQ(processor.seen.size(), 1u);
  EXPECT_EQ(processor.seen[0].id, "msg_1");
  EXPECT_EQ(processor.seen[0].type, "invoice.paid");
  EXPECT_EQ(intake->handle(standard_request("msg_1", body, kT + 60), kNowUs + 60 * kUsPerSec).body,
            R"({"status":"already_processed"})");
  EXPECT_EQ(intake->handle(standard_request("msg_2", body), kNowUs).status, 200);
  EXPECT_EQ(effects("standard", "msg_1"), 1);
  EXPECT_EQ(effects("standard", "msg_2"), 1);
  HttpRequest future = standard_request("msg_3", body, kT + 301);
  EXPECT_EQ(intake->handle(future, kNowUs).body,
            R"({"error":"invalid_signature","reason":"timestamp_in_future"})");
  EXPECT_EQ(intake->handle(standard_request("msg_4", "[1,2]"), kNowUs).body,
            R"({"error":"malformed_event"})");
}

TEST_F(IntakeTest, WhatsAppEntriesAreDeduplicatedOneByOne) {
  const std::string first =
      whatsapp_statuses({{"wamid.A", "sent"}, {"wamid.A", "delivered"}}, {"wamid.IN1"});
  HttpResponse r = intake->handle(whatsapp_request(first), kNowUs);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"received":true,"events":3,"duplicates":0})");
  ASSERT_EQ(processor.seen.size(), 3u);
  EXPECT_EQ(processor.seen[0].id, "message:wamid.IN1");  // messages before statuses
  EXPECT_EQ(processor.seen[0].type, "message");
  EXPECT_EQ(processor.seen[1].id, "status:wamid.A:sent");
  EXPECT_EQ(processor.seen[1].payload["recipient_id"], "34600");
  EXPECT_EQ(processor.seen[1].context["metadata"]["phone_number_id"], "123");
  EXPECT_EQ(processor.seen[1].context["entry_id"], "WABA1");
  EXPECT_EQ(store.inner.commits(), 1u);
  // The whole POST again: nothing new.
  EXPECT_EQ(intake->handle(whatsapp_request(first), kNowUs).body,
            R"({"status":"already_processed"})");
  // Out of order and overlapping: read arrives with a repeat of sent, and twice in one POST.
  r = intake->handle(whatsapp_request(whatsapp_statuses(
                         {{"wamid.A", "read"}, {"wamid.A", "sent"}, {"wamid.A", "read"}})),
                     kNowUs);
  EXPECT_EQ(r.body, R"({"received":true,"events":1,"duplicates":2})");
  EXPECT_EQ(effects("whatsapp", "status:wamid.A:read"), 1);
  EXPECT_EQ(effects("whatsapp", "status:wamid.A:sent"), 1);
  EXPECT_EQ(processor.seen.size(), 4u);
}

TEST_F(IntakeTest, WhatsAppChangeWithoutItemsGetsAContentKey) {
  const nlohmann::json body = {
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", "WABA1"},
         {"changes", {{{"field", "messages"}, {"value", {{"errors", {{{"code", 131026}}}}}}}}}}}}};
  EXPECT_EQ(intake->handle(whatsapp_request(body.dump()), kNowUs).status, 200);
  ASSERT_EQ(processor.seen.size(), 1u);
  EXPECT_EQ(processor.seen[0].type, "change");
  EXPECT_TRUE(processor.seen[0].id.starts_with("change:WABA1:messages:"));
  EXPECT_EQ(processor.seen[0].id.size(), std::string("change:WABA1:messages:").size() + 64);
  EXPECT_EQ(intake->handle(whatsapp_request(body.dump(2)), kNowUs).body,
            R"({"status":"already_processed"})")
      << "the key must not depend on the sender's whitespace";
}

TEST_F(IntakeTest, WhatsAppRejectsBadSignaturesAndMalformedPayloads) {
  HttpRequest req = whatsapp_request(whatsapp_statuses({{"wamid.A", "sent"}}));
  req.body[5] ^= 1;
  EXPECT_EQ(intake->handle(req, kNowUs).body,
            R"({"error":"invalid_signature","reason":"no_match"})");
  for (
      const std::string& bad :
      {std::string(R"({"object":"page","entry":[]})"),
       std::string(R"({"object":"whatsapp_business_account"})"),
       std::string(
           R"({"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"value":{"statuses":[{"id":"x"}]}}]}]})")}) {
    EXPECT_EQ(intake->handle(whatsapp_request(bad), kNowUs).body, R"({"error":"malformed_event"})")
        << bad;
  }
  EXPECT_TRUE(processor.seen.empty());
}

TEST_F(IntakeTest, WhatsAppHandshake) {
  const auto get = [&](const std::string& query) {
    return intake->handle({"GET", "/webhooks/whatsapp?" + query, {}, ""}, kNowUs);
  };
  HttpResponse r = get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "1158201444");
  EXPECT_EQ(get("hub.challenge=a%20b+c&hub.verify_token=verify%2Dme&hub.mode=subscribe").body,
            "a b c");
  EXPECT_EQ(get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1").status, 403);
  EXPECT_EQ(get("hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1").status, 403);
  EXPECT_EQ(get("hub.mode=subscribe&hub.challenge=1").status, 403);
  EXPECT_EQ(get("hub.mode=subscribe&hub.verify_token=verify-me").status, 400);
  EXPECT_EQ(get("hub.mode=subscribe&hub.verify_token=verify-me%zz&hub.challenge=1").status, 403);
  config.whatsapp_verify_token.clear();
  make();
  EXPECT_EQ(get("hub.mode=subscribe&hub.verify_token=&hub.challenge=1").status, 403);
  EXPECT_FALSE(log.contains(kVerifyToken));
}

TEST_F(IntakeTest, Routing) {
  EXPECT_EQ(intake->handle({"POST", "/webhooks/paypal", {}, ""}, kNowUs).status, 404);
  const HttpResponse r = intake->handle({"GET", "/webhooks/stripe", {}, ""}, kNowUs);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_EQ(intake->handle({"PUT", "/webhooks/whatsapp", {}, ""}, kNowUs).status, 405);
  HttpRequest with_query = stripe_request(stripe_event("evt_q"));
  with_query.target += "?x=1";
  EXPECT_EQ(intake->handle(with_query, kNowUs).status, 200);
  config.stripe_secrets.clear();
  make();
  EXPECT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs).status, 404);
}

TEST_F(IntakeTest, SecretsNeverReachTheLog) {
  intake->handle(stripe_request(stripe_event("evt_1"), kT, kStripeSecret + "x"), kNowUs);
  intake->handle(stripe_request(stripe_event("evt_1"), kT - 1000), kNowUs);
  intake->handle(standard_request("msg_1", "{}", kT + 1000), kNowUs);
  intake->handle(whatsapp_request("{}"), kNowUs);
  intake->handle({"GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x", {}, ""},
                 kNowUs);
  processor.fail = true;
  intake->handle(stripe_request(stripe_event("evt_2")), kNowUs);
  EXPECT_GE(log.lines.size(), 6u);
  for (const std::string& secret :
       {kStripeSecret, kStdSecret, kStdSecret.substr(6), kAppSecret, kVerifyToken}) {
    EXPECT_FALSE(log.contains(secret)) << secret;
  }
}

TEST_F(IntakeTest, PruneKeepsRowsForEachEndpointsRetention) {
  ASSERT_EQ(intake->handle(stripe_request(stripe_event("evt_1")), kNowUs).status, 200);
  ASSERT_EQ(
      intake->handle(whatsapp_request(whatsapp_statuses({{"wamid.A", "sent"}})), kNowUs).status,
      200);
  std::size_t erased = 99;
  ASSERT_TRUE(intake->prune(kNowUs + 3 * kUsPerDay, 100, &erased).is_ok());
  EXPECT_EQ(erased, 0u);  // exactly the window old: kept
  EXPECT_TRUE(recorded(Endpoint::kStripe, "evt_1"));
  ASSERT_TRUE(intake->prune(kNowUs + 3 * kUsPerDay + 1, 100, &erased).is_ok());
  EXPECT_EQ(erased, 1u);
  EXPECT_FALSE(recorded(Endpoint::kStripe, "evt_1"));
  EXPECT_TRUE(recorded(Endpoint::kWhatsApp, "status:wamid.A:sent"));
  ASSERT_TRUE(intake->prune(kNowUs + 7 * kUsPerDay + 1, 100, &erased).is_ok());
  EXPECT_EQ(erased, 1u);
  EXPECT_EQ(store.inner.size(kInboxTable), 0u);
  EXPECT_EQ(store.inner.size(kInboxByTimeTable), 0u);
}

TEST_F(IntakeTest, PruneIsBoundedAndOldestFirst) {
  config.stripe_retention_us = kUsPerHour;
  make();
  for (int i = 0; i < 5; ++i) {
    const TimeUs at = kNowUs + i * kUsPerMin;
    ASSERT_EQ(
        intake
            ->handle(stripe_request(stripe_event(fmt::format("evt_{}", 9 - i)), unix_seconds(at)),
                     at)
            .status,
        200);
  }
  std::size_t erased = 0;
  ASSERT_TRUE(intake->prune(kNowUs + kUsPerDay, 2, &erased).is_ok());
  EXPECT_EQ(erased, 2u);
  EXPECT_FALSE(recorded(Endpoint::kStripe, "evt_9"));  // received first, although it sorts last
  EXPECT_FALSE(recorded(Endpoint::kStripe, "evt_8"));
  EXPECT_TRUE(recorded(Endpoint::kStripe, "evt_7"));
  ASSERT_TRUE(intake->prune(kNowUs + kUsPerDay, 100, &erased).is_ok());
  EXPECT_EQ(erased, 3u);
}

TEST_F(IntakeTest, RejectsABadStandardSecretOrNegativeRetention) {
  std::unique_ptr<WebhookIntake> other;
  Ports ports;
  ports.store = &store;
  WebhookIntakeConfig bad = config;
  bad.standard_secrets = {"whsec_***"};
  EXPECT_EQ(WebhookIntake::create(bad, ports, &processor, &other).code(),
            Status::Code::kInvalidArgument);
  bad = config;
  bad.whatsapp_retention_us = -1;
  EXPECT_EQ(WebhookIntake::create(bad, ports, &processor, &other).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(other, nullptr);
}

}  // namespace
}  // namespace intsim::core::webhook
