// The event queue of the simulation kernel.
//
// Events are ordered by (time, sequence): two events at the same virtual instant run in the
// order they were scheduled, which is what makes a run a pure function of its seed. An event is
// a small plain key (kind, target, arg); anything larger lives in a payload store owned by
// whoever scheduled it, and `arg` names the entry. No std::function, no allocation per event
// once the queue has grown to its working size.
//
// The queue is a 4-ary implicit heap of 16-byte entries. Cancellation is lazy: the slot is
// marked and the heap entry is skipped when it surfaces.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "src/core/time.h"

namespace intsim::sim {

using Time = core::TimeUs;

// Identifies one scheduled event; 0 is "no event". Stale ids (already fired or cancelled) are
// safe to cancel again: cancel() answers false.
struct EventId {
  std::uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(EventId, EventId) = default;
};

struct Event {
  Time at_us = 0;
  std::uint64_t seq = 0;     // global scheduling order; ties at the same instant break on it
  std::uint16_t kind = 0;    // what to do (registered with the Simulation)
  std::uint32_t target = 0;  // whom it concerns (an actor id)
  std::uint64_t arg = 0;     // kind-specific: a payload handle, a request id, a timer id
};

class Scheduler {
 public:
  // Live (scheduled, not yet fired or skipped) events are bounded: exceeding the bound is a
  // bug in a model (a runaway timer), so it asserts rather than growing without limit.
  static constexpr std::uint32_t kLiveEventsMaxLimit = 1u << 24;
  explicit Scheduler(std::uint32_t live_events_max = kLiveEventsMaxLimit);

  Time now_us() const { return now_us_; }

  // Schedules at an absolute time, which must not be in the past.
  EventId schedule_at(Time at_us, std::uint16_t kind, std::uint32_t target, std::uint64_t arg);
  EventId schedule_after(Time delay_us, std::uint16_t kind, std::uint32_t target,
                         std::uint64_t arg) {
    return schedule_at(now_us_ + delay_us, kind, target, arg);
  }

  // True when the event was pending and is now cancelled; false for a fired, cancelled or
  // unknown id.
  bool cancel(EventId id);

  // Removes and returns the next pending event and advances now to its time; nullopt if none.
  std::optional<Event> pop();
  // Time of the next pending event without removing it.
  std::optional<Time> peek_time_us();
  // Moves now forward to t_us with no event in between (run_until's idle tail).
  void advance_to(Time t_us);

  // Pending events, cancelled ones excluded.
  std::size_t pending() const { return pending_; }
  bool empty() const { return pending_ == 0; }

 private:
  struct Entry {
    Time at_us;
    std::uint64_t key;  // seq << kSlotBits | slot: compares by seq since seqs are unique
  };
  struct Slot {
    std::uint64_t seq;  // 0 when the slot is free
    std::uint64_t arg;
    std::uint32_t target;
    std::uint16_t kind;
    bool cancelled;
  };
  static constexpr int kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (1ull << kSlotBits) - 1;

  static bool before(const Entry& a, const Entry& b) {
    return a.at_us < b.at_us || (a.at_us == b.at_us && a.key < b.key);
  }
  void sift_up(std::size_t i, Entry e);
  void sift_down(std::size_t i, Entry e);
  void remove_top();
  void drop_cancelled_top();
  std::uint32_t take_slot();

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t live_events_max_;
  std::size_t pending_ = 0;
  std::uint64_t next_seq_ = 1;
  Time now_us_ = 0;
};

}  // namespace intsim::sim
