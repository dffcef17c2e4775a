// Checkpoints a WAL-mode SQLite store on a thread and connection of its own.
//
// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 frames:
// that commit copies about 4 MB into the database file and syncs it, and with group commit
// every webhook of its layer (and of the layer queued behind it) waits for that. The writer
// connection of intsim serve turns the automatic checkpoint off (SqliteStore::Options::
// after_commit) and tells this object the WAL's size after each commit; past the threshold it
// wakes its thread, which runs a PASSIVE checkpoint on its own connection while the writer goes
// on committing. Requests while one runs are folded into at most one more.
//
// Rewinding. The WAL only shrinks back (the writer starts again from its first frame) at a
// BEGIN that finds every frame copied into the database and no reader's snapshot in the WAL.
// Under back-to-back flushes that never happens by itself: the writer appends while a
// checkpoint runs, and serve's reader takes a new snapshot right after each flush, so the WAL
// grew by every flush, without bound (a disk-backed test measured it). Past rewind_frames
// (four times the checkpoint threshold) after_flush() therefore makes the reader read without
// holding a snapshot and asks the writer to checkpoint on its own connection before its next
// BEGIN (SqliteStore::Options::checkpoint_first): with nothing writing and no old snapshot that
// checkpoint reaches the WAL's end, and the BEGIN after it rewinds. Once a flush reports a
// short WAL again, the reader holds snapshots again. The cost is one checkpoint on the writer's
// thread per rewind (mostly copied already by this thread), not one per flush.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "src/core/status.h"
#include "src/server/sqlite_store.h"

namespace intsim::server {

class WalCheckpointer {
 public:
  // Opens its own connection to the store at `path`.
  static core::Status open(const std::string& path, int wal_frames_threshold,
                           std::unique_ptr<WalCheckpointer>* out);
  // Joins the thread (a checkpoint running finishes first).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // From any thread (the writer's after_commit): the WAL now holds `wal_frames` frames.
  void on_commit(int wal_frames);

  // On the reader's thread once a flush is durable (serve's after_durable), with the WAL's size
  // after it: releases `reader`'s snapshot so it sees the flush, switches its snapshot holding
  // off while a rewind is wanted and back on after (see above; `reader` is opened with
  // hold_read_snapshot), and hands the size to on_commit().
  core::Status after_flush(SqliteStore& reader, int wal_frames);
  // For the writer's SqliteStore::Options::checkpoint_first, on its thread.
  bool rewind_wanted() const { return rewind_wanted_.load(std::memory_order_relaxed); }
  int rewind_frames() const { return 4 * wal_frames_threshold_; }
  std::uint64_t rewinds_asked() const { return rewinds_asked_; }

  std::uint64_t checkpoints() const { return checkpoints_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  WalCheckpointer(std::unique_ptr<SqliteStore> store, int wal_frames_threshold);
  void run();

  std::unique_ptr<SqliteStore> store_;  // used on the thread only
  const int wal_frames_threshold_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;    // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<bool> rewind_wanted_{false};
  std::uint64_t rewinds_asked_ = 0;  // on the reader's thread
  std::thread thread_;
};

}  // namespace intsim::server
