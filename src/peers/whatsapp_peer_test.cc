#include "src/peers/whatsapp_peer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/webhook/query.h"
#include "src/core/webhook/signature.h"
#include "src/peers/peer_test_support.h"

namespace intsim::peers {
namespace {

constexpr std::string_view kAppSecret = "wa_peer_test_secret";
constexpr std::string_view kVerifyToken = "wa_peer_test_verify";
constexpr std::string_view kToken = "wa_peer_test_token";

class WhatsAppPeerTest : public testing::LoopbackTest {
 protected:
  struct Status {
    std::string wamid;
    std::string status;
    std::string callback;
  };

  // The core stand-in: answers the handshake like the core does, checks each webhook's
  // X-Hub-Signature-256 with the core's own signing function, and fails the first
  // `refuse_first` deliveries with a 500 (Meta must retry them).
  void start(int refuse_first = 0) {
    server::Router router;
    router.add("GET", "/webhooks/whatsapp", [this](const core::HttpRequest& r) {
      const std::string_view query = std::string_view(r.target).substr(r.target.find('?') + 1);
      const auto token = core::webhook::query_param(query, "hub.verify_token");
      const auto challenge = core::webhook::query_param(query, "hub.challenge");
      if (token != kVerifyToken || !challenge) return server::text_response(403, "no");
      return server::text_response(200, *challenge);
    });
    router.add("POST", "/webhooks/whatsapp", [this, refuse_first](const core::HttpRequest& r) {
      ++deliveries;
      if (deliveries <= refuse_first) return server::text_response(500, "later");
      const bool authentic = r.header("X-Hub-Signature-256").value_or("") ==
                             core::webhook::whatsapp_signature_header(kAppSecret, r.body);
      EXPECT_TRUE(authentic) << r.body;
      if (!authentic) return server::text_response(401, "forged");
      const auto doc = nlohmann::json::parse(r.body);
      for (const auto& st :
           doc["entry"][0]["changes"][0]["value"].value("statuses", nlohmann::json::array())) {
        statuses.push_back(
            {st.value("id", ""), st.value("status", ""), st.value("biz_opaque_callback_data", "")});
      }
      return server::text_response(200, "ok");
    });
    start_core(std::move(router));

    WhatsAppPeerOptions o;
    o.core_url = core_url();
    o.model.access_token = std::string(kToken);
    o.model.sent_us_max = 20 * core::kUsPerMs;
    o.model.delivered_us_max = 40 * core::kUsPerMs;
    o.model.offline_probability = 0;
    o.model.read_probability = 0;
    o.webhooks.app_secret = std::string(kAppSecret);
    o.webhooks.verify_token = std::string(kVerifyToken);
    o.webhooks.delay_us_min = 1 * core::kUsPerMs;
    o.webhooks.delay_us_max = 5 * core::kUsPerMs;
    o.webhooks.duplicate_probability = 0;
    o.webhooks.first_retry_us = 50 * core::kUsPerMs;
    peer = std::make_unique<WhatsAppPeer>(io, clock, std::move(o));
    ASSERT_TRUE(peer->start().is_ok());
  }

  core::HttpResult send(const std::string& body, std::string_view token = kToken) {
    return call(peer->port(), {"POST",
                               "/v21.0/" + peer->model().config().phone_number_id + "/messages",
                               {{"Authorization", "Bearer " + std::string(token)},
                                {"Content-Type", "application/json"}},
                               body});
  }

  bool has_status(const std::string& wamid, std::string_view status) const {
    for (const Status& s : statuses) {
      if (s.wamid == wamid && s.status == status) return true;
    }
    return false;
  }

  static std::string template_message(std::string_view to) {
    return nlohmann::json{
        {"messaging_product", "whatsapp"},
        {"to", to},
        {"type", "template"},
        {"template", {{"name", "booking_confirmed"}, {"language", {{"code", "en_US"}}}}},
        {"biz_opaque_callback_data", "n_42"}}
        .dump();
  }

  int deliveries = 0;
  std::vector<Status> statuses;
  std::unique_ptr<WhatsAppPeer> peer;
};

TEST_F(WhatsAppPeerTest, AcceptsASendAndDeliversItsSignedStatusesToTheCore) {
  start();
  const core::HttpResult r = send(template_message("15551234567"));
  ASSERT_TRUE(r.has_response()) << core::http_error_name(r.error);
  ASSERT_EQ(r.response.status, 200) << r.response.body;
  const std::string wamid = nlohmann::json::parse(r.response.body)["messages"][0].value("id", "");
  ASSERT_FALSE(wamid.empty());
  EXPECT_TRUE(run_until([&] { return has_status(wamid, "delivered"); }));
  EXPECT_TRUE(has_status(wamid, "sent"));
  for (const Status& s : statuses) EXPECT_EQ(s.callback, "n_42");
  EXPECT_TRUE(peer->stats().handshake_verified);
  EXPECT_EQ(peer->model().received().at("15551234567").size(), 1u);
}

TEST_F(WhatsAppPeerTest, RetriesAWebhookTheCoreRefused) {
  start(/*refuse_first=*/1);
  const core::HttpResult r = send(template_message("15551234567"));
  ASSERT_EQ(r.response.status, 200) << r.response.body;
  EXPECT_TRUE(run_until([&] { return statuses.size() >= 2; }));
  EXPECT_GE(peer->webhooks().stats().failures, 1u);
  EXPECT_EQ(peer->stats().deliveries, peer->stats().deliveries_accepted + 1);
}

TEST_F(WhatsAppPeerTest, AnswersTheModelsErrors) {
  start();
  const core::HttpResult forged = send(template_message("15551234567"), "wrong_token");
  EXPECT_EQ(forged.response.status, 401);
  // Free-form text to a guest who never wrote in: outside the 24 h window.
  const core::HttpResult text = send(nlohmann::json{
      {"messaging_product", "whatsapp"},
      {"to", "15557654321"},
      {"type", "text"},
      {"text", {{"body", "hello"}}}}.dump());
  EXPECT_EQ(text.response.status, 400);
  EXPECT_NE(text.response.body.find("131047"), std::string::npos) << text.response.body;
  EXPECT_EQ(call(peer->port(), {"GET", "/v21.0/nothing", {}, ""}).response.status, 404);
}

TEST_F(WhatsAppPeerTest, RepeatsTheHandshakeUntilTheCoreEchoesTheChallenge) {
  server::Router router;
  int handshakes = 0;
  router.add("GET", "/webhooks/whatsapp", [&](const core::HttpRequest& r) {
    ++handshakes;
    const std::string_view query = std::string_view(r.target).substr(r.target.find('?') + 1);
    if (handshakes == 1) return server::text_response(403, "not yet");
    return server::text_response(200,
                                 std::string(*core::webhook::query_param(query, "hub.challenge")));
  });
  start_core(std::move(router));
  WhatsAppPeerOptions o;
  o.core_url = core_url();
  o.webhooks.verify_token = "t";
  o.handshake_retry_us = 20 * core::kUsPerMs;
  peer = std::make_unique<WhatsAppPeer>(io, clock, std::move(o));
  ASSERT_TRUE(peer->start().is_ok());
  EXPECT_TRUE(run_until([&] { return peer->stats().handshake_verified; }));
  EXPECT_EQ(peer->stats().handshake_attempts, 2u);
}

}  // namespace
}  // namespace intsim::peers
