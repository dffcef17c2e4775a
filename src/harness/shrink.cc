#include "src/harness/shrink.h"

#include <fmt/format.h>

#include "src/harness/run.h"

namespace intsim::harness {
namespace {

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options, ShrinkResult* result)
      : options_(options), result_(result) {}

  // Whether `candidate` still fails the target oracle (false when the run budget is spent).
  bool fails(const Scenario& candidate) {
    if (result_->runs >= options_.runs_max) return false;
    ++result_->runs;
    RunOptions run;
    run.swarm = false;  // the swarm draw is already explicit in the candidate
    SeedResult r;
    if (!run_seed(candidate, options_.seed, run, &r)) return false;
    for (const Violation& v : r.violations) {
      if (v.oracle == result_->oracle) return true;
    }
    return false;
  }

  // ddmin over the fault list: remove ever smaller chunks while the failure persists.
  void shrink_faults(Scenario& s) {
    std::size_t chunks = 2;
    while (!s.faults.specs.empty()) {
      const std::size_t n = s.faults.specs.size();
      const std::size_t size = (n + chunks - 1) / chunks;
      bool removed = false;
      for (std::size_t start = 0; start < n; start += size) {
        Scenario candidate = s;
        auto& specs = candidate.faults.specs;
        specs.erase(specs.begin() + static_cast<std::ptrdiff_t>(start),
                    specs.begin() + static_cast<std::ptrdiff_t>(std::min(n, start + size)));
        for (std::size_t i = 0; i < specs.size(); ++i) specs[i].index = i;
        if (fails(candidate)) {
          result_->steps.push_back(fmt::format("removed faults {}..{} ({} left)", start,
                                               std::min(n, start + size) - 1, specs.size()));
          s = std::move(candidate);
          chunks = std::max<std::size_t>(chunks - 1, 2);
          removed = true;
          break;
        }
      }
      if (removed) continue;
      if (size == 1) break;
      chunks = std::min(chunks * 2, n);
    }
  }

  // Halves a knob while the failure persists.
  template <typename T>
  void halve(Scenario& s, T min, const char* what, T& (*field)(Scenario&)) {
    for (;;) {
      Scenario candidate = s;
      T& v = field(candidate);
      if (v <= min) return;
      const T next = std::max(min, static_cast<T>(v / 2));
      if (next == v) return;
      v = next;
      if (!fails(candidate)) return;
      result_->steps.push_back(fmt::format("{} halved to {}", what, v));
      s = std::move(candidate);
    }
  }

 private:
  const ShrinkOptions& options_;
  ShrinkResult* result_;
};

}  // namespace

core::Status shrink_scenario(const Scenario& failing, const ShrinkOptions& options,
                             ShrinkResult* result) {
  ShrinkResult res;
  RunOptions run;
  run.swarm = options.swarm;
  run.record_trace = false;
  SeedResult original;
  RunArtifacts artifacts;
  if (core::Status st = run_seed(failing, options.seed, run, &original, &artifacts); !st) {
    return st;
  }
  res.runs = 1;
  if (original.violations.empty()) {
    return core::Status::invalid_argument(
        fmt::format("{} seed {} passes: there is nothing to shrink", failing.origin, options.seed));
  }
  res.oracle = original.violations.front().oracle;
  Scenario s = failing;
  // The swarm's draw becomes an explicit fault list, which the shrinker can then cut down.
  s.faults = artifacts.resolved_plan;
  s.faults.swarm.reset();
  Shrinker shrinker(options, &res);
  if (!shrinker.fails(s)) {
    return core::Status::internal(fmt::format(
        "{} seed {}: the run with its fault plan made explicit no longer fails {}; the swarm "
        "draw is not reproducible, which is a determinism bug",
        failing.origin, options.seed, oracle_name(res.oracle)));
  }
  shrinker.shrink_faults(s);
  shrinker.halve<core::TimeUs>(s, core::kUsPerMin * 10, "fault phase (us)",
                               [](Scenario& x) -> core::TimeUs& { return x.fault_phase_us; });
  shrinker.halve<double>(s, 1.0, "direct bookings per day",
                         [](Scenario& x) -> double& { return x.workload.direct_bookings_per_day; });
  shrinker.halve<std::int64_t>(s, 1, "units",
                               [](Scenario& x) -> std::int64_t& { return x.workload.units; });
  shrinker.halve<std::int64_t>(s, 1, "guests",
                               [](Scenario& x) -> std::int64_t& { return x.workload.guests; });
  shrinker.shrink_faults(s);  // a smaller workload may need fewer faults
  s.seeds = 1;
  s.pinned_seeds = {options.seed};  // every suite run includes the seed that fails
  res.minimal = std::move(s);
  *result = std::move(res);
  return core::Status::ok();
}

}  // namespace intsim::harness
