#include "sim/trace.h"

#include <gtest/gtest.h>

#include <sstream>

namespace intsim::sim {
namespace {

class Names : public TraceNames {
 public:
  std::string_view kind_name(std::uint16_t kind) const override {
    return kind == 1 ? "tick" : "note";
  }
  std::string_view actor_name(std::uint32_t) const override { return "core"; }
};

TEST(Trace, HashDependsOnEveryField) {
  auto hash_of = [](core::TimeUs t, std::uint16_t k, std::uint32_t a, std::uint64_t arg) {
    Trace tr;
    tr.add_event(t, k, a, arg);
    return tr.hash();
  };
  const std::uint64_t base = hash_of(1, 1, 1, 1);
  EXPECT_NE(base, hash_of(2, 1, 1, 1));
  EXPECT_NE(base, hash_of(1, 2, 1, 1));
  EXPECT_NE(base, hash_of(1, 1, 2, 1));
  EXPECT_NE(base, hash_of(1, 1, 1, 2));
  Trace a, b;
  a.add_note(1, 2, 3, 4, "drop");
  b.add_note(1, 2, 3, 4, "dup");
  EXPECT_NE(a.hash(), b.hash());
}

TEST(Trace, HashOnlyModeKeepsNoRecordsButSameHash) {
  Trace hash_only(Trace::Mode::kHashOnly);
  Trace recorded(Trace::Mode::kRecord);
  for (Trace* t : {&hash_only, &recorded}) {
    t->add_event(10, 1, 2, 3);
    t->add_note(11, 2, 2, 0, "x");
  }
  EXPECT_EQ(hash_only.hash(), recorded.hash());
  EXPECT_TRUE(hash_only.records().empty());
  EXPECT_EQ(recorded.records().size(), 2u);
  EXPECT_EQ(recorded.count(), 2u);
}

TEST(Trace, FirstDivergenceNamesTheFirstDifferentRecord) {
  Trace a(Trace::Mode::kRecord), b(Trace::Mode::kRecord);
  for (Trace* t : {&a, &b}) {
    t->add_event(1, 1, 0, 0);
    t->add_event(2, 1, 0, 0);
  }
  EXPECT_FALSE(first_divergence(a, b));
  a.add_event(3, 1, 0, 5);
  b.add_event(3, 1, 0, 6);
  a.add_event(4, 1, 0, 0);
  b.add_event(4, 1, 0, 0);
  const auto d = first_divergence(a, b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->index, 2u);
  EXPECT_EQ(d->first->arg, 5u);
  EXPECT_EQ(d->second->arg, 6u);
}

TEST(Trace, DivergenceWhenOneRunIsLonger) {
  Trace a(Trace::Mode::kRecord), b(Trace::Mode::kRecord);
  a.add_event(1, 1, 0, 0);
  b.add_event(1, 1, 0, 0);
  b.add_event(2, 1, 0, 0);
  const auto d = first_divergence(a, b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->index, 1u);
  EXPECT_FALSE(d->first);
  EXPECT_TRUE(d->second);
}

TEST(Trace, WritesJsonLines) {
  Trace t(Trace::Mode::kRecord);
  t.add_event(5, 1, 0, 9);
  t.add_note(6, 2, 0, 0, "partition \"a\"");
  std::ostringstream out;
  t.write_jsonl(out, Names());
  const std::string s = out.str();
  EXPECT_NE(s.find("{\"i\":0,\"t_us\":5,\"kind\":\"tick\",\"actor\":\"core\",\"arg\":9,\"hash\":"),
            std::string::npos);
  EXPECT_NE(s.find("\"detail\":\"partition \\\"a\\\"\""), std::string::npos);
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 2);
}

}  // namespace
}  // namespace intsim::sim
