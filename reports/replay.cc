#include "reports/replay.h"

#include <fmt/format.h>

#include <memory>

#include "sim/network.h"
#include "src/harness/oracles.h"
#include "src/harness/scenario.h"
#include "src/harness/world.h"

namespace intsim::reports {
namespace {

// The run loop's liveness polling step (src/harness/run.cc): the replay stops where the run
// stopped, so both traces end at the same record.
constexpr core::TimeUs kLivenessStepUs = 60 * core::kUsPerSec;

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
  std::unique_ptr<harness::World> world;
  if (core::Status st =
          harness::World::build(scenario, seed.seed, seed.swarm, sim::Trace::Mode::kRecord, &world);
      !st) {
    return st;
  }
  // The same construction order as harness::run_seed: kinds and actors get the same ids.
  harness::Oracles oracles(*world, scenario);
  Recorder recorder(world->network(), world->start_us());
  world->network().set_observer(&recorder);
  sim::Simulation& sim = world->sim();
  if (core::Status st = world->start(); !st) return st;
  oracles.start();
  constexpr std::uint64_t kStepsMax = 200'000'000;
  sim.run_until(world->start_us() + scenario.fault_phase_us, kStepsMax);
  world->heal();
  const sim::Time healed_at = sim.now_us();
  while (sim.now_us() < healed_at + scenario.liveness_bound_us) {
    oracles.check_safety();
    if (oracles.converged()) break;
    sim.run_until(std::min(sim.now_us() + kLivenessStepUs, healed_at + scenario.liveness_bound_us),
                  kStepsMax);
  }
  world->network().set_observer(nullptr);
  if (sim.trace().hash() != seed.trace_hash) {
    return core::Status::conflict(fmt::format(
        "the replay's trace hash {} differs from the recorded {} (the scenario file or intsim "
        "changed since these results were written)",
        sim::format_hash(sim.trace().hash()), sim::format_hash(seed.trace_hash)));
  }
  TimelineInput input;
  input.trace = &sim.trace();
  const sim::TraceNameTable names = sim.name_table();
  input.names = &names;
  input.start_us = world->start_us();
  input.messages = recorder.take();
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
