// What one run of one scenario with one seed produced: the verdict, the violated oracles with
// their witnesses, and the figures reports are made of.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/time.h"
#include "src/harness/scenario.h"

namespace intsim::harness {

enum class Verdict : std::uint8_t {
  kPassed,             // every enabled oracle held
  kSafetyViolation,    // a safety oracle failed (checked during and after the fault phase)
  kLivenessViolation,  // no convergence within the liveness bound after healing
  kInternalError,      // the run itself failed (an exception in a model): a bug in intsim
};
std::string_view verdict_name(Verdict verdict);
bool parse_verdict(std::string_view name, Verdict* out);

// An event that proves a violation: where it is in the trace and what it says.
struct Witness {
  std::uint64_t trace_index = 0;  // the trace record (repro --trace shows it)
  core::TimeUs at_us = 0;         // virtual time since the start of the run
  std::string actor;              // who: "core", "stripe", "guest", "ota.airbnb", ...
  std::string text;               // what happened, in words
  friend bool operator==(const Witness&, const Witness&) = default;
};

struct Violation {
  Oracle oracle = Oracle::kNoDoubleCharge;
  std::string message;  // one line: what is wrong
  std::vector<Witness> witnesses;
  friend bool operator==(const Violation&, const Violation&) = default;
};

// Figures of one run. Maps are ordered so output is deterministic.
struct RunStats {
  std::uint64_t events = 0;
  core::TimeUs simulated_us = 0;
  core::TimeUs converged_after_us = -1;          // time from healing to convergence; -1 if never
  std::map<std::string, std::uint64_t> faults;   // injected, by fault kind name
  std::map<std::string, std::int64_t> counters;  // retries, dlq_entries, alerts, ...
  std::map<std::string, std::vector<std::int64_t>> samples_us;  // latencies etc., for charts
  friend bool operator==(const RunStats&, const RunStats&) = default;
};

struct SeedResult {
  std::string scenario;       // name
  std::string scenario_path;  // file
  std::uint64_t seed = 0;
  bool swarm = false;
  Verdict verdict = Verdict::kPassed;
  std::vector<Violation> violations;
  RunStats stats;
  std::uint64_t trace_hash = 0;
  double wall_ms = 0;  // not part of determinism: how long the run took here
  std::string error;   // kInternalError: what went wrong
};

// The single command that reproduces a seed (and the one that shrinks it).
std::string repro_command(const SeedResult& r);
std::string shrink_command(const SeedResult& r);

nlohmann::ordered_json to_json(const SeedResult& r, bool with_samples);
core::Status from_json(const nlohmann::json& j, SeedResult* out);

}  // namespace intsim::harness
