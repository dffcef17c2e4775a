// Seeds per second and time compression (simulated seconds per wall second) for every scenario
// of a suite, one core, plus the standard scenario (scenarios/standard-week.json: one simulated
// week, 20 units, a few hundred bookings, faults on). The natural baseline is real time: the
// compression ratio says how many times faster than the wall clock a seed runs. CPU ms per seed
// is the process's CPU time (not wall time, which a loaded machine inflates); the target is
// standard-week at most 100 ms of CPU per seed.
//
// Usage: scenario_bench [--suite ci] [--seeds N] [--scenarios DIR] [--standard-only]
//        (run from the repo root; --standard-only measures standard-week alone)
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "src/harness/run.h"
#include "src/harness/scenario.h"

namespace {

struct Figures {
  double wall_s = 0;
  double cpu_s = 0;
  double simulated_s = 0;
  std::uint64_t events = 0;
  int seeds = 0;
};

double process_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

Figures measure(const intsim::harness::Scenario& s, int seeds) {
  Figures f;
  const double cpu_start = process_cpu_s();
  const auto start = std::chrono::steady_clock::now();
  for (int seed = 1; seed <= seeds; ++seed) {
    intsim::harness::SeedResult r;
    if (!intsim::harness::run_seed(s, static_cast<std::uint64_t>(seed), {}, &r)) continue;
    f.simulated_s += static_cast<double>(r.stats.simulated_us) / 1e6;
    f.events += r.stats.events;
    ++f.seeds;
  }
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  f.cpu_s = process_cpu_s() - cpu_start;
  return f;
}

void print(const std::string& name, const Figures& f) {
  const double per_seed_ms = f.seeds ? 1000.0 * f.wall_s / f.seeds : 0;
  const double cpu_per_seed_ms = f.seeds ? 1000.0 * f.cpu_s / f.seeds : 0;
  fmt::print("{:<28} {:>6} {:>10.1f} {:>12.2f} {:>12.2f} {:>12.0f} {:>14.3g}x\n", name, f.seeds,
             f.seeds / f.wall_s, per_seed_ms, cpu_per_seed_ms, f.events / f.wall_s,
             f.simulated_s / f.wall_s);
}

}  // namespace

int main(int argc, char** argv) {
  std::string suite_name = "ci", dir = "scenarios";
  int seeds = 20;
  bool standard_only = false;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--standard-only") {
      standard_only = true;
      --i;  // takes no value
      continue;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "scenario_bench: {} needs a value\n", flag);
      return 2;
    }
    if (flag == "--suite")
      suite_name = argv[i + 1];
    else if (flag == "--seeds")
      seeds = std::stoi(argv[i + 1]);
    else if (flag == "--scenarios")
      dir = argv[i + 1];
    else {
      fmt::print(stderr, "scenario_bench: unknown option {}\n", flag);
      return 2;
    }
  }
  intsim::harness::Suite suite;
  if (auto st = intsim::harness::load_suite(suite_name, dir, &suite); !st) {
    fmt::print(stderr, "scenario_bench: {}\n", st.message());
    return 2;
  }
  fmt::print("one core, {} seeds per scenario\n", seeds);
  fmt::print("{:<28} {:>6} {:>10} {:>12} {:>12} {:>12} {:>15}\n", "scenario", "seeds", "seeds/s",
             "ms/seed", "cpu ms/seed", "events/s", "sim/wall");
  std::vector<std::string> paths;
  if (!standard_only) {
    for (const auto& e : suite.entries) paths.push_back(e.path);
  }
  paths.push_back(dir + "/standard-week.json");
  for (const std::string& path : paths) {
    intsim::harness::Scenario s;
    if (auto st = intsim::harness::load_scenario_file(path, &s); !st) {
      fmt::print(stderr, "scenario_bench: {}\n", st.message());
      return 2;
    }
    print(s.name, measure(s, path.find("standard-week") != std::string::npos ? 10 : seeds));
  }
  fmt::print("target: standard-week at most 100 cpu ms per seed on one core\n");
  return 0;
}
