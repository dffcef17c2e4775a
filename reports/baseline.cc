#include "reports/baseline.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <tuple>

#include "reports/charts.h"
#include "reports/figures.h"

namespace intsim::reports {
namespace {

using SeedKey = std::tuple<std::string, bool, std::uint64_t>;

SeedKey key_of(const harness::SeedResult& r) { return {r.scenario_path, r.swarm, r.seed}; }

std::string failure_text(const harness::SeedResult& r) {
  std::string oracles;
  for (const harness::Violation& v : r.violations) {
    if (!oracles.empty()) oracles += ", ";
    oracles += std::string(harness::oracle_name(v.oracle));
  }
  if (oracles.empty()) oracles = std::string(harness::verdict_name(r.verdict));
  return fmt::format("{} seed {}{}: {}", r.scenario, r.seed, r.swarm ? " (swarm)" : "", oracles);
}

std::string format_value(double v, bool duration) {
  return duration ? format_duration_us(static_cast<std::int64_t>(v)) : fmt::format("{:g}", v);
}

// Compares two optional figures; `lower_is_better` says which way is good.
DiffLine compare(std::string what, std::optional<double> before, std::optional<double> after,
                 bool lower_is_better, bool duration) {
  DiffLine l;
  l.what = std::move(what);
  if (before) l.before = format_value(*before, duration);
  if (after) l.after = format_value(*after, duration);
  if (!before) {
    l.change = Change::kNew;
  } else if (!after) {
    l.change = Change::kGone;
  } else if (*before == *after) {
    l.change = Change::kSame;
  } else {
    l.change = (*after < *before) == lower_is_better ? Change::kBetter : Change::kWorse;
  }
  return l;
}

double mean(const std::vector<std::int64_t>& v) {
  if (v.empty()) return 0;
  double sum = 0;
  for (std::int64_t x : v) sum += static_cast<double>(x);
  return sum / static_cast<double>(v.size());
}

}  // namespace

std::string_view change_name(Change change) {
  switch (change) {
    case Change::kBetter:
      return "better";
    case Change::kWorse:
      return "worse";
    case Change::kSame:
      return "same";
    case Change::kNew:
      return "new";
    case Change::kGone:
      return "gone";
  }
  return "same";
}

std::size_t BaselineDiff::better() const {
  std::size_t n = newly_passing.size();
  for (const DiffLine& l : lines) n += l.change == Change::kBetter;
  return n;
}

std::size_t BaselineDiff::worse() const {
  std::size_t n = newly_failing.size();
  for (const DiffLine& l : lines) n += l.change == Change::kWorse;
  return n;
}

BaselineDiff compare_to_baseline(const harness::Results& current,
                                 const harness::Results& baseline) {
  BaselineDiff d;
  d.baseline_version = baseline.intsim_version;
  d.current_version = current.intsim_version;
  d.versions_differ = baseline.intsim_version != current.intsim_version;

  // Seeds present in both runs.
  std::map<SeedKey, const harness::SeedResult*> before;
  for (const harness::SeedResult& r : baseline.seeds) before[key_of(r)] = &r;
  for (const harness::SeedResult& r : current.seeds) {
    const auto it = before.find(key_of(r));
    if (it == before.end()) continue;
    const bool was_ok = it->second->verdict == harness::Verdict::kPassed;
    const bool is_ok = r.verdict == harness::Verdict::kPassed;
    if (was_ok && !is_ok) d.newly_failing.push_back(failure_text(r));
    if (!was_ok && is_ok) d.newly_passing.push_back(failure_text(*it->second));
  }

  // Per scenario, matched by path (a renamed scenario is a new one).
  const Figures fb = compute_figures(baseline), fa = compute_figures(current);
  std::map<std::string, std::pair<const ScenarioFigures*, const ScenarioFigures*>> scen;
  for (const ScenarioFigures& s : fb.scenarios) scen[s.scenario_path].first = &s;
  for (const ScenarioFigures& s : fa.scenarios) scen[s.scenario_path].second = &s;
  std::map<std::string, std::pair<const harness::ScenarioSummary*, const harness::ScenarioSummary*>>
      sums;
  const auto sb = harness::summarize(baseline), sa = harness::summarize(current);
  for (const auto& s : sb) sums[s.scenario_path].first = &s;
  for (const auto& s : sa) sums[s.scenario_path].second = &s;

  const auto pass_rate = [](const harness::ScenarioSummary* s) -> std::optional<double> {
    if (s == nullptr || s->seeds == 0) return std::nullopt;
    return 100.0 * static_cast<double>(s->passed) / static_cast<double>(s->seeds);
  };
  for (const auto& [path, pair] : scen) {
    const auto& [b, a] = pair;
    const std::string name = (a ? a : b)->scenario;
    DiffLine rate = compare(name + ": seeds passed (%)", pass_rate(sums[path].first),
                            pass_rate(sums[path].second), /*lower_is_better=*/false, false);
    d.lines.push_back(std::move(rate));
    const auto conv = [](const ScenarioFigures* s, double p) -> std::optional<double> {
      if (s == nullptr || s->convergence_us.empty()) return std::nullopt;
      return static_cast<double>(percentile(s->convergence_us, p));
    };
    if (conv(a, 50) || conv(b, 50)) {
      d.lines.push_back(compare(name + ": convergence p50", conv(b, 50), conv(a, 50), true, true));
      d.lines.push_back(compare(name + ": convergence p90", conv(b, 90), conv(a, 90), true, true));
    }
    const auto retries = [](const ScenarioFigures* s) -> std::optional<double> {
      if (s == nullptr) return std::nullopt;
      return mean(s->retries);
    };
    d.lines.push_back(
        compare(name + ": retries per seed (mean)", retries(b), retries(a), true, false));
    const auto dup = [](const ScenarioFigures* s) -> std::optional<double> {
      if (s == nullptr || s->webhook_deliveries == 0) return std::nullopt;
      return 100.0 * s->duplicate_rate();
    };
    if (dup(a) || dup(b)) {
      d.lines.push_back(compare(name + ": duplicate webhooks (%)", dup(b), dup(a), true, false));
    }
  }
  // Failures per oracle, over everything.
  std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> oracles;
  for (const auto& s : sb) {
    for (const auto& [o, n] : s.failures_by_oracle) {
      oracles[o].first = oracles[o].first.value_or(0) + static_cast<double>(n);
    }
  }
  for (const auto& s : sa) {
    for (const auto& [o, n] : s.failures_by_oracle) {
      oracles[o].second = oracles[o].second.value_or(0) + static_cast<double>(n);
    }
  }
  for (const auto& [o, pair] : oracles) {
    // An oracle absent on one side failed zero times there.
    d.lines.push_back(
        compare("failures: " + o, pair.first.value_or(0), pair.second.value_or(0), true, false));
  }
  // Latency per peer.
  std::map<std::string,
           std::pair<const harness::LatencyHistogram*, const harness::LatencyHistogram*>>
      lat;
  for (const auto& [peer, h] : fb.latency_us_by_peer) lat[peer].first = &h;
  for (const auto& [peer, h] : fa.latency_us_by_peer) lat[peer].second = &h;
  for (const auto& [peer, pair] : lat) {
    const auto p99 = [](const harness::LatencyHistogram* h) -> std::optional<double> {
      if (h == nullptr || h->count() == 0) return std::nullopt;
      return static_cast<double>(h->quantile(0.99));
    };
    d.lines.push_back(
        compare(peer + ": latency p99", p99(pair.first), p99(pair.second), true, true));
  }
  return d;
}

}  // namespace intsim::reports
