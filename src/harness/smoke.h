// The kernel smoke run: clients exchange requests with a server over links with log-normal
// latency. It exercises the scheduler, the seeded streams and the trace end to end, and is
// what `intsim smoke` prints a summary of.
#pragma once

#include <cstdint>

#include "sim/trace.h"

namespace intsim::harness {

struct SmokeSummary {
  std::uint64_t seed = 0;
  std::uint64_t events = 0;
  std::uint64_t requests_completed = 0;
  core::TimeUs simulated_us = 0;
  core::TimeUs latency_us_max = 0;
  std::uint64_t trace_hash = 0;
};

struct SmokeResult {
  SmokeSummary summary;
  sim::Trace trace;
  sim::TraceNameTable names;
};

SmokeResult run_smoke(std::uint64_t seed, sim::Trace::Mode mode = sim::Trace::Mode::kHashOnly);

}  // namespace intsim::harness
