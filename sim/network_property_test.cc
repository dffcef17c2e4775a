// Properties of the simulated network under random traffic (RapidCheck):
// - with duplicate probability 1 every message arrives exactly twice;
// - nothing crosses a partition until it heals;
// - reordering never loses a message;
// - ambiguous commits are processed by the peer exactly once but answered never;
// - under any mix of faults and crashes every send gets exactly one result, and nothing leaks.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "sim/network.h"
#include "sim/network_test_util.h"

namespace intsim::sim {
namespace {

using core::HttpError;
using core::kUsPerMs;
using testing::World;

NetworkConfig random_latency() {
  const int median_ms = *rc::gen::inRange(1, 200);
  const int sigma_tenths = *rc::gen::inRange(0, 15);
  return NetworkConfig{LatencyDist{LatencyDist::Shape::kLognormal, static_cast<double>(median_ms),
                                   sigma_tenths / 10.0}};
}

// Sends `n` requests at random moments over `spread_ms`, each with a deadline of `deadline_ms`.
void send_spread(World& w, int n, int spread_ms, int deadline_ms) {
  std::vector<int> at_ms = *rc::gen::container<std::vector<int>>(
      static_cast<std::size_t>(n), rc::gen::inRange(0, spread_ms + 1));
  std::sort(at_ms.begin(), at_ms.end());
  const core::TimeUs start = w.sim.now_us();
  for (int i = 0; i < n; ++i) {
    w.sim.run_until(start + at_ms[i] * kUsPerMs, 10'000'000);
    w.send(static_cast<core::RequestId>(i + 1), deadline_ms);
  }
}

void expect_one_result_each(World& w, int n) {
  RC_ASSERT(w.recorder.results.size() == static_cast<std::size_t>(n));
  for (const auto& [id, results] : w.recorder.results) RC_ASSERT(results.size() == 1u);
}

RC_GTEST_PROP(NetworkProperty, DuplicateProbabilityOneEveryMessageArrivesExactlyTwice, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>(), Trace::Mode::kHashOnly, random_latency());
  RC_ASSERT(w.apply(R"({"faults":[{"kind":"duplicate","probability":1}]})").is_ok());
  const int n = *rc::gen::inRange(1, 60);
  send_spread(w, n, 5000, 600'000);
  w.run_for_ms(3'600'000);
  for (int i = 1; i <= n; ++i) RC_ASSERT(w.echo.arrivals[fmt::format("r{}", i)] == 2);
  // Each request arrives twice; each of the two answers arrives twice.
  RC_ASSERT(w.net.stats().messages_arrived == static_cast<std::uint64_t>(6 * n));
  expect_one_result_each(w, n);
  for (const auto& [id, results] : w.recorder.results) RC_ASSERT(results[0].has_response());
  RC_ASSERT(w.net.fault_counts()[FaultKind::kDuplicate] == static_cast<std::uint64_t>(3 * n));
  RC_ASSERT(w.net.live_calls() == 0u);
  RC_ASSERT(w.net.live_exchanges() == 0u);
}

RC_GTEST_PROP(NetworkProperty, NothingCrossesAPartitionUntilItHeals, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>(), Trace::Mode::kHashOnly, random_latency());
  const int from_ms = *rc::gen::inRange(0, 3000);
  const int length_ms = *rc::gen::inRange(1, 3000);
  const bool one_way = *rc::gen::arbitrary<bool>();
  RC_ASSERT(
      w.apply(fmt::format(
                  R"({{"faults":[{{"kind":"partition","link":{{"from":"client","to":"server"}},
          "direction":"{}","from_s":{},"until_s":{}}}]}})",
                  one_way ? "forward" : "both", from_ms / 1000.0, (from_ms + length_ms) / 1000.0))
          .is_ok());
  const core::TimeUs open = kEpochUs + from_ms * kUsPerMs;
  const core::TimeUs heal = kEpochUs + (from_ms + length_ms) * kUsPerMs;
  const int n = *rc::gen::inRange(1, 80);
  send_spread(w, n, 7000, 2000);
  w.run_for_ms(3'600'000);
  for (core::TimeUs t : w.echo.arrival_times_us) RC_ASSERT(t < open || t >= heal);
  expect_one_result_each(w, n);
  // After the heal the link works: a request sent now is answered.
  w.send(1000, 3'600'000);
  w.run_for_ms(3'600'000 + 1000);
  RC_ASSERT(w.recorder.results.at(1000).at(0).has_response());
  RC_ASSERT(w.net.live_calls() == 0u);
}

RC_GTEST_PROP(NetworkProperty, ReorderingNeverLosesAMessage, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>(), Trace::Mode::kHashOnly, random_latency());
  const int window_ms = *rc::gen::inRange(1, 5000);
  RC_ASSERT(
      w.apply(fmt::format(R"({{"faults":[{{"kind":"reorder","probability":1,"window_ms":{}}}]}})",
                          window_ms))
          .is_ok());
  const int n = *rc::gen::inRange(1, 80);
  send_spread(w, n, 1000, 3'600'000);
  w.run_for_ms(4 * 3'600'000);
  RC_ASSERT(w.echo.arrival_order.size() == static_cast<std::size_t>(n));
  for (int i = 1; i <= n; ++i) RC_ASSERT(w.echo.arrivals[fmt::format("r{}", i)] == 1);
  expect_one_result_each(w, n);
  for (const auto& [id, results] : w.recorder.results) {
    RC_ASSERT(results[0].has_response());
    RC_ASSERT(results[0].response.body == fmt::format("echo:r{}", id));
  }
}

TEST(NetworkReorder, ReorderingActuallyReorders) {
  World w(3);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"reorder","probability":1,"window_ms":500}]})"));
  for (core::RequestId i = 1; i <= 50; ++i) w.send(i, 100'000);
  w.run_for_ms(100'000);
  ASSERT_EQ(w.echo.arrival_order.size(), 50u);
  std::vector<std::string> sorted = w.echo.arrival_order;
  std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(1)) < std::stoi(b.substr(1));
  });
  EXPECT_NE(sorted, w.echo.arrival_order);
}

RC_GTEST_PROP(NetworkProperty, AmbiguousCommitsAreProcessedOnceAndAnsweredNever, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>(), Trace::Mode::kHashOnly, random_latency());
  RC_ASSERT(w.apply(R"({"faults":[{"kind":"ambiguous_commit","peer":"server","probability":1}]})")
                .is_ok());
  const int n = *rc::gen::inRange(1, 60);
  send_spread(w, n, 3000, 3'600'000);
  w.run_for_ms(2 * 3'600'000);
  for (int i = 1; i <= n; ++i) RC_ASSERT(w.echo.arrivals[fmt::format("r{}", i)] == 1);
  expect_one_result_each(w, n);
  for (const auto& [id, results] : w.recorder.results)
    RC_ASSERT(results[0].error == HttpError::kTimeout);
  RC_ASSERT(w.net.stats().responses_delivered == 0u);
  RC_ASSERT(w.net.stats().late_responses == 0u);
  RC_ASSERT(w.net.fault_counts()[FaultKind::kAmbiguousCommit] == static_cast<std::uint64_t>(n));
}

// Any mix of faults, with the server crashing and restarting: one result per send, nothing
// left in the pools once the run is over, and the run is a function of its seed.
RC_GTEST_PROP(NetworkProperty, ExactlyOneResultPerSendUnderAnyFaultMix, ()) {
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  // Drawn in a fixed order (function arguments are evaluated in an unspecified one).
  std::vector<double> p;
  for (int i = 0; i < 10; ++i) p.push_back(*rc::gen::inRange(0, 101) / (i < 4 ? 100.0 : 400.0));
  const std::string plan = fmt::format(
      R"({{"faults":[
        {{"kind":"drop","probability":{}}},
        {{"kind":"duplicate","probability":{}}},
        {{"kind":"reorder","probability":{},"window_ms":300}},
        {{"kind":"delay_spike","probability":{},"extra_ms":100,"extra_ms_max":3000}},
        {{"kind":"http_503","peer":"server","probability":{}}},
        {{"kind":"request_timeout","peer":"server","probability":{}}},
        {{"kind":"ambiguous_commit","peer":"server","probability":{}}},
        {{"kind":"slow_response","peer":"server","probability":{}}},
        {{"kind":"truncated_body","peer":"server","probability":{}}},
        {{"kind":"garbled_body","peer":"server","probability":{}}},
        {{"kind":"partition","link":{{"from":"client","to":"server"}},"from_s":2,"until_s":3}},
        {{"kind":"crash","node":"server","mean_interval_s":2,"restart_after_s":0.5,"until_s":8}}
      ]}})",
      p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
  const int n = *rc::gen::inRange(1, 100);
  const int delay_ms = *rc::gen::inRange(0, 400);
  auto run = [&](std::uint64_t* hash) {
    World w(seed, Trace::Mode::kHashOnly, NetworkConfig{});
    w.echo.delay_us = delay_ms * kUsPerMs;
    RC_ASSERT(w.apply(plan).is_ok());
    for (int i = 1; i <= n; ++i) {
      w.send(static_cast<core::RequestId>(i), 1 + (i * 37) % 1500);
      w.run_for_ms(i % 150);
    }
    w.run_for_ms(3'600'000);
    expect_one_result_each(w, n);
    RC_ASSERT(w.net.live_calls() == 0u);
    RC_ASSERT(w.net.live_exchanges() == 0u);
    *hash = w.sim.trace().hash();
  };
  std::uint64_t first = 0, second = 0;
  run(&first);
  run(&second);
  RC_ASSERT(first == second);
}

// Both ends crash at random: a result is delivered at most once, never to a later incarnation
// of the client than the one that sent, and nothing leaks.
RC_GTEST_PROP(NetworkProperty, CrashesOnBothEndsNeverDuplicateOrLeak, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>(), Trace::Mode::kHashOnly, random_latency());
  w.echo.delay_us = *rc::gen::inRange(0, 300) * kUsPerMs;
  RC_ASSERT(w.apply(R"({"faults":[
      {"kind":"duplicate","probability":0.3},
      {"kind":"crash","node":"server","mean_interval_s":3,"restart_after_s":0.4,"until_s":30},
      {"kind":"crash","node":"client","mean_interval_s":5,"restart_after_s":0.7,"until_s":30}
    ]})")
                .is_ok());
  std::map<core::RequestId, std::uint32_t> sent_in;  // request -> client incarnation
  const int n = *rc::gen::inRange(1, 150);
  for (int i = 1; i <= n; ++i) {
    if (w.net.is_up(w.client)) {
      sent_in[i] = w.net.incarnation(w.client);
      w.send(static_cast<core::RequestId>(i), 1 + (i * 53) % 2000);
    }
    w.run_for_ms(*rc::gen::inRange(0, 400));
  }
  w.run_for_ms(3'600'000);
  for (const auto& [id, results] : w.recorder.results) {
    RC_ASSERT(results.size() == 1u);
    RC_ASSERT(sent_in.count(id) == 1u);
  }
  // Requests whose sender incarnation survived until the end got their result.
  for (const auto& [id, inc] : sent_in)
    if (inc == w.net.incarnation(w.client)) RC_ASSERT(w.recorder.results.count(id) == 1u);
  RC_ASSERT(w.net.live_calls() == 0u);
  RC_ASSERT(w.net.live_exchanges() == 0u);
  RC_ASSERT(w.net.armed_timers(w.client) == 0u);
}

}  // namespace
}  // namespace intsim::sim
