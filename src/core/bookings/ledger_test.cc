#include "src/core/bookings/ledger.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace intsim::core::bookings {
namespace {

Ledger make_ledger() { return Ledger({{"u1", "double"}, {"u2", "double"}, {"u3", "suite"}}); }

Stay hold(std::string id, std::string unit, Night first, Night end, TimeUs expires_us = 1000) {
  Stay s;
  s.id = std::move(id);
  s.unit = std::move(unit);
  s.first_night = first;
  s.end_night = end;
  s.hold_expires_at_us = expires_us;
  return s;
}

Stay channel(std::string id, std::string unit, Night first, Night end, TimeUs seen_us = 0) {
  Stay s;
  s.id = std::move(id);
  s.unit = std::move(unit);
  s.first_night = first;
  s.end_night = end;
  s.source = Source::kAirbnb;
  s.state = StayState::kConfirmed;
  s.created_at_us = seen_us;
  return s;
}

TEST(Ledger, HoldReservesNightsWithExclusiveEnd) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 10, 13)));
  EXPECT_FALSE(l.is_free("u1", 12, 14));
  EXPECT_TRUE(l.is_free("u1", 13, 15));  // checkout day is free for the next guest
  EXPECT_TRUE(l.is_free("u1", 8, 10));
  EXPECT_EQ(l.place_hold(hold("b", "u1", 12, 14)).code(), Status::Code::kConflict);
  EXPECT_TRUE(l.place_hold(hold("c", "u1", 13, 14)));
}

TEST(Ledger, RejectsBadHolds) {
  Ledger l = make_ledger();
  EXPECT_EQ(l.place_hold(hold("a", "nope", 1, 2)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(l.place_hold(hold("a", "u1", 2, 2)).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 1, 2)));
  EXPECT_EQ(l.place_hold(hold("a", "u2", 1, 2)).code(), Status::Code::kInvalidArgument);
}

TEST(Ledger, ConfirmIsIdempotent) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 1, 3, 1000)));
  EXPECT_EQ(l.confirm("a", 500), ConfirmOutcome::kConfirmed);
  EXPECT_EQ(l.confirm("a", 600), ConfirmOutcome::kAlreadyConfirmed);
  EXPECT_EQ(l.find("a")->state, StayState::kConfirmed);
  EXPECT_EQ(l.confirm("zzz", 600), ConfirmOutcome::kUnknown);
}

TEST(Ledger, ExpiredHoldFreesNightsAndLatePaymentIsRefundedWhenTaken) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 1, 3, 1000)));
  EXPECT_EQ(l.next_hold_expiry_us(), 1000);
  EXPECT_TRUE(l.expire_holds(999).empty());
  EXPECT_EQ(l.expire_holds(1000), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(l.is_free("u1", 1, 3));
  ASSERT_TRUE(l.place_hold(hold("b", "u1", 2, 4, 5000)));
  EXPECT_EQ(l.confirm("a", 2000), ConfirmOutcome::kNightsTaken);
  EXPECT_EQ(l.find("a")->state, StayState::kReleased);
  EXPECT_EQ(l.confirm("b", 2000), ConfirmOutcome::kConfirmed);
}

TEST(Ledger, LatePaymentReacquiresNightsThatAreStillFree) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 1, 3, 1000)));
  // Lapsed but not yet expired by the timer: still confirmable when nobody took the nights.
  EXPECT_EQ(l.confirm("a", 5000), ConfirmOutcome::kConfirmed);
  EXPECT_FALSE(l.is_free("u1", 1, 2));
}

TEST(Ledger, ReleaseAndCancel) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 1, 3)));
  EXPECT_TRUE(l.release("a"));
  EXPECT_FALSE(l.release("a"));
  EXPECT_TRUE(l.is_free("u1", 1, 3));
  ASSERT_TRUE(l.place_hold(hold("b", "u1", 1, 3)));
  l.confirm("b", 0);
  EXPECT_TRUE(l.cancel("b"));
  EXPECT_FALSE(l.cancel("b"));
  EXPECT_EQ(l.confirm("b", 0), ConfirmOutcome::kCancelled);
  EXPECT_TRUE(l.is_free("u1", 1, 3));
}

TEST(Ledger, ChannelStaysAreFactsAndShowConflicts) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("d", "u1", 5, 8)));
  l.confirm("d", 0);
  l.upsert_channel_stay(channel("airbnb:x", "u1", 7, 9, 10));
  const auto cs = l.conflicts();
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0], (Conflict{"u1", 7, {"d", "airbnb:x"}}));
  // The feed moves the stay off the contested night: the conflict is gone.
  l.upsert_channel_stay(channel("airbnb:x", "u1", 8, 9, 10));
  EXPECT_TRUE(l.conflicts().empty());
  EXPECT_EQ(l.active_stays_on("u1").size(), 2u);
}

TEST(Ledger, RelocateOnlyToAFreeEquivalentUnit) {
  Ledger l = make_ledger();
  ASSERT_TRUE(l.place_hold(hold("a", "u1", 1, 3)));
  ASSERT_TRUE(l.place_hold(hold("b", "u2", 2, 3)));
  EXPECT_EQ(l.relocate("a", "u3").code(), Status::Code::kInvalidArgument);  // other kind
  EXPECT_EQ(l.relocate("a", "u2").code(), Status::Code::kConflict);
  l.release("b");
  EXPECT_TRUE(l.relocate("a", "u2"));
  EXPECT_TRUE(l.is_free("u1", 1, 3));
  EXPECT_EQ(l.find("a")->unit, "u2");
}

// Every unit-night held twice, from the stays alone: what conflicts() must report.
std::vector<Conflict> conflicts_by_walking_every_night(const Ledger& l) {
  std::map<std::string, std::map<Night, std::vector<const Stay*>>> by_unit_night;
  for (const auto& [id, s] : l.stays()) {
    if (!is_active(s.state)) continue;
    for (Night n = s.first_night; n < s.end_night; ++n) by_unit_night[s.unit][n].push_back(&s);
  }
  std::vector<Conflict> out;
  for (auto& [unit, nights] : by_unit_night) {
    for (auto& [night, stays] : nights) {
      if (stays.size() < 2) continue;
      std::sort(stays.begin(), stays.end(), [](const Stay* a, const Stay* b) {
        return a->created_at_us != b->created_at_us ? a->created_at_us < b->created_at_us
                                                    : a->id < b->id;
      });
      Conflict c{unit, night, {}};
      for (const Stay* s : stays) c.stay_ids.push_back(s->id);
      out.push_back(std::move(c));
    }
  }
  return out;
}

// conflicts() and the hold expiries answer from indexes kept as stays change: after any
// sequence of changes they report what walking every stay finds.
RC_GTEST_PROP(LedgerProperty, IndexesMatchAWalkOverEveryStay, ()) {
  Ledger l = make_ledger();
  const std::vector<std::string> units = {"u1", "u2", "u3"};
  const int steps = *rc::gen::inRange(0, 60);
  for (int i = 0; i < steps; ++i) {
    const std::string id = "s" + std::to_string(*rc::gen::inRange(0, 8));
    const std::string unit = *rc::gen::elementOf(units);
    const Night first = *rc::gen::inRange(0, 8);
    const Night end = first + *rc::gen::inRange(1, 4);
    switch (*rc::gen::inRange(0, 7)) {
      case 0:
        l.place_hold(hold("d" + id, unit, first, end, *rc::gen::inRange(0, 20)));
        break;
      case 1:
        l.upsert_channel_stay(channel(id, unit, first, end, *rc::gen::inRange(0, 5)));
        break;
      case 2:
        l.confirm(*rc::gen::element("d" + id, id), *rc::gen::inRange(0, 20));
        break;
      case 3:
        l.cancel(*rc::gen::element("d" + id, id));
        break;
      case 4:
        l.release("d" + id);
        break;
      case 5: {
        const TimeUs now_us = *rc::gen::inRange(0, 20);
        std::vector<std::string> lapsed;  // in id order
        for (const auto& [sid, s] : l.stays()) {
          if (s.state == StayState::kHeld && s.hold_expires_at_us <= now_us) lapsed.push_back(sid);
        }
        RC_ASSERT(l.expire_holds(now_us) == lapsed);
        break;
      }
      case 6:
        l.relocate(*rc::gen::element("d" + id, id), unit);
        break;
    }
    const std::vector<Conflict> want = conflicts_by_walking_every_night(l);
    RC_ASSERT(l.conflicts() == want);
    RC_ASSERT(l.has_conflicts() == !want.empty());
    std::optional<TimeUs> expiry;
    for (const auto& [sid, s] : l.stays()) {
      if (s.state == StayState::kHeld && (!expiry || s.hold_expires_at_us < *expiry)) {
        expiry = s.hold_expires_at_us;
      }
    }
    RC_ASSERT(l.next_hold_expiry_us() == expiry);
    for (const std::string& unit : units) {
      std::set<Night> held;
      for (const auto& [sid, s] : l.stays()) {
        if (s.unit != unit || !is_active(s.state)) continue;
        for (Night n = s.first_night; n < s.end_night; ++n) held.insert(n);
      }
      RC_ASSERT(l.occupied_nights(unit) == std::vector<Night>(held.begin(), held.end()));
    }
  }
}

TEST(Stay, RowRoundTripsAndBadRowsAreNamed) {
  Stay s = channel("vrbo:1", "u2", 3, 9, 77);
  s.guest = "g1";
  s.external_uid = "abc";
  Stay back;
  ASSERT_TRUE(decode_stay(encode_stay(s), &back));
  EXPECT_EQ(back, s);
  EXPECT_FALSE(decode_stay("{", &back));
  EXPECT_NE(decode_stay(R"({"id":"x"})", &back).message().find("stay row"), std::string::npos);
}

}  // namespace
}  // namespace intsim::core::bookings
