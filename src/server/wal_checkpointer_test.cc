#include "src/server/wal_checkpointer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "src/server/committer.h"
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
  // The writer restarts the WAL from its start once everything in it is checkpointed. The
  // checkpoint waited for above may have started while the last commits ran and stopped short
  // of them (the test failed now and then on a busy machine): the writer being idle now, the
  // next one asked for copies everything, and the commit after it restarts the WAL.
  int key = 1110;
  for (int i = 0; i < 10 && (key == 1110 || frames_last >= 1000); ++i) {
    const std::uint64_t done = checkpointer->checkpoints();
    checkpointer->on_commit(frames_last);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (checkpointer->checkpoints() == done && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    commit_rows(*writer, key++, 1);
  }
  EXPECT_LT(frames_last, 1000);
  std::unique_ptr<SqliteStore> reader;
  ASSERT_TRUE(SqliteStore::open(path, &reader));
  std::string v;
  EXPECT_TRUE(reader->get("t", "k0", &v).is_ok());
  EXPECT_TRUE(reader->get("t", "k1110", &v).is_ok());
}

// serve's wiring under sustained load: a ThreadCommitter commits flush after flush back to back
// on the writer, and after each one the reader lets go of its snapshot and reads again at once
// (a new snapshot), as the event loop does. On a disk, where a checkpoint takes as long as
// several commits, nothing else ever finds the WAL fully copied at a BEGIN: without the rewind
// (after_flush + checkpoint_first) the WAL grew by every flush, past 1,300 frames here.
TEST(WalCheckpointer, UnderBackToBackFlushesTheWalIsRewound) {
  TempDir dir(TempDir::Where::kDisk);  // tmpfs checkpoints too fast to show it
  const std::string path = dir.file("store.db");
  constexpr int kThresholdFrames = 50;
  std::unique_ptr<WalCheckpointer> checkpointer;
  ASSERT_TRUE(WalCheckpointer::open(path, kThresholdFrames, &checkpointer));
  std::atomic<int> wal_frames{0};
  SqliteStore::Options writer_options;
  writer_options.after_commit = [&](int frames) { wal_frames.store(frames); };
  writer_options.checkpoint_first = [&] { return checkpointer->rewind_wanted(); };
  std::unique_ptr<SqliteStore> writer;
  ASSERT_TRUE(SqliteStore::open(path, writer_options, &writer));
  SqliteStore::Options reader_options;
  reader_options.hold_read_snapshot = true;
  std::unique_ptr<SqliteStore> reader;
  ASSERT_TRUE(SqliteStore::open(path, reader_options, &reader));

  boost::asio::io_context io;
  ThreadCommitter committer(io, writer.get());
  constexpr int kFlushes = 400;
  int flushed = 0;
  int frames_max = 0;
  std::uintmax_t wal_bytes_max = 0;
  std::function<void()> flush_next = [&] {
    core::WriteBatch b;
    for (int row = 0; row < 4; ++row) {
      b.put("t", "k" + std::to_string(flushed % 200) + "_" + std::to_string(row),
            std::string(1500, 'x'));
    }
    committer.commit_async(std::move(b), [&](core::Status st) {
      ASSERT_TRUE(st.is_ok()) << st.to_string();
      frames_max = std::max(frames_max, wal_frames.load());
      ASSERT_TRUE(checkpointer->after_flush(*reader, wal_frames.load()).is_ok());
      std::string v;
      ASSERT_TRUE(reader->get("t", "k0_0", &v).is_ok());  // the loop reads again at once
      std::error_code ignored;
      wal_bytes_max = std::max(wal_bytes_max, std::filesystem::file_size(path + "-wal", ignored));
      if (++flushed < kFlushes) flush_next();
    });
  };
  flush_next();
  io.run();
  ASSERT_EQ(flushed, kFlushes);
  EXPECT_GE(checkpointer->checkpoints(), 1u);
  EXPECT_GE(checkpointer->rewinds_asked(), 1u);
  // A rewind is asked for at 200 frames and takes a flush or a few: the WAL stays near that.
  EXPECT_LT(frames_max, 2 * checkpointer->rewind_frames()) << "the WAL was not rewound";
  EXPECT_LT(wal_bytes_max, 2u * checkpointer->rewind_frames() * 4200u) << "the WAL file grew";
  EXPECT_TRUE(reader->set_hold_read_snapshot(true).is_ok());
  std::string v;
  EXPECT_TRUE(reader->get("t", "k199_3", &v).is_ok());
}

}  // namespace
}  // namespace intsim::server
