#include "src/server/committer.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <string>
#include <utility>

namespace intsim::server {

namespace net = boost::asio;

namespace {

// The commit of one flush, any exception in it (std::bad_alloc, a hook's nlohmann exception,
// anything) turned into that flush's failure: on the commit thread an exception would end the
// process. The messages stay short enough for the small-string buffer, so reporting an
// out-of-memory failure needs no memory.
core::Status guarded_commit(core::Store* store, const core::WriteBatch& batch) noexcept {
  try {
    return store->commit(batch);
  } catch (const std::exception& e) {
    try {
      return core::Status::internal(std::string("commit threw: ") + e.what());
    } catch (...) {
      return core::Status::internal("commit threw");
    }
  } catch (...) {
    return core::Status::internal("commit threw");
  }
}

}  // namespace

void InlineCommitter::commit_async(core::WriteBatch batch, CommitDone done) {
  core::Status st = guarded_commit(store_, batch);
  net::post(io_, [st = std::move(st), done = std::move(done)]() mutable { done(std::move(st)); });
}

struct ThreadCommitter::Job {
  core::WriteBatch batch;
  CommitDone done;
  // Keeps io_context::run() from returning while the commit is outstanding.
  net::executor_work_guard<net::io_context::executor_type> work;
};

ThreadCommitter::ThreadCommitter(net::io_context& io, core::Store* store)
    : io_(io), store_(store), thread_([this] { run(); }) {}

ThreadCommitter::~ThreadCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void ThreadCommitter::commit_async(core::WriteBatch batch, CommitDone done) {
  auto job = std::make_unique<Job>(
      Job{std::move(batch), std::move(done), net::make_work_guard(io_.get_executor())});
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ThreadCommitter::run() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued commit is done
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    core::Status st = guarded_commit(store_, job->batch);
    // The work guard travels with the handler and is released on the loop's thread after it.
    net::post(io_, [st = std::move(st), done = std::move(job->done),
                    work = std::move(job->work)]() mutable { done(std::move(st)); });
  }
}

}  // namespace intsim::server
