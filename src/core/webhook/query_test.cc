#include "src/core/webhook/query.h"

#include <gtest/gtest.h>

namespace intsim::core::webhook {
namespace {

TEST(QueryParam, FindsDecodesAndRejectsBrokenEscapes) {
  const std::string_view q = "hub.mode=subscribe&hub.challenge=a%20b+c&flag&hub.mode=second";
  EXPECT_EQ(query_param(q, "hub.mode"), "subscribe");  // the first one
  EXPECT_EQ(query_param(q, "hub.challenge"), "a b c");
  EXPECT_EQ(query_param(q, "flag"), "");
  EXPECT_EQ(query_param(q, "hub.verify_token"), std::nullopt);
  EXPECT_EQ(query_param("", "x"), std::nullopt);
  EXPECT_EQ(query_param("hub%2Emode=1", "hub.mode"), "1");
  EXPECT_EQ(query_param("x=%4", "x"), std::nullopt);
  EXPECT_EQ(query_param("x=%zz", "x"), std::nullopt);
  EXPECT_EQ(query_param("x=%", "x"), std::nullopt);
}

}  // namespace
}  // namespace intsim::core::webhook
