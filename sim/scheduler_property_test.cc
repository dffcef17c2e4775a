// Properties of the scheduler under random sequences of schedule, cancel and step, checked
// against a plain model: an ordered list of (time, seq) keys.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "sim/scheduler.h"

namespace intsim::sim {
namespace {

struct Op {
  int kind;           // 0 schedule, 1 cancel, 2 step
  Time delay_us;      // for schedule
  std::size_t which;  // for cancel: index into ids scheduled so far
};

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::inRange(0, 3)),
                            rc::gen::set(&Op::delay_us, rc::gen::inRange<Time>(0, 50)),
                            rc::gen::set(&Op::which, rc::gen::inRange<std::size_t>(0, 64)));
}

RC_GTEST_PROP(SchedulerProperty, FiresInOrderNeverCancelledNeverBackwards, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op());
  Scheduler s;
  // Model: pending events keyed by (time, insertion index).
  std::map<std::pair<Time, std::uint64_t>, std::uint64_t> model;
  std::vector<std::pair<EventId, std::pair<Time, std::uint64_t>>> ids;
  std::set<std::uint64_t> cancelled;
  std::uint64_t next = 0;
  Time last_fired = 0;

  auto check_step = [&] {
    const auto ev = s.pop();
    if (model.empty()) {
      RC_ASSERT(!ev);
      return;
    }
    RC_ASSERT(ev.has_value());
    const auto expected = model.begin();
    RC_ASSERT(ev->at_us == expected->first.first);
    RC_ASSERT(ev->arg == expected->second);
    RC_ASSERT(cancelled.count(ev->arg) == 0u);
    RC_ASSERT(ev->at_us >= last_fired);
    last_fired = ev->at_us;
    model.erase(expected);
  };

  for (const Op& op : ops) {
    if (op.kind == 0) {
      const Time at = s.now_us() + op.delay_us;
      const EventId id = s.schedule_at(at, 1, 0, next);
      model[{at, next}] = next;
      ids.push_back({id, {at, next}});
      ++next;
    } else if (op.kind == 1 && !ids.empty()) {
      const auto& [id, key] = ids[op.which % ids.size()];
      const bool was_pending = model.count(key) > 0;
      RC_ASSERT(s.cancel(id) == was_pending);
      if (was_pending) {
        cancelled.insert(key.second);
        model.erase(key);
      }
    } else {
      check_step();
    }
    RC_ASSERT(s.pending() == model.size());
  }
  while (!model.empty()) check_step();
  RC_ASSERT(!s.pop());
}

}  // namespace
}  // namespace intsim::sim
