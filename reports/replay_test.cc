#include "reports/replay.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "src/harness/run.h"
#include "src/harness/scenario.h"

namespace intsim::reports {
namespace {

// The browser test's scenario: short, with faults on every layer the timeline draws.
const std::string kScenario = std::string(INTSIM_SOURCE_ROOT) + "/tests/report/report-demo.json";

harness::SeedResult run(std::uint64_t seed) {
  harness::Scenario scenario;
  const core::Status loaded = harness::load_scenario_file(kScenario, &scenario);
  EXPECT_TRUE(loaded.is_ok()) << loaded.message();
  harness::SeedResult r;
  const core::Status ran = harness::run_seed(scenario, seed, harness::RunOptions{}, &r);
  EXPECT_TRUE(ran.is_ok()) << ran.message();
  return r;
}

TEST(ReportsReplay, TheReplayIsTheSameRunAndShowsItsMessages) {
  const harness::SeedResult r = run(2);
  Timeline t;
  const core::Status st = replay_timeline(r, 100'000, &t);
  ASSERT_TRUE(st.is_ok()) << st.message();
  for (const char* lane : {"guests", "core", "stripe"}) {
    EXPECT_NE(std::find(t.lanes.begin(), t.lanes.end(), lane), t.lanes.end()) << lane;
  }
  std::size_t requests = 0, responses = 0, faults = 0;
  for (const TimelineRow& row : t.rows) {
    if (row.kind == TimelineRow::Kind::kMessage && row.label.starts_with("POST /api/bookings")) {
      ++requests;
      EXPECT_EQ(row.from, "guests");
      EXPECT_EQ(row.to, "core");
    }
    if (row.kind == TimelineRow::Kind::kMessage && row.from == "stripe" && row.to == "core" &&
        row.label.find("/v1/payment_intents") != std::string::npos) {
      ++responses;
    }
    faults += row.kind == TimelineRow::Kind::kFault;
  }
  EXPECT_GT(requests, 0u);
  EXPECT_GT(responses, 0u);
  EXPECT_GT(faults, 0u);
  EXPECT_FALSE(t.faults_by_place.empty());
  // Rows are in time order.
  for (std::size_t i = 1; i < t.rows.size(); ++i) EXPECT_LE(t.rows[i - 1].at_us, t.rows[i].at_us);
}

TEST(ReportsReplay, ARunThatDiffersIsNotDrawn) {
  harness::SeedResult r = run(2);
  r.trace_hash ^= 1;
  Timeline t;
  const core::Status st = replay_timeline(r, 100, &t);
  EXPECT_EQ(st.code(), core::Status::Code::kConflict);
  EXPECT_NE(st.message().find("differs from the recorded"), std::string::npos);
  r.scenario_path = "no/such/scenario.json";
  EXPECT_EQ(replay_timeline(r, 100, &t).code(), core::Status::Code::kInvalidArgument);
}

TEST(ReportsReplay, OnlyTheFirstFailingSeedsAreReplayed) {
  harness::Results results;
  for (std::uint64_t seed : {1, 2, 3}) {
    harness::SeedResult r = run(seed);
    r.verdict = harness::Verdict::kSafetyViolation;  // a story for each, whatever the verdict
    results.seeds.push_back(r);
  }
  results.seeds[1].verdict = harness::Verdict::kPassed;
  StoryOptions options;
  options.timelines_max = 1;
  const std::vector<FailureStory> stories = failure_stories(results, options);
  ASSERT_EQ(stories.size(), 2u);
  EXPECT_EQ(stories[0].seed, &results.seeds[0]);
  EXPECT_TRUE(stories[0].timeline.has_value());
  EXPECT_EQ(stories[1].seed, &results.seeds[2]);
  EXPECT_FALSE(stories[1].timeline.has_value());
  EXPECT_NE(stories[1].timeline_note.find("only the first 1 failing seeds"), std::string::npos);
}

}  // namespace
}  // namespace intsim::reports
