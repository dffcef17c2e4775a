// What the run, repro, shrink and merge commands share: turning verdicts into exit statuses
// and printing failures with the command that reproduces each.
#pragma once

#include <string>
#include <vector>

#include "src/harness/results.h"
#include "src/harness/scenario.h"

namespace intsim::cli {

// kExitInternalError over kExitSafetyViolation over kExitLivenessViolation over kExitPassed.
int exit_status(const std::vector<harness::SeedResult>& seeds);
// Prints one failing seed: verdict, violations with their witnesses, repro and shrink commands.
void print_failure(const harness::SeedResult& r, std::size_t witnesses_max);
// Loads a scenario file, printing every validation error; false when invalid.
bool load_scenario_or_report(const std::string& command, const std::string& path,
                             harness::Scenario* out);
std::string command_line(int argc, char** argv);  // "intsim run ci --seeds 5"

}  // namespace intsim::cli
