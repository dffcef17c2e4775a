#include "src/core/resilience/circuit_breaker.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <ostream>
#include <vector>

namespace intsim::core::resilience {
namespace {

// Small numbers so random sequences go round the whole cycle (and back) many times.
constexpr CircuitBreaker::Config kConfig{2, 100, 2};  // 2 failures, 100 ms open, 2 probes

// The model states the breaker's contract plainly: a mode, the time the cool-down ends, the
// failure streak, and the requests still out (with whether each was a probe and under which
// mode-change generation it was admitted).
struct Model {
  enum class Mode { kClosed, kOpen, kHalfOpen };
  struct Out {
    int generation;
    bool probe;
  };
  Mode mode = Mode::kClosed;
  int generation = 0;  // bumped on every mode change
  int streak = 0;
  int probes_out = 0;
  TimeUs now_us = 0;
  TimeUs reopen_at_us = 0;
  std::vector<Out> out;  // requests admitted and not yet answered, by index

  void change(Mode m) {
    mode = m;
    ++generation;
    streak = 0;
    probes_out = 0;
  }
};

struct Sut {
  CircuitBreaker breaker{kConfig};
  std::vector<CircuitBreaker::Permit> permits;  // parallel to Model::out
};

using Cmd = rc::state::Command<Model, Sut>;

struct Acquire : Cmd {
  TimeUs advance_us =
      *rc::gen::weightedOneOf<TimeUs>({{3, rc::gen::just<TimeUs>(0)},
                                       {3, rc::gen::inRange<TimeUs>(1, 60'000)},
                                       {1, rc::gen::inRange<TimeUs>(60'000, 250'000)}});

  // Whether the model admits, and as what.
  static bool admits(Model& m, bool* probe) {
    if (m.mode == Model::Mode::kOpen && m.now_us >= m.reopen_at_us)
      m.change(Model::Mode::kHalfOpen);
    *probe = m.mode == Model::Mode::kHalfOpen;
    if (m.mode == Model::Mode::kClosed) return true;
    if (m.mode == Model::Mode::kHalfOpen && m.probes_out < kConfig.half_open_probes_max) {
      ++m.probes_out;
      return true;
    }
    return false;
  }
  void apply(Model& m) const override {
    m.now_us += advance_us;
    bool probe = false;
    if (admits(m, &probe)) m.out.push_back({m.generation, probe});
  }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    m.now_us += advance_us;
    bool probe = false;
    const bool admitted = admits(m, &probe);
    const auto permit = sut.breaker.try_acquire(m.now_us);
    RC_ASSERT(permit.has_value() == admitted);
    if (permit) {
      RC_ASSERT(permit->probe == probe);
      sut.permits.push_back(*permit);
    }
    RC_ASSERT(static_cast<int>(sut.breaker.state()) == static_cast<int>(m.mode));
  }
  void show(std::ostream& os) const override { os << "Acquire(+" << advance_us << "us)"; }
};

struct Answer : Cmd {
  std::size_t which;
  bool failure = *rc::gen::weightedElement<bool>({{2, true}, {1, false}});
  explicit Answer(const Model& m)
      : which(m.out.empty() ? 0 : *rc::gen::inRange<std::size_t>(0, m.out.size())) {}

  void checkPreconditions(const Model& m) const override { RC_PRE(which < m.out.size()); }
  void apply(Model& m) const override {
    const Model::Out o = m.out[which];
    m.out.erase(m.out.begin() + static_cast<std::ptrdiff_t>(which));
    if (o.generation != m.generation) return;  // answered after the mode changed: ignored
    if (m.mode == Model::Mode::kClosed) {
      m.streak = failure ? m.streak + 1 : 0;
      if (m.streak >= kConfig.failures_to_open) {
        m.change(Model::Mode::kOpen);
        m.reopen_at_us = m.now_us + kConfig.open_ms * kUsPerMs;
      }
    } else if (m.mode == Model::Mode::kHalfOpen) {
      if (failure) {
        m.change(Model::Mode::kOpen);
        m.reopen_at_us = m.now_us + kConfig.open_ms * kUsPerMs;
      } else {
        m.change(Model::Mode::kClosed);
      }
    }
  }
  void run(const Model& m0, Sut& sut) const override {
    const CircuitBreaker::Permit permit = sut.permits[which];
    sut.permits.erase(sut.permits.begin() + static_cast<std::ptrdiff_t>(which));
    sut.breaker.on_result(permit, failure, m0.now_us);
    const Model m = nextState(m0);
    RC_ASSERT(static_cast<int>(sut.breaker.state()) == static_cast<int>(m.mode));
    RC_ASSERT(sut.breaker.probes_in_flight() == m.probes_out);
    if (m.mode == Model::Mode::kClosed) RC_ASSERT(sut.breaker.consecutive_failures() == m.streak);
    if (m.mode == Model::Mode::kOpen) {
      RC_ASSERT(sut.breaker.next_attempt_us(m.now_us) == m.reopen_at_us);
    }
  }
  void show(std::ostream& os) const override {
    os << "Answer(#" << which << (failure ? ", failure)" : ", success)");
  }
};

RC_GTEST_PROP(CircuitBreakerProperty, FollowsTheModelUnderRandomOutcomes, ()) {
  Sut sut;
  rc::state::check(Model{}, sut, rc::state::gen::execOneOfWithArgs<Acquire, Answer>());
}

TEST(CircuitBreaker, OpensCoolsDownProbesAndCloses) {
  CircuitBreaker b({3, 100, 2});
  for (int i = 0; i < 3; ++i) {
    const auto p = b.try_acquire(0);
    ASSERT_TRUE(p);
    b.on_result(*p, true, 0);
  }
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.try_acquire(99'999));
  EXPECT_EQ(b.next_attempt_us(50'000), 100'000);
  const auto p1 = b.try_acquire(100'000);
  const auto p2 = b.try_acquire(100'000);
  ASSERT_TRUE(p1 && p2);
  EXPECT_TRUE(p1->probe && p2->probe);
  EXPECT_FALSE(b.try_acquire(100'000));  // both probe slots out
  EXPECT_EQ(b.next_attempt_us(100'000), std::nullopt);
  b.on_result(*p1, false, 100'010);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.on_result(*p2, true, 100'020);  // a probe of the finished half-open epoch: stale
  EXPECT_EQ(b.consecutive_failures(), 0);
}

TEST(CircuitBreaker, ResultsFromBeforeAnOutageDoNotCountAfterIt) {
  CircuitBreaker b({1, 100, 1});
  const auto early = b.try_acquire(0);  // still out when the breaker opens and closes again
  b.on_result(*b.try_acquire(0), true, 0);
  ASSERT_EQ(b.state(), CircuitBreaker::State::kOpen);
  b.on_result(*b.try_acquire(100'000), false, 100'000);
  ASSERT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.on_result(*early, true, 100'001);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreaker, FailedProbeReopensForAFullCoolDown) {
  CircuitBreaker b({1, 100, 1});
  b.on_result(*b.try_acquire(0), true, 0);
  const auto probe = b.try_acquire(150'000);
  ASSERT_TRUE(probe);
  b.on_result(*probe, true, 160'000);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.next_attempt_us(160'000), 260'000);
}

TEST(CircuitBreaker, SuccessResetsTheStreak) {
  CircuitBreaker b({2, 100, 1});
  b.on_result(*b.try_acquire(0), true, 0);
  b.on_result(*b.try_acquire(0), false, 0);
  b.on_result(*b.try_acquire(0), true, 0);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
}

}  // namespace
}  // namespace intsim::core::resilience
