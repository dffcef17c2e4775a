#include "src/core/webhook/hmac.h"

#include <gtest/gtest.h>

#include "src/core/webhook/encoding.h"

namespace intsim::core::webhook {
namespace {

std::string hex(const Sha256Digest& d) {
  return hex_encode({reinterpret_cast<const char*>(d.data()), d.size()});
}

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size is hashed first).
TEST(HmacSha256, Rfc4231Vectors) {
  EXPECT_EQ(hex(HmacSha256(std::string(20, '\x0b')).mac({"Hi There"})),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(HmacSha256("Jefe").mac({"what do ya want for nothing?"})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(HmacSha256(std::string(131, '\xaa'))
                    .mac({"Test Using Larger Than Block-Size Key - Hash Key First"})),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, PreKeyedContextIsReusableAndMatchesTheOneShotPath) {
  const HmacSha256 key("Jefe");
  // The pre-keyed context must not carry state from one message into the next.
  const Sha256Digest first = key.mac({"what do ya ", "want for nothing?"});
  const Sha256Digest other = key.mac({"something else"});
  const Sha256Digest again = key.mac({"what do ya want for nothing?"});
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  EXPECT_EQ(first, hmac_sha256_once("Jefe", {"what do ya want for nothing?"}));
  EXPECT_EQ(hmac_sha256_once("", {"x"}), HmacSha256("").mac({"x"}));
}

TEST(HmacSha256, MovedKeyStillWorks) {
  HmacSha256 a("Jefe");
  HmacSha256 b(std::move(a));
  EXPECT_EQ(hex(b.mac({"what do ya want for nothing?"})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sha256, KnownDigest) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

}  // namespace
}  // namespace intsim::core::webhook
