#include "src/harness/results.h"

#include <gtest/gtest.h>

#include "src/harness/sweep.h"

namespace intsim::harness {
namespace {

Scenario scenario(std::string name) {
  Scenario s;
  s.name = name;
  s.origin = "scenarios/" + name + ".json";
  return s;
}

// A stand-in runner whose result depends only on (scenario, seed): seeds divisible by 5 fail.
SeedResult fake_run(const Scenario& s, std::uint64_t seed, bool) {
  SeedResult r;
  r.trace_hash = seed * 1000003 + s.name.size();
  r.stats.events = seed * 10;
  r.stats.counters["retries"] = static_cast<std::int64_t>(seed % 3);
  if (seed % 5 == 0) {
    r.verdict = Verdict::kSafetyViolation;
    r.violations.push_back({Oracle::kNoDoubleCharge,
                            "booking b_1 charged twice & <more>",
                            {{12, 3'000'000, "stripe", "pi_1 succeeded"}}});
  }
  if (seed == 7) throw std::runtime_error("model exploded");
  return r;
}

std::vector<SweepJob> jobs_for(const std::vector<Scenario>& ss, std::uint64_t seeds) {
  std::vector<SweepJob> jobs;
  for (const Scenario& s : ss) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) jobs.push_back({&s, seed, false});
  }
  return jobs;
}

TEST(Sweep, ResultsDoNotDependOnThreadCount) {
  const std::vector<Scenario> ss{scenario("a"), scenario("bb")};
  const auto jobs = jobs_for(ss, 20);
  std::size_t progress_calls = 0;
  const auto one = run_sweep(jobs, 1, fake_run, nullptr);
  const auto four = run_sweep(jobs, 4, fake_run, [&](const SweepProgress& p, const SeedResult&) {
    ++progress_calls;
    EXPECT_LE(p.done, p.total);
  });
  EXPECT_EQ(progress_calls, jobs.size());
  ASSERT_EQ(one.size(), four.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].seed, four[i].seed);
    EXPECT_EQ(one[i].trace_hash, four[i].trace_hash);
    EXPECT_EQ(one[i].verdict, four[i].verdict);
  }
  EXPECT_EQ(one[6].verdict, Verdict::kInternalError);  // seed 7 of "a"
  EXPECT_EQ(one[6].error, "model exploded");
}

TEST(Sweep, ShardsPartitionTheJobs) {
  const std::vector<Scenario> ss{scenario("a")};
  const auto jobs = jobs_for(ss, 10);
  std::vector<std::uint64_t> seen;
  for (std::uint64_t k = 1; k <= 3; ++k) {
    for (const SweepJob& j : shard(jobs, k, 3)) seen.push_back(j.seed);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

Results results_for(std::uint64_t from, std::uint64_t to) {
  static const Scenario s = scenario("a");
  std::vector<SweepJob> jobs;
  for (std::uint64_t seed = from; seed <= to; ++seed) jobs.push_back({&s, seed, false});
  Results r;
  r.intsim_version = "0.1.0";
  r.commands = {"intsim run a"};
  r.seeds = run_sweep(jobs, 2, fake_run, nullptr);
  return r;
}

TEST(Results, JsonRoundTripAndSummaries) {
  Results r = results_for(1, 10);
  Results back;
  ASSERT_TRUE(results_from_json(nlohmann::json::parse(results_to_json(r).dump()), &back));
  ASSERT_EQ(back.seeds.size(), 10u);
  EXPECT_EQ(back.seeds[4].violations, r.seeds[4].violations);
  EXPECT_EQ(back.seeds[4].trace_hash, r.seeds[4].trace_hash);
  const auto sums = summarize(back);
  ASSERT_EQ(sums.size(), 1u);
  EXPECT_EQ(sums[0].seeds, 10u);
  EXPECT_EQ(sums[0].safety_violations, 2u);  // seeds 5 and 10
  EXPECT_EQ(sums[0].internal_errors, 1u);    // seed 7
  EXPECT_EQ(sums[0].failures_by_oracle.at("no_double_charge"), 2u);
  const auto j = results_to_json(r);
  EXPECT_EQ(j["seeds"][4]["repro"], "intsim repro scenarios/a.json --seed 5");
}

TEST(Results, MergeUnionsShardsAndCatchesNondeterminism) {
  Results merged;
  ASSERT_TRUE(merge_results({results_for(6, 10), results_for(1, 7)}, &merged));
  ASSERT_EQ(merged.seeds.size(), 10u);
  EXPECT_EQ(merged.seeds.front().seed, 1u);
  EXPECT_EQ(merged.seeds.back().seed, 10u);
  Results a = results_for(1, 3), b = results_for(3, 4);
  b.seeds[0].trace_hash ^= 1;
  const auto st = merge_results({a, b}, &merged);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("seed 3 appears twice with different trace hashes"),
            std::string::npos);
  Results c = results_for(1, 2);
  c.intsim_version = "9.9.9";
  EXPECT_FALSE(merge_results({a, c}, &merged));
}

TEST(Results, JunitMarksFailuresWithTheReproCommand) {
  const std::string xml = junit_xml(results_for(4, 5));
  EXPECT_NE(xml.find("<testsuites name=\"intsim\" tests=\"2\" failures=\"1\">"), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"a\" name=\"seed 4\""), std::string::npos);
  EXPECT_NE(xml.find("reproduce: intsim repro scenarios/a.json --seed 5"), std::string::npos);
  EXPECT_NE(xml.find("charged twice &amp; &lt;more&gt;"), std::string::npos);
  EXPECT_EQ(xml.find("& <more>"), std::string::npos);
}

}  // namespace
}  // namespace intsim::harness
