#include "src/peers/stripe_peer.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/webhook/signature.h"
#include "src/server/http_client.h"
#include "src/server/http_server.h"
#include "src/server/system_ports.h"

namespace intsim::peers {
namespace {

constexpr std::string_view kSecret = "whsec_peers_test";

// A core stand-in on loopback that keeps the events it receives and whether each was signed
// with the endpoint secret (recomputed with the core's own signing function).
struct Receiver {
  struct Got {
    std::string type;
    bool authentic = false;
  };
  explicit Receiver(boost::asio::io_context& io) {
    server::Router router;
    router.add("POST", "/webhooks/stripe", [this](const core::HttpRequest& r) {
      const std::string header(r.header("Stripe-Signature").value_or(""));
      std::int64_t t = 0;
      if (header.starts_with("t=")) t = std::stoll(header.substr(2, header.find(',') - 2));
      got.push_back({nlohmann::json::parse(r.body).value("type", ""),
                     header == core::webhook::stripe_signature_header(kSecret, t, r.body)});
      return server::text_response(200, "ok");
    });
    http = std::make_unique<server::HttpServer>(io, std::move(router), server::HttpServerOptions{});
    EXPECT_TRUE(http->start().is_ok());
  }
  std::vector<Got> got;
  std::unique_ptr<server::HttpServer> http;
};

struct Caller final : core::HttpResultSink {
  void on_http_result(core::RequestId id, core::HttpResult r, core::TimeUs) override {
    results[id] = std::move(r);
  }
  std::map<core::RequestId, core::HttpResult> results;
};

class StripePeerTest : public ::testing::Test {
 protected:
  StripePeerTest() : receiver(io) {
    StripePeerOptions o;
    o.core_url = "http://127.0.0.1:" + std::to_string(receiver.http->port());
    o.delivery.signing_secrets = {std::string(kSecret)};
    o.delivery.delivery_delay_ms_min = 1;
    o.delivery.delivery_delay_ms_max = 5;
    o.delivery.reorder_probability = 0;
    o.delivery.duplicate_probability = 0;
    o.delivery.before_response_probability = 0;
    peer = std::make_unique<StripePeer>(io, clock, std::move(o));
    EXPECT_TRUE(peer->start().is_ok());
    server::HttpClientOptions c;
    c.base_urls["stripe"] = "http://127.0.0.1:" + std::to_string(peer->port());
    client = std::make_unique<server::BeastHttpClient>(io, clock, std::move(c));
    EXPECT_TRUE(client->init().is_ok());
    client->set_sink(&caller);
  }

  core::HttpResult call(core::RequestId id, core::HttpRequest request) {
    client->send(id, "stripe", std::move(request), clock.now_us() + 5 * core::kUsPerSec);
    run_until([&] { return caller.results.contains(id); });
    return caller.results.at(id);
  }
  // Runs the loop until `done` or 5 s of wall time.
  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(10));
      if (io.stopped()) io.restart();
    }
  }

  boost::asio::io_context io;
  server::SystemClock clock;
  Receiver receiver;
  std::unique_ptr<StripePeer> peer;
  Caller caller;
  std::unique_ptr<server::BeastHttpClient> client;
};

TEST_F(StripePeerTest, ServesTheApiAndDeliversSignedEventsToTheCore) {
  const core::HttpResult r =
      call(1, {"POST",
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
    for (const auto& g : receiver.got) {
      if (g.type == "payment_intent.succeeded") return true;
    }
    return false;
  });
  ASSERT_FALSE(receiver.got.empty()) << "no event reached the core";
  bool succeeded = false;
  for (const auto& g : receiver.got) {
    EXPECT_TRUE(g.authentic) << g.type;
    succeeded = succeeded || g.type == "payment_intent.succeeded";
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GE(peer->stats().deliveries_accepted, 1u);
}

TEST_F(StripePeerTest, AWrongKeyIsRefusedLikeStripeDoes) {
  const core::HttpResult r =
      call(1, {"GET", "/v1/payment_intents", {{"Authorization", "Bearer sk_test_wrong"}}, ""});
  ASSERT_TRUE(r.has_response());
  EXPECT_EQ(r.response.status, 401);
}

}  // namespace
}  // namespace intsim::peers
