// Checkpoints a WAL-mode SQLite store on a thread and connection of its own.
//
// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 frames:
// that commit copies about 4 MB into the database file and syncs it, and with group commit
// every webhook of its layer (and of the layer queued behind it) waits for that. The writer
// connection of intsim serve turns the automatic checkpoint off (SqliteStore::Options::
// after_commit) and tells this object the WAL's size after each commit; past the threshold it
// wakes its thread, which runs a PASSIVE checkpoint on its own connection while the writer goes
// on committing. Requests while one runs are folded into at most one more.
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
  std::thread thread_;
};

}  // namespace intsim::server
