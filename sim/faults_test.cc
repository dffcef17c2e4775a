// Fault plans: parsing, validation messages (JSON pointer + what was expected), the JSON round
// trip, node-name checks and the swarm draw.
#include "sim/faults.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "sim/rng.h"

namespace intsim::sim {
namespace {

using nlohmann::json;

std::string error_of(std::string_view text) {
  FaultPlan plan;
  const core::Status s = parse_fault_plan_text(text, &plan);
  return s ? "ok" : s.message();
}

TEST(FaultPlanParse, ExampleFromTheDocs) {
  FaultPlan plan;
  const core::Status s = parse_fault_plan_text(R"({"faults": [
    {"kind": "drop", "link": {"from": "core", "to": "stripe"}, "direction": "both",
     "from_s": 60, "until_s": 600, "probability": 0.1},
    {"kind": "partition", "link": {"from": "core", "to": "stripe"}, "direction": "forward",
     "from_s": 100, "until_s": 400},
    {"kind": "http_503", "peer": "stripe", "probability": 0.05},
    {"kind": "http_429", "peer": "whatsapp", "probability": 0.05, "retry_after_s": 7},
    {"kind": "ambiguous_commit", "peer": "stripe", "path_prefix": "/v1/refunds", "probability": 0.02},
    {"kind": "latency", "dist": "lognormal", "median_ms": 40, "sigma": 0.6},
    {"kind": "crash", "node": "core", "at_s": 300, "restart_after_s": 20},
    {"kind": "clock_skew", "node": "core", "offset_ms": 1500, "drift_ppm": 50},
    {"kind": "webhook_replay_outside", "link": {"from": "stripe"}, "probability": 0.2}
  ]})",
                                               &plan);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(plan.specs.size(), 9u);
  const FaultSpec& drop = plan.specs[0];
  EXPECT_EQ(drop.kind, FaultKind::kDrop);
  EXPECT_EQ(drop.link_from, "core");
  EXPECT_EQ(drop.link_to, "stripe");
  EXPECT_TRUE(drop.both_directions);
  EXPECT_EQ(drop.from_us, 60 * core::kUsPerSec);
  EXPECT_EQ(drop.until_us, 600 * core::kUsPerSec);
  EXPECT_DOUBLE_EQ(drop.probability, 0.1);
  EXPECT_FALSE(plan.specs[1].both_directions);
  EXPECT_EQ(plan.specs[1].kind, FaultKind::kPartition);
  EXPECT_EQ(plan.specs[2].peer, "stripe");
  EXPECT_EQ(plan.specs[3].retry_after_s, 7);
  EXPECT_EQ(plan.specs[4].path_prefix, "/v1/refunds");
  EXPECT_EQ(plan.specs[5].latency.shape, LatencyDist::Shape::kLognormal);
  EXPECT_EQ(plan.specs[5].link_from, "*");
  EXPECT_EQ(plan.specs[6].at_us, 300 * core::kUsPerSec);
  EXPECT_EQ(plan.specs[6].restart_after_us, 20 * core::kUsPerSec);
  EXPECT_EQ(plan.specs[7].offset_us, 1500 * core::kUsPerMs);
  EXPECT_DOUBLE_EQ(plan.specs[7].drift_ppm, 50.0);
  EXPECT_EQ(plan.specs[8].link_to, "core");  // security faults default to links into the core
  EXPECT_EQ(plan.specs[8].path_prefix, "/webhooks/");
  EXPECT_FALSE(plan.specs[8].both_directions);
  EXPECT_FALSE(plan.swarm);
}

TEST(FaultPlanParse, ErrorsNameThePointerAndTheExpectation) {
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"drop","probability":0.1},{"kind":"drop",
      "probability":0.2},{"kind":"drop","probability":0.3},{"kind":"drop","probability":1.5}]})"),
            "/faults/3/probability: expected a number in [0, 1], got 1.5");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"drop"}]})"),
            "/faults/0: missing \"probability\" (required for kind \"drop\")");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"dorp","probability":0.1}]})").substr(0, 44),
            "/faults/0/kind: unknown fault kind \"dorp\" (e");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"drop","probability":"high"}]})"),
            "/faults/0/probability: expected a number in [0, 1], got \"high\"");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"partition","probability":0.5}]})").substr(0, 50),
            "/faults/0/probability: kind \"partition\" takes no p");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"drop","probability":0.1,"from_s":50,"until_s":10}]})"),
            "/faults/0/until_s: expected a number > from_s (50), got 10");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"drop","probability":0.1,"direction":"up"}]})"),
            "/faults/0/direction: expected \"both\" or \"forward\", got \"up\"");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"drop","probability":0.1,"link":{"form":"a"}}]})")
                .substr(0, 39),
            "/faults/0/link/form: unknown field (exp");
  EXPECT_EQ(
      error_of(R"({"faults":[{"kind":"drop","probabilty":0.1,"probability":0.1}]})").substr(0, 58),
      "/faults/0/probabilty: unknown field for kind \"drop\" (expec");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"crash","node":"core"}]})"),
            "/faults/0: crash takes exactly one of \"at_s\" (one crash) or \"mean_interval_s\" "
            "(random crashes in the window)");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"crash","at_s":3}]})"),
            "/faults/0: missing \"node\" (required for kind \"crash\")");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"latency","dist":"lognormal","median_ms":40}]})"),
            "/faults/0: missing \"sigma\" (for dist \"lognormal\")");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"latency","dist":"uniform","min_ms":40,"max_ms":4}]})"),
            "/faults/0/max_ms: expected a number >= min_ms (40), got 4");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"clog"}]})").substr(0, 30),
            "/faults/0: missing \"until_s\" (");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"http_429","probability":1,"retry_after_s":1.5}]})"),
            "/faults/0/retry_after_s: expected an integer in [0, 86400], got 1.5");
  EXPECT_EQ(error_of(R"({"faults":[{"kind":"webhook_forge","probability":1,"direction":"both"}]})"),
            "/faults/0/direction: security faults act on requests into the link's \"to\" node "
            "only");
  EXPECT_EQ(error_of(R"({"faults":{"kind":"drop"}})"),
            "/faults: expected an array, got {\"kind\":\"drop\"}");
  EXPECT_EQ(error_of(R"({"falts":[]})"), "/falts: unknown field (expected one of: faults, swarm)");
  EXPECT_EQ(error_of(R"({"faults":[42]})"), "/faults/0: expected an object, got 42");
  EXPECT_EQ(error_of(R"({"swarm":{"kinds":["drop","latency"]}})"),
            "/swarm/kinds/1: expected the name of a fault kind other than latency, got "
            "\"latency\"");
  EXPECT_EQ(error_of(R"({"swarm":{"phase_s":0}})"),
            "/swarm/phase_s: expected a number in [1, 1000000000], got 0");
  EXPECT_EQ(error_of("{not json"), "fault plan: not valid JSON");
}

TEST(FaultPlanParse, PointerPrefixForEmbeddedFragments) {
  FaultPlan plan;
  const json j = json::parse(R"({"faults":[{"kind":"drop","probability":2}]})");
  const core::Status s = parse_fault_plan(j, &plan, "/network");
  EXPECT_EQ(s.message(), "/network/faults/0/probability: expected a number in [0, 1], got 2");
}

TEST(FaultPlanParse, SwarmOptions) {
  FaultPlan plan;
  ASSERT_TRUE(parse_fault_plan_text(R"({"swarm": true})", &plan));
  ASSERT_TRUE(plan.swarm);
  EXPECT_EQ(*plan.swarm, SwarmOptions{});
  ASSERT_TRUE(parse_fault_plan_text(
      R"({"swarm": {"phase_s": 120, "kinds": ["drop", "crash"], "intensity": 2}})", &plan));
  EXPECT_EQ(plan.swarm->phase_us, 120 * core::kUsPerSec);
  EXPECT_EQ(plan.swarm->kinds, (std::vector<FaultKind>{FaultKind::kDrop, FaultKind::kCrash}));
  ASSERT_TRUE(parse_fault_plan_text(R"({"swarm": false})", &plan));
  EXPECT_FALSE(plan.swarm);
}

TEST(FaultPlanNames, UnknownNodesAreReportedWithTheKnownOnes) {
  FaultPlan plan;
  ASSERT_TRUE(parse_fault_plan_text(R"({"faults":[
      {"kind":"drop","probability":0.1,"link":{"from":"core","to":"*"}},
      {"kind":"http_503","peer":"strip","probability":0.1}]})",
                                    &plan));
  const core::Status s = check_node_names(plan, {"stripe", "core", "attacker"});
  EXPECT_EQ(s.message(), "/faults/1/peer: unknown node \"strip\" (known: attacker, core, stripe)");
  EXPECT_TRUE(check_node_names(plan, {"strip", "core"}));
}

TEST(FaultKinds, NamesRoundTrip) {
  for (std::size_t i = 0; i < kFaultKindCount; ++i) {
    const auto k = static_cast<FaultKind>(i);
    EXPECT_EQ(fault_kind_from_name(fault_kind_name(k)), k);
  }
  EXPECT_EQ(fault_layer(FaultKind::kClog), FaultLayer::kNetwork);
  EXPECT_EQ(fault_layer(FaultKind::kHttp500), FaultLayer::kHttp);
  EXPECT_EQ(fault_layer(FaultKind::kGarbledBody), FaultLayer::kHttp);
  EXPECT_EQ(fault_layer(FaultKind::kCrash), FaultLayer::kProcess);
  EXPECT_EQ(fault_layer(FaultKind::kStoreFailure), FaultLayer::kProcess);
  EXPECT_EQ(fault_layer(FaultKind::kReplayInside), FaultLayer::kSecurity);
  EXPECT_EQ(fault_layer(FaultKind::kRetiredSecret), FaultLayer::kSecurity);
}

TEST(LatencyDist, SamplesStayInRangeAndAreDeterministic) {
  Rng a(7, "lat"), b(7, "lat");
  const LatencyDist uniform{LatencyDist::Shape::kUniform, 10, 20};
  for (int i = 0; i < 1000; ++i) {
    const core::TimeUs x = uniform.sample_us(a);
    EXPECT_GE(x, 10'000);
    EXPECT_LE(x, 20'000);
    EXPECT_EQ(x, uniform.sample_us(b));
  }
  const LatencyDist normal{LatencyDist::Shape::kNormal, 1, 100};
  for (int i = 0; i < 1000; ++i) EXPECT_GE(normal.sample_us(a), 0);  // clamped at 0
  const LatencyDist constant{LatencyDist::Shape::kConstant, 3, 0};
  EXPECT_EQ(constant.sample_us(a), 3000);
}

// Every plan the swarm can draw survives a round trip through JSON, and the draw is a function
// of the seed.
RC_GTEST_PROP(FaultPlanProperty, SwarmDrawsRoundTripThroughJson, (std::uint64_t seed)) {
  SwarmTopology topo{"core", {"stripe", "ota.airbnb", "whatsapp"}};
  Rng rng(seed, "swarm"), again(seed, "swarm");
  const FaultPlan plan = draw_swarm(SwarmOptions{}, topo, rng);
  RC_ASSERT(plan == draw_swarm(SwarmOptions{}, topo, again));
  for (const FaultSpec& s : plan.specs) {
    RC_ASSERT(s.probability >= 0.0);
    RC_ASSERT(s.probability <= 1.0);
    RC_ASSERT(s.from_us < s.until_us);
    RC_ASSERT(s.until_us <= SwarmOptions{}.phase_us);
  }
  FaultPlan back;
  const core::Status st = parse_fault_plan(to_json(plan), &back);
  RC_ASSERT(st.is_ok());
  RC_ASSERT(back == plan);
  RC_ASSERT(check_node_names(plan, {"core", "stripe", "ota.airbnb", "whatsapp"}).is_ok());
}

TEST(FaultPlanSwarm, DifferentSeedsExploreDifferentMixes) {
  SwarmTopology topo{"core", {"stripe"}};
  std::set<std::vector<FaultKind>> mixes;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed, "swarm");
    std::vector<FaultKind> kinds;
    for (const FaultSpec& s : draw_swarm(SwarmOptions{}, topo, rng).specs) kinds.push_back(s.kind);
    mixes.insert(kinds);
  }
  EXPECT_GE(mixes.size(), 15u);
}

TEST(FaultPlanSwarm, RestrictingKindsKeepsTheOthersDraws) {
  SwarmTopology topo{"core", {"stripe"}};
  SwarmOptions all;
  SwarmOptions some;
  some.kinds = {FaultKind::kDrop, FaultKind::kHttp503};
  some.enable_probability = 1.0;
  all.enable_probability = 1.0;
  Rng a(3, "swarm"), b(3, "swarm");
  const FaultPlan full = draw_swarm(all, topo, a);
  const FaultPlan part = draw_swarm(some, topo, b);
  ASSERT_EQ(part.specs.size(), 2u);
  for (const FaultSpec& p : part.specs) {
    bool found = false;
    for (const FaultSpec& f : full.specs)
      if (f.kind == p.kind) found = f.probability == p.probability;
    EXPECT_TRUE(found) << fault_kind_name(p.kind);
  }
}

TEST(FaultPlanSwarm, ResolveAppendsTheDrawAfterExplicitSpecs) {
  FaultPlan plan;
  ASSERT_TRUE(parse_fault_plan_text(
      R"({"faults":[{"kind":"drop","probability":0.5}],
          "swarm":{"kinds":["http_503"],"enable_probability":1}})",
      &plan));
  Rng rng(1, "swarm");
  const FaultPlan resolved = resolve_plan(plan, {"core", {"stripe"}}, rng);
  ASSERT_EQ(resolved.specs.size(), 2u);
  EXPECT_FALSE(resolved.swarm);
  EXPECT_EQ(resolved.specs[0].kind, FaultKind::kDrop);
  EXPECT_EQ(resolved.specs[1].kind, FaultKind::kHttp503);
  EXPECT_EQ(resolved.specs[1].index, 1u);
}

TEST(FaultPlanJson, ExplicitPlanRoundTrips) {
  FaultPlan plan;
  ASSERT_TRUE(parse_fault_plan_text(R"({"faults": [
    {"kind": "latency", "link": {"from": "core", "to": "*"}, "dist": "pareto", "min_ms": 5, "shape": 1.5},
    {"kind": "latency", "dist": "uniform", "min_ms": 1, "max_ms": 9, "from_s": 10},
    {"kind": "reorder", "probability": 0.3, "window_ms": 250},
    {"kind": "delay_spike", "probability": 0.01, "extra_ms": 2000, "extra_ms_max": 9000},
    {"kind": "clog", "link": {"from": "core", "to": "stripe"}, "from_s": 5, "until_s": 9.5},
    {"kind": "slow_response", "peer": "stripe", "probability": 0.1, "extra_ms": 10},
    {"kind": "crash", "node": "core", "mean_interval_s": 120, "restart_after_s": 3, "until_s": 600},
    {"kind": "store_failure", "node": "core", "probability": 0.01},
    {"kind": "webhook_retired_secret", "link": {"from": "stripe", "to": "core"}, "probability": 1}
  ], "swarm": {"phase_s": 30, "kinds": ["drop"]}})",
                                    &plan));
  FaultPlan back;
  ASSERT_TRUE(parse_fault_plan(to_json(plan), &back));
  EXPECT_EQ(back, plan);
}

}  // namespace
}  // namespace intsim::sim
