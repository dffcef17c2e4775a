// A scenario: the workload, each peer's behaviour, the fault plan, the length of the fault
// phase, the liveness bound and the oracles to check. Loaded from JSON (scenarios/README.md and
// scenarios/scenario.schema.json document the format) and validated with errors that name the
// file, the JSON pointer and what was expected.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sim/faults.h"
#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::harness {

// DESIGN.md section 5.
enum class Oracle : std::uint8_t {
  kNoDoubleCharge,       // per booking: captured - refunded <= due; <= 1 succeeded PaymentIntent
  kNoOverbooking,        // never confirm a night known taken; no double-held night at the end
  kAuthenticAtMostOnce,  // only authentic webhooks acted on, each once
  kNothingLost,          // every piece of work done or in the DLQ with an alert
  kStatusMonotonic,      // payment and message statuses never regress
  kConvergence,          // after healing, everyone agrees within the liveness bound
  kCount
};
inline constexpr std::size_t kOracleCount = static_cast<std::size_t>(Oracle::kCount);
std::string_view oracle_name(Oracle oracle);
bool parse_oracle(std::string_view name, Oracle* out);
bool is_safety(Oracle oracle);

struct Range {
  std::int64_t min = 0;
  std::int64_t max = 0;
  friend bool operator==(const Range&, const Range&) = default;
};

struct WorkloadSpec {
  std::int64_t units = 10;
  std::vector<std::string> unit_kinds{"double"};  // unit i has kind i % kinds
  std::vector<std::string> channels;              // "airbnb", "booking_com", "vrbo"
  double direct_bookings_per_day = 20.0;
  double channel_bookings_per_day = 10.0;
  std::vector<std::string> currencies{"USD"};
  Range nights{1, 5};
  Range lead_days{0, 30};
  double abandon_probability = 0.05;  // a guest who never pays: the hold must expire
  double cancel_probability = 0.05;   // a confirmed guest who cancels: refund
  std::int64_t guests = 50;           // distinct guests (phone numbers) making bookings
  // Guests joining the guest club (Stripe subscriptions); 0 means no memberships at all.
  double memberships_per_day = 0.0;
  double membership_cancel_probability = 0.1;
  std::string membership_interval = "month";  // the plan's billing interval: day, week, month
  friend bool operator==(const WorkloadSpec&, const WorkloadSpec&) = default;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string origin;         // the file it came from, for messages and repro commands
  std::uint64_t seeds = 100;  // seeds a suite run gives it unless told otherwise
  // Seeds every suite run includes besides 1..seeds: a shrunk regression pins the seed it fails.
  std::vector<std::uint64_t> pinned_seeds;
  core::TimeUs fault_phase_us = core::kUsPerDay;
  core::TimeUs liveness_bound_us = 6 * core::kUsPerHour;
  WorkloadSpec workload;
  nlohmann::json peers = nlohmann::json::object();  // per-peer knobs; the world validates them
  sim::FaultPlan faults;
  std::vector<Oracle> oracles;  // empty means all
  bool oracle_enabled(Oracle o) const;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// Parses a scenario document. Every problem found is reported, one per line, as
// "<origin>: <pointer>: <what was expected>".
core::Status parse_scenario(const nlohmann::json& doc, std::string_view origin, Scenario* out);
core::Status load_scenario_file(const std::string& path, Scenario* out);
// The document for a scenario; parse_scenario(scenario_to_json(s)) gives s back (but origin).
nlohmann::json scenario_to_json(const Scenario& scenario);

// A suite: scenario files (relative to the suite file) with optional seed counts.
struct SuiteEntry {
  std::string path;
  std::uint64_t seeds = 0;  // 0: the scenario's own default
};
struct Suite {
  std::string name;
  std::string origin;
  std::vector<SuiteEntry> entries;
  bool swarm = false;  // draw a fault mix per seed on top of each scenario's plan
};
// `name_or_path`: "smoke" means scenarios/suites/smoke.json under `scenarios_dir`.
core::Status load_suite(const std::string& name_or_path, const std::string& scenarios_dir,
                        Suite* out);

}  // namespace intsim::harness
