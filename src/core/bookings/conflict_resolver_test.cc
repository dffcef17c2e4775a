#include "src/core/bookings/conflict_resolver.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace intsim::core::bookings {
namespace {

Stay stay(std::string id, Source source, std::string unit, Night first, Night end,
          TimeUs created_us) {
  Stay s;
  s.id = std::move(id);
  s.source = source;
  s.unit = std::move(unit);
  s.first_night = first;
  s.end_night = end;
  s.created_at_us = created_us;
  s.state = StayState::kConfirmed;
  return s;
}

void add(Ledger& l, const Stay& s) {
  if (s.source == Source::kDirect) {
    Stay h = s;
    h.state = StayState::kHeld;
    h.hold_expires_at_us = 1'000'000;
    // Direct stays are placed before channel stays in these tests, so the hold always succeeds.
    ASSERT_TRUE(l.place_hold(h));
    l.confirm(s.id, 0);
  } else {
    l.upsert_channel_stay(s);
  }
}

TEST(ConflictResolver, RelocatesTheLaterBookingToAnEquivalentUnit) {
  Ledger l(std::vector<Unit>{{"u1", "double"}, {"u2", "double"}});
  add(l, stay("direct", Source::kDirect, "u1", 1, 4, 100));
  add(l, stay("airbnb:1", Source::kAirbnb, "u1", 3, 5, 200));
  const auto rs = resolve_conflicts(l, {});
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ResolutionKind::kRelocated);
  EXPECT_EQ(rs[0].stay_id, "airbnb:1");
  EXPECT_EQ(rs[0].to_unit, "u2");
  EXPECT_TRUE(l.conflicts().empty());
}

TEST(ConflictResolver, CancelsTheDirectStayWhenNoUnitIsFree) {
  Ledger l(std::vector<Unit>{{"u1", "double"}});
  add(l, stay("direct", Source::kDirect, "u1", 1, 4, 100));
  add(l, stay("airbnb:1", Source::kAirbnb, "u1", 3, 5, 200));
  const auto rs = resolve_conflicts(l, {});
  ASSERT_EQ(rs.size(), 1u);
  // The channel's stay lost but cannot be cancelled by us: the direct stay gives way.
  EXPECT_EQ(rs[0].kind, ResolutionKind::kCancelled);
  EXPECT_EQ(rs[0].stay_id, "direct");
  EXPECT_EQ(l.find("direct")->state, StayState::kCancelled);
  EXPECT_TRUE(l.conflicts().empty());
}

TEST(ConflictResolver, ChannelWinsRuleMovesTheDirectStay) {
  Ledger l(std::vector<Unit>{{"u1", "double"}, {"u2", "double"}});
  add(l, stay("direct", Source::kDirect, "u1", 1, 4, 300));
  add(l, stay("booking_com:1", Source::kBookingCom, "u1", 2, 3, 200));
  const auto rs = resolve_conflicts(l, {WinnerRule::kChannelWins, true});
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].stay_id, "direct");
  EXPECT_EQ(rs[0].kind, ResolutionKind::kRelocated);
}

TEST(ConflictResolver, TwoChannelsOnOneUnitIsUnresolvedAndReportedOnce) {
  Ledger l(std::vector<Unit>{{"u1", "double"}});
  add(l, stay("airbnb:1", Source::kAirbnb, "u1", 1, 5, 100));
  add(l, stay("vrbo:1", Source::kVrbo, "u1", 2, 4, 200));
  const auto rs = resolve_conflicts(l, {});
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ResolutionKind::kUnresolved);
  EXPECT_EQ(rs[0].night, 2);
  EXPECT_EQ(l.conflicts().size(), 2u);  // left for a human, with an alert
}

TEST(ConflictResolver, EachDistinctChannelOnlyConflictIsReported) {
  // Three channel stays overlapping in a chain: nights 2 {a, b}, 3 {a, b, c}, 4 {b, c}. Every
  // stay is named by some report before night 4, yet {b, c} is a conflict of its own.
  Ledger l(std::vector<Unit>{{"u1", "double"}});
  add(l, stay("booking_com:a", Source::kBookingCom, "u1", 1, 4, 100));
  add(l, stay("airbnb:b", Source::kAirbnb, "u1", 2, 5, 200));
  add(l, stay("airbnb:c", Source::kAirbnb, "u1", 3, 5, 300));
  const auto rs = resolve_conflicts(l, {WinnerRule::kChannelWins, true});
  std::vector<Night> nights;
  for (const Resolution& r : rs) {
    EXPECT_EQ(r.kind, ResolutionKind::kUnresolved);
    nights.push_back(r.night);
  }
  EXPECT_EQ(nights, (std::vector<Night>{2, 3, 4}));
}

// Any mix of stays: afterwards every remaining conflict is channel-only and was reported, no
// channel stay was cancelled, and every relocation respects unit kinds.
RC_GTEST_PROP(ConflictResolverProperty, LeavesOnlyReportedChannelOnlyConflicts, ()) {
  const int units = *rc::gen::inRange(1, 4);
  std::vector<Unit> us;
  for (int i = 0; i < units; ++i) us.push_back({"u" + std::to_string(i), i % 2 ? "a" : "b"});
  Ledger l(us);
  const int n = *rc::gen::inRange(0, 12);
  std::vector<Stay> directs, channels;
  for (int i = 0; i < n; ++i) {
    const auto source = static_cast<Source>(*rc::gen::inRange(0, 4));
    const Night first = *rc::gen::inRange(0, 10);
    const Night len = *rc::gen::inRange(1, 4);
    const std::string unit = "u" + std::to_string(*rc::gen::inRange(0, units));
    Stay s = stay((source == Source::kDirect ? "d" : "c") + std::to_string(i), source, unit, first,
                  first + len, *rc::gen::inRange(0, 5));
    (source == Source::kDirect ? directs : channels).push_back(s);
  }
  for (const Stay& s : directs) {
    Stay h = s;
    h.state = StayState::kHeld;
    h.hold_expires_at_us = 10;
    if (l.place_hold(h)) l.confirm(h.id, 0);
  }
  for (const Stay& s : channels) l.upsert_channel_stay(s);
  const auto rs = resolve_conflicts(
      l, {*rc::gen::element(WinnerRule::kEarlierBookingWins, WinnerRule::kChannelWins),
          *rc::gen::arbitrary<bool>()});
  // What a caller alerts on: the conflict left at each unresolved report's unit and night.
  std::set<std::string> reported;
  std::map<std::pair<std::string, Night>, std::string> key_at;
  for (const Conflict& c : l.conflicts()) key_at[{c.unit, c.night}] = conflict_key(c);
  for (const Resolution& r : rs) {
    const auto it = key_at.find({r.from_unit, r.night});
    if (r.kind == ResolutionKind::kUnresolved && it != key_at.end()) reported.insert(it->second);
  }
  for (const Conflict& c : l.conflicts()) {
    for (const std::string& id : c.stay_ids) RC_ASSERT(l.find(id)->source != Source::kDirect);
    RC_ASSERT(reported.count(conflict_key(c)) == 1u);
  }
  for (const Resolution& r : rs) {
    const Stay* s = l.find(r.stay_id);
    if (r.kind == ResolutionKind::kCancelled) RC_ASSERT(s->source == Source::kDirect);
    if (r.kind == ResolutionKind::kRelocated) {
      RC_ASSERT(l.unit(r.to_unit)->kind == l.unit(r.from_unit)->kind);
    }
  }
  for (const auto& [id, s] : l.stays()) {
    if (s.source != Source::kDirect) RC_ASSERT(s.state == StayState::kConfirmed);
  }
}

}  // namespace
}  // namespace intsim::core::bookings
