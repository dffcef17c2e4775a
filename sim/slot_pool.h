// A pool of reusable slots addressed by 64-bit generational handles.
//
// The network keeps each message's payload here and puts the handle in the event's `arg`, so a
// message costs no allocation once the pool has grown to its working size (the objects are
// reused, with whatever capacity their strings already have). A handle is (generation << 32 |
// index); removing a slot bumps its generation, so a stale handle (a message to a crashed
// incarnation, a timer that was re-armed) is recognised instead of reaching a reused slot.
// Slots live in a deque: a reference stays valid while other slots are added (a handler may
// send a new message while it still reads the request it was given).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "src/core/assert.h"

namespace intsim::sim {

template <typename T>
class SlotPool {
 public:
  using Handle = std::uint64_t;  // 0 is never a live handle

  // A fresh slot; the object may hold the fields of a previous occupant: the caller sets every
  // field it reads.
  Handle add() {
    std::uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      INTSIM_ASSERT_MSG(index != UINT32_MAX, "slot pool exhausted");
      slots_.push_back(Slot{});
    }
    Slot& s = slots_[index];
    s.live = true;
    ++live_;
    return (static_cast<Handle>(s.generation) << 32) | index;
  }

  // The object behind a live handle, or nullptr for a stale or unknown one.
  T* get(Handle h) {
    const auto index = static_cast<std::uint32_t>(h);
    if (index >= slots_.size()) return nullptr;
    Slot& s = slots_[index];
    if (!s.live || s.generation != static_cast<std::uint32_t>(h >> 32)) return nullptr;
    return &s.value;
  }
  const T* get(Handle h) const { return const_cast<SlotPool*>(this)->get(h); }

  T& at(Handle h) {
    T* v = get(h);
    INTSIM_ASSERT_MSG(v != nullptr, "stale slot handle");
    return *v;
  }

  // Frees a live slot; a stale handle is a bug.
  void remove(Handle h) {
    const auto index = static_cast<std::uint32_t>(h);
    INTSIM_ASSERT(get(h) != nullptr);
    Slot& s = slots_[index];
    s.live = false;
    // Generation 0 is skipped so that handle 0 (index 0, generation 0) is never live.
    if (++s.generation == 0) s.generation = 1;
    free_.push_back(index);
    --live_;
  }

  std::size_t live() const { return live_; }
  std::size_t capacity() const { return slots_.size(); }

  // Visits every live slot in index order (deterministic): fn(handle, value).
  template <typename Fn>
  void for_each(Fn&& fn) {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      if (s.live) fn((static_cast<Handle>(s.generation) << 32) | i, s.value);
    }
  }

 private:
  struct Slot {
    T value{};
    std::uint32_t generation = 1;
    bool live = false;
  };
  std::deque<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace intsim::sim
