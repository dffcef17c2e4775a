#include "src/core/webhook/json_field.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

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

TEST(JsonTopLevelString, TheLeadingPlainMemberTakesNoParserYetAnswersTheSame) {
  EXPECT_EQ(json_top_level_string(" \n{ \"id\" :\t\"evt_1\", \"x\": [", "id"), "evt_1");
  EXPECT_EQ(json_top_level_string(R"({"id":"evt_\u0031"})", "id"), "evt_1");  // escapes: parser
  EXPECT_EQ(json_top_level_string(R"({"idx":"a","id":"b"})", "id"), "b");
  EXPECT_EQ(json_top_level_string(R"({"id":"unterminated)", "id"), std::nullopt);
  EXPECT_EQ(json_top_level_string("{\"id\":\"tab\there\"}", "id"), std::nullopt);  // raw control
  EXPECT_EQ(json_top_level_string("{\"id\":\"caf\xc3\xa9\"}", "id"), "caf\xc3\xa9");
  EXPECT_EQ(json_top_level_string("{\"id\":\"bad\xc3\"}", "id"), std::nullopt);  // bad UTF-8
}

// Whatever the text, the answer is the parser's: event-like texts with random bytes spliced in.
RC_GTEST_PROP(JsonTopLevelStringProperty, FastPathAgreesWithTheParser, ()) {
  std::string text = *rc::gen::element<std::string>(
      R"({"id":"evt_1","type":"x"})", R"( { "id" : "a b" , "data":{}} )", R"({"id":"q\"z"})",
      R"({"id":5})", R"({"id":"x)", R"({"object":"event","id":"evt_2"})", R"({"i":"d"})");
  const int edits = *rc::gen::inRange(0, 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = *rc::gen::inRange<std::size_t>(0, text.size() + 1);
    text.insert(at, 1,
                *rc::gen::element<char>('"', '\\', ' ', '\t', '\x01', '\xc3', '\xa9', 'i', 'd', '{',
                                        ':', '}'));
  }
  RC_ASSERT(json_top_level_string(text, "id") ==
            detail::json_top_level_string_by_parser(text, "id"));
}

TEST(JsonStringMember, OnlyStrings) {
  const nlohmann::json j = {{"type", "charge.succeeded"}, {"n", 3}};
  EXPECT_EQ(json_string_member(j, "type"), "charge.succeeded");
  EXPECT_EQ(json_string_member(j, "n"), "");
  EXPECT_EQ(json_string_member(j, "missing"), "");
}

}  // namespace
}  // namespace intsim::core::webhook
