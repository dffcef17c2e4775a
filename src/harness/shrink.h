// Shrinking: reduces a failing (scenario, seed) to a smaller scenario that still fails the same
// oracle with the same seed, by delta debugging the fault list and halving the workload and the
// horizon. The result is a scenario file worth committing as a regression.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/harness/outcome.h"
#include "src/harness/scenario.h"

namespace intsim::harness {

struct ShrinkOptions {
  std::uint64_t seed = 1;
  bool swarm = false;
  int runs_max = 300;  // each candidate is one full run of the seed
};

struct ShrinkResult {
  Scenario minimal;
  Oracle oracle = Oracle::kNoDoubleCharge;  // the oracle the original and the minimal fail
  int runs = 0;
  std::vector<std::string> steps;  // what each accepted reduction did, in words
};

// kInvalidArgument when the seed does not fail (nothing to shrink) or the scenario is invalid.
core::Status shrink_scenario(const Scenario& failing, const ShrinkOptions& options,
                             ShrinkResult* result);

}  // namespace intsim::harness
