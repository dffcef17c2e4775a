#include "sim/scheduler.h"

#include "src/core/assert.h"

namespace intsim::sim {

Scheduler::Scheduler(std::uint32_t live_events_max) : live_events_max_(live_events_max) {
  INTSIM_ASSERT(live_events_max > 0 && live_events_max <= kLiveEventsMaxLimit);
}

std::uint32_t Scheduler::take_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  INTSIM_ASSERT_MSG(slots_.size() < live_events_max_, "live events exceed live_events_max");
  slots_.push_back(Slot{});
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

EventId Scheduler::schedule_at(Time at_us, std::uint16_t kind, std::uint32_t target,
                               std::uint64_t arg) {
  INTSIM_ASSERT_MSG(at_us >= now_us_, "an event cannot be scheduled in the past");
  const std::uint64_t seq = next_seq_++;
  INTSIM_ASSERT(seq < (1ull << (64 - kSlotBits)));
  const std::uint32_t slot = take_slot();
  slots_[slot] = Slot{seq, arg, target, kind, false};
  const Entry e{at_us, (seq << kSlotBits) | slot};
  heap_.push_back(e);
  sift_up(heap_.size() - 1, e);
  ++pending_;
  return EventId{e.key};
}

bool Scheduler::cancel(EventId id) {
  if (!id.valid()) return false;
  const std::uint64_t slot = id.value & kSlotMask;
  const std::uint64_t seq = id.value >> kSlotBits;
  if (slot >= slots_.size()) return false;
  Slot& s = slots_[slot];
  if (s.seq != seq || s.cancelled) return false;
  s.cancelled = true;
  INTSIM_ASSERT(pending_ > 0);
  --pending_;
  return true;
}

void Scheduler::sift_up(std::size_t i, Entry e) {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void Scheduler::sift_down(std::size_t i, Entry e) {
  const std::size_t n = heap_.size();
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t last = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < last; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

void Scheduler::remove_top() {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
}

void Scheduler::drop_cancelled_top() {
  while (!heap_.empty()) {
    const std::uint32_t slot = static_cast<std::uint32_t>(heap_.front().key & kSlotMask);
    Slot& s = slots_[slot];
    if (!s.cancelled) return;
    s.seq = 0;
    s.cancelled = false;
    free_slots_.push_back(slot);
    remove_top();
  }
}

std::optional<Time> Scheduler::peek_time_us() {
  drop_cancelled_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().at_us;
}

void Scheduler::advance_to(Time t_us) {
  INTSIM_ASSERT(t_us >= now_us_);
  const std::optional<Time> next = peek_time_us();
  INTSIM_ASSERT_MSG(!next || *next >= t_us, "advance_to would skip a pending event");
  now_us_ = t_us;
}

std::optional<Event> Scheduler::pop() {
  drop_cancelled_top();
  if (heap_.empty()) return std::nullopt;
  const Entry top = heap_.front();
  const std::uint32_t slot = static_cast<std::uint32_t>(top.key & kSlotMask);
  Slot& s = slots_[slot];
  const Event ev{top.at_us, s.seq, s.kind, s.target, s.arg};
  s.seq = 0;
  free_slots_.push_back(slot);
  remove_top();
  INTSIM_ASSERT(ev.at_us >= now_us_);
  now_us_ = ev.at_us;
  --pending_;
  return ev;
}

}  // namespace intsim::sim
