#include "src/core/json_reader.h"

#include <gtest/gtest.h>

namespace intsim::core {
namespace {

TEST(JsonReader, ReadsFieldsAndNamesEveryProblemByPointer) {
  const auto j = nlohmann::json::parse(R"({
    "name": "x", "seeds": 0, "rate": "fast", "on": true,
    "mode": "wild", "tags": ["a", 3, "zz"], "inner": {"k": 1, "typo": 2}, "extra": 1})");
  std::vector<std::string> errors;
  JsonReader r(j, "", &errors);
  EXPECT_EQ(r.string("name", ""), "x");
  EXPECT_EQ(r.integer("seeds", 7, 1, 100), 7);
  EXPECT_EQ(r.number("rate", 0.5, 0, 1), 0.5);
  EXPECT_TRUE(r.boolean("on", false));
  EXPECT_EQ(r.one_of("mode", "calm", {"calm", "storm"}), "calm");
  EXPECT_EQ(r.strings("tags", {"a", "b"}), (std::vector<std::string>{"a"}));
  auto inner = r.object("inner");
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->integer("k", 0, 0, 5), 1);
  inner->finish();
  r.require("missing");
  r.finish();
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "/seeds: expected an integer in [1, 100], got 0",
                        "/rate: expected a number in [0, 1], got \"fast\"",
                        "/mode: unknown value \"wild\" (expected one of: calm, storm)",
                        "/tags/1: expected a string, got 3",
                        "/tags/2: unknown value \"zz\" (expected one of: a, b)",
                        "/inner/typo: unknown field",
                        "/missing: required field is missing",
                        "/extra: unknown field",
                    }));
}

TEST(JsonReader, PointerEscapesAndNonObjects) {
  EXPECT_EQ(json_pointer_join("/a", "b/c~d"), "/a/b~1c~0d");
  std::vector<std::string> errors;
  const nlohmann::json not_an_object = nlohmann::json::array();
  JsonReader r(not_an_object, "/peers", &errors);
  EXPECT_EQ(r.integer("x", 3, 0, 9), 3);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "/peers: expected an object, got []");
}

}  // namespace
}  // namespace intsim::core
