#include "src/harness/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "src/harness/world.h"

namespace intsim::harness {
namespace {

TEST(Scenario, ParsesAFullDocument) {
  const auto doc = nlohmann::json::parse(R"({
    "name": "stripe-flaky", "description": "5xx and timeouts", "seeds": 50, "pinned_seeds": [105],
    "fault_phase_s": 3600, "liveness_bound_s": 600,
    "workload": {"units": {"count": 4, "kinds": ["double", "suite"]},
                 "channels": ["airbnb"], "direct_bookings_per_day": 12,
                 "currencies": ["USD", "COP"], "nights": {"min": 1, "max": 3},
                 "abandon_probability": 0.2},
    "peers": {"stripe": {"dispute_probability": 0.01}},
    "faults": [{"kind": "http_503", "peer": "stripe", "probability": 0.1}],
    "oracles": ["no_double_charge", "convergence"]})");
  Scenario s;
  const auto st = parse_scenario(doc, "x.json", &s);
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(s.name, "stripe-flaky");
  EXPECT_EQ(s.seeds, 50u);
  EXPECT_EQ(s.pinned_seeds, (std::vector<std::uint64_t>{105}));
  EXPECT_EQ(s.fault_phase_us, 3600 * core::kUsPerSec);
  EXPECT_EQ(s.workload.units, 4);
  EXPECT_EQ(s.workload.unit_kinds, (std::vector<std::string>{"double", "suite"}));
  EXPECT_EQ(s.workload.nights, (Range{1, 3}));
  EXPECT_EQ(s.workload.currencies.size(), 2u);
  ASSERT_EQ(s.faults.specs.size(), 1u);
  EXPECT_EQ(s.faults.specs[0].kind, sim::FaultKind::kHttp503);
  EXPECT_TRUE(s.oracle_enabled(Oracle::kConvergence));
  EXPECT_FALSE(s.oracle_enabled(Oracle::kNoOverbooking));
  // Round trip through the document form (what shrinking writes).
  Scenario back;
  ASSERT_TRUE(parse_scenario(scenario_to_json(s), "x.json", &back));
  EXPECT_EQ(back, s);
}

TEST(Scenario, EveryProblemIsNamedWithFileAndPointer) {
  const auto doc = nlohmann::json::parse(R"({
    "seeds": 0, "workload": {"nights": {"min": 5, "max": 2}, "chanels": ["airbnb"]},
    "faults": [{"kind": "drop", "probability": 1.5}],
    "oracles": ["no_overbookng"]})");
  Scenario s;
  const auto st = parse_scenario(doc, "scenarios/bad.json", &s);
  ASSERT_FALSE(st);
  const std::string& m = st.message();
  EXPECT_NE(m.find("scenarios/bad.json: /name: required field is missing"), std::string::npos) << m;
  EXPECT_NE(m.find("scenarios/bad.json: /seeds: expected an integer in [1, 10000000], got 0"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("/workload/nights: min 5 is greater than max 2"), std::string::npos) << m;
  EXPECT_NE(m.find("/workload/chanels: unknown field"), std::string::npos) << m;
  EXPECT_NE(m.find("/faults/0/probability"), std::string::npos) << m;
  EXPECT_NE(m.find("/oracles/0: unknown value \"no_overbookng\""), std::string::npos) << m;
}

TEST(Scenario, MembershipsAndStripeSubscriptionKnobs) {
  const auto doc = nlohmann::json::parse(R"({
    "name": "dunning", "workload": {"memberships": {"per_day": 6, "interval": "day"}},
    "peers": {"stripe": {"card": {"repeat_decline_probability": 0.5},
                         "subscriptions": {"retry_offsets_h": [2, 5], "dunning_end": "unpaid"}}}})");
  Scenario s;
  ASSERT_TRUE(parse_scenario(doc, "x.json", &s));
  EXPECT_EQ(s.workload.memberships_per_day, 6);
  EXPECT_EQ(s.workload.membership_interval, "day");
  EXPECT_EQ(s.workload.membership_cancel_probability, 0.1);
  Scenario back;
  ASSERT_TRUE(parse_scenario(scenario_to_json(s), "x.json", &back));
  EXPECT_EQ(back, s);
  PeerSettings p;
  ASSERT_TRUE(parse_peer_settings(s.peers, &p));
  EXPECT_EQ(p.stripe.subscription.retry_offsets_h, (std::vector<std::int64_t>{2, 5}));
  EXPECT_EQ(p.stripe.subscription.dunning_end, models::stripe::DunningEnd::kUnpaid);
  EXPECT_EQ(p.stripe.card.repeat_decline_probability, 0.5);
  EXPECT_EQ(p.stripe.search_lag_ms, 2'000);
  ASSERT_TRUE(
      parse_peer_settings(nlohmann::json::parse(R"({"stripe": {"search_lag_ms": 90000}})"), &p));
  EXPECT_EQ(p.stripe.search_lag_ms, 90'000);
  const auto bad_lag =
      parse_peer_settings(nlohmann::json::parse(R"({"stripe": {"search_lag_ms": -1}})"), &p);
  ASSERT_FALSE(bad_lag);
  EXPECT_NE(bad_lag.message().find("/peers/stripe/search_lag_ms"), std::string::npos)
      << bad_lag.message();
  // The defaults stay Stripe's: about 8 tries within 2 weeks, then cancel.
  PeerSettings defaults;
  ASSERT_TRUE(parse_peer_settings(nlohmann::json::object(), &defaults));
  EXPECT_EQ(defaults.stripe.subscription.retry_offsets_h.size(), 7u);
  EXPECT_EQ(defaults.stripe.subscription.dunning_end, models::stripe::DunningEnd::kCancel);
  const auto bad = parse_peer_settings(
      nlohmann::json::parse(R"({"stripe": {"subscriptions": {"retry_offsets_h": [5, 2]}}})"), &p);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("/peers/stripe/subscriptions/retry_offsets_h"), std::string::npos)
      << bad.message();
  auto bad_interval = doc;
  bad_interval["workload"]["memberships"]["interval"] = "hour";
  EXPECT_FALSE(parse_scenario(bad_interval, "x.json", &s));
}

TEST(Scenario, FileErrorsNameTheLine) {
  const auto dir = std::filesystem::temp_directory_path() / "intsim_scenario_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "broken.json").string();
  std::ofstream(path) << "{\n  \"name\": \"x\",\n  \"seeds\": ,\n}\n";
  Scenario s;
  const auto st = load_scenario_file(path, &s);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find(path + ":3: not valid JSON"), std::string::npos) << st.message();
  EXPECT_NE(load_scenario_file((dir / "missing.json").string(), &s)
                .message()
                .find("cannot read the file"),
            std::string::npos);
}

TEST(Suite, ResolvesPathsRelativeToTheSuiteAndChecksThem) {
  const auto dir = std::filesystem::temp_directory_path() / "intsim_suite_test";
  std::filesystem::create_directories(dir / "suites");
  std::ofstream(dir / "a.json") << R"({"name": "a"})";
  std::ofstream(dir / "suites" / "mine.json")
      << R"({"scenarios": ["../a.json", {"path": "../a.json", "seeds": 7}, "../nope.json"]})";
  Suite suite;
  const auto st = load_suite("mine", dir.string(), &suite);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("/scenarios/2: no scenario file"), std::string::npos);
  std::ofstream(dir / "suites" / "mine.json")
      << R"({"scenarios": ["../a.json", {"path": "../a.json", "seeds": 7}]})";
  ASSERT_TRUE(load_suite("mine", dir.string(), &suite));
  ASSERT_EQ(suite.entries.size(), 2u);
  EXPECT_EQ(suite.entries[1].seeds, 7u);
  EXPECT_EQ(suite.entries[0].path, (dir / "a.json").lexically_normal().string());
}

}  // namespace
}  // namespace intsim::harness
