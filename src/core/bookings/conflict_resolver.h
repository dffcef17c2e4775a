// The conflict resolver: iCal polling leaves race windows in which a channel sells a night we
// sold too. This turns every unit-night held by two active stays into one of: relocate a stay
// to an equivalent free unit, cancel a direct stay (the caller refunds and notifies), or, when
// neither is possible, report it unresolved (the caller raises an alert for a human).
#pragma once

#include <string>
#include <vector>

#include "src/core/bookings/ledger.h"

namespace intsim::core::bookings {

enum class WinnerRule {
  kEarlierBookingWins,  // the stay sold first keeps its unit (created_at_us, then id)
  kChannelWins,         // a channel's stay beats a direct one; among equals the earlier wins
};

struct ResolverPolicy {
  WinnerRule winner = WinnerRule::kEarlierBookingWins;
  bool relocate = true;  // try an equivalent free unit before cancelling
};

enum class ResolutionKind { kRelocated, kCancelled, kUnresolved };
std::string_view resolution_kind_name(ResolutionKind kind);

struct Resolution {
  ResolutionKind kind = ResolutionKind::kUnresolved;
  std::string stay_id;
  Source source = Source::kDirect;
  std::string guest;
  std::string from_unit;
  std::string to_unit;  // kRelocated only
  Night night = 0;      // the contested night that triggered it
  bool operator==(const Resolution&) const = default;
};

// A conflict's identity: its unit and the stays in it (in id order), so a conflict spanning
// several nights is one, and a stay joining it makes another.
std::string conflict_key(const Conflict& c);

// Resolves every conflict in the ledger, in a deterministic order. Channel stays are never
// cancelled (the channel sold them; we cannot take that back): when a channel stay loses and
// cannot be relocated, a direct stay in the same conflict is moved or cancelled instead; if
// every stay in the conflict is a channel's, the conflict is unresolved: reported once per
// conflict_key, by a Resolution on one of its nights.
std::vector<Resolution> resolve_conflicts(Ledger& ledger, const ResolverPolicy& policy);

}  // namespace intsim::core::bookings
