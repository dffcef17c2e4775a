// The story of one failing seed as a sequence diagram: one lane per actor (guest, core, Stripe,
// each channel, WhatsApp, attacker), an arrow per message that reached its peer, fault marks
// where the simulator injected one, and the oracle's witnesses highlighted.
//
// Rows are ordered by (virtual time, trace index); huge traces are cut to rows_max rows around
// the witnesses (most of them before each witness: the causes come first), and the cuts are
// shown as "N events omitted" rows.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/trace.h"
#include "src/core/time.h"
#include "src/harness/outcome.h"

namespace intsim::reports {

// A message-level fact the network reported while the seed ran (see reports/replay.h).
struct MessageEvent {
  enum class Kind : std::uint8_t {
    kRequest,   // a request arrived at `to` (network duplicates arrive more than once)
    kResponse,  // a response arrived back at `to` (the client)
    kFailure,   // the client got no response: timeout, connection failed, malformed
  };
  Kind kind = Kind::kRequest;
  std::uint64_t trace_index = 0;  // the trace record being handled when it happened
  core::TimeUs at_us = 0;         // since the start of the run
  std::string from;               // node names
  std::string to;
  std::string label;  // "POST /v1/payment_intents", "200 POST /v1/...", "timeout"
  bool duplicate = false;
};

struct TimelineRow {
  enum class Kind : std::uint8_t {
    kMessage,  // an arrow from -> to
    kFailure,  // a mark on `from` (the client that got no response)
    kFault,    // a fault mark on `from` (and the link to `to` when set)
    kNote,     // a lane note (a restart) or, with no lane, a full-width note (healing)
    kWitness,  // an oracle's witness
    kGap,      // rows left out
  };
  Kind kind = Kind::kNote;
  std::uint64_t trace_index = 0;
  core::TimeUs at_us = 0;
  std::string from;
  std::string to;
  std::string label;
  bool highlighted = false;  // part of a witness's story
};

struct Timeline {
  std::vector<std::string> lanes;  // node names, in the canonical lane order
  std::vector<TimelineRow> rows;
  std::uint64_t rows_total = 0;  // before the cut
  std::uint64_t rows_omitted = 0;
  // Every fault of the run (not only the rows shown), by kind and where: "drop core->stripe".
  std::map<std::string, std::uint64_t> faults_by_place;
};

struct TimelineInput {
  const sim::Trace* trace = nullptr;  // recorded: faults and notes come from it
  const sim::TraceNames* names = nullptr;
  core::TimeUs start_us = 0;  // kernel time of the run's start (trace times are kernel times)
  std::vector<MessageEvent> messages;
  std::vector<harness::Witness> witnesses;
};

Timeline build_timeline(const TimelineInput& input, std::size_t rows_max = 120);

// The diagram as an <svg class="timeline">; `id` makes its marker ids unique in a page.
std::string svg_timeline(const Timeline& timeline, std::string_view id);

}  // namespace intsim::reports
