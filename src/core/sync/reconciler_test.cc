#include "src/core/sync/reconciler.h"

#include <gtest/gtest.h>

namespace intsim::core::sync {
namespace {

constexpr TimeUs kGraceUs = kUsPerHour;

struct Fixture {
  std::vector<KnownStay> known;
  Diff run(const std::vector<FeedStay>& feed, bool complete, TimeUs now_us,
           std::function<bool(std::string_view)> taken = {}) {
    ReconcileInput in;
    in.channel = "airbnb";
    in.known = &known;
    in.feed = &feed;
    in.complete = complete;
    in.now_us = now_us;
    in.cancel_after_missing_us = kGraceUs;
    in.id_taken = std::move(taken);
    Diff d = reconcile(in);
    known = d.next;
    return d;
  }
};

TEST(SyncReconciler, NewStaysGetChannelPrefixedIds) {
  Fixture f;
  const Diff d = f.run({{"a1", 10, 13}, {"a2", 20, 21}}, true, 0);
  ASSERT_EQ(d.added.size(), 2u);
  EXPECT_EQ(d.added[0].stay_id, "airbnb:a1");
  EXPECT_EQ(d.added[1].stay_id, "airbnb:a2");
  EXPECT_TRUE(d.changed.empty());
  EXPECT_TRUE(d.cancelled.empty());
  EXPECT_EQ(f.known.size(), 2u);
  // The same feed again is no change at all.
  EXPECT_TRUE(f.run({{"a1", 10, 13}, {"a2", 20, 21}}, true, 1).empty());
}

TEST(SyncReconciler, UidChurnMatchesByDatesAndKeepsTheStayId) {
  Fixture f;
  f.run({{"a1", 10, 13}}, true, 0);
  const Diff d = f.run({{"zz", 10, 13}}, true, 5);
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.cancelled.empty());
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].stay_id, "airbnb:a1");
  EXPECT_EQ(d.changed[0].uid, "zz");
}

TEST(SyncReconciler, DateChangeUnderTheSameUidIsAChange) {
  Fixture f;
  f.run({{"a1", 10, 13}}, true, 0);
  const Diff d = f.run({{"a1", 11, 15}}, true, 5);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].first_night, 11);
  EXPECT_EQ(d.changed[0].end_night, 15);
  EXPECT_TRUE(d.added.empty());
}

TEST(SyncReconciler, VanishedStayIsCancelledOnlyAfterTheGrace) {
  Fixture f;
  f.run({{"a1", 10, 13}, {"a2", 20, 22}}, true, 0);
  Diff d = f.run({{"a2", 20, 22}}, true, 100);
  EXPECT_TRUE(d.cancelled.empty());
  ASSERT_EQ(f.known.size(), 2u);
  EXPECT_EQ(f.known[0].missing_since_us, 100);
  d = f.run({{"a2", 20, 22}}, true, 100 + kGraceUs - 1);
  EXPECT_TRUE(d.cancelled.empty());
  d = f.run({{"a2", 20, 22}}, true, 100 + kGraceUs);
  ASSERT_EQ(d.cancelled.size(), 1u);
  EXPECT_EQ(d.cancelled[0].stay_id, "airbnb:a1");
  EXPECT_EQ(f.known.size(), 1u);
}

TEST(SyncReconciler, AStaleFetchThatShowsTheStayAgainResetsTheClock) {
  Fixture f;
  f.run({{"a1", 10, 13}}, true, 0);
  f.run({}, true, 10);
  f.run({{"a1", 10, 13}}, true, 20);  // a stale copy, or the stay is back
  EXPECT_EQ(f.known[0].missing_since_us, -1);
  EXPECT_TRUE(f.run({}, true, 10 + kGraceUs).cancelled.empty());
}

TEST(SyncReconciler, AnIncompleteFetchAddsButNeverCancels) {
  Fixture f;
  f.run({{"a1", 10, 13}}, true, 0);
  const Diff d = f.run({{"a2", 30, 31}}, false, 10 * kGraceUs);
  EXPECT_TRUE(d.cancelled.empty());
  ASSERT_EQ(d.added.size(), 1u);
  ASSERT_EQ(f.known.size(), 2u);
  EXPECT_EQ(f.known[0].missing_since_us, -1);  // the clock did not start either
}

TEST(SyncReconciler, AReissuedUidOfACancelledStayGetsAFreshId) {
  Fixture f;
  const Diff d =
      f.run({{"a1", 10, 13}}, true, 0, [](std::string_view id) { return id == "airbnb:a1"; });
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].stay_id, "airbnb:a1#2");
}

TEST(SyncReconciler, SnapshotRoundTrips) {
  const std::vector<KnownStay> stays = {{"airbnb:a1", "x", 10, 13, -1},
                                        {"airbnb:a2", "y", 20, 22, 777}};
  std::vector<KnownStay> back;
  ASSERT_TRUE(decode_snapshot(encode_snapshot(stays), &back).is_ok());
  EXPECT_EQ(back, stays);
  EXPECT_FALSE(decode_snapshot("{}", &back).is_ok());
  EXPECT_FALSE(decode_snapshot("[{\"id\":\"x\"}]", &back).is_ok());
}

}  // namespace
}  // namespace intsim::core::sync
