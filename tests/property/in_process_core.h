// The core's Integration in-process, for the stateful property tests: ports on a clock the test
// moves, one store that survives crashes, and a timer table fired in time order. The core object
// is made again on the same store after a crash, exactly as a driver does. A test's world
// derives from this, answers send() as its peers would, and decides when time passes.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <map>
#include <memory>

#include "sim/simulation.h"
#include "src/core/app/integration.h"
#include "src/core/memory_store.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"
#include "src/core/resilience/test_random.h"

namespace intsim::tests {

class FixedClock final : public core::Clock {
 public:
  core::TimeUs now = sim::kEpochUs;
  core::TimeUs now_us() const override { return now; }
};

class InProcessCore : public core::HttpClient, public core::Timers {
 public:
  void arm(core::TimerId id, core::TimeUs at_us) override { timers_[id] = at_us; }
  void disarm(core::TimerId id) override { timers_.erase(id); }

  core::TimeUs now() const { return clock_.now; }
  core::app::Integration& core() { return *core_; }
  const core::app::Integration& core() const { return *core_; }

 protected:
  InProcessCore(std::uint64_t seed, core::LogLevel log_level_min)
      : random_(seed), log_(log_level_min) {}

  // A new core object on the same store, recovered: at the start and after every crash. The
  // old object's timers die with it (a crash loses memory, not the store).
  void start_core() {
    core_.reset();
    timers_.clear();
    const core::Ports ports{&clock_, &random_, this, this, &store_, &log_, &metrics_, &alerts_};
    RC_ASSERT(core::app::Integration::create(config_, ports, &core_).is_ok());
    RC_ASSERT(core_->recover(clock_.now).is_ok());
  }

  // The earliest armed timer's time, or `otherwise` when none is armed.
  core::TimeUs next_timer_us(core::TimeUs otherwise) const {
    core::TimeUs next = otherwise;
    for (const auto& [id, at_us] : timers_) next = std::min(next, at_us);
    return next;
  }

  // Fires the earliest timer due by `until_us` (the lowest id among equals), moving the clock
  // to it. False when none is due.
  bool fire_next_timer(core::TimeUs until_us) {
    auto next = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second <= until_us && (next == timers_.end() || it->second < next->second)) next = it;
    }
    if (next == timers_.end()) return false;
    const core::TimerId id = next->first;
    clock_.now = std::max(clock_.now, next->second);
    timers_.erase(next);
    core_->on_timer(id, clock_.now);
    return true;
  }

  core::app::IntegrationConfig config_;
  FixedClock clock_;
  core::resilience::testing::SplitMixRandom random_;
  core::MemoryStore store_;
  core::observability::RecordingLog log_;
  core::observability::MetricsRegistry metrics_;
  core::observability::RecordingAlerts alerts_;
  std::unique_ptr<core::app::Integration> core_;
  std::map<core::TimerId, core::TimeUs> timers_;
};

}  // namespace intsim::tests
