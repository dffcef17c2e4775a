#include "src/server/store_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "src/server/temp_dir_for_test.h"

namespace intsim::server {
namespace {

TEST(StoreLock, OneHolderAtATimeNamedInTheRefusal) {
  TempDir dir;
  const std::string store = dir.file("intsim.db");
  std::unique_ptr<StoreLock> first;
  ASSERT_TRUE(StoreLock::acquire(store, &first).is_ok());
  std::unique_ptr<StoreLock> second;
  const core::Status refused = StoreLock::acquire(store, &second);
  EXPECT_EQ(refused.code(), core::Status::Code::kConflict);
  EXPECT_NE(refused.message().find(store + ".lock"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << refused.message();
  EXPECT_EQ(second, nullptr);
  first.reset();  // the holder ends: the store is free again
  EXPECT_TRUE(StoreLock::acquire(store, &second).is_ok());
}

}  // namespace
}  // namespace intsim::server
