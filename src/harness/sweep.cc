#include "src/harness/sweep.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <cstring>

#include "src/core/assert.h"

namespace intsim::harness {
namespace {

// One slot per worker thread: the repro command of the seed it is running, preformatted so a
// signal handler can write it without allocating.
constexpr std::size_t kSlotsMax = 256;
constexpr std::size_t kCommandMax = 512;
struct InFlightSlot {
  std::atomic<bool> busy{false};
  char command[kCommandMax] = {};
  std::size_t length = 0;
};
InFlightSlot g_in_flight[kSlotsMax];
std::atomic<std::size_t> g_next_slot{0};

}  // namespace

void write_in_flight_repro_commands(int fd) {
  static const char kHeader[] = "intsim: the sweep died while running; reproduce with:\n";
  if (write(fd, kHeader, sizeof(kHeader) - 1) < 0) return;
  for (InFlightSlot& slot : g_in_flight) {
    if (!slot.busy.load()) continue;
    if (write(fd, "  ", 2) < 0 || write(fd, slot.command, slot.length) < 0) return;
  }
}

std::vector<SeedResult> run_sweep(const std::vector<SweepJob>& jobs, unsigned threads,
                                  const SeedRunner& run, const ProgressFn& progress) {
  std::vector<SeedResult> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mu;
  SweepProgress p;
  p.total = jobs.size();
  // Wall time here measures the sweep for the user; it never reaches a simulated run.
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&] {
    InFlightSlot& slot = g_in_flight[g_next_slot.fetch_add(1) % kSlotsMax];
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= jobs.size()) return;
      const SweepJob& job = jobs[i];
      SeedResult r;
      {
        SeedResult named;
        named.scenario_path = job.scenario->origin;
        named.seed = job.seed;
        named.swarm = job.swarm;
        const std::string cmd = repro_command(named) + "\n";
        slot.length = std::min(cmd.size(), kCommandMax);
        std::memcpy(slot.command, cmd.data(), slot.length);
        slot.busy.store(true);
      }
      const auto t0 = std::chrono::steady_clock::now();
      try {
        r = run(*job.scenario, job.seed, job.swarm);
      } catch (const std::exception& e) {
        r.verdict = Verdict::kInternalError;
        r.error = e.what();
      }
      slot.busy.store(false);
      r.scenario = job.scenario->name;
      r.scenario_path = job.scenario->origin;
      r.seed = job.seed;
      r.swarm = job.swarm;
      r.wall_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      results[i] = std::move(r);
      std::lock_guard<std::mutex> lock(progress_mu);
      ++p.done;
      if (results[i].verdict != Verdict::kPassed) ++p.failed;
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (progress) progress(p, results[i]);
    }
  };

  if (threads <= 1 || jobs.size() <= 1) {
    worker();
    return results;
  }
  std::vector<std::thread> pool;
  const unsigned n = threads < jobs.size() ? threads : static_cast<unsigned>(jobs.size());
  for (unsigned t = 0; t < n; ++t) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  return results;
}

std::vector<SweepJob> shard(const std::vector<SweepJob>& jobs, std::uint64_t index,
                            std::uint64_t count) {
  INTSIM_ASSERT(count >= 1 && index >= 1 && index <= count);
  std::vector<SweepJob> out;
  for (std::size_t i = index - 1; i < jobs.size(); i += count) out.push_back(jobs[i]);
  return out;
}

}  // namespace intsim::harness
