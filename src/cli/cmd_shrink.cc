// intsim shrink <scenario.json> --seed S [--swarm] [--out FILE] [--runs-max N]
#include <fmt/format.h>

#include <filesystem>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/cli/run_support.h"
#include "src/harness/results.h"
#include "src/harness/shrink.h"

namespace intsim::cli {

int cmd_shrink(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"seed", "out", "runs-max"}, {"swarm"}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim shrink: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (args.positional().size() != 1 || !args.has("seed")) {
    fmt::print(stderr,
               "intsim shrink: usage: intsim shrink <scenario.json> --seed S [--swarm] "
               "[--out FILE] [--runs-max N]\n");
    return kExitInvalidInput;
  }
  harness::ShrinkOptions opts;
  std::uint64_t runs_max = 0;
  if (auto st = args.u64("seed", 0, &opts.seed); !st) {
    fmt::print(stderr, "intsim shrink: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (auto st = args.u64("runs-max", 300, &runs_max); !st || runs_max == 0) {
    fmt::print(stderr, "intsim shrink: --runs-max expects a positive integer\n");
    return kExitInvalidInput;
  }
  opts.runs_max = static_cast<int>(runs_max);
  opts.swarm = args.has("swarm");
  harness::Scenario scenario;
  if (!load_scenario_or_report("shrink", args.positional()[0], &scenario)) return kExitInvalidInput;

  harness::ShrinkResult result;
  if (auto st = harness::shrink_scenario(scenario, opts, &result); !st) {
    fmt::print(stderr, "intsim shrink: {}\n", st.message());
    return st.code() == core::Status::Code::kInternal ? kExitInternalError : kExitInvalidInput;
  }
  harness::Scenario& minimal = result.minimal;
  minimal.name =
      fmt::format("{}-seed{}-{}", scenario.name, opts.seed, harness::oracle_name(result.oracle));
  minimal.description = fmt::format(
      "Shrunk by `intsim shrink {} --seed {}{}`: fails {} with seed {}.", scenario.origin,
      opts.seed, opts.swarm ? " --swarm" : "", harness::oracle_name(result.oracle), opts.seed);
  const std::string out = args.value("out").value_or(
      (std::filesystem::path("scenarios") / "regressions" / (minimal.name + ".json")).string());
  if (auto st = harness::write_text_file(out, harness::scenario_to_json(minimal).dump(2) + "\n");
      !st) {
    fmt::print(stderr, "intsim shrink: {}\n", st.message());
    return kExitInvalidInput;
  }
  for (const std::string& step : result.steps) fmt::print("  {}\n", step);
  fmt::print(
      "shrunk in {} runs: {} faults (from {}), {} units, {} bookings/day, fault phase {} s\n",
      result.runs, minimal.faults.specs.size(), scenario.faults.specs.size(),
      minimal.workload.units, minimal.workload.direct_bookings_per_day,
      minimal.fault_phase_us / core::kUsPerSec);
  fmt::print("wrote {}\nreproduce: intsim repro {} --seed {}\n", out, out, opts.seed);
  return kExitPassed;
}

}  // namespace intsim::cli
