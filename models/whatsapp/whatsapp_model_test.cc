#include "models/whatsapp/whatsapp_model.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace intsim::models::whatsapp {
namespace {

constexpr core::TimeUs kT0 = 1'767'225'600LL * core::kUsPerSec;
constexpr const char* kUser = "15550000007";

class WhatsAppModelTest : public ::testing::Test {
 protected:
  WhatsAppModelTest() { rebuild(); }
  void rebuild() { model = std::make_unique<WhatsAppModel>(config, sim::Rng(7)); }

  core::HttpResponse send(const std::string& type, const std::string& to = kUser,
                          const std::string& callback = "n_1") {
    nlohmann::json body = {{"messaging_product", "whatsapp"}, {"to", to}, {"type", type}};
    if (type == "text") body["text"] = {{"body", "hi"}};
    if (type == "template") {
      body["template"] = {{"name", "booking_confirmation"}, {"language", {{"code", "en_US"}}}};
    }
    body["biz_opaque_callback_data"] = callback;
    core::HttpRequest r{"POST",
                        "/v1/" + config.phone_number_id + "/messages",
                        {{"Authorization", "Bearer " + config.access_token}},
                        body.dump()};
    return model->handle(r, now);
  }
  static int code(const core::HttpResponse& r) {
    return nlohmann::json::parse(r.body)["error"]["code"].get<int>();
  }
  void open_window(const std::string& user) {
    config.users = {user};
    config.inbound_per_user_per_day = 1e6;  // at once
    rebuild();
    model->start(now);
    now += core::kUsPerSec;
    model->advance(now);
    model->stop_inbound();
  }

  WhatsAppConfig config;
  std::unique_ptr<WhatsAppModel> model;
  core::TimeUs now = kT0;
};

TEST_F(WhatsAppModelTest, TemplateIsAcceptedWithAWamidAndReceived) {
  const core::HttpResponse r = send("template");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["messaging_product"], "whatsapp");
  const std::string wamid = j["messages"][0]["id"];
  EXPECT_TRUE(wamid.starts_with("wamid."));
  ASSERT_EQ(model->received().at(kUser).size(), 1u);
  EXPECT_EQ(model->received().at(kUser)[0].callback, "n_1");
}

TEST_F(WhatsAppModelTest, FreeFormNeedsTheWindow) {
  EXPECT_EQ(code(send("text")), 131047);
  open_window(kUser);
  EXPECT_EQ(send("text").status, 200);
  now += config.window_us;
  EXPECT_EQ(code(send("text", kUser, "n_2")), 131047);
}

TEST_F(WhatsAppModelTest, PairRateLimitsOneUserNotOthers) {
  ASSERT_EQ(send("template").status, 200);
  now += config.pair_interval_us - 1;
  EXPECT_EQ(code(send("template")), 131056);
  EXPECT_EQ(send("template", "15550000008").status, 200);
  now += 1;
  EXPECT_EQ(send("template").status, 200);
  EXPECT_EQ(model->errors_by_code().at(131056), 1u);
}

TEST_F(WhatsAppModelTest, ThroughputLimit) {
  config.throughput_per_sec = 2;
  rebuild();
  EXPECT_EQ(send("template", "15550000001").status, 200);
  EXPECT_EQ(send("template", "15550000002").status, 200);
  EXPECT_EQ(code(send("template", "15550000003")), 130429);
  now += core::kUsPerSec;
  EXPECT_EQ(send("template", "15550000003").status, 200);
}

TEST_F(WhatsAppModelTest, UndeliverableAndAuth) {
  config.undeliverable_probability = 1.0;
  rebuild();
  EXPECT_EQ(code(send("template")), 131026);
  core::HttpRequest r{"POST",
                      "/v1/" + config.phone_number_id + "/messages",
                      {{"Authorization", "Bearer wrong"}},
                      "{}"};
  EXPECT_EQ(model->handle(r, now).status, 401);
  r.target = "/v1/999/messages";
  EXPECT_EQ(model->handle(r, now).status, 404);
}

TEST_F(WhatsAppModelTest, AmbiguousErrorStillDelivers) {
  config.ambiguous_error_probability = 1.0;
  rebuild();
  EXPECT_EQ(send("template").status, 500);
  EXPECT_EQ(model->received().at(kUser).size(), 1u);
  now += config.pair_interval_us;
  EXPECT_EQ(send("template").status, 500);
  EXPECT_EQ(model->duplicates(), 1u);
}

TEST_F(WhatsAppModelTest, StatusesFollowAndCarryTheCallback) {
  config.read_probability = 1.0;
  rebuild();
  const auto r = send("template");
  const std::string wamid = nlohmann::json::parse(r.body)["messages"][0]["id"];
  EXPECT_TRUE(model->pending_statuses());
  now += 10 * core::kUsPerHour;
  model->advance(now);
  EXPECT_FALSE(model->pending_statuses());
  EXPECT_EQ(model->statuses().at(wamid), "read");
  const auto hooks = model->take_webhooks();
  ASSERT_EQ(hooks.size(), 3u);
  std::vector<std::string> seen;
  for (const std::string& h : hooks) {
    const auto j = nlohmann::json::parse(h);
    EXPECT_EQ(j["object"], "whatsapp_business_account");
    const auto& st = j["entry"][0]["changes"][0]["value"]["statuses"][0];
    EXPECT_EQ(st["biz_opaque_callback_data"], "n_1");
    EXPECT_TRUE(st["timestamp"].is_string());
    seen.push_back(st["status"]);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"sent", "delivered", "read"}));
}

}  // namespace
}  // namespace intsim::models::whatsapp
