#include "src/harness/run.h"

#include <fmt/format.h>

#include "src/core/assert.h"
#include "src/core/notifications/notification.h"
#include "src/core/observability/metrics_registry.h"
#include "src/harness/oracles.h"
#include "src/harness/world.h"

namespace intsim::harness {
namespace {

constexpr core::TimeUs kLivenessStepUs = 60 * core::kUsPerSec;

void collect_stats(World& w, SeedResult* r) {
  RunStats& s = r->stats;
  s.events = w.sim().steps();
  s.simulated_us = w.sim().now_us() - w.start_us();
  // Labelled by peer ("drop{peer=stripe}"); the reports sum them per kind and per peer.
  for (const auto& [key, n] : w.network().fault_counts().by_peer) s.faults[key] = n;
  const auto& metrics = w.core().metrics();
  for (const auto& [key, value] : metrics.counters()) {
    const auto& [name, peer, outcome] = key;
    s.counters[fmt::format("{}{{peer={},outcome={}}}", name, peer, outcome)] += value;
  }
  s.counters["core_crashes"] = static_cast<std::int64_t>(w.core().crashes());
  s.counters["alerts"] = static_cast<std::int64_t>(w.core().alerts().alerts().size());
  s.counters["dlq_entries"] =
      static_cast<std::int64_t>(w.core().store().committed().size(core::resilience::kDlqTable));
  const auto& d = w.stripe().delivery().stats();
  s.counters["stripe_webhook_attempts"] = static_cast<std::int64_t>(d.attempts);
  s.counters["stripe_webhook_failures"] = static_cast<std::int64_t>(d.failures);
  s.counters["stripe_webhook_duplicates"] = static_cast<std::int64_t>(d.duplicates);
  s.counters["stripe_webhook_given_up"] = static_cast<std::int64_t>(d.given_up);
  if (models::drivers::WhatsAppNode* wa = w.whatsapp()) {
    const auto& m = wa->model();
    std::int64_t received = 0;
    for (const auto& [user, msgs] : m.received())
      received += static_cast<std::int64_t>(msgs.size());
    const auto dups = static_cast<std::int64_t>(m.duplicates());
    s.counters["whatsapp_send_attempts"] = static_cast<std::int64_t>(m.attempts().size());
    s.counters["whatsapp_messages_received"] = received;
    s.counters["whatsapp_duplicates"] = dups;
    // Duplicates per million messages received: the rate the report shows.
    s.counters["whatsapp_duplicate_ppm"] = received > 0 ? dups * 1'000'000 / received : 0;
    for (const auto& [code, n] : m.errors_by_code()) {
      s.counters[fmt::format("whatsapp_errors_{}", code)] = static_cast<std::int64_t>(n);
    }
    s.counters["whatsapp_inbound_messages"] = static_cast<std::int64_t>(m.inbound_messages());
    const auto& q = wa->webhooks().stats();
    s.counters["whatsapp_webhook_attempts"] = static_cast<std::int64_t>(q.attempts);
    s.counters["whatsapp_webhook_failures"] = static_cast<std::int64_t>(q.failures);
    s.counters["whatsapp_webhook_duplicates"] = static_cast<std::int64_t>(q.duplicates);
    s.counters["whatsapp_webhook_given_up"] = static_cast<std::int64_t>(q.given_up);
    s.counters["notifications"] = static_cast<std::int64_t>(
        w.core().store().committed().size(core::notifications::kNotificationsTable));
  }
  std::map<std::string, std::int64_t> guest_states;
  for (const auto& a : w.guests().attempts()) {
    ++s.counters[fmt::format("guest_bookings_{}", models::guests::attempt_state_name(a.state))];
  }
  if (!w.channels().empty()) {
    s.counters["ota_unresolved_conflict_alerts"] =
        static_cast<std::int64_t>(w.core().alerts().count("unresolved_conflict"));
  }
  for (const auto& ch : w.channels()) {
    const auto& cs = ch->model().stats();
    const std::string n(ch->model().name());
    s.counters["ota_" + n + "_sold"] = static_cast<std::int64_t>(cs.sold);
    s.counters["ota_" + n + "_refused"] = static_cast<std::int64_t>(cs.refused);
    s.counters["ota_" + n + "_cancelled"] = static_cast<std::int64_t>(cs.cancelled);
    s.counters["ota_" + n + "_feed_faults"] =
        static_cast<std::int64_t>(cs.errors + cs.empties + cs.stales + cs.truncations + cs.churns);
  }
  const auto& net = w.network().stats();
  s.counters["net_requests"] = static_cast<std::int64_t>(net.requests_sent);
  s.counters["net_timeouts"] = static_cast<std::int64_t>(net.timeouts);
  // Latency of the core's outbound calls per peer: the metrics' buckets, every outcome together.
  using Registry = core::observability::MetricsRegistry;
  for (const auto& [key, h] : metrics.histograms()) {
    const auto& [name, peer, outcome] = key;
    LatencyHistogram one;
    one.bounds_us.assign(Registry::kBucketBoundsUs.begin(), Registry::kBucketBoundsUs.end());
    one.counts.assign(h.buckets.begin(), h.buckets.end());
    one.counts.push_back(h.over_max);
    one.max_us = h.max_us;
    const core::Status merged = s.latency_us[fmt::format("{}{{peer={}}}", name, peer)].merge(one);
    INTSIM_ASSERT(merged.is_ok());  // one registry, one set of buckets
  }
}

}  // namespace

core::Status run_seed(const Scenario& scenario, std::uint64_t seed, const RunOptions& options,
                      SeedResult* result, RunArtifacts* artifacts) {
  std::unique_ptr<World> world;
  const auto mode = options.record_trace ? sim::Trace::Mode::kRecord : sim::Trace::Mode::kHashOnly;
  if (core::Status st = World::build(scenario, seed, options.swarm, mode, &world); !st) return st;
  Oracles oracles(*world, scenario);
  SeedResult r;
  r.scenario = scenario.name;
  r.scenario_path = scenario.origin;
  r.seed = seed;
  r.swarm = options.swarm;

  sim::Simulation& sim = world->sim();
  if (options.on_world_built) options.on_world_built(*world);
  if (core::Status st = world->start(); !st) {
    r.verdict = Verdict::kInternalError;
    r.error = "the core did not start: " + st.to_string();
    *result = std::move(r);
    return core::Status::ok();
  }
  oracles.start();
  std::uint64_t steps_left = options.steps_max;
  auto run_to = [&](sim::Time end_us) {
    const std::uint64_t before = sim.steps();
    const sim::StopReason why = sim.run_until(end_us, steps_left);
    steps_left -= sim.steps() - before;
    return why;
  };

  // Safety phase: the faults do their worst.
  bool livelock =
      run_to(world->start_us() + scenario.fault_phase_us) == sim::StopReason::kStepLimit;
  // Liveness phase: heal, stop new work, and demand convergence within the bound.
  world->heal();
  const sim::Time healed_at = sim.now_us();
  bool converged = false;
  while (!livelock && sim.now_us() < healed_at + scenario.liveness_bound_us) {
    oracles.check_safety();
    if (oracles.converged()) {
      converged = true;
      r.stats.converged_after_us = sim.now_us() - healed_at;
      break;
    }
    const sim::Time next =
        std::min(sim.now_us() + kLivenessStepUs, healed_at + scenario.liveness_bound_us);
    livelock = run_to(next) == sim::StopReason::kStepLimit;
  }
  if (!converged && !livelock && oracles.converged()) {
    converged = true;
    r.stats.converged_after_us = sim.now_us() - healed_at;
  }
  oracles.check_final(converged);

  r.violations = oracles.violations();
  if (livelock) {
    r.verdict = Verdict::kInternalError;
    r.error = fmt::format("the run exceeded {} events: a model or the core is livelocked",
                          options.steps_max);
  } else if (oracles.safety_violated()) {
    r.verdict = Verdict::kSafetyViolation;
  } else if (!r.violations.empty()) {
    r.verdict = Verdict::kLivenessViolation;
  }
  r.trace_hash = sim.trace().hash();
  collect_stats(*world, &r);
  if (artifacts) {
    artifacts->trace = sim.trace();
    artifacts->names = sim.name_table();
    artifacts->resolved_plan = world->plan();
  }
  *result = std::move(r);
  return core::Status::ok();
}

core::Status check_determinism(const Scenario& scenario, std::uint64_t seed, bool swarm,
                               DeterminismReport* report) {
  RunOptions opts;
  opts.swarm = swarm;
  opts.record_trace = true;
  SeedResult a, b;
  RunArtifacts ta, tb;
  if (core::Status st = run_seed(scenario, seed, opts, &a, &ta); !st) return st;
  if (core::Status st = run_seed(scenario, seed, opts, &b, &tb); !st) return st;
  DeterminismReport rep;
  rep.records = ta.trace.records().size();
  if (const auto d = sim::first_divergence(ta.trace, tb.trace)) {
    rep.identical = false;
    rep.first_difference =
        fmt::format("record #{}\n  first run:  {}\n  second run: {}", d->index,
                    d->first ? sim::format_record(*d->first, ta.names) : "(ended)",
                    d->second ? sim::format_record(*d->second, tb.names) : "(ended)");
  }
  *report = std::move(rep);
  return core::Status::ok();
}

}  // namespace intsim::harness
