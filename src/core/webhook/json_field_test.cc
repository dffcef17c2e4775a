#include "src/core/webhook/json_field.h"

#include <gtest/gtest.h>

namespace intsim::core::webhook {
namespace {

TEST(JsonTopLevelString, ReadsOnlyTheTopLevelMember) {
  EXPECT_EQ(json_top_level_string(R"({"id":"evt_1","data":{}})", "id"), "evt_1");
  EXPECT_EQ(
      json_top_level_string(R"({"data":{"id":"inner","x":[{"id":"deep"}]},"id":"evt_2"})", "id"),
      "evt_2");
  EXPECT_EQ(json_top_level_string(R"({"i\u0064":"evt_\"3"})", "id"), "evt_\"3");
  EXPECT_EQ(json_top_level_string(R"({"data":{"id":"inner"}})", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string(R"({"id":5})", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string(R"({"id":{"a":"b"}})", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string(R"(["id","x"])", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string(R"("id")", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string(R"({"data":[1,2,)", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string("", "id"), std::nullopt);
}

TEST(JsonStringMember, OnlyStrings) {
  const nlohmann::json j = {{"type", "charge.succeeded"}, {"n", 3}};
  EXPECT_EQ(json_string_member(j, "type"), "charge.succeeded");
  EXPECT_EQ(json_string_member(j, "n"), "");
  EXPECT_EQ(json_string_member(j, "missing"), "");
}

}  // namespace
}  // namespace intsim::core::webhook
