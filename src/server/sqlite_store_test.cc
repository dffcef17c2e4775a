// The SQLite store's recovery from failures inside a commit, by fault injection
// (Options::fault_for_test): a COMMIT and a ROLLBACK that both fail, and an after_commit hook
// that throws. The port's semantics are in store_conformance_test.cc.
#include "src/server/sqlite_store.h"

#include <gtest/gtest.h>

#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "src/server/temp_dir_for_test.h"

namespace intsim::server {
namespace {

core::WriteBatch put(const std::string& key) {
  core::WriteBatch b;
  b.put("t", key, "v");
  return b;
}

bool has(SqliteStore& store, const std::string& key) {
  std::string v;
  return store.get("t", key, &v).is_ok();
}

// Without the reopen, the connection stays inside the failed transaction: every later BEGIN
// fails ("cannot start a transaction within a transaction") and so does every later flush.
TEST(SqliteStore, AFailedCommitWhoseRollbackFailsTooLeavesTheConnectionUsable) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  int faults_left = 2;  // the next COMMIT and the ROLLBACK after it
  SqliteStore::Options options;
  options.fault_for_test = [&](std::string_view) { return faults_left > 0 && faults_left-- > 0; };
  std::unique_ptr<SqliteStore> writer;
  ASSERT_TRUE(SqliteStore::open(path, options, &writer).is_ok());

  const core::Status failed = writer->commit(put("lost"));
  ASSERT_FALSE(failed.is_ok());
  EXPECT_EQ(faults_left, 0);
  EXPECT_NE(failed.message().find("injected fault"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("the connection was reopened"), std::string::npos)
      << failed.message();

  const core::Status next = writer->commit(put("kept"));
  EXPECT_TRUE(next.is_ok()) << next.to_string();
  std::unique_ptr<SqliteStore> reader;
  ASSERT_TRUE(SqliteStore::open(path, &reader).is_ok());
  EXPECT_FALSE(has(*reader, "lost")) << "the failed batch became visible";
  EXPECT_TRUE(has(*reader, "kept"));
  EXPECT_TRUE(has(*writer, "kept"));
}

// A failed COMMIT whose ROLLBACK works is the ordinary case: no reopen needed or reported.
TEST(SqliteStore, AFailedCommitRollsBackAndTheNextCommitWorks) {
  TempDir dir(TempDir::Where::kMemory);
  bool fail_commit = true;
  SqliteStore::Options options;
  options.fault_for_test = [&](std::string_view step) {
    return step == "commit" && std::exchange(fail_commit, false);
  };
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::open(dir.file("store.db"), options, &store).is_ok());
  const core::Status failed = store->commit(put("lost"));
  ASSERT_FALSE(failed.is_ok());
  EXPECT_EQ(failed.message().find("reopened"), std::string::npos) << failed.message();
  EXPECT_TRUE(store->commit(put("kept")).is_ok());
  EXPECT_FALSE(has(*store, "lost"));
  EXPECT_TRUE(has(*store, "kept"));
}

// An exception thrown by the after_commit hook runs inside SQLite's C code: it must not cross
// it. It fails that commit only (whose rows are durable by then, as with a lost answer).
TEST(SqliteStore, AnExceptionInTheAfterCommitHookFailsThatCommitOnly) {
  TempDir dir(TempDir::Where::kMemory);
  int calls = 0;
  SqliteStore::Options options;
  options.after_commit = [&](int) {
    ++calls;
    if (calls == 1) throw std::bad_alloc();
    if (calls == 2 && nlohmann::json::parse("{not json").is_null()) return;
  };
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::open(dir.file("store.db"), options, &store).is_ok());
  const core::Status oom = store->commit(put("a"));
  ASSERT_FALSE(oom.is_ok());
  EXPECT_NE(oom.message().find("after_commit threw"), std::string::npos) << oom.message();
  const core::Status json = store->commit(put("b"));
  ASSERT_FALSE(json.is_ok());
  EXPECT_NE(json.message().find("parse"), std::string::npos) << json.message();
  EXPECT_TRUE(store->commit(put("c")).is_ok());
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(has(*store, "a"));  // durable, though reported failed: an ambiguous commit
  EXPECT_TRUE(has(*store, "c"));
}

}  // namespace
}  // namespace intsim::server
