#include "src/cli/args.h"

#include <gtest/gtest.h>

#include <vector>

namespace intsim::cli {
namespace {

core::Status parse(std::vector<std::string> words, Args* out) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  const OptionSpec spec{{"seed", "out"}, {"swarm"}};
  return Args::parse(static_cast<int>(argv.size()), argv.data(), 0, spec, out);
}

TEST(Args, ParsesPositionalValuesAndSwitches) {
  Args a;
  ASSERT_TRUE(parse({"ci", "--seed", "7", "--out=x.json", "--swarm", "more"}, &a));
  EXPECT_EQ(a.positional(), (std::vector<std::string>{"ci", "more"}));
  EXPECT_EQ(a.value("out"), "x.json");
  EXPECT_TRUE(a.has("swarm"));
  std::uint64_t seed = 0;
  ASSERT_TRUE(a.u64("seed", 1, &seed));
  EXPECT_EQ(seed, 7u);
}

TEST(Args, UnknownFlagIsNamed) {
  Args a;
  const auto st = parse({"--sede", "7"}, &a);
  EXPECT_FALSE(st);
  EXPECT_EQ(st.message(), "unknown option '--sede'");
}

TEST(Args, MissingAndMalformedValuesAreNamed) {
  Args a;
  EXPECT_EQ(parse({"--seed"}, &a).message(), "--seed needs a value");
  EXPECT_EQ(parse({"--swarm=1"}, &a).message(), "--swarm takes no value");
  ASSERT_TRUE(parse({"--seed", "12x"}, &a));
  std::uint64_t seed = 0;
  EXPECT_EQ(a.u64("seed", 1, &seed).message(), "--seed expects a non-negative integer, got '12x'");
}

}  // namespace
}  // namespace intsim::cli
