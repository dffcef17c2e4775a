#include "reports/baseline.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "reports/test_results.h"

namespace intsim::reports {
namespace {

const DiffLine* find_line(const BaselineDiff& d, const std::string& what) {
  const auto it = std::find_if(d.lines.begin(), d.lines.end(),
                               [&](const DiffLine& l) { return l.what == what; });
  return it == d.lines.end() ? nullptr : &*it;
}

TEST(ReportsBaseline, SameResultsChangeNothing) {
  const harness::Results r = testing::small_results();
  const BaselineDiff d = compare_to_baseline(r, r);
  EXPECT_FALSE(d.versions_differ);
  EXPECT_EQ(d.better(), 0u);
  EXPECT_EQ(d.worse(), 0u);
  EXPECT_FALSE(d.lines.empty());
  for (const DiffLine& l : d.lines) EXPECT_EQ(l.change, Change::kSame) << l.what;
}

TEST(ReportsBaseline, AFixedSeedIsBetterAndARegressionWorse) {
  const harness::Results before = testing::small_results();
  harness::Results after = before;
  after.seeds[2].verdict = harness::Verdict::kPassed;  // seed 3 fixed
  after.seeds[2].violations.clear();
  after.seeds[2].stats.converged_after_us = 90'000'000;
  after.seeds[0].verdict = harness::Verdict::kLivenessViolation;  // seed 1 broke
  after.seeds[0].violations.push_back({harness::Oracle::kConvergence, "stuck", {}});
  after.seeds[0].stats.converged_after_us = -1;
  const BaselineDiff d = compare_to_baseline(after, before);
  ASSERT_EQ(d.newly_passing.size(), 1u);
  EXPECT_EQ(d.newly_passing[0], "core-crashes seed 3: no_double_charge");
  ASSERT_EQ(d.newly_failing.size(), 1u);
  EXPECT_EQ(d.newly_failing[0], "core-crashes seed 1: convergence");
  const DiffLine* ndc = find_line(d, "failures: no_double_charge");
  ASSERT_NE(ndc, nullptr);
  EXPECT_EQ(ndc->change, Change::kBetter);
  const DiffLine* conv = find_line(d, "failures: convergence");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->change, Change::kWorse);
  EXPECT_EQ(conv->before, "0");
  EXPECT_EQ(conv->after, "1");
}

TEST(ReportsBaseline, SlowerConvergenceAndLatencyAreWorse) {
  const harness::Results before = testing::small_results();
  harness::Results after = before;
  after.seeds[1].stats.converged_after_us = 3'600'000'000;
  harness::LatencyHistogram& slow =
      after.seeds[2].stats.latency_us["intsim_outbound_latency{peer=stripe}"];
  slow.counts[11] += 50;  // 50 calls in (5 s, 10 s]
  slow.max_us = 9'000'000;
  const BaselineDiff d = compare_to_baseline(after, before);
  const DiffLine* p90 = find_line(d, "core-crashes: convergence p90");
  ASSERT_NE(p90, nullptr);
  EXPECT_EQ(p90->change, Change::kWorse);
  EXPECT_EQ(p90->before, "3.0 min");
  EXPECT_EQ(p90->after, "1.0 h");
  const DiffLine* p99 = find_line(d, "stripe: latency p99");
  ASSERT_NE(p99, nullptr);
  EXPECT_EQ(p99->change, Change::kWorse);
  // And the other way round it is better.
  const BaselineDiff back = compare_to_baseline(before, after);
  EXPECT_EQ(find_line(back, "core-crashes: convergence p90")->change, Change::kBetter);
}

TEST(ReportsBaseline, NewScenariosAndVersionsAreNamed) {
  const harness::Results before = testing::small_results();
  harness::Results after = before;
  after.intsim_version = "0.2.0";
  harness::SeedResult extra = after.seeds[0];
  extra.scenario = "webhook-storm";
  extra.scenario_path = "scenarios/webhook-storm.json";
  after.seeds.push_back(extra);
  const BaselineDiff d = compare_to_baseline(after, before);
  EXPECT_TRUE(d.versions_differ);
  const DiffLine* added = find_line(d, "webhook-storm: seeds passed (%)");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->change, Change::kNew);
  EXPECT_EQ(added->after, "100");
}

}  // namespace
}  // namespace intsim::reports
