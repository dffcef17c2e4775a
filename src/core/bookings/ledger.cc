#include "src/core/bookings/ledger.h"

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::core::bookings {

std::string_view confirm_outcome_name(ConfirmOutcome outcome) {
  switch (outcome) {
    case ConfirmOutcome::kConfirmed:
      return "confirmed";
    case ConfirmOutcome::kAlreadyConfirmed:
      return "already_confirmed";
    case ConfirmOutcome::kNightsTaken:
      return "nights_taken";
    case ConfirmOutcome::kCancelled:
      return "cancelled";
    case ConfirmOutcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Ledger::Ledger(std::vector<Unit> units) : units_(std::move(units)) {
  std::sort(units_.begin(), units_.end(), [](const Unit& a, const Unit& b) { return a.id < b.id; });
  for (const Unit& u : units_) active_by_unit_[u.id];
}

const Unit* Ledger::unit(std::string_view id) const {
  for (const Unit& u : units_) {
    if (u.id == id) return &u;
  }
  return nullptr;
}

const Stay* Ledger::find(std::string_view stay_id) const {
  const auto it = stays_.find(stay_id);
  return it == stays_.end() ? nullptr : &it->second;
}

void Ledger::index(const Stay& stay) {
  if (!is_active(stay.state) || !active_by_unit_[stay.unit].insert(stay.id).second) return;
  std::map<Night, int>& nights = occupancy_[stay.unit];
  for (Night n = stay.first_night; n < stay.end_night; ++n) {
    if (++nights[n] == 2) contested_.emplace(stay.unit, n);
  }
}

void Ledger::unindex(const Stay& stay) {
  const auto it = active_by_unit_.find(stay.unit);
  // Only a stay that was indexed is counted out (callers unindex released stays too).
  if (it == active_by_unit_.end() || it->second.erase(stay.id) == 0) return;
  std::map<Night, int>& nights = occupancy_[stay.unit];
  for (Night n = stay.first_night; n < stay.end_night; ++n) {
    const auto night = nights.find(n);
    INTSIM_ASSERT(night != nights.end() && night->second > 0);
    if (--night->second == 1) contested_.erase({stay.unit, n});
    if (night->second == 0) nights.erase(night);
  }
}

void Ledger::set_state(Stay& stay, StayState to) {
  if (stay.state == StayState::kHeld) holds_.erase({stay.hold_expires_at_us, stay.id});
  stay.state = to;
  if (to == StayState::kHeld) holds_.emplace(stay.hold_expires_at_us, stay.id);
}

bool Ledger::overlaps_active(std::string_view unit, Night first, Night end,
                             std::string_view except_id) const {
  const auto it = active_by_unit_.find(unit);
  if (it == active_by_unit_.end()) return false;
  for (const std::string& id : it->second) {
    if (id == except_id) continue;
    const Stay& other = stays_.find(id)->second;
    if (other.first_night < end && first < other.end_night) return true;
  }
  return false;
}

bool Ledger::is_free(std::string_view unit, Night first, Night end,
                     std::string_view except_id) const {
  return !overlaps_active(unit, first, end, except_id);
}

Status Ledger::place_hold(const Stay& stay) {
  if (!unit(stay.unit)) return Status::invalid_argument("unknown unit '" + stay.unit + "'");
  if (stay.end_night <= stay.first_night) {
    return Status::invalid_argument("a stay needs at least one night");
  }
  if (stay.source != Source::kDirect || stay.state != StayState::kHeld) {
    return Status::invalid_argument("only a direct stay in state held can be placed as a hold");
  }
  if (stays_.count(stay.id)) return Status::invalid_argument("duplicate stay id '" + stay.id + "'");
  if (overlaps_active(stay.unit, stay.first_night, stay.end_night, {})) {
    return Status::conflict("unit " + stay.unit + " is taken for some of those nights");
  }
  const Stay& placed = stays_.emplace(stay.id, stay).first->second;
  holds_.emplace(placed.hold_expires_at_us, placed.id);
  index(placed);
  return Status::ok();
}

ConfirmOutcome Ledger::confirm(std::string_view stay_id, TimeUs now_us) {
  const auto it = stays_.find(stay_id);
  if (it == stays_.end()) return ConfirmOutcome::kUnknown;
  Stay& s = it->second;
  switch (s.state) {
    case StayState::kConfirmed:
      return ConfirmOutcome::kAlreadyConfirmed;
    case StayState::kCancelled:
      return ConfirmOutcome::kCancelled;
    case StayState::kHeld:
      if (now_us <= s.hold_expires_at_us) {
        set_state(s, StayState::kConfirmed);
        return ConfirmOutcome::kConfirmed;
      }
      [[fallthrough]];  // a lapsed hold that nobody expired yet is a released one
    case StayState::kReleased:
      // The payment arrived after the hold ended: re-acquire the nights if still free. The
      // ledger never confirms a night it knows is taken.
      if (overlaps_active(s.unit, s.first_night, s.end_night, s.id)) {
        unindex(s);
        set_state(s, StayState::kReleased);
        return ConfirmOutcome::kNightsTaken;
      }
      set_state(s, StayState::kConfirmed);
      index(s);
      return ConfirmOutcome::kConfirmed;
  }
  return ConfirmOutcome::kUnknown;
}

bool Ledger::release(std::string_view stay_id) {
  const auto it = stays_.find(stay_id);
  if (it == stays_.end() || it->second.state != StayState::kHeld) return false;
  unindex(it->second);
  set_state(it->second, StayState::kReleased);
  return true;
}

std::vector<std::string> Ledger::expire_holds(TimeUs now_us) {
  std::vector<std::string> released;
  for (auto it = holds_.begin(); it != holds_.end() && it->first <= now_us; ++it) {
    released.push_back(it->second);
  }
  std::sort(released.begin(), released.end());  // reported in id order
  for (const std::string& id : released) {
    Stay& s = stays_.find(id)->second;
    unindex(s);
    set_state(s, StayState::kReleased);
  }
  return released;
}

std::optional<TimeUs> Ledger::next_hold_expiry_us() const {
  if (holds_.empty()) return std::nullopt;
  return holds_.begin()->first;
}

bool Ledger::cancel(std::string_view stay_id) {
  const auto it = stays_.find(stay_id);
  if (it == stays_.end() || !is_active(it->second.state)) return false;
  unindex(it->second);
  set_state(it->second, StayState::kCancelled);
  return true;
}

void Ledger::upsert_channel_stay(const Stay& stay) {
  INTSIM_ASSERT(stay.source != Source::kDirect);
  INTSIM_ASSERT(stay.end_night > stay.first_night);
  const auto it = stays_.find(stay.id);
  if (it == stays_.end()) {
    Stay s = stay;
    s.state = StayState::kConfirmed;
    index(stays_.emplace(s.id, s).first->second);
    return;
  }
  Stay& s = it->second;
  unindex(s);
  // Keep the unit we placed it in (a relocation is ours to remember) and when we first saw it.
  s.first_night = stay.first_night;
  s.end_night = stay.end_night;
  s.external_uid = stay.external_uid;
  s.guest = stay.guest;
  set_state(s, StayState::kConfirmed);
  index(s);
}

Status Ledger::relocate(std::string_view stay_id, std::string_view to_unit) {
  const auto it = stays_.find(stay_id);
  if (it == stays_.end() || !is_active(it->second.state)) {
    return Status::invalid_argument("no active stay '" + std::string(stay_id) + "'");
  }
  Stay& s = it->second;
  const Unit* from = unit(s.unit);
  const Unit* to = unit(to_unit);
  if (!to || !from || to->kind != from->kind) {
    return Status::invalid_argument("unit '" + std::string(to_unit) + "' is not equivalent");
  }
  if (overlaps_active(to_unit, s.first_night, s.end_night, s.id)) {
    return Status::conflict("unit " + std::string(to_unit) + " is not free for those nights");
  }
  unindex(s);
  s.unit = std::string(to_unit);
  index(s);
  return Status::ok();
}

std::vector<Conflict> Ledger::conflicts() const {
  std::vector<Conflict> out;
  // contested_ is ordered by unit, then night: the order conflicts are reported in.
  for (const auto& [unit_id, night] : contested_) {
    std::vector<const Stay*> stays;
    for (const std::string& id : active_by_unit_.find(unit_id)->second) {
      const Stay& s = stays_.find(id)->second;
      if (s.first_night <= night && night < s.end_night) stays.push_back(&s);
    }
    INTSIM_ASSERT(stays.size() >= 2);
    std::sort(stays.begin(), stays.end(), [](const Stay* a, const Stay* b) {
      return a->created_at_us != b->created_at_us ? a->created_at_us < b->created_at_us
                                                  : a->id < b->id;
    });
    Conflict c{unit_id, night, {}};
    for (const Stay* s : stays) c.stay_ids.push_back(s->id);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<const Stay*> Ledger::active_stays_on(std::string_view unit) const {
  std::vector<const Stay*> out;
  const auto it = active_by_unit_.find(unit);
  if (it == active_by_unit_.end()) return out;
  for (const std::string& id : it->second) out.push_back(&stays_.find(id)->second);
  std::sort(out.begin(), out.end(), [](const Stay* a, const Stay* b) {
    return a->first_night != b->first_night ? a->first_night < b->first_night : a->id < b->id;
  });
  return out;
}

std::vector<Night> Ledger::occupied_nights(std::string_view unit) const {
  std::vector<Night> out;
  const auto it = occupancy_.find(unit);
  if (it == occupancy_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [night, stays] : it->second) out.push_back(night);
  return out;
}

}  // namespace intsim::core::bookings
