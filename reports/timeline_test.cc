#include "reports/timeline.h"

#include <gtest/gtest.h>

#include "reports/test_results.h"

namespace intsim::reports {
namespace {

using testing::occurrences;

// A small world's trace: kinds and actors named as the network names them.
struct Fixture {
  sim::Trace trace{sim::Trace::Mode::kRecord};
  sim::TraceNameTable names;
  static constexpr core::TimeUs kStartUs = 1'000'000;
  Fixture() {
    names.kinds = {"net.request", "fault.drop",   "fault.crash",
                   "fault.heal",  "node.restart", "fault.window"};
    names.actors = {"attacker", "stripe", "core", "guests"};
  }
  MessageEvent message(std::uint64_t index, core::TimeUs at_us, std::string from, std::string to,
                       std::string label) {
    trace.add_event(kStartUs + at_us, 0, 1, index);
    MessageEvent m;
    m.trace_index = trace.count() - 1;
    m.at_us = at_us;
    m.from = std::move(from);
    m.to = std::move(to);
    m.label = std::move(label);
    return m;
  }
};

TEST(ReportsTimeline, LanesFaultsMessagesAndWitnesses) {
  Fixture fx;
  TimelineInput in;
  in.messages.push_back(fx.message(0, 10, "guests", "core", "POST /bookings"));
  in.messages.push_back(fx.message(1, 20, "core", "stripe", "POST /v1/payment_intents/pi_00031"));
  fx.trace.add_note(Fixture::kStartUs + 25, 1, 2, 7, "core->stripe");
  fx.trace.add_note(Fixture::kStartUs + 26, 2, 2, 0, "core");
  fx.trace.add_note(Fixture::kStartUs + 27, 5, 2, 0, "");  // a window event: not shown
  fx.trace.add_note(Fixture::kStartUs + 28, 4, 2, 0, "");
  fx.trace.add_note(Fixture::kStartUs + 29, 3, 0, 0, "");
  in.messages.push_back(fx.message(2, 30, "core", "stripe", "POST /v1/payment_intents"));
  MessageEvent timeout = fx.message(3, 40, "stripe", "core", "timeout on POST /v1/refunds");
  timeout.kind = MessageEvent::Kind::kFailure;
  in.messages.push_back(timeout);
  in.messages.push_back(fx.message(4, 50, "attacker", "core", "POST /webhooks/stripe"));
  in.trace = &fx.trace;
  in.names = &fx.names;
  in.start_us = Fixture::kStartUs;
  in.witnesses.push_back({4, 35, "stripe", "pi_00031 succeeded for bk_0007"});

  const Timeline t = build_timeline(in);
  EXPECT_EQ(t.lanes, (std::vector<std::string>{"guests", "core", "stripe", "attacker"}));
  EXPECT_EQ(t.rows_omitted, 0u);
  std::vector<TimelineRow::Kind> kinds;
  for (const TimelineRow& r : t.rows) kinds.push_back(r.kind);
  using K = TimelineRow::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kMessage, K::kMessage, K::kFault, K::kFault, K::kNote,
                                   K::kNote, K::kMessage, K::kWitness, K::kFailure, K::kMessage}));
  EXPECT_EQ(t.faults_by_place,
            (std::map<std::string, std::uint64_t>{{"crash core", 1}, {"drop core->stripe", 1}}));
  // The drop is on the link; the crash on its node.
  EXPECT_EQ(t.rows[2].label, "drop");
  EXPECT_EQ(t.rows[2].from, "core");
  EXPECT_EQ(t.rows[2].to, "stripe");
  EXPECT_EQ(t.rows[3].label, "crash");
  EXPECT_EQ(t.rows[3].from, "core");
  EXPECT_EQ(t.rows[4].label, "restarted");
  EXPECT_EQ(t.rows[5].from, "");  // healing spans every lane
  // The message naming the witness's PaymentIntent is highlighted; the other one is not.
  EXPECT_TRUE(t.rows[1].highlighted);
  EXPECT_FALSE(t.rows[6].highlighted);
  EXPECT_TRUE(t.rows[7].highlighted);
  EXPECT_EQ(t.rows[7].from, "stripe");
  // A failure is a mark on the client's lane.
  EXPECT_EQ(t.rows[8].from, "core");
  EXPECT_EQ(t.rows[8].to, "");

  const std::string svg = svg_timeline(t, "7");
  EXPECT_EQ(testing::unbalanced(svg), "");
  EXPECT_EQ(occurrences(svg, "class=\"lane-label\""), 4u);
  EXPECT_EQ(occurrences(svg, "class=\"msg\""), 4u);
  EXPECT_EQ(occurrences(svg, "class=\"fault-mark\""), 2u);
  EXPECT_EQ(occurrences(svg, "class=\"fault-link\""), 1u);
  EXPECT_EQ(occurrences(svg, "class=\"witness-band\""), 1u);
  EXPECT_EQ(occurrences(svg, "class=\"highlight-band\""), 1u);
  EXPECT_EQ(occurrences(svg, "url(#arrow-7)"), 4u);
  EXPECT_NE(svg.find("witness: pi_00031 succeeded for bk_0007"), std::string::npos);
}

TEST(ReportsTimeline, HugeTracesAreCutAroundTheWitnesses) {
  Fixture fx;
  TimelineInput in;
  for (int i = 0; i < 1000; ++i) {
    in.messages.push_back(fx.message(i, i * 1000, "core", "stripe", "GET /v1/events"));
  }
  in.witnesses.push_back({500, 500'500, "core", "inbox row evt_1"});
  in.witnesses.push_back({900, 900'500, "core", "inbox row evt_2"});
  const Timeline t = build_timeline(in, 100);
  EXPECT_EQ(t.rows_total, 1002u);
  std::uint64_t kept = 0, gaps = 0;
  bool first_witness = false, second_witness = false;
  for (const TimelineRow& r : t.rows) {
    if (r.kind == TimelineRow::Kind::kGap) {
      ++gaps;
    } else {
      ++kept;
    }
    first_witness |= r.kind == TimelineRow::Kind::kWitness && r.label == "inbox row evt_1";
    second_witness |= r.kind == TimelineRow::Kind::kWitness && r.label == "inbox row evt_2";
  }
  EXPECT_TRUE(first_witness);
  EXPECT_TRUE(second_witness);
  EXPECT_LE(kept, 100u);
  EXPECT_GE(kept, 90u);
  EXPECT_EQ(kept + t.rows_omitted, t.rows_total);
  EXPECT_EQ(gaps, 3u);  // before the first window, between them, after the second
  // Most of each window is before its witness: the causes.
  std::size_t at = 0;
  while (t.rows[at].kind != TimelineRow::Kind::kWitness) ++at;
  EXPECT_GE(at, 30u);
}

TEST(ReportsTimeline, WithoutWitnessesTheEndOfTheRunIsShown) {
  Fixture fx;
  TimelineInput in;
  for (int i = 0; i < 300; ++i) {
    in.messages.push_back(fx.message(i, i * 1000, "core", "stripe", "GET /v1/events"));
  }
  const Timeline t = build_timeline(in, 50);
  ASSERT_EQ(t.rows.size(), 51u);
  EXPECT_EQ(t.rows[0].kind, TimelineRow::Kind::kGap);
  EXPECT_EQ(t.rows[0].label, "250 events omitted");
  EXPECT_EQ(t.rows.back().at_us, 299'000);
}

}  // namespace
}  // namespace intsim::reports
