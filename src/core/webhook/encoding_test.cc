#include "src/core/webhook/encoding.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace intsim::core::webhook {
namespace {

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
}

TEST(Hex, DecodesEitherCaseAndRejectsBadInput) {
  EXPECT_EQ(hex_decode("000fA0fF"), std::string("\x00\x0f\xa0\xff", 4));
  EXPECT_EQ(hex_decode(""), std::string());
  EXPECT_FALSE(hex_decode("abc"));  // odd length
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_FALSE(hex_decode("0g"));
}

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded) << plain;
    EXPECT_EQ(base64_decode(encoded), std::string(plain)) << encoded;
  }
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64_decode("+/8="), std::string("\xfb\xff"));
}

TEST(Base64, RejectsWhatIsNotCanonicalBase64) {
  EXPECT_FALSE(base64_decode("Zg="));        // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zg"));         // unpadded
  EXPECT_FALSE(base64_decode("Z==="));       // three pads
  EXPECT_FALSE(base64_decode("Zg=a"));       // pad in the middle
  EXPECT_FALSE(base64_decode("Zm9v Zg=="));  // space
  EXPECT_FALSE(base64_decode("Zh=="));       // non-zero bits under the padding
  EXPECT_FALSE(base64_decode("Zm9=Zm9v"));   // padding before the end
  EXPECT_FALSE(base64_decode("Zm-_"));       // URL-safe alphabet
}

RC_GTEST_PROP(Base64, RoundTrips, (const std::string& bytes)) {
  RC_ASSERT(base64_decode(base64_encode(bytes)) == bytes);
  RC_ASSERT(hex_decode(hex_encode(bytes)) == bytes);
}

}  // namespace
}  // namespace intsim::core::webhook
