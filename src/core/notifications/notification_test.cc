#include "src/core/notifications/notification.h"

#include <gtest/gtest.h>

#include "src/core/notifications/whatsapp_api.h"

namespace intsim::core::notifications {
namespace {

TEST(Notification, RowRoundTrips) {
  Notification n;
  n.id = notification_id(NotificationKind::kBookingRelocated, "bk_1", "u2");
  n.kind = NotificationKind::kBookingRelocated;
  n.booking_id = "bk_1";
  n.guest = "g_7";
  n.recipient = guest_wa_id("g_7");
  n.unit = "u2";
  n.state = NotificationState::kUnconfirmed;
  n.job_id = "job_1";
  n.wamid = "wamid.X";
  n.status = MessageStatus::kDelivered;
  n.used_template = true;
  n.sends = 2;
  n.dlq_entry = "job_0";
  n.check_at_us = 5;
  n.created_at_us = 1;
  n.updated_at_us = 2;
  Notification back;
  ASSERT_TRUE(decode_notification(encode_notification(n), &back).is_ok());
  EXPECT_EQ(back, n);
  EXPECT_EQ(n.id, "n_bk_1_relocated_u2");
  EXPECT_FALSE(decode_notification("{\"id\":1}", &back).is_ok());
}

TEST(Notification, GuestNumbersAreStableDigits) {
  EXPECT_EQ(guest_wa_id("g_17"), "15550000017");
  EXPECT_EQ(guest_wa_id("g_17"), guest_wa_id("g_17"));
  EXPECT_NE(guest_wa_id("alice"), guest_wa_id("bob"));
  EXPECT_EQ(guest_wa_id("alice").find_first_not_of("0123456789"), std::string::npos);
}

TEST(WhatsAppApi, SendBodiesHaveTheGraphShape) {
  OutboundMessage m;
  m.to = "15550000001";
  m.text = "hello";
  m.callback_data = "n_bk_1_confirmed";
  const auto text = nlohmann::json::parse(send_body(m));
  EXPECT_EQ(text["messaging_product"], "whatsapp");
  EXPECT_EQ(text["type"], "text");
  EXPECT_EQ(text["text"]["body"], "hello");
  EXPECT_EQ(text["biz_opaque_callback_data"], "n_bk_1_confirmed");
  m.use_template = true;
  m.template_name = "booking_confirmation";
  m.body_params = {"bk_1"};
  const auto tpl = nlohmann::json::parse(send_body(m));
  EXPECT_EQ(tpl["type"], "template");
  EXPECT_EQ(tpl["template"]["name"], "booking_confirmation");
  EXPECT_EQ(tpl["template"]["language"]["code"], "en_US");
  EXPECT_EQ(tpl["template"]["components"][0]["parameters"][0]["text"], "bk_1");
}

TEST(WhatsAppApi, ParsesWamidsAndGraphErrors) {
  std::string wamid;
  ASSERT_TRUE(parse_send_response(
                  R"({"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],)"
                  R"("messages":[{"id":"wamid.ABC"}]})",
                  &wamid)
                  .is_ok());
  EXPECT_EQ(wamid, "wamid.ABC");
  EXPECT_FALSE(parse_send_response(R"({"messages":[]})", &wamid).is_ok());
  const auto e = parse_graph_error(R"({"error":{"message":"(#131056) pair","code":131056}})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, kErrorPairRate);
  EXPECT_FALSE(parse_graph_error("not json").has_value());
  EXPECT_FALSE(parse_graph_error(R"({"error":{"code":"x"}})").has_value());
}

}  // namespace
}  // namespace intsim::core::notifications
