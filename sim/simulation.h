// The simulation kernel: a scheduler, a trace, the master seed and the names of things.
//
// Models register the kinds of event they handle and the actors they are; kind and actor ids
// are given out in registration order, so a run that registers the same things in the same
// order gets the same ids. The loop pops one event at a time, records it in the trace and
// hands it to the handler of its kind. Everything runs on one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"
#include "sim/trace.h"

namespace intsim::sim {

// The virtual epoch: every simulated run starts at 2026-01-01T00:00:00Z, so timestamps that
// peers put on the wire (Stripe's `t=`, iCal DTSTAMPs) look like real ones.
inline constexpr Time kEpochUs = 1'767'225'600LL * core::kUsPerSec;

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_event(const Event& event) = 0;
};

enum class StopReason {
  kIdle,         // no event left to run
  kTimeReached,  // the end time was reached
  kPredicate,    // the caller's condition said stop
  kStepLimit,    // steps_max events ran: likely a livelock in a model
};
std::string_view stop_reason_name(StopReason reason);

class Simulation : public TraceNames {
 public:
  explicit Simulation(std::uint64_t master_seed, Trace::Mode mode = Trace::Mode::kHashOnly);

  std::uint64_t seed() const { return seed_; }
  Time now_us() const { return scheduler_.now_us(); }
  Scheduler& scheduler() { return scheduler_; }
  Trace& trace() { return trace_; }
  const Trace& trace() const { return trace_; }

  // The named stream `name` of this run's master seed.
  Rng rng(std::string_view name) const { return Rng(seed_, name); }

  // A kind of event; `handler` may be null for kinds used only as trace notes.
  std::uint16_t register_kind(std::string name, Handler* handler);
  std::uint32_t register_actor(std::string name);
  std::string_view kind_name(std::uint16_t kind) const override;
  std::string_view actor_name(std::uint32_t actor) const override;
  std::size_t actor_count() const { return actor_names_.size(); }
  // Every kind and actor name, to render the trace once the Simulation is gone.
  TraceNameTable name_table() const;

  EventId at(Time at_us, std::uint16_t kind, std::uint32_t target, std::uint64_t arg) {
    return scheduler_.schedule_at(at_us, kind, target, arg);
  }
  EventId after(Time delay_us, std::uint16_t kind, std::uint32_t target, std::uint64_t arg) {
    return scheduler_.schedule_after(delay_us, kind, target, arg);
  }
  bool cancel(EventId id) { return scheduler_.cancel(id); }

  // Adds an annotation to the trace at the current time.
  void note(std::uint16_t kind, std::uint32_t actor, std::uint64_t arg, std::string_view detail) {
    trace_.add_note(now_us(), kind, actor, arg, detail);
  }

  // Runs one event; false when nothing is pending.
  bool step();
  // Runs every event up to and including end_us, then sets now to end_us.
  StopReason run_until(Time end_us, std::uint64_t steps_max);
  // As run_until, but stops as soon as `keep_going` answers false (checked after each event).
  StopReason run_while(const std::function<bool()>& keep_going, Time end_us,
                       std::uint64_t steps_max);

  std::uint64_t steps() const { return steps_; }

 private:
  struct Kind {
    std::string name;
    Handler* handler;
  };
  std::uint64_t seed_;
  Scheduler scheduler_;
  Trace trace_;
  std::vector<Kind> kinds_;
  std::vector<std::string> actor_names_;
  std::uint64_t steps_ = 0;
};

}  // namespace intsim::sim
