// The core's ledger of units and stays: the single source of truth for "is this night taken".
//
// It is pure in-memory logic; the bookings service persists every stay it changes in the same
// store batch as the change's other effects, and rebuilds the ledger from the store on
// recovery. Iteration is always in key order, so everything it reports is deterministic.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/bookings/stay.h"

namespace intsim::core::bookings {

struct Unit {
  std::string id;
  std::string kind;  // units of one kind are equivalent: a stay may be relocated between them
};

// One unit-night held by more than one active stay.
struct Conflict {
  std::string unit;
  Night night = 0;
  std::vector<std::string> stay_ids;  // in conflict order: created_at_us, then id
  bool operator==(const Conflict&) const = default;
};

enum class ConfirmOutcome {
  kConfirmed,         // the hold became a confirmed stay (possibly re-acquired after lapsing)
  kAlreadyConfirmed,  // a repeat: nothing changed (webhook and read-back both confirm)
  kNightsTaken,       // the hold lapsed and another stay took a night: the payment must be refunded
  kCancelled,         // the stay was cancelled meanwhile: the payment must be refunded
  kUnknown,           // no such stay
};
std::string_view confirm_outcome_name(ConfirmOutcome outcome);

class Ledger {
 public:
  explicit Ledger(std::vector<Unit> units);

  const std::vector<Unit>& units() const { return units_; }
  const Unit* unit(std::string_view id) const;
  const Stay* find(std::string_view stay_id) const;
  // Every stay, by id.
  const std::map<std::string, Stay, std::less<>>& stays() const { return stays_; }

  // True when no active stay other than `except_id` occupies a night of [first, end) on unit.
  bool is_free(std::string_view unit, Night first, Night end,
               std::string_view except_id = {}) const;

  // A direct booking's hold. kInvalidArgument for an unknown unit, an empty or inverted range,
  // a duplicate id or a state other than kHeld; kConflict when a night is taken.
  Status place_hold(const Stay& stay);
  // The payment for a hold succeeded.
  ConfirmOutcome confirm(std::string_view stay_id, TimeUs now_us);
  // The payment failed or was abandoned: a held stay becomes released. False if not held.
  bool release(std::string_view stay_id);
  // Releases holds whose expiry is at or before now_us; returns their ids in order.
  std::vector<std::string> expire_holds(TimeUs now_us);
  // The earliest hold expiry, to arm a timer.
  std::optional<TimeUs> next_hold_expiry_us() const;
  // Cancels an active stay (guest cancellation, conflict loser, vanished from a feed).
  bool cancel(std::string_view stay_id);
  // A channel stay as its feed shows it now: inserted or updated (dates, uid), always accepted
  // since the channel already sold it; a stay that was cancelled and reappears is active again.
  void upsert_channel_stay(const Stay& stay);
  // Moves an active stay to another unit of the same kind that is free for all its nights.
  Status relocate(std::string_view stay_id, std::string_view to_unit);

  // Every unit-night held by two or more active stays, by unit then night. Costs nothing when
  // there is none (the ledger counts the active stays on every unit-night as they change).
  std::vector<Conflict> conflicts() const;
  bool has_conflicts() const { return !contested_.empty(); }
  // Active nights on a unit in [first, end), for exports.
  std::vector<const Stay*> active_stays_on(std::string_view unit) const;
  // The nights of `unit` some active stay holds, in order, each once (from the counts kept).
  std::vector<Night> occupied_nights(std::string_view unit) const;

 private:
  void index(const Stay& stay);
  void unindex(const Stay& stay);
  // Every change of a stay's state goes through here, to keep holds_ current.
  void set_state(Stay& stay, StayState to);
  bool overlaps_active(std::string_view unit, Night first, Night end,
                       std::string_view except_id) const;

  std::vector<Unit> units_;
  std::map<std::string, Stay, std::less<>> stays_;
  // Active stay ids per unit.
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> active_by_unit_;
  // Active stays per unit-night (nights with none are absent), and the unit-nights held by two
  // or more: conflicts() is asked after every channel upsert and by every oracle check, and the
  // export lists a unit's nights for every channel import; walking every stay's nights each
  // time was a tenth of a simulated week. index() and unindex() keep both in step with
  // active_by_unit_.
  std::map<std::string, std::map<Night, int>, std::less<>> occupancy_;
  std::set<std::pair<std::string, Night>> contested_;
  // Held stays by (expiry, id): the hold timer is re-armed after every commit, and finding
  // the earliest expiry by walking every stay cost a tenth of a simulated week.
  std::set<std::pair<TimeUs, std::string>> holds_;
};

}  // namespace intsim::core::bookings
