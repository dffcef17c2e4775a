#include "src/core/payments/form_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace intsim::core::payments {
namespace {

TEST(FormCodec, EscapesLikeStripeSdks) {
  EXPECT_EQ(form_escape("a b&c=d"), "a+b%26c%3Dd");
  EXPECT_EQ(form_escape("metadata['x']"), "metadata%5B%27x%27%5D");
  EXPECT_EQ(form_escape("~-._Az9"), "~-._Az9");
  EXPECT_EQ(form_escape("\xc3\xa9"), "%C3%A9");
}

TEST(FormCodec, FlatRoundTripKeepsOrderAndBrackets) {
  const FormFields fields = {
      {"amount", "1000"}, {"metadata[booking_id]", "b 1&x"}, {"expand[]", "customer"}};
  const std::string body = form_encode(fields);
  EXPECT_EQ(body, "amount=1000&metadata[booking_id]=b+1%26x&expand[]=customer");
  FormFields back;
  ASSERT_TRUE(form_decode(body, &back).is_ok());
  EXPECT_EQ(back, fields);
}

TEST(FormCodec, DecodesEncodedBrackets) {
  FormFields back;
  ASSERT_TRUE(form_decode("metadata%5Bbooking_id%5D=b_1&&flag", &back).is_ok());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], FormField("metadata[booking_id]", "b_1"));
  EXPECT_EQ(back[1], FormField("flag", ""));
}

TEST(FormCodec, RejectsBadEscapes) {
  FormFields back;
  EXPECT_FALSE(form_decode("a=%4", &back).is_ok());
  EXPECT_FALSE(form_decode("a=%zz", &back).is_ok());
  EXPECT_FALSE(form_decode("a=%", &back).is_ok());
}

TEST(FormCodec, NestedJsonEncoding) {
  const nlohmann::json params = {
      {"amount", 1000},
      {"currency", "usd"},
      {"confirm", true},
      {"metadata", {{"booking_id", "b_1"}, {"guest", "Ana"}}},
      {"items", nlohmann::json::array({{{"price", "price_1"}}, {{"price", "price_2"}}})}};
  EXPECT_EQ(form_encode_json(params),
            "amount=1000&confirm=true&currency=usd&items[0][price]=price_1&"
            "items[1][price]=price_2&metadata[booking_id]=b_1&metadata[guest]=Ana");
}

TEST(FormCodec, NestedJsonDecoding) {
  nlohmann::json out;
  ASSERT_TRUE(form_decode_json("amount=1000&metadata[booking_id]=b_1&items[0][price]=p1&"
                               "items[0][quantity]=2&items[1][price]=p2&expand[]=a&expand[]=b",
                               &out)
                  .is_ok());
  EXPECT_EQ(out["amount"], "1000");
  EXPECT_EQ(out["metadata"]["booking_id"], "b_1");
  EXPECT_EQ(out["items"][0]["price"], "p1");
  EXPECT_EQ(out["items"][0]["quantity"], "2");
  EXPECT_EQ(out["items"][1]["price"], "p2");
  EXPECT_EQ(out["expand"], nlohmann::json::array({"a", "b"}));
}

TEST(FormCodec, NestedJsonRejectsContradictions) {
  nlohmann::json out;
  EXPECT_FALSE(form_decode_json("a=1&a[b]=2", &out).is_ok());
  EXPECT_FALSE(form_decode_json("a[b]=1&a=2", &out).is_ok());
  EXPECT_FALSE(form_decode_json("a[0]=1&a[b]=2", &out).is_ok());
  EXPECT_FALSE(form_decode_json("a[1]=1", &out).is_ok());
  EXPECT_FALSE(form_decode_json("a=1&a=2", &out).is_ok());
  EXPECT_FALSE(form_decode_json("a[b=1", &out).is_ok());
  EXPECT_FALSE(form_decode_json("a[b]c=1", &out).is_ok());
  EXPECT_FALSE(form_decode_json("[b]=1", &out).is_ok());
}

// Any object of string leaves survives encode then decode unchanged.
RC_GTEST_PROP(FormCodecProperty, NestedRoundTrip, ()) {
  const auto key = rc::gen::nonEmpty(
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("abz_ -.&=%+[]'\xc3\xa9"))));
  const auto top = *rc::gen::container<std::map<std::string, std::string>>(
      rc::gen::suchThat(key,
                        [](const std::string& k) {
                          return k.find('[') == std::string::npos &&
                                 k.find(']') == std::string::npos;
                        }),
      rc::gen::arbitrary<std::string>());
  const auto meta = *rc::gen::container<std::map<std::string, std::string>>(
      rc::gen::suchThat(key,
                        [](const std::string& k) {
                          return k.find('[') == std::string::npos &&
                                 k.find(']') == std::string::npos;
                        }),
      rc::gen::arbitrary<std::string>());
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [k, v] : top) object[k] = v;
  if (!meta.empty()) {
    object["zz_meta"] = nlohmann::json::object();
    for (const auto& [k, v] : meta) object["zz_meta"][k] = v;
  }
  nlohmann::json back;
  const std::string body = form_encode_json(object);
  RC_ASSERT(form_decode_json(body, &back).is_ok());
  RC_ASSERT(back == object);
}

}  // namespace
}  // namespace intsim::core::payments
