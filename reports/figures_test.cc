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
  EXPECT_EQ(f.latency_us_by_peer.at("stripe"),
            (std::vector<std::int64_t>{100'000, 200'000, 300'000, 5'000'000}));
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
