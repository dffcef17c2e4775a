#include "reports/figures.h"

#include <gtest/gtest.h>

#include "reports/test_results.h"

namespace intsim::reports {
namespace {

TEST(ReportsFigures, ParsesMetricKeys) {
  const MetricKey k =
      parse_metric_key("intsim_outbound_requests_total{peer=stripe,outcome=timeout}");
  EXPECT_EQ(k.name, "intsim_outbound_requests_total");
  EXPECT_EQ(k.label("peer"), "stripe");
  EXPECT_EQ(k.label("outcome"), "timeout");
  EXPECT_EQ(k.label("missing"), "");
  const MetricKey plain = parse_metric_key("dlq_entries");
  EXPECT_EQ(plain.name, "dlq_entries");
  EXPECT_TRUE(plain.labels.empty());
}

TEST(ReportsFigures, PercentileIsNearestRank) {
  const std::vector<std::int64_t> v = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 90), 90);
  EXPECT_EQ(percentile(v, 99), 100);
  EXPECT_EQ(percentile(v, 0), 10);
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({7}, 99), 7);
}

TEST(ReportsFigures, RetriesAreAttemptsAfterEachJobsFirst) {
  const harness::Results r = testing::small_results();
  ASSERT_EQ(r.seeds.size(), 3u);
  EXPECT_EQ(seed_retries(r.seeds[0]), 2);  // 12 attempts, 10 jobs done
  EXPECT_EQ(seed_retries(r.seeds[1]), 0);
  EXPECT_EQ(seed_retries(r.seeds[2]), 3);  // 15 attempts, 11 done + 1 dead-lettered
}

TEST(ReportsFigures, SumsFaultsEffectsAndDistributions) {
  const Figures f = compute_figures(testing::small_results());
  EXPECT_EQ(f.seeds, 3u);
  EXPECT_EQ(f.failed, 1u);
  EXPECT_EQ(f.faults_by_kind.at("crash"), 9u);
  EXPECT_EQ(f.faults_by_kind.at("drop"), 2u);
  EXPECT_EQ(f.faults_by_peer.at("stripe").at("drop"), 2u);
  EXPECT_EQ(f.effects.at("retries"), 5);
  EXPECT_EQ(f.effects.at("dlq_entries"), 1);
  EXPECT_EQ(f.effects.at("alerts"), 1);
  EXPECT_EQ(f.effects.at("core_crashes"), 9);
  EXPECT_EQ(f.effects.at("webhook_duplicates"), 1);
  EXPECT_EQ(f.outcomes_by_peer.at("stripe").at("intsim_outbound_requests_total: timeout"), 2);
  ASSERT_EQ(f.scenarios.size(), 1u);
  const ScenarioFigures& s = f.scenarios[0];
  EXPECT_EQ(s.convergence_us, (std::vector<std::int64_t>{60'000'000, 180'000'000}));
  EXPECT_EQ(s.not_converged, 1u);
  EXPECT_EQ(s.webhook_deliveries, 20);
  EXPECT_EQ(s.webhook_duplicates, 1);
  EXPECT_DOUBLE_EQ(s.duplicate_rate(), 0.05);
  // Calls of 100 ms and 300 ms, 200 ms and 5 s in three seeds, merged into one histogram.
  const Percentiles p = latency_percentiles("stripe", f.latency_us_by_peer.at("stripe"));
  EXPECT_EQ(p.samples, 4);
  EXPECT_EQ(p.p50_us, 250'000);    // the 2nd call: the top of the (100 ms, 250 ms] bucket
  EXPECT_EQ(p.p99_us, 4'900'000);  // 96% of the way into (2.5 s, 5 s]
  EXPECT_EQ(p.max_us, 5'000'000);
}

TEST(ReportsFigures, LatencyQuantilesInterpolateInsideBucketsAndNeverPassTheMax) {
  harness::LatencyHistogram h;
  h.bounds_us = {10, 20, 40};
  h.counts = {0, 10, 0, 0};  // ten calls in (10, 20]
  h.max_us = 18;
  EXPECT_EQ(h.quantile(0.5), 15);
  EXPECT_EQ(h.quantile(0.99), 18);  // interpolation says 19.9, but nothing took over 18
  h.counts = {0, 0, 0, 2};          // only above the last bound: all we know is the max
  h.max_us = 90;
  EXPECT_EQ(h.quantile(0.5), 90);
  EXPECT_EQ(harness::LatencyHistogram().quantile(0.5), 0);
  harness::LatencyHistogram other;
  other.bounds_us = {10, 20};
  other.counts = {1, 0, 0};
  EXPECT_FALSE(h.merge(other).is_ok());  // other buckets: refused, not mixed up
}

TEST(ReportsFigures, CountsConflictCountersAsRaceWindows) {
  harness::Results r = testing::small_results();
  r.seeds[0].stats.counters["channel_conflicts_total{peer=ota.airbnb,outcome=detected}"] = 4;
  r.seeds[1].stats.counters["channel_conflicts_total{peer=ota.airbnb,outcome=resolved}"] = 3;
  const Figures f = compute_figures(r);
  EXPECT_EQ(f.scenarios[0].conflicts_detected, 4);
  EXPECT_EQ(f.scenarios[0].conflicts_resolved, 3);
  EXPECT_EQ(f.effects.at("conflicts_resolved"), 3);
}

}  // namespace
}  // namespace intsim::reports
