// The sync engine: polls every channel's iCal export of every unit, reconciles each fetch with
// what it last accepted (reconciler.h) and applies the diff to the bookings ledger through a
// ChannelStaySink, whose conflict resolution relocates, cancels and refunds, or alerts.
//
// Polling (one feed = one channel x one unit):
// - every poll_interval_us (default 5 min, per channel), staggered across feeds;
// - conditional: If-None-Match with the last ETag (304 costs nothing), and a content hash of
//   the body without its DTSTAMP lines (Vrbo and Booking.com stamp every export), so an
//   unchanged feed is never parsed;
// - a failure (transport error, a status other than 200/304, a body that is not a complete
//   calendar, an empty body from a channel that never sends one) backs off with full jitter
//   (BackoffConfig) until a fetch succeeds. A truncated calendar still adds and updates the
//   stays it shows, but cancels nothing (reconciler.h).
//
// The polling GETs go straight through the HttpClient port, not the outbox: they change
// nothing at the channel, a lost one is simply the next poll, and the schedule is volatile on
// purpose (after a crash every feed is polled again soon). What is durable is each feed's
// snapshot (table "ota_feeds", key "<channel>/<unit>": ETag, hash, stays), written after the
// ledger changes it implies, so a crash in between replays an idempotent diff. A change of UID
// alone stays in the snapshot (the ledger keeps the UID it first saw): the booking did not
// change, and re-upserting it would re-run conflict resolution (and its alerts) for nothing.
//
// Request ids: base_request_id | n. The owner routes a result here when owns_request(id), which
// asks the engine's own table of requests in flight: other components (the outbox) draw their
// ids at random, so no id range is reserved for anyone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/bookings/ledger.h"
#include "src/core/ports.h"
#include "src/core/resilience/backoff.h"
#include "src/core/sync/reconciler.h"

namespace intsim::core::sync {

inline constexpr std::string_view kFeedsTable = "ota_feeds";

struct ChannelConfig {
  bookings::Source source = bookings::Source::kAirbnb;
  std::string peer;  // the HttpClient peer serving its feeds ("ota.airbnb")
  TimeUs poll_interval_us = 5 * kUsPerMin;
  // Booking.com answers an empty calendar with an empty body; from any other channel an empty
  // body is a broken response, not "every booking was cancelled".
  bool empty_body_is_calendar = false;
};

struct SyncConfig {
  std::vector<ChannelConfig> channels;
  std::vector<std::string> units;  // every channel lists every unit, under the same id
  TimeUs request_timeout_us = 30 * kUsPerSec;
  // A vanished stay is cancelled once missing this long (longer than a feed is ever stale).
  TimeUs cancel_after_missing_us = kUsPerHour;
  resilience::BackoffConfig backoff{resilience::Jitter::kFull, 30'000, 30 * 60'000, 1 << 30,
                                    1LL << 50};
  TimerId timer_id = 0x73796e63;  // "sync"
  RequestId base_request_id = RequestId{1} << 62;
};

// What the engine needs from the bookings side (the Integration wires BookingService in).
class ChannelStaySink {
 public:
  virtual ~ChannelStaySink() = default;
  virtual const bookings::Ledger& ledger() const = 0;
  // Inserts or updates a channel stay and resolves the conflicts it creates.
  virtual Status upsert_channel_stay(const bookings::Stay& stay, TimeUs now_us) = 0;
  // Cancels a channel stay that vanished from its feed.
  virtual Status cancel_channel_stay(std::string_view stay_id, TimeUs now_us) = 0;
};

// One feed's volatile polling state and durable snapshot.
struct FeedState {
  std::size_t channel = 0;  // index into SyncConfig::channels
  std::string unit;
  std::string key;  // "<channel>/<unit>": in feeds() and the store
  std::string etag;
  std::uint64_t content_hash = 0;  // 0: none yet
  // The body content_hash was taken of (volatile; none after a restart): a body with the same
  // lines but DTSTAMP has that hash, and comparing costs less than hashing.
  std::optional<std::string> hashed_body;
  std::vector<KnownStay> stays;
  TimeUs next_poll_us = 0;
  int failures = 0;  // consecutive
  TimeUs previous_delay_us = 0;
  bool in_flight = false;
  TimeUs last_success_us = -1;  // the last fetch that was a complete calendar (or unchanged)
};

struct SyncStats {
  std::uint64_t fetches = 0;
  std::uint64_t not_modified = 0;  // 304
  std::uint64_t unchanged = 0;     // same content hash: not parsed
  std::uint64_t parsed = 0;
  std::uint64_t partial = 0;  // parsed, but not a complete calendar
  std::uint64_t failed = 0;
  std::uint64_t added = 0, changed = 0, cancelled = 0;
  std::uint64_t uid_changes = 0;     // matched by dates under a new UID: nothing to tell bookings
  std::uint64_t race_conflicts = 0;  // an upsert that met an active stay on its nights
  std::uint64_t apply_errors = 0;
};

class SyncEngine {
 public:
  // Uses ports.random (jitter), timers, http, store, log, metrics. `sink` outlives the engine.
  SyncEngine(SyncConfig config, Ports ports, ChannelStaySink* sink);

  // Loads the snapshots and schedules every feed (first polls spread over one interval).
  Status recover(TimeUs now_us);
  void on_timer(TimeUs now_us);
  // True while `id` is one of this engine's requests waiting for its result.
  bool owns_request(RequestId id) const;
  void on_http_result(RequestId id, HttpResult result, TimeUs now_us);

  const SyncConfig& config() const { return config_; }
  // By "<channel>/<unit>".
  const std::map<std::string, FeedState, std::less<>>& feeds() const { return feeds_; }
  const SyncStats& stats() const { return stats_; }

 private:
  void poll_due(TimeUs now_us);
  void send_fetch(FeedState& feed, TimeUs now_us);
  void succeeded(FeedState& feed, TimeUs now_us);
  void failed(FeedState& feed, std::string_view outcome, TimeUs now_us);
  // Applies a fetch showing `shown` (null: unchanged since the last complete fetch); false
  // when the ledger or the store refused it.
  bool apply(FeedState& feed, const std::vector<FeedStay>* shown, bool complete, TimeUs now_us);
  void rearm();
  // Moves the feed's next poll; due_ follows.
  void set_next_poll(FeedState& feed, TimeUs at_us);
  std::string_view channel_name(const FeedState& feed) const;

  SyncConfig config_;
  Ports ports_;
  ChannelStaySink* sink_;
  std::map<std::string, FeedState, std::less<>> feeds_;
  std::map<RequestId, std::string> in_flight_;  // request id -> feed key
  // The feeds not in flight, by (next_poll_us, key): every timer and every result re-arms the
  // timer at the earliest, and walking every feed each time was a tenth of a simulated week.
  std::set<std::pair<TimeUs, std::string>> due_;
  RequestId next_request_ = 0;
  SyncStats stats_;
};

// The content hash the engine compares: the body without DTSTAMP lines (never 0).
std::uint64_t feed_content_hash(std::string_view body);
// Whether two bodies are equal but for DTSTAMP lines, so that their content hashes are equal.
bool same_feed_content(std::string_view a, std::string_view b);

}  // namespace intsim::core::sync
