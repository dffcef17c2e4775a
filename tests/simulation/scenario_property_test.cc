// Whole-system property: RapidCheck generates whole scenarios as data (workload, fault windows,
// crash points, horizon), each is run through the simulator with every oracle on, and every
// oracle must hold. RapidCheck's shrinking then minimises a failing scenario; the failure
// message prints it as a scenario file, and RC_PARAMS="seed=..." reproduces the search.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "src/harness/run.h"
#include "src/harness/scenario.h"

namespace intsim::harness {
namespace {

// A fault entry as JSON, drawn from the kinds of every layer with windows inside the phase.
rc::Gen<nlohmann::json> gen_fault(std::int64_t phase_s) {
  return rc::gen::exec([phase_s] {
    const std::int64_t from = *rc::gen::inRange<std::int64_t>(0, phase_s);
    const std::int64_t until = *rc::gen::inRange<std::int64_t>(from + 1, phase_s + 1);
    const double p = *rc::gen::inRange(1, 31) / 100.0;
    nlohmann::json f;
    switch (*rc::gen::inRange(0, 12)) {
      case 0:
        f = {{"kind", "drop"}, {"probability", p}};
        break;
      case 1:
        f = {{"kind", "duplicate"}, {"probability", p}};
        break;
      case 2:
        f = {{"kind", "reorder"}, {"probability", p}, {"window_ms", 3000}};
        break;
      case 3:
        f = {{"kind", "partition"},
             {"link", {{"from", "core"}, {"to", "stripe"}}},
             {"direction", *rc::gen::element<std::string>("both", "forward")}};
        break;
      case 4:
        f = {{"kind", "http_503"}, {"peer", "stripe"}, {"probability", p}};
        break;
      case 5:
        f = {{"kind", "http_429"}, {"peer", "stripe"}, {"probability", p}, {"retry_after_s", 3}};
        break;
      case 6:
        f = {{"kind", "ambiguous_commit"}, {"peer", "stripe"}, {"probability", p}};
        break;
      case 7:
        f = {{"kind", "request_timeout"}, {"peer", "stripe"}, {"probability", p}};
        break;
      case 8:
        f = {{"kind", "crash"},
             {"node", "core"},
             {"at_s", from},
             {"restart_after_s", *rc::gen::inRange(1, 120)}};
        return f;  // a crash point, no window
      case 9:
        f = {{"kind", "store_failure"}, {"node", "core"}, {"probability", p / 3}};
        break;
      case 10:
        f = {{"kind", "webhook_replay_inside"},
             {"link", {{"from", "stripe"}, {"to", "core"}}},
             {"probability", p}};
        break;
      default:
        f = {{"kind", "webhook_tamper"},
             {"link", {{"from", "stripe"}, {"to", "core"}}},
             {"probability", p}};
        break;
    }
    f["from_s"] = from;
    f["until_s"] = until;
    return f;
  });
}

rc::Gen<nlohmann::json> gen_scenario() {
  return rc::gen::exec([] {
    const std::int64_t phase_s = *rc::gen::inRange<std::int64_t>(600, 4 * 3600);
    nlohmann::json doc = {
        {"name", "generated"},
        {"fault_phase_s", phase_s},
        {"liveness_bound_s", 6 * 3600},
        {"workload",
         {{"units", {{"count", *rc::gen::inRange(1, 6)}}},
          {"direct_bookings_per_day", *rc::gen::inRange(10, 400)},
          {"currencies", {*rc::gen::element<std::string>("USD", "JPY", "COP", "ISK", "EUR")}},
          {"cancel_probability", *rc::gen::inRange(0, 40) / 100.0},
          {"abandon_probability", *rc::gen::inRange(0, 30) / 100.0}}},
        {"faults", *rc::gen::container<std::vector<nlohmann::json>>(*rc::gen::inRange(0, 6),
                                                                    gen_fault(phase_s))}};
    return doc;
  });
}

RC_GTEST_PROP(ScenarioProperty, EveryOracleHoldsForGeneratedScenarios, ()) {
  const nlohmann::json doc = *gen_scenario();
  const std::uint64_t seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
  Scenario scenario;
  const core::Status parsed = parse_scenario(doc, "generated.json", &scenario);
  RC_ASSERT(parsed.is_ok());
  SeedResult result;
  RC_ASSERT(run_seed(scenario, seed, {}, &result).is_ok());
  if (result.verdict != Verdict::kPassed) {
    std::string why;
    for (const Violation& v : result.violations) {
      why += std::string(oracle_name(v.oracle)) + ": " + v.message + "\n";
    }
    RC_FAIL(why + "seed " + std::to_string(seed) + ", scenario:\n" + doc.dump(2) + "\n" +
            result.error);
  }
}

}  // namespace
}  // namespace intsim::harness
