// What got better or worse between a baseline results file (`--baseline OLD.json`) and this
// one: pass rates per scenario, seeds that started or stopped failing, convergence, retries,
// duplicates, latency and failures per oracle.
#pragma once

#include <string>
#include <vector>

#include "src/harness/results.h"

namespace intsim::reports {

enum class Change {
  kBetter,
  kWorse,
  kSame,
  kNew,   // only in the current results
  kGone,  // only in the baseline
};
std::string_view change_name(Change change);

struct DiffLine {
  std::string what;    // "checkout-baseline: passed", "stripe: latency p99"
  std::string before;  // formatted, "" when absent
  std::string after;
  Change change = Change::kSame;
};

struct BaselineDiff {
  std::string baseline_version;
  std::string current_version;
  // Different intsim versions: a seed means a different run, so per-seed changes are only
  // indicative (the report says so).
  bool versions_differ = false;
  std::vector<DiffLine> lines;
  std::vector<std::string> newly_failing;  // "core-crashes seed 7: no_double_charge"
  std::vector<std::string> newly_passing;
  std::size_t better() const;
  std::size_t worse() const;
};

BaselineDiff compare_to_baseline(const harness::Results& current, const harness::Results& baseline);

}  // namespace intsim::reports
