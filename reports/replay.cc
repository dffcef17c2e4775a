#include "reports/replay.h"

#include <fmt/format.h>

#include <memory>

#include "sim/network.h"
#include "src/core/assert.h"
#include "src/harness/run.h"
#include "src/harness/scenario.h"
#include "src/harness/world.h"

namespace intsim::reports {
namespace {

std::string request_label(const core::HttpRequest& request) {
  const auto query = request.target.find('?');
  return request.method + " " + request.target.substr(0, query);
}

// Writes down what the network reports, with the trace position it happened at.
class Recorder final : public sim::NetworkObserver {
 public:
  Recorder(sim::Network& network, core::TimeUs start_us) : net_(network), start_us_(start_us) {}

  void on_request_arrival(const sim::DeliveryInfo& info,
                          const core::HttpRequest& request) override {
    MessageEvent m = base(info.from, info.to);
    m.kind = MessageEvent::Kind::kRequest;
    m.label = request_label(request);
    m.duplicate = info.copy > 0;
    events_.push_back(std::move(m));
  }

  void on_result(sim::NodeId client, sim::NodeId server, const core::HttpRequest& request,
                 const core::HttpResult& result) override {
    MessageEvent m = base(server, client);
    if (result.has_response()) {
      m.kind = MessageEvent::Kind::kResponse;
      m.label = fmt::format("{} {}", result.response.status, request_label(request));
    } else {
      m.kind = MessageEvent::Kind::kFailure;
      m.label =
          fmt::format("{} on {}", core::http_error_name(result.error), request_label(request));
    }
    events_.push_back(std::move(m));
  }

  std::vector<MessageEvent> take() { return std::move(events_); }

 private:
  MessageEvent base(sim::NodeId from, sim::NodeId to) const {
    MessageEvent m;
    const sim::Trace& trace = net_.simulation().trace();
    m.trace_index = trace.count() > 0 ? trace.count() - 1 : 0;
    m.at_us = net_.simulation().now_us() - start_us_;
    m.from = net_.node_name(from);
    m.to = net_.node_name(to);
    return m;
  }

  sim::Network& net_;
  core::TimeUs start_us_;
  std::vector<MessageEvent> events_;
};

}  // namespace

core::Status replay_timeline(const harness::SeedResult& seed, std::size_t rows_max, Timeline* out) {
  harness::Scenario scenario;
  if (core::Status st = harness::load_scenario_file(seed.scenario_path, &scenario); !st) {
    return core::Status::invalid_argument(
        fmt::format("{}: cannot load the scenario: {}", seed.scenario_path, st.message()));
  }
  std::unique_ptr<Recorder> recorder;
  core::TimeUs start_us = 0;
  harness::RunOptions options;
  options.swarm = seed.swarm;
  options.record_trace = true;
  options.on_world_built = [&](harness::World& world) {
    start_us = world.start_us();
    recorder = std::make_unique<Recorder>(world.network(), start_us);
    world.network().set_observer(recorder.get());
  };
  harness::SeedResult replayed;
  harness::RunArtifacts artifacts;
  if (core::Status st = harness::run_seed(scenario, seed.seed, options, &replayed, &artifacts);
      !st) {
    return st;
  }
  if (replayed.trace_hash != seed.trace_hash) {
    return core::Status::conflict(fmt::format(
        "the replay's trace hash {} differs from the recorded {} (the scenario file or intsim "
        "changed since these results were written)",
        sim::format_hash(replayed.trace_hash), sim::format_hash(seed.trace_hash)));
  }
  INTSIM_ASSERT(recorder != nullptr);
  TimelineInput input;
  input.trace = &artifacts.trace;
  input.names = &artifacts.names;
  input.start_us = start_us;
  input.messages = recorder->take();
  for (const harness::Violation& v : seed.violations) {
    input.witnesses.insert(input.witnesses.end(), v.witnesses.begin(), v.witnesses.end());
  }
  *out = build_timeline(input, rows_max);
  return core::Status::ok();
}

std::vector<FailureStory> failure_stories(const harness::Results& results,
                                          const StoryOptions& options) {
  std::vector<FailureStory> stories;
  std::size_t replayed = 0;
  for (const harness::SeedResult& r : results.seeds) {
    if (r.verdict == harness::Verdict::kPassed) continue;
    FailureStory s;
    s.seed = &r;
    if (r.verdict == harness::Verdict::kInternalError) {
      s.timeline_note = "internal errors are not replayed here; run the repro command";
    } else if (replayed >= options.timelines_max) {
      s.timeline_note =
          fmt::format("only the first {} failing seeds are replayed (intsim report --timelines N)",
                      options.timelines_max);
    } else {
      ++replayed;
      Timeline t;
      if (core::Status st = replay_timeline(r, options.rows_max, &t); !st) {
        s.timeline_note = st.message();
      } else {
        s.timeline = std::move(t);
        s.timeline_note = "Replayed from the scenario file; the trace hash matches the run's.";
      }
    }
    stories.push_back(std::move(s));
  }
  return stories;
}

}  // namespace intsim::reports
