// intsim repro <scenario.json> --seed S [--swarm] [--trace FILE] [--check-determinism]
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/cli/run_support.h"
#include "src/harness/run.h"

namespace intsim::cli {

int cmd_repro(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"seed", "trace"}, {"swarm", "check-determinism"}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim repro: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (args.positional().size() != 1 || !args.has("seed")) {
    fmt::print(stderr,
               "intsim repro: usage: intsim repro <scenario.json> --seed S [--swarm] "
               "[--trace FILE] [--check-determinism]\n");
    return kExitInvalidInput;
  }
  std::uint64_t seed = 0;
  if (auto st = args.u64("seed", 0, &seed); !st) {
    fmt::print(stderr, "intsim repro: {}\n", st.message());
    return kExitInvalidInput;
  }
  harness::Scenario scenario;
  if (!load_scenario_or_report("repro", args.positional()[0], &scenario)) return kExitInvalidInput;
  const bool swarm = args.has("swarm");

  if (args.has("check-determinism")) {
    harness::DeterminismReport rep;
    if (auto st = harness::check_determinism(scenario, seed, swarm, &rep); !st) {
      fmt::print(stderr, "intsim repro: {}\n", st.message());
      return kExitInvalidInput;
    }
    if (!rep.identical) {
      fmt::print(stderr, "determinism check FAILED: the two runs of seed {} differ at {}\n", seed,
                 rep.first_difference);
      fmt::print(stderr, "reproduce: {}\n", command_line(argc, argv));
      return kExitInternalError;
    }
    fmt::print("determinism check passed: two runs, {} identical trace records\n", rep.records);
  }

  harness::RunOptions opts;
  opts.swarm = swarm;
  opts.record_trace = true;
  harness::SeedResult r;
  harness::RunArtifacts artifacts;
  if (auto st = harness::run_seed(scenario, seed, opts, &r, &artifacts); !st) {
    fmt::print(stderr, "intsim repro: {}\n", st.message());
    return kExitInvalidInput;
  }
  r.scenario_path = scenario.origin;
  const std::string trace_path = args.value("trace").value_or(
      (std::filesystem::path("reports") / "out" / "repro" /
       fmt::format("{}-seed{}{}.jsonl", scenario.name, seed, swarm ? "-swarm" : ""))
          .string());
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(trace_path).parent_path(), ec);
  std::ofstream out(trace_path);
  if (!out) {
    fmt::print(stderr, "intsim repro: cannot write the trace to '{}'\n", trace_path);
    return kExitInvalidInput;
  }
  artifacts.trace.write_jsonl(out, artifacts.names);
  fmt::print("{} seed {}: {} ({} events, {:.0f} simulated s, trace hash {})\n", scenario.name, seed,
             harness::verdict_name(r.verdict), r.stats.events,
             static_cast<double>(r.stats.simulated_us) / 1e6, sim::format_hash(r.trace_hash));
  if (r.verdict != harness::Verdict::kPassed) print_failure(r, 50);
  fmt::print("trace: {} ({} records)\n", trace_path, artifacts.trace.records().size());
  return exit_status({r});
}

}  // namespace intsim::cli
