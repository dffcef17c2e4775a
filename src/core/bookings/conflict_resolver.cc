#include "src/core/bookings/conflict_resolver.h"

#include <algorithm>
#include <set>

#include "src/core/assert.h"

namespace intsim::core::bookings {

std::string_view resolution_kind_name(ResolutionKind kind) {
  switch (kind) {
    case ResolutionKind::kRelocated:
      return "relocated";
    case ResolutionKind::kCancelled:
      return "cancelled";
    case ResolutionKind::kUnresolved:
      return "unresolved";
  }
  return "unknown";
}

std::string conflict_key(const Conflict& c) {
  std::vector<std::string> ids = c.stay_ids;
  std::sort(ids.begin(), ids.end());
  std::string key = c.unit;
  for (const std::string& id : ids) key += "|" + id;
  return key;
}

namespace {

// Orders a conflict's stays best-first under the policy.
std::vector<const Stay*> rank(const Ledger& ledger, const Conflict& c, WinnerRule rule) {
  std::vector<const Stay*> stays;
  for (const std::string& id : c.stay_ids) stays.push_back(ledger.find(id));
  std::stable_sort(stays.begin(), stays.end(), [rule](const Stay* a, const Stay* b) {
    if (rule == WinnerRule::kChannelWins) {
      const bool ca = a->source != Source::kDirect, cb = b->source != Source::kDirect;
      if (ca != cb) return ca;
    }
    return false;  // conflict order (created_at_us, id) otherwise: already sorted
  });
  return stays;
}

// The first unit of the same kind (by id) that is free for all of the stay's nights.
const Unit* free_equivalent(const Ledger& ledger, const Stay& stay) {
  const Unit* from = ledger.unit(stay.unit);
  INTSIM_ASSERT(from != nullptr);
  for (const Unit& u : ledger.units()) {
    if (u.id == stay.unit || u.kind != from->kind) continue;
    if (ledger.is_free(u.id, stay.first_night, stay.end_night, stay.id)) return &u;
  }
  return nullptr;
}

}  // namespace

std::vector<Resolution> resolve_conflicts(Ledger& ledger, const ResolverPolicy& policy) {
  std::vector<Resolution> out;
  std::set<std::string> unresolved;  // conflict_key()s already reported: never reported twice
  // Each round removes a stay from a contested night (into free nights only, so no conflict is
  // ever made) or reports one conflict unresolved, so the loop ends within (stays + conflicts)
  // rounds.
  const std::size_t rounds_max = 2 * ledger.stays().size() + ledger.conflicts().size() + 16;
  for (std::size_t round = 0; round < rounds_max; ++round) {
    const std::vector<Conflict> conflicts = ledger.conflicts();
    const Conflict* open = nullptr;
    for (const Conflict& c : conflicts) {
      if (!unresolved.count(conflict_key(c))) {
        open = &c;
        break;
      }
    }
    if (!open) return out;

    const std::vector<const Stay*> ranked = rank(ledger, *open, policy.winner);
    // The loser to move: the worst-ranked stay; when it is a channel's and cannot move, the
    // worst-ranked direct stay instead.
    const Stay* loser = ranked.back();
    const Unit* target = policy.relocate ? free_equivalent(ledger, *loser) : nullptr;
    if (!target && loser->source != Source::kDirect) {
      for (auto it = ranked.rbegin(); it != ranked.rend(); ++it) {
        if ((*it)->source == Source::kDirect) {
          loser = *it;
          target = policy.relocate ? free_equivalent(ledger, *loser) : nullptr;
          break;
        }
      }
    }
    Resolution r{ResolutionKind::kUnresolved,
                 loser->id,
                 loser->source,
                 loser->guest,
                 loser->unit,
                 "",
                 open->night};
    if (target) {
      r.kind = ResolutionKind::kRelocated;
      r.to_unit = target->id;
      INTSIM_ASSERT(ledger.relocate(loser->id, target->id).is_ok());
    } else if (loser->source == Source::kDirect) {
      r.kind = ResolutionKind::kCancelled;
      INTSIM_ASSERT(ledger.cancel(loser->id));
    } else {
      unresolved.insert(conflict_key(*open));
    }
    out.push_back(std::move(r));
  }
  INTSIM_ASSERT_MSG(false, "conflict resolution did not terminate");
  return out;
}

}  // namespace intsim::core::bookings
