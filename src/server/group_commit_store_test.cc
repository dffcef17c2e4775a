#include "src/server/group_commit_store.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "src/core/forwarding_store.h"
#include "src/core/memory_store.h"

namespace intsim::server {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

Rows scan_all(core::Store& store, std::string_view table, std::string_view prefix,
              std::size_t rows_max = 1000) {
  Rows out;
  EXPECT_TRUE(store
                  .scan(table, prefix,
                        [&](std::string_view k, std::string_view v) {
                          out.emplace_back(std::string(k), std::string(v));
                          return out.size() < rows_max;
                        })
                  .is_ok());
  return out;
}

// Counts the durable commits, and can be told to fail them.
class CountingStore final : public core::ForwardingStore {
 public:
  CountingStore() : ForwardingStore(&inner) {}
  core::Status commit(const core::WriteBatch& b) override {
    if (fail) return core::Status::io_error("disk full");
    ++commits;
    return inner.commit(b);
  }
  core::MemoryStore inner;
  int commits = 0;
  bool fail = false;
};

TEST(GroupCommitStore, ReadsItsOwnPendingWritesAndFlushesThemInOneCommit) {
  CountingStore durable;
  int first_pending = 0;
  GroupCommitStore store(&durable, [&] { ++first_pending; });
  for (int i = 0; i < 5; ++i) {
    core::WriteBatch b;
    b.put("inbox", "stripe/evt_" + std::to_string(i), "1");
    ASSERT_TRUE(store.commit(b).is_ok());
  }
  EXPECT_EQ(first_pending, 1);  // one flush per turn, not per batch
  EXPECT_EQ(store.batches_pending(), 5u);
  std::string v;
  EXPECT_TRUE(store.get("inbox", "stripe/evt_3", &v).is_ok());
  EXPECT_FALSE(durable.get("inbox", "stripe/evt_3", &v).is_ok());  // not durable yet
  EXPECT_EQ(durable.commits, 0);

  ASSERT_TRUE(store.flush().is_ok());
  EXPECT_EQ(durable.commits, 1);
  EXPECT_FALSE(store.pending());
  EXPECT_TRUE(durable.get("inbox", "stripe/evt_3", &v).is_ok());
  EXPECT_EQ(store.batches_flushed(), 5u);

  core::WriteBatch again;
  again.put("inbox", "x", "1");
  ASSERT_TRUE(store.commit(again).is_ok());
  EXPECT_EQ(first_pending, 2);  // the next turn schedules its own flush
}

TEST(GroupCommitStore, AFailedFlushMakesNothingDurableAndDiscardForgetsTheOverlay) {
  CountingStore durable;
  GroupCommitStore store(&durable, [] {});
  core::WriteBatch b;
  b.put("t", "a", "1");
  b.put("t", "b", "2");
  ASSERT_TRUE(store.commit(b).is_ok());
  durable.fail = true;
  EXPECT_FALSE(store.flush().is_ok());
  EXPECT_TRUE(store.pending());
  store.discard();
  std::string v;
  EXPECT_FALSE(store.get("t", "a", &v).is_ok());
  EXPECT_TRUE(scan_all(store, "t", "").empty());
}

TEST(GroupCommitStore, ErasesHideDurableRows) {
  CountingStore durable;
  core::WriteBatch seed;
  seed.put("t", "a", "old");
  ASSERT_TRUE(durable.commit(seed).is_ok());
  GroupCommitStore store(&durable, [] {});
  core::WriteBatch b;
  b.erase("t", "a");
  ASSERT_TRUE(store.commit(b).is_ok());
  std::string v;
  EXPECT_EQ(store.get("t", "a", &v).code(), core::Status::Code::kNotFound);
  EXPECT_TRUE(scan_all(store, "t", "").empty());
  ASSERT_TRUE(store.flush().is_ok());
  EXPECT_FALSE(durable.get("t", "a", &v).is_ok());
}

// Double buffering: a sealed layer being made durable, a newer open layer over it, each read
// through to the right one; retiring the old layer leaves the new one in force.
TEST(GroupCommitStore, AnOpenLayerOverASealedOneOverDurable) {
  CountingStore durable;
  core::WriteBatch seed;
  seed.put("t", "a", "durable");
  seed.put("t", "d", "durable");
  ASSERT_TRUE(durable.commit(seed).is_ok());
  int first_pending = 0;
  GroupCommitStore store(&durable, [&] { ++first_pending; });
  core::WriteBatch one;
  one.put("t", "a", "layer1");
  one.put("t", "b", "layer1");
  ASSERT_TRUE(store.commit(one).is_ok());
  core::WriteBatch sealed;
  const std::uint64_t first = store.seal(&sealed);
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(sealed.ops().size(), 2u);
  EXPECT_EQ(store.batches_open(), 0u);
  EXPECT_EQ(store.newest_layer(), 1u);

  core::WriteBatch two;
  two.erase("t", "a");
  two.put("t", "c", "layer2");
  two.erase("t", "d");
  ASSERT_TRUE(store.commit(two).is_ok());
  EXPECT_EQ(first_pending, 2);  // the commit after the seal opened layer 2
  EXPECT_EQ(store.newest_layer(), 2u);
  EXPECT_EQ(store.layers_sealed(), 1u);
  EXPECT_EQ(store.batches_pending(), 2u);
  std::string v;
  EXPECT_EQ(store.get("t", "a", &v).code(), core::Status::Code::kNotFound);  // erased by 2
  ASSERT_TRUE(store.get("t", "b", &v).is_ok());
  EXPECT_EQ(v, "layer1");
  EXPECT_EQ(scan_all(store, "t", ""), (Rows{{"b", "layer1"}, {"c", "layer2"}}));

  ASSERT_TRUE(durable.commit(sealed).is_ok());  // what the committer does meanwhile
  store.retire(first);
  EXPECT_EQ(store.layers_sealed(), 0u);
  EXPECT_EQ(store.batches_open(), 1u);
  EXPECT_EQ(store.flushes(), 1u);
  EXPECT_EQ(scan_all(store, "t", ""), (Rows{{"b", "layer1"}, {"c", "layer2"}}));
  ASSERT_TRUE(durable.get("t", "a", &v).is_ok());
  EXPECT_EQ(v, "layer1");
  store.discard();  // as after a failed flush of layer 2
  EXPECT_FALSE(store.pending());
  EXPECT_EQ(scan_all(store, "t", ""), (Rows{{"a", "layer1"}, {"b", "layer1"}, {"d", "durable"}}));
}

// The layers over a durable store read exactly like one store that got every batch directly,
// for get and for prefix scans (also stopped early), whatever the sealing and retiring.
RC_GTEST_PROP(GroupCommitStore, ReadsLikeAPlainStore, ()) {
  const auto key = rc::gen::map(rc::gen::inRange(0, 12), [](int i) {
    return std::string(1, static_cast<char>('a' + i / 4)) + std::string(1, '0' + i % 4);
  });
  enum class Then { kNothing, kFlush, kSeal, kRetire };
  struct Step {
    bool erase;
    std::string key;
    int value;
    Then then;
  };
  const auto steps = *rc::gen::container<std::vector<Step>>(rc::gen::construct<Step>(
      rc::gen::arbitrary<bool>(), key, rc::gen::inRange(0, 100),
      rc::gen::weightedElement<Then>(
          {{6, Then::kNothing}, {1, Then::kFlush}, {2, Then::kSeal}, {2, Then::kRetire}})));
  core::MemoryStore model;
  CountingStore durable;
  GroupCommitStore store(&durable, [] {});
  std::deque<std::pair<std::uint64_t, core::WriteBatch>> sealed;  // handed to the "committer"
  for (const Step& s : steps) {
    core::WriteBatch b;
    if (s.erase) {
      b.erase("t", s.key);
    } else {
      b.put("t", s.key, std::to_string(s.value));
    }
    RC_ASSERT(model.commit(b).is_ok());
    RC_ASSERT(store.commit(b).is_ok());
    if (s.then == Then::kFlush && sealed.empty()) RC_ASSERT(store.flush().is_ok());
    if (s.then == Then::kSeal && store.batches_open() > 0) {
      core::WriteBatch out;
      const std::uint64_t id = store.seal(&out);
      sealed.emplace_back(id, std::move(out));
    }
    if (s.then == Then::kRetire && !sealed.empty()) {
      RC_ASSERT(durable.commit(sealed.front().second).is_ok());
      store.retire(sealed.front().first);
      sealed.pop_front();
    }
    RC_ASSERT(store.layers_sealed() == sealed.size());
    for (std::string_view prefix : {"", "a", "b", "c0", "z"}) {
      RC_ASSERT(scan_all(store, "t", prefix) == scan_all(model, "t", prefix));
      RC_ASSERT(scan_all(store, "t", prefix, 2) == scan_all(model, "t", prefix, 2));
    }
    std::string want, got;
    const bool in_model = model.get("t", s.key, &want).is_ok();
    RC_ASSERT(store.get("t", s.key, &got).is_ok() == in_model);
    if (in_model) RC_ASSERT(got == want);
  }
}

}  // namespace
}  // namespace intsim::server
