#include "src/server/committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "src/core/forwarding_store.h"
#include "src/core/memory_store.h"

namespace intsim::server {
namespace {

// Records which thread commits, can be slow and can fail; touched by one thread at a time.
class SlowStore final : public core::ForwardingStore {
 public:
  SlowStore() : ForwardingStore(&inner) {}
  core::Status commit(const core::WriteBatch& b) override {
    committer = std::this_thread::get_id();
    std::this_thread::sleep_for(delay);
    const std::string& key = b.ops().front().key;
    if (key == "fail") return core::Status::io_error("disk full");
    if (key == "oom") throw std::bad_alloc();
    if (key == "json" && nlohmann::json::parse("{not json").is_null()) return core::Status::ok();
    if (key == "int") throw 42;
    return inner.commit(b);
  }
  core::MemoryStore inner;
  std::chrono::milliseconds delay{0};
  std::thread::id committer;
};

core::WriteBatch batch(const std::string& key) {
  core::WriteBatch b;
  b.put("t", key, "v");
  return b;
}

TEST(ThreadCommitter, CommitsOnItsThreadAndAnswersOnTheLoopInOrderKeepingTheLoopAlive) {
  boost::asio::io_context io;
  SlowStore store;
  store.delay = std::chrono::milliseconds(20);
  std::vector<std::string> outcomes;
  std::vector<std::thread::id> answered_on;
  {
    ThreadCommitter committer(io, &store);
    for (const char* key : {"a", "fail", "b"}) {
      committer.commit_async(batch(key), [&, key](core::Status st) {
        outcomes.push_back(std::string(key) + ":" + (st.is_ok() ? "ok" : st.to_string()));
        answered_on.push_back(std::this_thread::get_id());
      });
    }
    EXPECT_TRUE(outcomes.empty());  // never inside commit_async
    // Nothing else keeps the loop busy: run() returns only once every outcome was delivered.
    io.run();
    ASSERT_EQ(outcomes.size(), 3u);
    EXPECT_EQ(outcomes[0], "a:ok");
    EXPECT_NE(outcomes[1].find("disk full"), std::string::npos) << outcomes[1];
    EXPECT_EQ(outcomes[2], "b:ok");
    for (const std::thread::id& id : answered_on) EXPECT_EQ(id, std::this_thread::get_id());
    EXPECT_NE(store.committer, std::this_thread::get_id());
  }
  std::string v;
  EXPECT_TRUE(store.inner.get("t", "b", &v).is_ok());
  EXPECT_FALSE(store.inner.get("t", "fail", &v).is_ok());
}

// On the commit thread an escaping exception would end the process (std::terminate): each
// becomes the failure of its own commit, and the thread goes on with the next.
TEST(ThreadCommitter, AnExceptionInACommitFailsThatCommitOnly) {
  boost::asio::io_context io;
  SlowStore store;
  std::vector<std::string> outcomes;
  {
    ThreadCommitter committer(io, &store);
    for (const char* key : {"oom", "json", "int", "b"}) {
      committer.commit_async(batch(key), [&, key](core::Status st) {
        outcomes.push_back(std::string(key) + ":" + (st.is_ok() ? "ok" : st.to_string()));
      });
    }
    io.run();
  }
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_NE(outcomes[0].find("commit threw"), std::string::npos) << outcomes[0];
  EXPECT_NE(outcomes[1].find("parse"), std::string::npos) << outcomes[1];
  EXPECT_NE(outcomes[2].find("commit threw"), std::string::npos) << outcomes[2];
  EXPECT_EQ(outcomes[3], "b:ok");
}

TEST(InlineCommitter, AnExceptionInACommitFailsThatCommit) {
  boost::asio::io_context io;
  SlowStore store;
  InlineCommitter committer(io, &store);
  std::string outcome;
  committer.commit_async(batch("oom"), [&](core::Status st) { outcome = st.to_string(); });
  io.run();
  EXPECT_NE(outcome.find("commit threw"), std::string::npos) << outcome;
}

TEST(ThreadCommitter, DestructionFinishesQueuedCommits) {
  boost::asio::io_context io;
  SlowStore store;
  store.delay = std::chrono::milliseconds(5);
  {
    ThreadCommitter committer(io, &store);
    for (int i = 0; i < 5; ++i)
      committer.commit_async(batch(std::to_string(i)), [](core::Status) {});
  }
  std::string v;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store.inner.get("t", std::to_string(i), &v).is_ok());
}

TEST(InlineCommitter, CommitsAtOnceAndAnswersFromTheLoop) {
  boost::asio::io_context io;
  SlowStore store;
  InlineCommitter committer(io, &store);
  bool answered = false;
  committer.commit_async(batch("a"), [&](core::Status st) {
    EXPECT_TRUE(st.is_ok());
    answered = true;
  });
  std::string v;
  EXPECT_TRUE(store.inner.get("t", "a", &v).is_ok());
  EXPECT_FALSE(answered);
  io.run();
  EXPECT_TRUE(answered);
}

}  // namespace
}  // namespace intsim::server
