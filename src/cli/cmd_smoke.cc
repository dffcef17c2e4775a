#include <fmt/format.h>

#include <fstream>

#include "sim/simulation.h"
#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/harness/smoke.h"

namespace intsim::cli {
int cmd_smoke(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"seed", "trace"}, {"check-determinism"}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim smoke: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (!args.positional().empty()) {
    fmt::print(stderr, "intsim smoke: unexpected argument '{}'\n", args.positional().front());
    return kExitInvalidInput;
  }
  std::uint64_t seed = 0;
  if (auto st = args.u64("seed", 1, &seed); !st) {
    fmt::print(stderr, "intsim smoke: {}\n", st.message());
    return kExitInvalidInput;
  }
  const bool record = args.has("trace") || args.has("check-determinism");
  const auto mode = record ? sim::Trace::Mode::kRecord : sim::Trace::Mode::kHashOnly;
  const harness::SmokeResult result = harness::run_smoke(seed, mode);
  const harness::SmokeSummary& s = result.summary;
  fmt::print(
      "smoke seed={} events={} requests={} simulated_s={} latency_ms_max={:.3f} "
      "trace_hash={}\n",
      s.seed, s.events, s.requests_completed, s.simulated_us / core::kUsPerSec,
      static_cast<double>(s.latency_us_max) / 1000.0, sim::format_hash(s.trace_hash));
  if (auto path = args.value("trace")) {
    std::ofstream out(*path);
    if (!out) {
      fmt::print(stderr, "intsim smoke: cannot write trace file '{}'\n", *path);
      return kExitInvalidInput;
    }
    result.trace.write_jsonl(out, result.names);
    fmt::print("trace: {} ({} records)\n", *path, result.trace.records().size());
  }
  if (args.has("check-determinism")) {
    const harness::SmokeResult again = harness::run_smoke(seed, mode);
    if (const auto d = sim::first_divergence(result.trace, again.trace)) {
      const sim::TraceNameTable& names = result.names;
      fmt::print(stderr,
                 "determinism check FAILED at record #{}\n  first run:  {}\n  second run: {}\n",
                 d->index, d->first ? sim::format_record(*d->first, names) : "(ended)",
                 d->second ? sim::format_record(*d->second, names) : "(ended)");
      fmt::print(stderr, "reproduce: intsim smoke --seed {} --check-determinism\n", seed);
      return kExitInternalError;
    }
    fmt::print("determinism check passed: two runs, {} identical records\n",
               result.trace.records().size());
  }
  return kExitPassed;
}

}  // namespace intsim::cli
