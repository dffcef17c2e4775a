#include "sim/simulation.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace intsim::sim {
namespace {

// A tiny model: actors that bounce a token to a random peer after a random delay.
class Bouncer : public Handler {
 public:
  Bouncer(Simulation& sim, int actors, std::uint64_t perturb_at = 0)
      : sim_(sim), rng_(sim.rng("bouncer")), perturb_at_(perturb_at) {
    kind_ = sim.register_kind("bounce", this);
    note_ = sim.register_kind("bounce.note", nullptr);
    for (int i = 0; i < actors; ++i)
      ids_.push_back(sim.register_actor(std::string("a").append(std::to_string(i))));
    for (std::uint32_t id : ids_) sim.after(rng_.uniform(1000), kind_, id, 0);
  }
  void on_event(const Event& ev) override {
    ++handled_;
    const std::uint64_t hop = ev.arg + (handled_ == perturb_at_ ? 1 : 0);
    if (hop % 7 == 3) sim_.note(note_, ev.target, hop, "seven");
    const std::uint32_t to = ids_[rng_.uniform(ids_.size())];
    sim_.after(static_cast<Time>(rng_.exponential(500.0)), kind_, to, hop + 1);
  }

 private:
  Simulation& sim_;
  Rng rng_;
  std::uint64_t perturb_at_;
  std::uint16_t kind_ = 0, note_ = 0;
  std::vector<std::uint32_t> ids_;
  std::uint64_t handled_ = 0;
};

std::uint64_t run_hash(std::uint64_t seed, std::uint64_t perturb_at = 0,
                       Trace::Mode mode = Trace::Mode::kHashOnly, Trace* out = nullptr) {
  Simulation sim(seed, mode);
  Bouncer b(sim, 5, perturb_at);
  sim.run_until(kEpochUs + 100'000, 1'000'000);
  if (out) *out = sim.trace();
  return sim.trace().hash();
}

TEST(Simulation, StartsAtTheEpoch) {
  Simulation sim(1);
  EXPECT_EQ(sim.now_us(), kEpochUs);
}

TEST(Simulation, RunUntilStopsAtEndAndAdvancesTime) {
  Simulation sim(1);
  Bouncer b(sim, 2);
  EXPECT_EQ(sim.run_until(kEpochUs + 5000, 1'000'000), StopReason::kTimeReached);
  EXPECT_EQ(sim.now_us(), kEpochUs + 5000);
  EXPECT_GT(sim.steps(), 0u);
}

TEST(Simulation, StepLimitBoundsTheLoop) {
  Simulation sim(1);
  Bouncer b(sim, 2);
  EXPECT_EQ(sim.run_until(kEpochUs + 1'000'000'000, 10), StopReason::kStepLimit);
  EXPECT_EQ(sim.steps(), 10u);
}

TEST(Simulation, IdleWhenNothingIsScheduled) {
  Simulation sim(1);
  EXPECT_EQ(sim.run_until(kEpochUs + 10, 100), StopReason::kIdle);
  EXPECT_EQ(sim.now_us(), kEpochUs + 10);
}

TEST(Simulation, PredicateStopsTheRun) {
  Simulation sim(1);
  Bouncer b(sim, 2);
  EXPECT_EQ(sim.run_while([&] { return sim.steps() < 3; }, kEpochUs + 1'000'000, 1000),
            StopReason::kPredicate);
  EXPECT_EQ(sim.steps(), 3u);
}

TEST(Simulation, DeterminismSelfCheckFindsTheFirstDivergentEvent) {
  Trace a, b;
  run_hash(99, 0, Trace::Mode::kRecord, &a);
  run_hash(99, 0, Trace::Mode::kRecord, &b);
  EXPECT_FALSE(first_divergence(a, b));
  Trace c;
  run_hash(99, 40, Trace::Mode::kRecord, &c);  // the 40th handled event misbehaves
  const auto d = first_divergence(a, c);
  ASSERT_TRUE(d);
  // The perturbed handler changes what it schedules, so the first difference is the event it
  // scheduled or the note it wrote, shortly after event #39.
  EXPECT_GT(d->index, 39u);
  EXPECT_LT(d->index, 60u);
}

RC_GTEST_PROP(SimulationProperty, SameSeedSameTraceHash, (std::uint64_t seed)) {
  RC_ASSERT(run_hash(seed) == run_hash(seed));
}

TEST(SimulationProperty, DifferentSeedsExploreDifferentRuns) {
  EXPECT_NE(run_hash(1), run_hash(2));
}

}  // namespace
}  // namespace intsim::sim
