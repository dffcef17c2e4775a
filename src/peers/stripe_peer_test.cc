#include "src/peers/stripe_peer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/webhook/signature.h"
#include "src/peers/peer_test_support.h"

namespace intsim::peers {
namespace {

constexpr std::string_view kSecret = "whsec_peers_test";

class StripePeerTest : public testing::LoopbackTest {
 protected:
  struct Got {
    std::string type;
    bool authentic = false;
  };

  // The core stand-in keeps the events it receives and whether each was signed with the
  // endpoint secret (recomputed with the core's own signing function).
  StripePeerTest() {
    server::Router router;
    router.add("POST", "/webhooks/stripe", [this](const core::HttpRequest& r) {
      const std::string header(r.header("Stripe-Signature").value_or(""));
      std::int64_t t = 0;
      if (header.starts_with("t=")) t = std::stoll(header.substr(2, header.find(',') - 2));
      got.push_back({nlohmann::json::parse(r.body).value("type", ""),
                     header == core::webhook::stripe_signature_header(kSecret, t, r.body)});
      return server::text_response(200, "ok");
    });
    start_core(std::move(router));
    StripePeerOptions o;
    o.core_url = core_url();
    o.delivery.signing_secrets = {std::string(kSecret)};
    o.delivery.delivery_delay_ms_min = 1;
    o.delivery.delivery_delay_ms_max = 5;
    o.delivery.reorder_probability = 0;
    o.delivery.duplicate_probability = 0;
    o.delivery.before_response_probability = 0;
    peer = std::make_unique<StripePeer>(io, clock, std::move(o));
    EXPECT_TRUE(peer->start().is_ok());
  }

  std::vector<Got> got;
  std::unique_ptr<StripePeer> peer;
};

TEST_F(StripePeerTest, ServesTheApiAndDeliversSignedEventsToTheCore) {
  const core::HttpResult r =
      call(peer->port(), {"POST",
                          "/v1/payment_intents",
                          {{"Authorization", "Bearer sk_test_intsim"},
                           {"Content-Type", "application/x-www-form-urlencoded"}},
                          "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true"});
  ASSERT_TRUE(r.has_response()) << core::http_error_name(r.error);
  ASSERT_EQ(r.response.status, 200) << r.response.body;
  const auto pi = nlohmann::json::parse(r.response.body);
  EXPECT_EQ(pi.value("object", ""), "payment_intent");
  EXPECT_EQ(pi.value("amount", 0), 2000);

  run_until([&] {
    for (const auto& g : got) {
      if (g.type == "payment_intent.succeeded") return true;
    }
    return false;
  });
  ASSERT_FALSE(got.empty()) << "no event reached the core";
  bool succeeded = false;
  for (const auto& g : got) {
    EXPECT_TRUE(g.authentic) << g.type;
    succeeded = succeeded || g.type == "payment_intent.succeeded";
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GE(peer->stats().deliveries_accepted, 1u);
}

TEST_F(StripePeerTest, AWrongKeyIsRefusedLikeStripeDoes) {
  const core::HttpResult r =
      call(peer->port(),
           {"GET", "/v1/payment_intents", {{"Authorization", "Bearer sk_test_wrong"}}, ""});
  ASSERT_TRUE(r.has_response());
  EXPECT_EQ(r.response.status, 401);
}

}  // namespace
}  // namespace intsim::peers
