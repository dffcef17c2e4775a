// The reconciler: turns one fetch of a channel's feed for one unit into a diff against what we
// last accepted from that feed (new, changed, cancelled), and the snapshot to keep next.
//
// iCal feeds carry no status: a booking that vanishes is a cancellation. But feeds lag and can
// be served stale, so a vanished stay is cancelled only once it has been missing from every
// complete fetch for cancel_after_missing_us: a stale copy is at most that old, so a stay that
// still exists shows up again before the grace ends. A fetch that is not a complete calendar
// (truncated, failed) adds and updates what it shows but never starts or advances that clock.
//
// UIDs churn between exports: a feed event is matched to a known stay by UID first, then by
// unit and dates (the feed is per unit, so equal dates suffice). Pure logic, no ports.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/bookings/stay.h"
#include "src/core/ical/calendar.h"
#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core::sync {

using bookings::Night;

// One stay of one feed (channel, unit) as we last accepted it.
struct KnownStay {
  std::string stay_id;  // the ledger's id: "<channel>:<uid first seen>" (never reused)
  std::string uid;      // as last seen in the feed
  Night first_night = 0;
  Night end_night = 0;
  TimeUs missing_since_us = -1;  // -1: present in the last complete fetch
  bool operator==(const KnownStay&) const = default;
};

// A stay as a feed shows it now.
struct FeedStay {
  std::string uid;
  Night first_night = 0;
  Night end_night = 0;
};

// The events of a parsed calendar as feed stays (events without nights are dropped).
std::vector<FeedStay> feed_stays(const ical::Calendar& calendar);

struct Diff {
  std::vector<KnownStay> added;      // new to us
  std::vector<KnownStay> changed;    // dates or UID differ from what we knew
  std::vector<KnownStay> cancelled;  // missing for the whole grace: the channel cancelled it
  std::vector<KnownStay> next;       // the snapshot to keep once the diff is applied
  bool empty() const { return added.empty() && changed.empty() && cancelled.empty(); }
};

struct ReconcileInput {
  std::string_view channel;  // the stay id prefix ("airbnb")
  const std::vector<KnownStay>* known = nullptr;
  const std::vector<FeedStay>* feed = nullptr;
  bool complete = false;  // the fetch is a full snapshot of the feed
  TimeUs now_us = 0;
  TimeUs cancel_after_missing_us = 0;
  // True when a stay id is already used in the ledger (a stay cancelled long ago whose UID the
  // channel reissued): a new stay then gets a suffixed id, so a cancelled stay never revives.
  std::function<bool(std::string_view stay_id)> id_taken;
};

Diff reconcile(const ReconcileInput& in);

// Row encoding of a snapshot for the store (JSON array, fixed field order).
std::string encode_snapshot(const std::vector<KnownStay>& stays);
Status decode_snapshot(std::string_view row, std::vector<KnownStay>* out);

}  // namespace intsim::core::sync
