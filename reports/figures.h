// The figures a report is drawn from, derived from a results file alone (no re-run): per
// scenario convergence times, the faults injected and what they led to, retries, duplicates,
// latency percentiles per peer and race-window conflicts.
//
// Results carry counters as "name{peer=...,outcome=...}" keys; everything here reads those
// keys, so a counter a model adds later shows up in the per-peer tables without code here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reports/charts.h"
#include "src/harness/results.h"

namespace intsim::reports {

// "intsim_outbound_requests_total{peer=stripe,outcome=timeout}" split into its name and labels.
struct MetricKey {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string label(std::string_view key) const;  // "" when absent
};
MetricKey parse_metric_key(std::string_view key);

// Nearest-rank percentile (p in [0, 100]) of sorted values; 0 for none.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p);

struct ScenarioFigures {
  std::string scenario;
  std::string scenario_path;
  std::uint64_t seeds = 0;
  std::vector<std::int64_t> convergence_us;  // sorted; seeds that converged
  std::uint64_t not_converged = 0;
  std::vector<std::int64_t> retries;    // per seed, in seed order
  std::int64_t webhook_deliveries = 0;  // webhooks the core received (every outcome)
  std::int64_t webhook_duplicates = 0;  // of those, recognised as already processed
  std::int64_t conflicts_detected = 0;  // race-window conflicts (counters named *conflict*)
  std::int64_t conflicts_resolved = 0;
  std::map<std::string, std::uint64_t> faults;  // by kind

  double duplicate_rate() const;  // webhook_duplicates / webhook_deliveries; 0 when none
};

struct Figures {
  std::vector<ScenarioFigures> scenarios;  // in scenario_path order, as harness::summarize
  std::map<std::string, std::uint64_t> faults_by_kind;
  // peer -> fault kind -> count, from fault keys labelled with a peer ("drop{peer=stripe}").
  std::map<std::string, std::map<std::string, std::uint64_t>> faults_by_peer;
  // peer -> "metric: outcome" -> total, from every counter labelled with a peer.
  std::map<std::string, std::map<std::string, std::int64_t>> outcomes_by_peer;
  // What the faults led to, summed over seeds: retries, dlq_entries, alerts, core_crashes,
  // conflicts_detected, conflicts_resolved, net_timeouts, webhook duplicates.
  std::map<std::string, std::int64_t> effects;
  std::vector<std::int64_t> retries_per_seed;  // every seed
  // peer -> the core's outbound latency, every seed's histogram merged.
  std::map<std::string, harness::LatencyHistogram> latency_us_by_peer;
  std::uint64_t seeds = 0;
  std::uint64_t failed = 0;
};

// Retries of one seed: the core's outbound attempts that came back, minus the jobs that
// finished (done or dead-lettered), i.e. the attempts after each job's first.
std::int64_t seed_retries(const harness::SeedResult& seed);

Figures compute_figures(const harness::Results& results);

// p50, p90, p99 and max of a merged latency histogram, for the charts and tables.
Percentiles latency_percentiles(std::string label, const harness::LatencyHistogram& histogram);

}  // namespace intsim::reports
