// The run loop of one (scenario, seed): a safety phase with the scenario's faults on, then a
// liveness phase in which every fault is healed and the system must converge within the
// scenario's bound (TigerBeetle's VOPR does the same: first break things, then demand repair).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "sim/trace.h"
#include "src/harness/outcome.h"
#include "src/harness/scenario.h"

namespace intsim::harness {

class World;

struct RunOptions {
  bool swarm = false;
  bool record_trace = false;              // keep every trace record (repro, determinism check)
  std::uint64_t steps_max = 200'000'000;  // a livelocked model ends the run, not the machine
  // Called once the world and its oracles are built, before anything runs: where a report
  // attaches a network observer to tell the seed's story. It must only watch: anything that
  // changes the world changes the trace.
  std::function<void(World&)> on_world_built;
};

struct RunArtifacts {
  sim::Trace trace;
  sim::TraceNameTable names;     // to render the trace
  sim::FaultPlan resolved_plan;  // the faults in force, the swarm's draw made explicit
};

// Runs one seed. An invalid scenario (a fault on an unknown node) is an error, not a verdict.
core::Status run_seed(const Scenario& scenario, std::uint64_t seed, const RunOptions& options,
                      SeedResult* result, RunArtifacts* artifacts = nullptr);

// Runs the seed twice with full traces and names the first record where they differ.
struct DeterminismReport {
  bool identical = true;
  std::uint64_t records = 0;
  std::string first_difference;  // both records, in words
};
core::Status check_determinism(const Scenario& scenario, std::uint64_t seed, bool swarm,
                               DeterminismReport* report);

}  // namespace intsim::harness
