// One intsim serve per store. The group commit's overlay and the reader's snapshot make each
// process deduplicate webhooks against what it alone has seen, so two processes on one store
// (an overlapping restart, a second unit started by mistake) would both process an event that
// reached each of them once. An exclusive flock on "<store>.lock", held for the life of the
// process; the kernel drops it when the process ends, kill -9 included, so a crash never leaves
// a stale lock behind.
#pragma once

#include <memory>
#include <string>

#include "src/core/status.h"

namespace intsim::server {

class StoreLock {
 public:
  // kConflict, naming the lock file and the pid written in it, when another process holds it;
  // kIoError when the lock file cannot be opened.
  static core::Status acquire(const std::string& store_path, std::unique_ptr<StoreLock>* out);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace intsim::server
