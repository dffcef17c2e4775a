#include "sim/simulation.h"

#include <limits>

#include "src/core/assert.h"

namespace intsim::sim {

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kIdle:
      return "idle";
    case StopReason::kTimeReached:
      return "time_reached";
    case StopReason::kPredicate:
      return "predicate";
    case StopReason::kStepLimit:
      return "step_limit";
  }
  return "unknown";
}

Simulation::Simulation(std::uint64_t master_seed, Trace::Mode mode)
    : seed_(master_seed), trace_(mode) {
  scheduler_.advance_to(kEpochUs);
  kinds_.push_back({"none", nullptr});  // kind 0 is never scheduled
  actor_names_.push_back("kernel");     // actor 0 is the kernel itself
}

std::uint16_t Simulation::register_kind(std::string name, Handler* handler) {
  INTSIM_ASSERT(kinds_.size() < std::numeric_limits<std::uint16_t>::max());
  kinds_.push_back({std::move(name), handler});
  return static_cast<std::uint16_t>(kinds_.size() - 1);
}

std::uint32_t Simulation::register_actor(std::string name) {
  actor_names_.push_back(std::move(name));
  return static_cast<std::uint32_t>(actor_names_.size() - 1);
}

std::string_view Simulation::kind_name(std::uint16_t kind) const {
  return kind < kinds_.size() ? std::string_view(kinds_[kind].name) : "unknown";
}

std::string_view Simulation::actor_name(std::uint32_t actor) const {
  return actor < actor_names_.size() ? std::string_view(actor_names_[actor]) : "unknown";
}

TraceNameTable Simulation::name_table() const {
  TraceNameTable t;
  for (const Kind& k : kinds_) t.kinds.push_back(k.name);
  t.actors = actor_names_;
  return t;
}

bool Simulation::step() {
  const std::optional<Event> ev = scheduler_.pop();
  if (!ev) return false;
  ++steps_;
  INTSIM_ASSERT(ev->kind > 0 && ev->kind < kinds_.size());
  trace_.add_event(ev->at_us, ev->kind, ev->target, ev->arg);
  Handler* handler = kinds_[ev->kind].handler;
  INTSIM_ASSERT_MSG(handler != nullptr, "event of a kind that has no handler");
  handler->on_event(*ev);
  return true;
}

StopReason Simulation::run_while(const std::function<bool()>& keep_going, Time end_us,
                                 std::uint64_t steps_max) {
  for (std::uint64_t n = 0; n < steps_max; ++n) {
    if (keep_going && !keep_going()) return StopReason::kPredicate;
    const std::optional<Time> next = scheduler_.peek_time_us();
    if (!next || *next > end_us) {
      if (end_us > now_us()) scheduler_.advance_to(end_us);
      return next ? StopReason::kTimeReached : StopReason::kIdle;
    }
    step();
  }
  return StopReason::kStepLimit;
}

StopReason Simulation::run_until(Time end_us, std::uint64_t steps_max) {
  return run_while(nullptr, end_us, steps_max);
}

}  // namespace intsim::sim
