#include "src/harness/outcome.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/trace.h"
#include "src/core/assert.h"

namespace intsim::harness {
namespace {
constexpr std::string_view kVerdictNames[] = {"passed", "safety_violation", "liveness_violation",
                                              "internal_error"};
}  // namespace

std::string_view verdict_name(Verdict verdict) { return kVerdictNames[static_cast<int>(verdict)]; }

bool parse_verdict(std::string_view name, Verdict* out) {
  for (int i = 0; i < 4; ++i) {
    if (kVerdictNames[i] == name) {
      *out = static_cast<Verdict>(i);
      return true;
    }
  }
  return false;
}

std::int64_t LatencyHistogram::count() const {
  std::int64_t n = 0;
  for (const std::int64_t c : counts) n += c;
  return n;
}

core::Status LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.counts.empty()) return core::Status::ok();
  if (counts.empty()) {
    *this = other;
    return core::Status::ok();
  }
  if (bounds_us != other.bounds_us || counts.size() != other.counts.size()) {
    return core::Status::invalid_argument("latency histograms with different buckets");
  }
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  max_us = std::max(max_us, other.max_us);
  return core::Status::ok();
}

core::TimeUs LatencyHistogram::quantile(double q) const {
  const std::int64_t n = count();
  if (n == 0) return 0;
  INTSIM_ASSERT(counts.size() == bounds_us.size() + 1);
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(n);
  std::int64_t below = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0 || static_cast<double>(below + counts[i]) < rank) {
      below += counts[i];
      continue;
    }
    // Above the last bound nothing is known but the maximum.
    if (i == bounds_us.size()) return max_us;
    const double lower = i == 0 ? 0.0 : static_cast<double>(bounds_us[i - 1]);
    const double upper = static_cast<double>(bounds_us[i]);
    const double within = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
    const auto v = static_cast<core::TimeUs>(lower + (upper - lower) * within + 0.5);
    return std::min(v, max_us);
  }
  return max_us;
}

std::string repro_command(const SeedResult& r) {
  return fmt::format("intsim repro {} --seed {}{}", r.scenario_path, r.seed,
                     r.swarm ? " --swarm" : "");
}

std::string shrink_command(const SeedResult& r) {
  return fmt::format("intsim shrink {} --seed {}{}", r.scenario_path, r.seed,
                     r.swarm ? " --swarm" : "");
}

nlohmann::ordered_json to_json(const SeedResult& r, bool with_samples) {
  nlohmann::ordered_json j;
  j["scenario"] = r.scenario;
  j["scenario_path"] = r.scenario_path;
  j["seed"] = r.seed;
  j["swarm"] = r.swarm;
  j["verdict"] = verdict_name(r.verdict);
  j["trace_hash"] = sim::format_hash(r.trace_hash);
  j["events"] = r.stats.events;
  j["simulated_s"] = static_cast<double>(r.stats.simulated_us) / 1e6;
  j["converged_after_s"] = r.stats.converged_after_us < 0
                               ? nlohmann::ordered_json(nullptr)
                               : nlohmann::ordered_json(r.stats.converged_after_us / 1e6);
  j["wall_ms"] = r.wall_ms;
  j["faults"] = r.stats.faults;
  j["counters"] = r.stats.counters;
  if (with_samples && !r.stats.latency_us.empty()) {
    nlohmann::ordered_json lat = nlohmann::ordered_json::object();
    for (const auto& [key, h] : r.stats.latency_us) {
      lat[key] = {{"le_us", h.bounds_us}, {"counts", h.counts}, {"max_us", h.max_us}};
    }
    j["latency_us"] = lat;
  }
  if (!r.violations.empty()) {
    nlohmann::ordered_json vs = nlohmann::ordered_json::array();
    for (const Violation& v : r.violations) {
      nlohmann::ordered_json vj;
      vj["oracle"] = oracle_name(v.oracle);
      vj["message"] = v.message;
      nlohmann::ordered_json ws = nlohmann::ordered_json::array();
      for (const Witness& w : v.witnesses) {
        ws.push_back({{"trace_index", w.trace_index},
                      {"t_s", static_cast<double>(w.at_us) / 1e6},
                      {"actor", w.actor},
                      {"text", w.text}});
      }
      vj["witnesses"] = ws;
      vs.push_back(vj);
    }
    j["violations"] = vs;
  }
  if (!r.error.empty()) j["error"] = r.error;
  if (r.verdict != Verdict::kPassed) {
    j["repro"] = repro_command(r);
    j["shrink"] = shrink_command(r);
  }
  return j;
}

core::Status from_json(const nlohmann::json& j, SeedResult* out) {
  try {
    SeedResult r;
    r.scenario = j.at("scenario").get<std::string>();
    r.scenario_path = j.at("scenario_path").get<std::string>();
    r.seed = j.at("seed").get<std::uint64_t>();
    r.swarm = j.value("swarm", false);
    if (!parse_verdict(j.at("verdict").get<std::string>(), &r.verdict)) {
      return core::Status::invalid_argument("unknown verdict");
    }
    r.trace_hash = std::stoull(j.at("trace_hash").get<std::string>(), nullptr, 16);
    r.stats.events = j.at("events").get<std::uint64_t>();
    r.stats.simulated_us = static_cast<core::TimeUs>(j.at("simulated_s").get<double>() * 1e6);
    const auto& conv = j.at("converged_after_s");
    r.stats.converged_after_us =
        conv.is_null() ? -1 : static_cast<core::TimeUs>(conv.get<double>() * 1e6 + 0.5);
    r.wall_ms = j.value("wall_ms", 0.0);
    r.stats.faults = j.at("faults").get<std::map<std::string, std::uint64_t>>();
    r.stats.counters = j.at("counters").get<std::map<std::string, std::int64_t>>();
    if (j.contains("latency_us")) {
      for (const auto& [key, hj] : j["latency_us"].items()) {
        LatencyHistogram h;
        h.bounds_us = hj.at("le_us").get<std::vector<core::TimeUs>>();
        h.counts = hj.at("counts").get<std::vector<std::int64_t>>();
        h.max_us = hj.at("max_us").get<core::TimeUs>();
        if (h.counts.size() != h.bounds_us.size() + 1 ||
            !std::is_sorted(h.bounds_us.begin(), h.bounds_us.end())) {
          return core::Status::invalid_argument("seed result: latency_us." + key +
                                                ": counts must have one more entry than le_us, "
                                                "and le_us must increase");
        }
        r.stats.latency_us.emplace(key, std::move(h));
      }
    }
    if (j.contains("violations")) {
      for (const auto& vj : j["violations"]) {
        Violation v;
        if (!parse_oracle(vj.at("oracle").get<std::string>(), &v.oracle)) {
          return core::Status::invalid_argument("unknown oracle in results");
        }
        v.message = vj.at("message").get<std::string>();
        for (const auto& wj : vj.at("witnesses")) {
          v.witnesses.push_back({wj.at("trace_index").get<std::uint64_t>(),
                                 static_cast<core::TimeUs>(wj.at("t_s").get<double>() * 1e6 + 0.5),
                                 wj.at("actor").get<std::string>(),
                                 wj.at("text").get<std::string>()});
        }
        r.violations.push_back(std::move(v));
      }
    }
    r.error = j.value("error", "");
    *out = std::move(r);
  } catch (const std::exception& e) {
    return core::Status::invalid_argument(std::string("seed result: ") + e.what());
  }
  return core::Status::ok();
}

}  // namespace intsim::harness
