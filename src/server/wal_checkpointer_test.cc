#include "src/server/wal_checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "src/server/temp_dir_for_test.h"

namespace intsim::server {
namespace {

// Commits `n` batches of one ~3 KB row each (a WAL frame or more apiece).
void commit_rows(SqliteStore& store, int from, int n) {
  for (int i = from; i < from + n; ++i) {
    core::WriteBatch b;
    b.put("t", "k" + std::to_string(i), std::string(3000, 'x'));
    ASSERT_TRUE(store.commit(b).is_ok());
  }
}

TEST(WalCheckpointer, AfterCommitTurnsTheAutomaticCheckpointOffAndTheCheckpointerDoesIt) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  std::unique_ptr<WalCheckpointer> checkpointer;
  ASSERT_TRUE(WalCheckpointer::open(path, 200, &checkpointer));
  bool hand_over = false;  // until set, the commits' WAL sizes go nowhere
  int frames_last = 0;
  SqliteStore::Options options;
  options.after_commit = [&](int wal_frames) {
    frames_last = wal_frames;
    if (hand_over) checkpointer->on_commit(wal_frames);
  };
  std::unique_ptr<SqliteStore> writer;
  ASSERT_TRUE(SqliteStore::open(path, options, &writer));
  const auto db_bytes = [&] { return std::filesystem::file_size(path); };
  const auto empty_bytes = db_bytes();

  // Past SQLite's own 1,000-frame threshold: nothing reaches the database file by itself.
  commit_rows(*writer, 0, 1100);
  EXPECT_GT(frames_last, 1000);
  EXPECT_EQ(db_bytes(), empty_bytes) << "a commit ran the automatic checkpoint";
  EXPECT_EQ(checkpointer->checkpoints(), 0u);

  hand_over = true;
  commit_rows(*writer, 1100, 10);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (checkpointer->checkpoints() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(checkpointer->checkpoints(), 1u);
  EXPECT_EQ(checkpointer->failures(), 0u);
  EXPECT_GT(db_bytes(), empty_bytes + 1000u * 3000u);
  // The writer restarts the WAL from its start once everything in it is checkpointed.
  commit_rows(*writer, 1110, 1);
  EXPECT_LT(frames_last, 1000);
  std::unique_ptr<SqliteStore> reader;
  ASSERT_TRUE(SqliteStore::open(path, &reader));
  std::string v;
  EXPECT_TRUE(reader->get("t", "k0", &v).is_ok());
  EXPECT_TRUE(reader->get("t", "k1110", &v).is_ok());
}

}  // namespace
}  // namespace intsim::server
