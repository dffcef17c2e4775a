#include "src/core/typed_rows.h"

#include <gtest/gtest.h>

#include <charconv>

#include "src/core/memory_store.h"

namespace intsim::core {
namespace {

struct Counter {
  int n = 0;
};

Status decode_counter(std::string_view row, Counter* out) {
  const auto [end, ec] = std::from_chars(row.data(), row.data() + row.size(), out->n);
  if (ec != std::errc() || end != row.data() + row.size()) {
    return Status::invalid_argument("counter row not a number: " + std::string(row));
  }
  return Status::ok();
}

class TypedRowsTest : public ::testing::Test {
 protected:
  void put(std::string_view key, std::string value) {
    WriteBatch batch;
    batch.put("counters", key, std::move(value));
    ASSERT_TRUE(store.commit(batch).is_ok());
  }
  MemoryStore store;
};

TEST_F(TypedRowsTest, LoadsOneRecordOrSaysWhyNot) {
  put("a", "7");
  put("b", "seven");
  Counter c;
  ASSERT_TRUE(load_row<Counter>(store, "counters", "a", decode_counter, &c).is_ok());
  EXPECT_EQ(c.n, 7);
  EXPECT_EQ(load_row<Counter>(store, "counters", "zz", decode_counter, &c).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(load_row<Counter>(store, "counters", "b", decode_counter, &c).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(TypedRowsTest, ListsEveryReadableRecordAndReportsTheFirstDamagedOne) {
  put("a", "1");
  put("b", "two");
  put("c", "3");
  put("d", "four");
  std::vector<Counter> all;
  const Status s = list_rows<Counter>(store, "counters", decode_counter, &all);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("two"), std::string::npos) << s.message();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].n, 1);
  EXPECT_EQ(all[1].n, 3);
}

TEST_F(TypedRowsTest, ScanHandsKeysInOrder) {
  put("b", "2");
  put("a", "1");
  std::vector<std::string> keys;
  ASSERT_TRUE(
      scan_rows<Counter>(store, "counters", decode_counter, [&](std::string_view key, Counter&&) {
        keys.emplace_back(key);
      }).is_ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace intsim::core
