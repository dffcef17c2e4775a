#include "src/server/wal_checkpointer.h"

#include <utility>

namespace intsim::server {

core::Status WalCheckpointer::open(const std::string& path, int wal_frames_threshold,
                                   std::unique_ptr<WalCheckpointer>* out) {
  std::unique_ptr<SqliteStore> store;
  if (auto st = SqliteStore::open(path, &store); !st) return st;
  out->reset(new WalCheckpointer(std::move(store), wal_frames_threshold));
  return core::Status::ok();
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<SqliteStore> store, int wal_frames_threshold)
    : store_(std::move(store)),
      wal_frames_threshold_(wal_frames_threshold),
      thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::on_commit(int wal_frames) {
  if (wal_frames < wal_frames_threshold_) return;
  {
    std::lock_guard lock(mutex_);
    if (wanted_) return;
    wanted_ = true;
  }
  wake_.notify_one();
}

core::Status WalCheckpointer::after_flush(SqliteStore& reader, int wal_frames) {
  const bool long_wal = wal_frames >= rewind_frames();
  core::Status st;
  if (long_wal != rewind_wanted()) {
    rewinds_asked_ += long_wal ? 1 : 0;
    // Off before the writer is asked: an old snapshot would stop its checkpoint short.
    if (long_wal) st = reader.set_hold_read_snapshot(false);
    rewind_wanted_.store(long_wal, std::memory_order_relaxed);
    if (!long_wal) st = reader.set_hold_read_snapshot(true);
  }
  if (core::Status released = reader.release_snapshot(); st.is_ok()) st = std::move(released);
  // While the writer is to checkpoint, this thread's checkpoints would only take the
  // checkpoint lock from it (its own would fail busy).
  if (!long_wal) on_commit(wal_frames);
  return st;
}

void WalCheckpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    // A failure (say SQLITE_BUSY against another checkpoint) only leaves the WAL longer; the
    // next commit past the threshold asks again.
    if (store_->checkpoint().is_ok()) {
      ++checkpoints_;
    } else {
      ++failures_;
    }
  }
}

}  // namespace intsim::server
