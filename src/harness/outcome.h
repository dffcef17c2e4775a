// What one run of one scenario with one seed produced: the verdict, the violated oracles with
// their witnesses, and the figures reports are made of.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/status.h"
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

// A latency distribution in bucket counts: small enough to keep for every seed, and exact to
// merge across seeds (a mean per seed is not: the p99 of means hides every slow call).
struct LatencyHistogram {
  std::vector<core::TimeUs> bounds_us;  // inclusive upper bounds, increasing
  std::vector<std::int64_t> counts;     // per bucket; one more than bounds_us (above the last)
  core::TimeUs max_us = 0;

  std::int64_t count() const;
  // Adds `other`'s counts. Both have the same bounds, or `this` has none yet (it takes them).
  core::Status merge(const LatencyHistogram& other);
  // The q-quantile (q in [0, 1]) interpolated linearly inside its bucket, as Prometheus's
  // histogram_quantile does, and never above max_us; 0 when empty.
  core::TimeUs quantile(double q) const;
  friend bool operator==(const LatencyHistogram&, const LatencyHistogram&) = default;
};

// Figures of one run. Maps are ordered so output is deterministic.
struct RunStats {
  std::uint64_t events = 0;
  core::TimeUs simulated_us = 0;
  core::TimeUs converged_after_us = -1;          // time from healing to convergence; -1 if never
  std::map<std::string, std::uint64_t> faults;   // injected, by fault kind name
  std::map<std::string, std::int64_t> counters;  // retries, dlq_entries, alerts, ...
  // The core's outbound latency per metric and peer ("intsim_outbound_latency{peer=stripe}"),
  // every outcome together.
  std::map<std::string, LatencyHistogram> latency_us;
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
