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
