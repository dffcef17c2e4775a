#include "reports/figures.h"

#include <algorithm>
#include <cmath>

#include "src/core/assert.h"

namespace intsim::reports {
namespace {

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// Outcomes of a conflict counter that mean the resolver settled it.
bool is_resolved_outcome(std::string_view outcome) {
  return outcome == "resolved" || outcome == "relocated" || outcome == "cancelled" ||
         outcome == "canceled" || outcome == "refunded";
}

}  // namespace

std::string MetricKey::label(std::string_view key) const {
  const auto it = labels.find(std::string(key));
  return it == labels.end() ? std::string() : it->second;
}

MetricKey parse_metric_key(std::string_view key) {
  MetricKey out;
  const auto open = key.find('{');
  if (open == std::string_view::npos || key.back() != '}') {
    out.name = std::string(key);
    return out;
  }
  out.name = std::string(key.substr(0, open));
  std::string_view rest = key.substr(open + 1, key.size() - open - 2);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos) {
      out.labels[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

double ScenarioFigures::duplicate_rate() const {
  return webhook_deliveries > 0
             ? static_cast<double>(webhook_duplicates) / static_cast<double>(webhook_deliveries)
             : 0.0;
}

std::int64_t seed_retries(const harness::SeedResult& seed) {
  std::int64_t attempts = 0, finished = 0;
  for (const auto& [key, value] : seed.stats.counters) {
    const MetricKey k = parse_metric_key(key);
    if (k.name == "intsim_outbound_requests_total") attempts += value;
    if (k.name == "intsim_outbox_jobs_total") finished += value;
  }
  return std::max<std::int64_t>(attempts - finished, 0);
}

Percentiles latency_percentiles(std::string label, const harness::LatencyHistogram& histogram) {
  Percentiles p;
  p.label = std::move(label);
  p.samples = histogram.count();
  p.p50_us = histogram.quantile(0.50);
  p.p90_us = histogram.quantile(0.90);
  p.p99_us = histogram.quantile(0.99);
  p.max_us = histogram.max_us;
  return p;
}

Figures compute_figures(const harness::Results& results) {
  Figures f;
  std::map<std::string, ScenarioFigures> by_path;
  for (const harness::SeedResult& r : results.seeds) {
    ++f.seeds;
    if (r.verdict != harness::Verdict::kPassed) ++f.failed;
    ScenarioFigures& s = by_path[r.scenario_path];
    s.scenario = r.scenario;
    s.scenario_path = r.scenario_path;
    ++s.seeds;
    if (r.stats.converged_after_us >= 0) {
      s.convergence_us.push_back(r.stats.converged_after_us);
    } else {
      ++s.not_converged;
    }
    const std::int64_t retries = seed_retries(r);
    s.retries.push_back(retries);
    f.retries_per_seed.push_back(retries);
    f.effects["retries"] += retries;

    for (const auto& [key, n] : r.stats.faults) {
      const MetricKey k = parse_metric_key(key);
      s.faults[k.name] += n;
      f.faults_by_kind[k.name] += n;
      if (const std::string peer = k.label("peer"); !peer.empty()) {
        f.faults_by_peer[peer][k.name] += n;
      }
    }
    for (const auto& [key, value] : r.stats.counters) {
      const MetricKey k = parse_metric_key(key);
      const std::string peer = k.label("peer");
      const std::string outcome = k.label("outcome");
      if (!peer.empty()) {
        f.outcomes_by_peer[peer][outcome.empty() ? k.name : k.name + ": " + outcome] += value;
      }
      if (k.labels.empty()) {
        // Unlabelled run-level counters that are effects of faults.
        if (k.name == "dlq_entries" || k.name == "alerts" || k.name == "core_crashes" ||
            k.name == "net_timeouts" || k.name == "stripe_webhook_given_up") {
          f.effects[k.name] += value;
        }
      }
      if (k.name == "webhook.requests") {
        s.webhook_deliveries += value;
        if (outcome == "duplicate") {
          s.webhook_duplicates += value;
          f.effects["webhook_duplicates"] += value;
        }
      }
      if (contains(k.name, "conflict")) {
        if (is_resolved_outcome(outcome) || contains(k.name, "resolved")) {
          s.conflicts_resolved += value;
          f.effects["conflicts_resolved"] += value;
        } else {
          s.conflicts_detected += value;
          f.effects["conflicts_detected"] += value;
        }
      }
    }
    for (const auto& [key, histogram] : r.stats.latency_us) {
      const MetricKey k = parse_metric_key(key);
      const std::string peer = k.label("peer").empty() ? k.name : k.label("peer");
      // Seeds of one intsim share buckets; results merged from other versions are refused
      // upstream (harness::merge_results), so a mismatch here is a bug.
      const core::Status merged = f.latency_us_by_peer[peer].merge(histogram);
      INTSIM_ASSERT_MSG(merged.is_ok(), "latency histograms of one results file disagree");
    }
  }
  for (auto& [path, s] : by_path) {
    std::sort(s.convergence_us.begin(), s.convergence_us.end());
    f.scenarios.push_back(std::move(s));
  }
  return f;
}

}  // namespace intsim::reports
