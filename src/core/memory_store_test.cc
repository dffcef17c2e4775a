#include "src/core/memory_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace intsim::core {
namespace {

TEST(MemoryStore, BatchCommitsAllWritesAndErases) {
  MemoryStore store;
  WriteBatch b;
  b.put("inbox", "evt_1", "a");
  b.put("inbox", "evt_2", "b");
  b.put("outbox", "job_1", "x");
  ASSERT_TRUE(store.commit(b));
  std::string v;
  ASSERT_TRUE(store.get("inbox", "evt_2", &v));
  EXPECT_EQ(v, "b");
  WriteBatch c;
  c.erase("inbox", "evt_1");
  c.put("inbox", "evt_2", "b2");
  ASSERT_TRUE(store.commit(c));
  EXPECT_EQ(store.get("inbox", "evt_1", &v).code(), Status::Code::kNotFound);
  ASSERT_TRUE(store.get("inbox", "evt_2", &v));
  EXPECT_EQ(v, "b2");
  EXPECT_EQ(store.get("nope", "k", &v).code(), Status::Code::kNotFound);
}

TEST(MemoryStore, ScanVisitsPrefixInKeyOrderAndStops) {
  MemoryStore store;
  WriteBatch b;
  for (const char* k : {"job/3", "job/1", "dlq/1", "job/2", "jobx"}) b.put("t", k, k);
  ASSERT_TRUE(store.commit(b));
  std::vector<std::string> seen;
  ASSERT_TRUE(store.scan("t", "job/", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"job/1", "job/2", "job/3"}));
  seen.clear();
  store.scan("t", "job/", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return false;
  });
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace intsim::core
