// Makes a WriteBatch durable off to the side and says when it is, on the event loop's thread.
//
// Group commit (group_commit_store.h) hands each sealed overlay layer to a Committer. The driver
// keeps serving while the commit (and its fsync) runs, and learns the outcome from `done`, which
// always runs on the io_context's thread and never inside commit_async().
//
//   InlineCommitter  commits on the calling thread into a store the caller also reads, then
//                    posts `done`: the old synchronous behaviour, for tests and single-connection
//                    stores (MemoryStore).
//   ThreadCommitter  commits on its own thread into its own store (real mode: a second SQLite
//                    connection on the same file), one batch after another in submission order,
//                    and posts `done` back with asio::post. While a commit is queued or running
//                    the io_context has work, so run() does not return under it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "src/core/ports.h"
#include "src/core/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

using CommitDone = std::function<void(core::Status)>;

class Committer {
 public:
  virtual ~Committer() = default;
  // Commits `batch` (all or nothing), then runs `done` with the outcome on the io_context's
  // thread. Outcomes arrive in submission order. An exception thrown by the store's commit is
  // that commit's failure (Status::internal), never the process's end.
  virtual void commit_async(core::WriteBatch batch, CommitDone done) = 0;
};

class InlineCommitter final : public Committer {
 public:
  // `store` outlives this object.
  InlineCommitter(boost::asio::io_context& io, core::Store* store) : io_(io), store_(store) {}
  void commit_async(core::WriteBatch batch, CommitDone done) override;

 private:
  boost::asio::io_context& io_;
  core::Store* store_;
};

class ThreadCommitter final : public Committer {
 public:
  // `store` is used only on the commit thread from now on and outlives this object.
  ThreadCommitter(boost::asio::io_context& io, core::Store* store);
  // Finishes the queued commits (their `done` is posted, and runs if the loop runs again), then
  // joins the thread.
  ~ThreadCommitter() override;
  ThreadCommitter(const ThreadCommitter&) = delete;
  ThreadCommitter& operator=(const ThreadCommitter&) = delete;

  void commit_async(core::WriteBatch batch, CommitDone done) override;

 private:
  struct Job;
  void run();

  boost::asio::io_context& io_;
  core::Store* store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::thread thread_;
};

}  // namespace intsim::server
