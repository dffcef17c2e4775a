// Scheduler throughput: schedule + pop pairs per second with N live events, for our 4-ary heap
// of plain keys and, in the same run, a naive baseline (std::priority_queue of std::function),
// printing both and the ratio.
//
// Steady state: the queue holds N events; each step pops the earliest and schedules one new
// event a random delay later (delays drawn up front so the RNG is not what is measured).
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kDelays = 1 << 16;

std::vector<std::int64_t> make_delays() {
  intsim::sim::Rng rng(1, "bench");
  std::vector<std::int64_t> d(kDelays);
  for (auto& x : d) x = 1 + static_cast<std::int64_t>(rng.uniform(1'000'000));
  return d;
}

double ours_pairs_per_sec(std::size_t live, std::uint64_t pairs,
                          const std::vector<std::int64_t>& delays) {
  intsim::sim::Scheduler s;
  for (std::size_t i = 0; i < live; ++i) s.schedule_at(delays[i % kDelays], 1, 0, i);
  std::uint64_t checksum = 0;
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const auto ev = s.pop();
    checksum += ev->arg;
    s.schedule_after(delays[i & (kDelays - 1)], ev->kind, ev->target, ev->arg + 1);
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (checksum == 42) fmt::print("");  // keep the loop observable
  return static_cast<double>(pairs) / secs;
}

struct NaiveEvent {
  std::int64_t at;
  std::uint64_t seq;
  std::function<void()> fn;
  bool operator>(const NaiveEvent& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

double naive_pairs_per_sec(std::size_t live, std::uint64_t pairs,
                           const std::vector<std::int64_t>& delays) {
  std::priority_queue<NaiveEvent, std::vector<NaiveEvent>, std::greater<>> q;
  std::uint64_t seq = 0, checksum = 0;
  std::int64_t now = 0;
  // What a typical simulator's event closure captures: the model, a counter and an argument.
  struct Model {
    std::uint64_t* sum;
  } model{&checksum};
  for (std::size_t i = 0; i < live; ++i) {
    q.push(
        {delays[i % kDelays], seq++, [m = &model, arg = i, pad = now] { *m->sum += arg + pad; }});
  }
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < pairs; ++i) {
    NaiveEvent ev = q.top();
    q.pop();
    now = ev.at;
    ev.fn();
    q.push({now + delays[i & (kDelays - 1)], seq++,
            [m = &model, arg = i, pad = now] { *m->sum += arg + pad; }});
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (checksum == 42) fmt::print("");
  return static_cast<double>(pairs) / secs;
}

}  // namespace

int main() {
  const auto delays = make_delays();
  fmt::print("scheduler throughput (schedule + pop pairs per second)\n");
  fmt::print("{:>10} {:>14} {:>14} {:>8}\n", "live", "intsim M/s", "naive M/s", "ratio");
  for (std::size_t live : {1'000u, 10'000u, 100'000u, 1'000'000u}) {
    const std::uint64_t pairs = live >= 1'000'000 ? 5'000'000 : 10'000'000;
    ours_pairs_per_sec(live, pairs / 10, delays);  // warm up
    const double ours = ours_pairs_per_sec(live, pairs, delays);
    const double naive = naive_pairs_per_sec(live, pairs, delays);
    fmt::print("{:>10} {:>14.2f} {:>14.2f} {:>7.2f}x\n", live, ours / 1e6, naive / 1e6,
               ours / naive);
  }
  return 0;
}
