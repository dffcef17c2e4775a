#include "src/cli/run_support.h"

#include <fmt/format.h>

#include "src/cli/exit_codes.h"

namespace intsim::cli {

int exit_status(const std::vector<harness::SeedResult>& seeds) {
  bool safety = false, liveness = false, internal = false;
  for (const auto& r : seeds) {
    internal |= r.verdict == harness::Verdict::kInternalError;
    safety |= r.verdict == harness::Verdict::kSafetyViolation;
    liveness |= r.verdict == harness::Verdict::kLivenessViolation;
  }
  if (internal) return kExitInternalError;
  if (safety) return kExitSafetyViolation;
  if (liveness) return kExitLivenessViolation;
  return kExitPassed;
}

void print_failure(const harness::SeedResult& r, std::size_t witnesses_max) {
  fmt::print("FAIL {} seed {}{}: {}\n", r.scenario, r.seed, r.swarm ? " (swarm)" : "",
             harness::verdict_name(r.verdict));
  for (const auto& v : r.violations) {
    fmt::print("  {}: {}\n", harness::oracle_name(v.oracle), v.message);
    for (std::size_t i = 0; i < v.witnesses.size() && i < witnesses_max; ++i) {
      const auto& w = v.witnesses[i];
      fmt::print("    #{} t={:.3f}s {}: {}\n", w.trace_index, static_cast<double>(w.at_us) / 1e6,
                 w.actor, w.text);
    }
  }
  if (!r.error.empty()) fmt::print("  error: {}\n", r.error);
  fmt::print("  reproduce: {}\n  shrink:    {}\n", harness::repro_command(r),
             harness::shrink_command(r));
}

bool load_scenario_or_report(const std::string& command, const std::string& path,
                             harness::Scenario* out) {
  if (core::Status st = harness::load_scenario_file(path, out); !st) {
    fmt::print(stderr, "intsim {}: invalid scenario:\n{}\n", command, st.message());
    return false;
  }
  return true;
}

std::string command_line(int argc, char** argv) {
  std::string out = "intsim";
  for (int i = 0; i < argc; ++i) {
    out += ' ';
    out += argv[i];
  }
  return out;
}

}  // namespace intsim::cli
