// intsim run <suite|scenario...> [--seeds N | --seed S] [--jobs J] [--shard K/N] [--swarm]
//            [--out DIR] [--scenarios DIR]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <thread>

#include "reports/replay.h"
#include "reports/report.h"
#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/cli/run_support.h"
#include "src/harness/run.h"
#include "src/harness/sweep.h"

namespace intsim::cli {
namespace {

namespace fs = std::filesystem;

struct Planned {
  std::string label;                        // suite name or scenario name, for the output folder
  std::deque<harness::Scenario> scenarios;  // stable addresses for the jobs
  std::vector<harness::SweepJob> jobs;
};

bool parse_shard(const std::string& text, std::uint64_t* k, std::uint64_t* n) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  try {
    std::size_t used = 0;
    *k = std::stoull(text.substr(0, slash), &used);
    if (used != slash) return false;
    *n = std::stoull(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) return false;
  } catch (const std::exception&) {
    return false;
  }
  return *n >= 1 && *k >= 1 && *k <= *n;
}

void add_jobs(Planned& plan, harness::Scenario scenario, std::uint64_t entry_seeds,
              const Args& args, bool swarm) {
  plan.scenarios.push_back(std::move(scenario));
  const harness::Scenario& s = plan.scenarios.back();
  std::uint64_t seed = 0, seeds = 0;
  args.u64("seed", 0, &seed);
  args.u64("seeds", 0, &seeds);
  if (args.has("seed")) {
    plan.jobs.push_back({&s, seed, swarm});
    return;
  }
  const std::uint64_t n = seeds ? seeds : (entry_seeds ? entry_seeds : s.seeds);
  for (std::uint64_t i = 1; i <= n; ++i) plan.jobs.push_back({&s, i, swarm});
  for (std::uint64_t pinned : s.pinned_seeds) {
    if (pinned < 1 || pinned > n) plan.jobs.push_back({&s, pinned, swarm});
  }
}

class Progress {
 public:
  explicit Progress(std::size_t total) : tty_(isatty(fileno(stderr)) != 0), total_(total) {}
  void update(const harness::SweepProgress& p) {
    const double rate = p.elapsed_s > 0 ? static_cast<double>(p.done) / p.elapsed_s : 0.0;
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(kWidth * p.done / std::max<std::size_t>(p.total, 1));
      fmt::print(stderr, "\r[{}{}] {}/{} seeds  {:.1f} seeds/s  failures: {}   ",
                 std::string(filled, '#'), std::string(kWidth - filled, '.'), p.done, p.total, rate,
                 p.failed);
      if (p.done == p.total) fmt::print(stderr, "\n");
      return;
    }
    // Plain lines for logs: every 10% and at the end.
    const std::size_t step = std::max<std::size_t>(total_ / 10, 1);
    if (p.done % step == 0 || p.done == p.total) {
      fmt::print(stderr, "progress: {}/{} seeds, {:.1f} seeds/s, failures: {}\n", p.done, p.total,
                 rate, p.failed);
    }
  }

 private:
  bool tty_;
  std::size_t total_;
};

// An assertion in a model aborts the process: name the seeds that were running before dying.
extern "C" void on_fatal_signal(int sig) {
  harness::write_in_flight_repro_commands(2);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

int cmd_run(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"seed", "seeds", "jobs", "shard", "out", "scenarios"}, {"swarm"}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim run: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (args.positional().empty()) {
    fmt::print(stderr, "intsim run: name a suite (smoke, ci, nightly) or scenario files\n");
    return kExitInvalidInput;
  }
  if (args.has("seed") && args.has("seeds")) {
    fmt::print(stderr, "intsim run: --seed and --seeds exclude each other\n");
    return kExitInvalidInput;
  }
  std::uint64_t tmp = 0, jobs_n = 0;
  for (const char* flag : {"seed", "seeds"}) {
    if (auto st = args.u64(flag, 0, &tmp); !st) {
      fmt::print(stderr, "intsim run: {}\n", st.message());
      return kExitInvalidInput;
    }
  }
  if (args.has("seeds") && tmp == 0) {
    fmt::print(stderr, "intsim run: --seeds must be at least 1\n");
    return kExitInvalidInput;
  }
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  if (auto st = args.u64("jobs", hw, &jobs_n); !st || jobs_n == 0) {
    fmt::print(stderr, "intsim run: --jobs expects a positive integer\n");
    return kExitInvalidInput;
  }
  std::uint64_t shard_k = 1, shard_n = 1;
  if (auto sh = args.value("shard"); sh && !parse_shard(*sh, &shard_k, &shard_n)) {
    fmt::print(stderr, "intsim run: --shard expects K/N with 1 <= K <= N, got '{}'\n", *sh);
    return kExitInvalidInput;
  }
  const std::string scenarios_dir = args.value("scenarios").value_or("scenarios");
  const bool swarm_flag = args.has("swarm");

  Planned plan;
  for (const std::string& word : args.positional()) {
    const bool is_file = word.size() > 5 && word.substr(word.size() - 5) == ".json" &&
                         fs::exists(word) && !fs::is_directory(word);
    harness::Suite suite;
    core::Status st;
    if (is_file) {
      // A file is a suite when it has a "scenarios" list, else a scenario.
      harness::Scenario s;
      st = harness::load_suite(word, scenarios_dir, &suite);
      if (!st) {
        if (!load_scenario_or_report("run", word, &s)) return kExitInvalidInput;
        if (plan.label.empty()) plan.label = s.name;
        add_jobs(plan, std::move(s), 0, args, swarm_flag);
        continue;
      }
    } else {
      st = harness::load_suite(word, scenarios_dir, &suite);
      if (!st) {
        fmt::print(stderr, "intsim run: '{}' is neither a scenario file nor a suite:\n{}\n", word,
                   st.message());
        return kExitInvalidInput;
      }
    }
    if (plan.label.empty()) plan.label = suite.name;
    for (const harness::SuiteEntry& e : suite.entries) {
      harness::Scenario s;
      if (!load_scenario_or_report("run", e.path, &s)) return kExitInvalidInput;
      add_jobs(plan, std::move(s), e.seeds, args, swarm_flag || suite.swarm);
    }
  }
  std::vector<harness::SweepJob> jobs = harness::shard(plan.jobs, shard_k, shard_n);
  fmt::print(stderr, "intsim run: {} scenarios, {} seeds{}, {} jobs in parallel\n",
             plan.scenarios.size(), jobs.size(),
             shard_n > 1 ? fmt::format(" (shard {}/{})", shard_k, shard_n) : "", jobs_n);

  std::signal(SIGABRT, on_fatal_signal);
  std::signal(SIGSEGV, on_fatal_signal);
  Progress progress(jobs.size());
  std::vector<harness::SeedResult> failures_seen;
  const auto runner = [](const harness::Scenario& s, std::uint64_t seed, bool swarm) {
    harness::RunOptions opts;
    opts.swarm = swarm;
    harness::SeedResult r;
    if (core::Status st = harness::run_seed(s, seed, opts, &r); !st) {
      r.verdict = harness::Verdict::kInternalError;
      r.error = st.to_string();
    }
    return r;
  };
  harness::Results results;
  results.intsim_version = INTSIM_VERSION;
  results.commands.push_back(command_line(argc, argv));
  results.seeds = harness::run_sweep(
      jobs, static_cast<unsigned>(jobs_n), runner,
      [&](const harness::SweepProgress& p, const harness::SeedResult&) { progress.update(p); });
  harness::sort_seeds(&results);

  // Summary: one line per scenario, then every failure with its repro command.
  fmt::print("\n{:<40} {:>7} {:>7} {:>7} {:>9}\n", "scenario", "seeds", "passed", "safety",
             "liveness");
  for (const auto& s : harness::summarize(results)) {
    fmt::print("{:<40} {:>7} {:>7} {:>7} {:>9}{}\n", s.scenario, s.seeds, s.passed,
               s.safety_violations, s.liveness_violations,
               s.internal_errors ? fmt::format("  internal errors: {}", s.internal_errors) : "");
  }
  std::size_t failures = 0;
  for (const auto& r : results.seeds) {
    if (r.verdict == harness::Verdict::kPassed) continue;
    if (++failures <= 20) print_failure(r, 5);
  }
  if (failures > 20)
    fmt::print("... and {} more failures (all in the results file)\n", failures - 20);

  std::string out_dir =
      args.value("out").value_or((fs::path("reports") / "out" / plan.label).string());
  if (shard_n > 1 && !args.has("out")) out_dir += fmt::format("-shard{}of{}", shard_k, shard_n);
  std::vector<std::string> written;
  if (core::Status st = harness::write_outputs(results, out_dir, &written); !st) {
    fmt::print(stderr, "intsim run: {}\n", st.message());
    return kExitInternalError;
  }
  // The report beside the results: the first failing seeds are replayed for their timelines.
  reports::ReportInput report;
  report.results = &results;
  report.failures = reports::failure_stories(results, reports::StoryOptions{});
  if (core::Status st = reports::write_report(report, out_dir, &written); !st) {
    fmt::print(stderr, "intsim run: {}\n", st.message());
    return kExitInternalError;
  }
  for (const auto& path : written) fmt::print("wrote {}\n", path);
  fmt::print("{} of {} seeds passed\n", results.seeds.size() - failures, results.seeds.size());
  fmt::print("report: {}\n", fs::absolute(written.back()).lexically_normal().string());
  return exit_status(results.seeds);
}

}  // namespace intsim::cli
