// The simulated network, fault by fault: what each one does to a request, that every send gets
// exactly one result, crashes, clock skew, the trace notes and the counters.
#include "sim/network.h"

#include <gtest/gtest.h>

#include "sim/network_test_util.h"
#include "sim/node_ports.h"

namespace intsim::sim {
namespace {

using core::HttpError;
using core::kUsPerMs;
using core::kUsPerSec;
using testing::World;

const core::HttpResult& only_result(World& w, core::RequestId id) {
  const auto& v = w.recorder.results.at(id);
  EXPECT_EQ(v.size(), 1u) << "request " << id;
  return v.front();
}

TEST(Network, RoundTripTakesTwoLatencies) {
  World w;
  w.send(1);
  w.run_for_ms(100);
  const auto& r = only_result(w, 1);
  ASSERT_TRUE(r.has_response());
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "echo:r1");
  EXPECT_EQ(w.recorder.at_us.at(1), kEpochUs + 20 * kUsPerMs);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 1);
  EXPECT_EQ(w.net.stats().requests_sent, 1u);
  EXPECT_EQ(w.net.stats().messages_arrived, 2u);
  EXPECT_EQ(w.net.live_calls(), 0u);
  EXPECT_EQ(w.net.live_exchanges(), 0u);
  EXPECT_EQ(w.net.fault_counts().total(), 0u);
}

TEST(Network, LinksAreFifoWithoutFaults) {
  World w(1, Trace::Mode::kHashOnly, {LatencyDist{LatencyDist::Shape::kUniform, 1, 50}});
  for (core::RequestId i = 1; i <= 50; ++i) w.send(i);
  w.run_for_ms(1000);
  ASSERT_EQ(w.echo.arrival_order.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i)
    EXPECT_EQ(w.echo.arrival_order[i], "r" + std::to_string(i + 1));
}

TEST(Network, NoAnswerTimesOutAtTheDeadline) {
  World w;
  w.echo.answer = false;
  w.send(1, 250);
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.recorder.at_us.at(1), kEpochUs + 250 * kUsPerMs);
  EXPECT_EQ(w.net.stats().timeouts, 1u);
}

TEST(Network, SlowServerAnswerAfterTheDeadlineIsDroppedAsLate) {
  World w;
  w.echo.delay_us = 500 * kUsPerMs;
  w.send(1, 100);
  w.run_for_ms(2000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.net.stats().late_responses, 1u);
  EXPECT_EQ(w.net.live_calls(), 0u);
}

TEST(Network, PeerDownMeansConnectionFailed) {
  World w;
  w.net.crash(w.server);
  w.send(1);
  w.run_for_ms(100);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kConnectionFailed);
  EXPECT_TRUE(w.echo.arrivals.empty());
}

TEST(Network, DropLosesTheRequestAndTheClientTimesOut) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"drop","link":{"from":"client","to":"server"},
                          "direction":"forward","probability":1}]})"));
  w.send(1, 300);
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_TRUE(w.echo.arrivals.empty());
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kDrop], 1u);
}

TEST(Network, DropOfTheResponseOnlyIsAnAmbiguousOutcome) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"drop","link":{"from":"server","to":"client"},
                          "direction":"forward","probability":1}]})"));
  w.send(1, 300);
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 1);
}

TEST(Network, DuplicatedRequestReachesTheServerTwiceButTheClientOnce) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"duplicate","probability":1}]})"));
  w.send(1);
  w.run_for_ms(1000);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 2);
  EXPECT_TRUE(only_result(w, 1).has_response());
  EXPECT_EQ(w.net.stats().duplicate_responses, 3u);  // 2 answers, each duplicated
  EXPECT_EQ(w.net.live_calls(), 0u);
  EXPECT_EQ(w.net.live_exchanges(), 0u);
}

TEST(Network, DelaySpikeAddsItsExtraDelay) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"delay_spike","link":{"from":"client","to":"server"},
      "direction":"forward","probability":1,"extra_ms":300}]})"));
  w.send(1, 5000);
  w.run_for_ms(5000);
  EXPECT_EQ(w.recorder.at_us.at(1), kEpochUs + 320 * kUsPerMs);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kDelaySpike], 1u);
}

TEST(Network, ClogHoldsMessagesUntilTheWindowCloses) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"clog","link":{"from":"client","to":"server"},
      "direction":"forward","from_s":0,"until_s":2}]})"));
  w.send(1, 5000);
  w.run_for_ms(5000);
  ASSERT_EQ(w.echo.arrival_times_us.size(), 1u);
  EXPECT_EQ(w.echo.arrival_times_us[0], kEpochUs + 2 * kUsPerSec + 10 * kUsPerMs);
  EXPECT_TRUE(only_result(w, 1).has_response());
  EXPECT_EQ(w.net.stats().held_by_clog, 1u);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kClog], 1u);
}

TEST(Network, PartitionFailsConnectionsAndLosesWhatIsInFlight) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"partition","link":{"from":"client","to":"server"},
      "from_s":1,"until_s":3}]})"));
  w.run_for_ms(995);
  w.send(1, 1000);  // arrives at 1005 ms, inside the partition: lost in flight
  w.run_for_ms(100);
  w.send(2, 1000);  // sent inside: cannot connect
  w.run_for_ms(2000);
  w.send(3, 1000);  // after the heal at 3 s
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(only_result(w, 2).error, HttpError::kConnectionFailed);
  EXPECT_TRUE(only_result(w, 3).has_response());
  EXPECT_EQ(w.echo.arrivals.count("r1"), 0u);
  EXPECT_EQ(w.echo.arrivals.count("r2"), 0u);
  EXPECT_EQ(w.net.stats().blocked_by_partition, 2u);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kPartition], 1u);
}

TEST(Network, OneWayPartitionLetsRequestsInButNoAnswersOut) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"partition","link":{"from":"server","to":"client"},
      "direction":"forward"}]})"));
  w.send(1, 500);
  w.run_for_ms(1000);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 1);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
}

TEST(Network, HttpStatusFaultsAnswerAtTheFrontDoor) {
  for (const auto& [kind, status] : std::vector<std::pair<std::string, int>>{{"http_500", 500},
                                                                             {"http_502", 502},
                                                                             {"http_503", 503},
                                                                             {"http_504", 504},
                                                                             {"http_429", 429}}) {
    World w;
    ASSERT_TRUE(
        w.apply(R"({"faults":[{"kind":")" + kind + R"(","peer":"server","probability":1}]})"));
    w.send(1);
    w.run_for_ms(1000);
    const auto& r = only_result(w, 1);
    ASSERT_TRUE(r.has_response()) << kind;
    EXPECT_EQ(r.response.status, status);
    EXPECT_TRUE(w.echo.arrivals.empty()) << kind;
    EXPECT_EQ(w.net.fault_counts()[*fault_kind_from_name(kind)], 1u);
    if (status == 429) {
      EXPECT_EQ(r.response.header("retry-after"), "1");
    }
  }
}

TEST(Network, RetryAfterAndPathPrefix) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"http_429","peer":"server","probability":1,
      "retry_after_s":17,"path_prefix":"/v1/limited"}]})"));
  w.send(1, 1000, "/v1/limited/x");
  w.send(2, 1000, "/v1/other");
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).response.status, 429);
  EXPECT_EQ(only_result(w, 1).response.header("Retry-After"), "17");
  EXPECT_EQ(only_result(w, 2).response.status, 200);
}

TEST(Network, RequestTimeoutNeverReachesTheEndpoint) {
  World w;
  ASSERT_TRUE(
      w.apply(R"({"faults":[{"kind":"request_timeout","peer":"server","probability":1}]})"));
  w.send(1, 400);
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.recorder.at_us.at(1), kEpochUs + 400 * kUsPerMs);
  EXPECT_TRUE(w.echo.arrivals.empty());
}

TEST(Network, AmbiguousCommitIsProcessedButNeverAnswered) {
  World w;
  ASSERT_TRUE(
      w.apply(R"({"faults":[{"kind":"ambiguous_commit","peer":"server","probability":1}]})"));
  w.send(1, 400);
  w.run_for_ms(1000);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 1);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kAmbiguousCommit], 1u);
  EXPECT_EQ(w.net.live_calls(), 0u);
}

TEST(Network, SlowResponseArrivesAfterTheDeadline) {
  World w;
  ASSERT_TRUE(w.apply(
      R"({"faults":[{"kind":"slow_response","peer":"server","probability":1,"extra_ms":50}]})"));
  w.send(1, 400);
  w.run_for_ms(2000);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 1);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.net.stats().late_responses, 1u);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kSlowResponse], 1u);
}

TEST(Network, TruncatedBodyIsMalformedGarbledBodyArrivesCorrupted) {
  {
    World w;
    ASSERT_TRUE(
        w.apply(R"({"faults":[{"kind":"truncated_body","peer":"server","probability":1}]})"));
    w.send(1);
    w.run_for_ms(1000);
    EXPECT_EQ(only_result(w, 1).error, HttpError::kMalformedResponse);
    EXPECT_EQ(w.echo.arrivals.at("r1"), 1);
  }
  {
    World w;
    ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"garbled_body","peer":"server","probability":1}]})"));
    w.send(1);
    w.run_for_ms(1000);
    const auto& r = only_result(w, 1);
    ASSERT_TRUE(r.has_response());
    EXPECT_EQ(r.response.status, 200);
    EXPECT_NE(r.response.body, "echo:r1");
    EXPECT_NE(r.response.body.find("garbled"), std::string::npos);
  }
}

TEST(Network, FaultWindowsAreRelativeToTheStartAndEndOnTime) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"http_503","peer":"server","probability":1,
      "from_s":1,"until_s":2}]})"));
  w.send(1);
  w.run_for_ms(1500);
  w.send(2);
  w.run_for_ms(1000);
  w.send(3);
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).response.status, 200);
  EXPECT_EQ(only_result(w, 2).response.status, 503);
  EXPECT_EQ(only_result(w, 3).response.status, 200);
}

TEST(Network, HealAllTurnsEveryFaultOff) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[
      {"kind":"drop","probability":1},
      {"kind":"partition","link":{"from":"client","to":"server"}},
      {"kind":"http_503","peer":"server","probability":1},
      {"kind":"clock_skew","node":"client","offset_ms":5000},
      {"kind":"crash","node":"server","at_s":10,"restart_after_s":1}]})"));
  w.run_for_ms(1);
  EXPECT_EQ(w.net.node_now_us(w.client), w.sim.now_us() + 5 * kUsPerSec);
  w.net.heal_all();
  EXPECT_TRUE(w.net.healed());
  EXPECT_EQ(w.net.node_now_us(w.client), w.sim.now_us());
  w.send(1);
  w.run_for_ms(20'000);
  EXPECT_EQ(only_result(w, 1).response.status, 200);
  EXPECT_TRUE(w.net.is_up(w.server));  // the crash at 10 s never happened
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kCrash], 0u);
}

TEST(Network, HealAllRestartsNodesLeftDown) {
  World w;
  w.net.crash(w.server);
  EXPECT_FALSE(w.net.is_up(w.server));
  w.net.heal_all();
  EXPECT_TRUE(w.net.is_up(w.server));
}

TEST(Network, UnknownNodeInAPlanIsRejected) {
  World w;
  const core::Status s =
      w.apply(R"({"faults":[{"kind":"http_503","peer":"sever","probability":1}]})");
  EXPECT_EQ(s.message(), "/faults/0/peer: unknown node \"sever\" (known: client, server)");
}

TEST(Network, FaultsAreNotedInTheTraceWithKindAndLink) {
  World w(1, Trace::Mode::kRecord);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"drop","link":{"from":"client","to":"server"},
      "direction":"forward","probability":1}]})"));
  w.send(1, 100);
  w.run_for_ms(1000);
  bool found = false;
  for (const TraceRecord& r : w.sim.trace().records()) {
    if (w.sim.kind_name(r.kind) == "fault.drop") {
      found = true;
      EXPECT_EQ(r.detail, "client->server");
      EXPECT_EQ(r.at_us, kEpochUs);
      EXPECT_EQ(w.sim.actor_name(r.actor), "client");
    }
  }
  EXPECT_TRUE(found);
}

TEST(Network, SameSeedSameTraceDifferentSeedDifferentTrace) {
  auto run = [](std::uint64_t seed) {
    World w(seed, Trace::Mode::kHashOnly, {});
    EXPECT_TRUE(w.apply(R"({"faults":[{"kind":"drop","probability":0.2},
        {"kind":"duplicate","probability":0.2},{"kind":"reorder","probability":0.3},
        {"kind":"http_503","peer":"server","probability":0.1}]})"));
    for (core::RequestId i = 1; i <= 200; ++i) w.send(i, 500);
    w.run_for_ms(10'000);
    return w.sim.trace().hash();
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

// ---- Clock skew and timers ------------------------------------------------------------------

class TimerLog final : public core::TimerSink {
 public:
  void on_timer(core::TimerId id, core::TimeUs now_us) override { fired.push_back({id, now_us}); }
  std::vector<std::pair<core::TimerId, core::TimeUs>> fired;
};

TEST(NodeClock, OffsetAndDrift) {
  World w;
  NodeClock clock(w.net, w.client);
  EXPECT_EQ(clock.now_us(), kEpochUs);
  w.net.set_clock_skew(w.client, 1500 * kUsPerMs, 0);
  EXPECT_EQ(clock.now_us(), kEpochUs + 1500 * kUsPerMs);
  w.net.set_clock_skew(w.client, -2 * kUsPerSec, 100);  // 100 ppm fast
  w.run_for_ms(10'000);
  EXPECT_EQ(clock.now_us(), w.sim.now_us() - 2 * kUsPerSec + 1000);  // 10 s * 100 ppm = 1 ms
  EXPECT_EQ(w.net.node_now_us(w.server), w.sim.now_us());
}

TEST(NodeClock, SkewFromThePlanAndItsWindow) {
  World w;
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"clock_skew","node":"client","offset_ms":-700,
      "from_s":1,"until_s":2}]})"));
  w.run_for_ms(500);
  EXPECT_EQ(w.net.node_now_us(w.client), w.sim.now_us());
  w.run_for_ms(1000);
  EXPECT_EQ(w.net.node_now_us(w.client), w.sim.now_us() - 700 * kUsPerMs);
  w.run_for_ms(1000);
  EXPECT_EQ(w.net.node_now_us(w.client), w.sim.now_us());
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kClockSkew], 1u);
}

TEST(NodeTimers, FireOnTheNodesClock) {
  World w;
  TimerLog log;
  NodeTimers timers(w.net, w.client, &log);
  w.net.set_clock_skew(w.client, 3 * kUsPerSec, 0);
  const core::TimeUs node_now = w.net.node_now_us(w.client);
  timers.arm(7, node_now + 1 * kUsPerSec);
  timers.arm(8, node_now + 2 * kUsPerSec);
  timers.arm(9, node_now + 5 * kUsPerSec);
  timers.disarm(9);
  timers.arm(8, node_now + 500 * kUsPerMs);  // moved earlier
  EXPECT_EQ(w.net.armed_timers(w.client), 2u);
  w.run_for_ms(10'000);
  ASSERT_EQ(log.fired.size(), 2u);
  EXPECT_EQ(log.fired[0], (std::pair<core::TimerId, core::TimeUs>{8, node_now + 500 * kUsPerMs}));
  EXPECT_EQ(log.fired[1], (std::pair<core::TimerId, core::TimeUs>{7, node_now + kUsPerSec}));
  EXPECT_EQ(w.net.armed_timers(w.client), 0u);
}

TEST(NodeTimers, WithDriftTheyNeverFireEarlyOnTheNodesClock) {
  for (double ppm : {-90'000.0, -250.0, -1.0, 1.0, 333.0, 50'000.0}) {
    World w;
    TimerLog log;
    NodeTimers timers(w.net, w.client, &log);
    w.net.set_clock_skew(w.client, 1234, ppm);
    const core::TimeUs base = w.net.node_now_us(w.client);
    for (core::TimerId i = 1; i <= 50; ++i)
      timers.arm(i, base + static_cast<core::TimeUs>(i * i * 7919));
    w.run_for_ms(100'000);
    ASSERT_EQ(log.fired.size(), 50u);
    for (const auto& [id, at] : log.fired) {
      const core::TimeUs want = base + static_cast<core::TimeUs>(id * id * 7919);
      EXPECT_GE(at, want) << ppm;
      EXPECT_LE(at, want + 2) << ppm;  // the first kernel microsecond at which it is due
    }
  }
}

TEST(NodeTimers, ClockSetBackDelaysATimerUntilItIsDueOnTheNodesClock) {
  World w;
  TimerLog log;
  NodeTimers timers(w.net, w.client, &log);
  const core::TimeUs due = w.net.node_now_us(w.client) + kUsPerSec;
  timers.arm(1, due);
  w.run_for_ms(500);
  w.net.set_clock_skew(w.client, -kUsPerSec, 0);
  w.run_for_ms(1000);
  EXPECT_TRUE(log.fired.empty());
  w.run_for_ms(1000);
  ASSERT_EQ(log.fired.size(), 1u);
  EXPECT_EQ(log.fired[0].second, due);
  EXPECT_EQ(w.sim.now_us() - 500 * kUsPerMs, kEpochUs + 2 * kUsPerSec);
}

TEST(NodeTimers, ClockJumpingForwardFiresTimersThatBecameDue) {
  World w;
  TimerLog log;
  NodeTimers timers(w.net, w.client, &log);
  const core::TimeUs due = w.net.node_now_us(w.client) + 10 * kUsPerSec;
  timers.arm(1, due);
  w.run_for_ms(1000);
  w.net.set_clock_skew(w.client, 5 * kUsPerSec, 0);
  w.run_for_ms(4000);
  ASSERT_EQ(log.fired.size(), 1u);
  EXPECT_EQ(log.fired[0].second, due);
  EXPECT_EQ(w.sim.now_us(), kEpochUs + 5 * kUsPerSec);
}

TEST(NodeHttpClient, DeadlinesAreOnTheNodesClock) {
  World w;
  w.echo.answer = false;
  w.net.set_clock_skew(w.client, 10 * kUsPerSec, 0);
  w.send(1, 300);  // the World helper uses the node's clock for the deadline
  w.run_for_ms(1000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(w.recorder.at_us.at(1), kEpochUs + 10 * kUsPerSec + 300 * kUsPerMs);
}

TEST(NodeHttpClient, AliasesMapLogicalPeersToNodes) {
  World w;
  w.http.alias("stripe", w.server);
  w.http.send(1, "stripe", core::HttpRequest{"GET", "/", {}, "x"},
              w.net.node_now_us(w.client) + kUsPerSec);
  w.run_for_ms(100);
  EXPECT_TRUE(only_result(w, 1).has_response());
}

TEST(NetworkSwarm, ResolvedSwarmPlansApplyAndRun) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    World w(seed, Trace::Mode::kHashOnly, {});
    FaultPlan plan;
    ASSERT_TRUE(
        parse_fault_plan_text(R"({"swarm":{"phase_s":30,"enable_probability":0.7}})", &plan));
    Rng rng(seed, "faults.swarm");
    const FaultPlan resolved = resolve_plan(plan, {"server", {"client"}}, rng);
    ASSERT_TRUE(w.net.apply(resolved)) << seed;
    for (core::RequestId i = 1; i <= 100; ++i) {
      if (w.net.is_up(w.client)) w.send(i, 2000);
      w.run_for_ms(300);
    }
    w.net.heal_all();
    w.run_for_ms(60'000);
    for (const auto& [id, results] : w.recorder.results) EXPECT_LE(results.size(), 1u);
    EXPECT_EQ(w.net.live_calls(), 0u);
    EXPECT_EQ(w.net.live_exchanges(), 0u);
    // After the heal everything works.
    w.send(1000, 2000);
    w.run_for_ms(5000);
    EXPECT_TRUE(only_result(w, 1000).has_response()) << seed;
  }
}

// ---- Crashes --------------------------------------------------------------------------------

class Process final : public NodeProcess {
 public:
  void crash() override { ++crashes; }
  void recover(core::TimeUs now_us) override { recovered_at.push_back(now_us); }
  int crashes = 0;
  std::vector<core::TimeUs> recovered_at;
};

TEST(NetworkCrash, DropsTimersAndResponsesToInFlightRequests) {
  World w;
  TimerLog log;
  Process proc;
  CrashableStore store;
  w.net.set_process(w.client, &proc);
  w.net.attach_store(w.client, &store);
  NodeTimers timers(w.net, w.client, &log);
  timers.arm(1, w.net.node_now_us(w.client) + 100 * kUsPerMs);
  w.send(1, 1000);  // reaches the server at 10 ms; its answer would come back at 20 ms
  w.run_for_ms(15);
  EXPECT_EQ(w.echo.arrivals.at("r1"), 1);  // requests it sent still reach the peer
  const auto txn = store.begin();
  store.put(txn, "t", "k", "v");
  w.net.crash(w.client, 50 * kUsPerMs);
  EXPECT_FALSE(w.net.is_up(w.client));
  EXPECT_EQ(proc.crashes, 1);
  EXPECT_EQ(store.open_transactions(), 0u);
  EXPECT_EQ(w.net.armed_timers(w.client), 0u);
  w.run_for_ms(2000);
  EXPECT_TRUE(log.fired.empty());
  EXPECT_TRUE(w.recorder.results.empty());  // neither the response nor the deadline
  EXPECT_EQ(w.net.stats().lost_to_crash, 1u);
  EXPECT_TRUE(w.net.is_up(w.client));
  ASSERT_EQ(proc.recovered_at.size(), 1u);
  EXPECT_EQ(proc.recovered_at[0], kEpochUs + 65 * kUsPerMs);
  EXPECT_EQ(w.net.incarnation(w.client), 1u);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kCrash], 1u);
  EXPECT_EQ(w.net.live_calls(), 0u);
  EXPECT_EQ(w.net.live_exchanges(), 0u);
  // The restarted node works again.
  w.send(2);
  w.run_for_ms(100);
  EXPECT_TRUE(only_result(w, 2).has_response());
}

TEST(NetworkCrash, ServerCrashLosesWhatItWasServingAndWhatIsInFlightToIt) {
  World w;
  w.echo.delay_us = 100 * kUsPerMs;
  w.send(1, 1000);
  w.run_for_ms(50);  // being served
  w.send(2, 1000);   // in flight at the crash
  w.run_for_ms(1);
  w.net.crash(w.server, 5 * kUsPerMs);
  w.run_for_ms(2000);
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  EXPECT_EQ(only_result(w, 2).error, HttpError::kTimeout);
  ASSERT_EQ(w.echo.responded.size(), 1u);
  EXPECT_FALSE(w.echo.responded[0]);  // respond() on the lost exchange says so
  EXPECT_EQ(w.echo.arrivals.count("r2"), 0u);
  EXPECT_EQ(w.net.live_calls(), 0u);
  EXPECT_EQ(w.net.live_exchanges(), 0u);
}

TEST(NetworkCrash, PlannedCrashesAndRandomCrashes) {
  World w;
  Process proc;
  w.net.set_process(w.server, &proc);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"crash","node":"server","at_s":2,"restart_after_s":3},
      {"kind":"crash","node":"client","mean_interval_s":10,"restart_after_s":1,"until_s":100}]})"));
  w.run_for_ms(2500);
  EXPECT_FALSE(w.net.is_up(w.server));
  w.run_for_ms(3000);
  EXPECT_TRUE(w.net.is_up(w.server));
  ASSERT_EQ(proc.recovered_at.size(), 1u);
  EXPECT_EQ(proc.recovered_at[0], kEpochUs + 5 * kUsPerSec);
  w.run_for_ms(200'000);
  const std::uint64_t client_crashes = w.net.incarnation(w.client);
  EXPECT_GE(client_crashes, 3u);
  EXPECT_LE(client_crashes, 25u);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kCrash], client_crashes + 1);
  EXPECT_TRUE(w.net.is_up(w.client));
}

TEST(NetworkStore, StoreFailuresFromThePlan) {
  World w;
  CrashableStore store;
  w.net.attach_store(w.server, &store);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"store_failure","node":"server","probability":0.5,
      "until_s":10}]})"));
  int failed = 0;
  for (int i = 0; i < 200; ++i) {
    core::WriteBatch b;
    b.put("t", std::to_string(i), "v");
    if (!store.commit(b)) {
      ++failed;
      std::string v;
      EXPECT_EQ(store.get("t", std::to_string(i), &v).code(), core::Status::Code::kNotFound);
    }
  }
  EXPECT_GT(failed, 60);
  EXPECT_LT(failed, 140);
  EXPECT_EQ(w.net.fault_counts()[FaultKind::kStoreFailure], static_cast<std::uint64_t>(failed));
  EXPECT_EQ(store.committed().size("t"), static_cast<std::size_t>(200 - failed));
  w.run_for_ms(11'000);  // window closed
  core::WriteBatch b;
  b.put("t", "late", "v");
  EXPECT_TRUE(store.commit(b));
}

// ---- The interceptor hook -------------------------------------------------------------------

class Spy final : public RequestInterceptor {
 public:
  Verdict on_request(const DeliveryInfo& info, const core::HttpRequest& request) override {
    seen.push_back({info, request.body});
    return swallow ? Verdict::kSwallow : Verdict::kDeliver;
  }
  void on_outcome(const DeliveryInfo& info, const Outcome& outcome) override {
    outcomes.push_back({info.delivery_id, outcome.response ? outcome.response->status : -1});
    reached.push_back(outcome.reached_endpoint);
  }
  bool swallow = false;
  std::vector<std::pair<DeliveryInfo, std::string>> seen;
  std::vector<std::pair<std::uint64_t, int>> outcomes;
  std::vector<bool> reached;
};

TEST(NetworkInterceptor, SeesEveryDeliveryWithItsIdAndOutcome) {
  World w;
  Spy spy;
  w.net.set_interceptor(w.server, &spy);
  ASSERT_TRUE(w.apply(R"({"faults":[{"kind":"duplicate","link":{"from":"client","to":"server"},
      "direction":"forward","probability":1}]})"));
  w.http.set_tag(42);
  w.send(1);
  w.run_for_ms(1000);
  ASSERT_EQ(spy.seen.size(), 2u);
  EXPECT_EQ(spy.seen[0].first.delivery_id, 1u);
  EXPECT_EQ(spy.seen[1].first.delivery_id, 2u);
  EXPECT_EQ(spy.seen[0].first.copy, 0u);
  EXPECT_EQ(spy.seen[1].first.copy, 1u);
  EXPECT_EQ(spy.seen[0].first.tag, 42u);
  EXPECT_EQ(spy.seen[0].first.from, w.client);
  ASSERT_EQ(spy.outcomes.size(), 2u);
  EXPECT_EQ(spy.outcomes[0].second, 200);
  EXPECT_TRUE(spy.reached[0]);
}

TEST(NetworkInterceptor, SwallowedRequestsNeverArrive) {
  World w;
  Spy spy;
  spy.swallow = true;
  w.net.set_interceptor(w.server, &spy);
  w.send(1, 200);
  w.run_for_ms(1000);
  EXPECT_TRUE(w.echo.arrivals.empty());
  EXPECT_EQ(only_result(w, 1).error, HttpError::kTimeout);
  ASSERT_EQ(spy.outcomes.size(), 1u);
  EXPECT_EQ(spy.outcomes[0].second, -1);
}

}  // namespace
}  // namespace intsim::sim
