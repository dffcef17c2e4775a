// Seed sweeps: many (scenario, seed) runs spread over threads. Each run is single-threaded and
// shares nothing with the others, so the result of a seed does not depend on the thread that
// ran it or on what ran beside it; results come back in job order whatever the timing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/harness/outcome.h"
#include "src/harness/scenario.h"

namespace intsim::harness {

struct SweepJob {
  const Scenario* scenario = nullptr;
  std::uint64_t seed = 0;
  bool swarm = false;
};

// Runs one seed. Must be safe to call from several threads at once on different jobs.
using SeedRunner = std::function<SeedResult(const Scenario&, std::uint64_t seed, bool swarm)>;

struct SweepProgress {
  std::size_t done = 0;
  std::size_t total = 0;
  std::size_t failed = 0;
  double elapsed_s = 0;
};
// Called after each seed, from one thread at a time.
using ProgressFn = std::function<void(const SweepProgress&, const SeedResult&)>;

// Runs every job on `threads` threads (at least 1). A runner that throws yields an
// kInternalError result naming the exception; the sweep goes on.
std::vector<SeedResult> run_sweep(const std::vector<SweepJob>& jobs, unsigned threads,
                                  const SeedRunner& run, const ProgressFn& progress);

// Writes, to file descriptor `fd`, the repro command of every seed being run right now. Only
// async-signal-safe calls: meant for a SIGABRT/SIGSEGV handler, so that a seed that kills the
// whole sweep (an assertion in a model) is still named.
void write_in_flight_repro_commands(int fd);

// The jobs of shard `index` (1-based) of `count`: every count-th job, so shards get similar
// mixes of scenarios. Shards of one job list partition it exactly.
std::vector<SweepJob> shard(const std::vector<SweepJob>& jobs, std::uint64_t index,
                            std::uint64_t count);

}  // namespace intsim::harness
