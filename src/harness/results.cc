#include "src/harness/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "sim/trace.h"

namespace intsim::harness {
namespace {

auto seed_key(const SeedResult& r) { return std::make_tuple(r.scenario_path, r.swarm, r.seed); }

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? ' ' : c;
    }
  }
  return out;
}

void sort_seeds(Results* results) {
  std::stable_sort(
      results->seeds.begin(), results->seeds.end(),
      [](const SeedResult& a, const SeedResult& b) { return seed_key(a) < seed_key(b); });
}

std::vector<ScenarioSummary> summarize(const Results& results) {
  std::map<std::string, ScenarioSummary> by_path;
  for (const SeedResult& r : results.seeds) {
    ScenarioSummary& s = by_path[r.scenario_path];
    s.scenario = r.scenario;
    s.scenario_path = r.scenario_path;
    ++s.seeds;
    switch (r.verdict) {
      case Verdict::kPassed:
        ++s.passed;
        break;
      case Verdict::kSafetyViolation:
        ++s.safety_violations;
        break;
      case Verdict::kLivenessViolation:
        ++s.liveness_violations;
        break;
      case Verdict::kInternalError:
        ++s.internal_errors;
        break;
    }
    for (const Violation& v : r.violations)
      ++s.failures_by_oracle[std::string(oracle_name(v.oracle))];
  }
  std::vector<ScenarioSummary> out;
  for (auto& [path, s] : by_path) out.push_back(std::move(s));
  return out;
}

nlohmann::ordered_json results_to_json(const Results& results) {
  nlohmann::ordered_json j;
  j["format"] = "intsim-results/1";
  j["intsim_version"] = results.intsim_version;
  j["commands"] = results.commands;
  std::uint64_t passed = 0;
  for (const SeedResult& r : results.seeds) passed += r.verdict == Verdict::kPassed;
  j["totals"] = {{"seeds", results.seeds.size()},
                 {"passed", passed},
                 {"failed", results.seeds.size() - passed}};
  nlohmann::ordered_json scenarios = nlohmann::ordered_json::array();
  for (const ScenarioSummary& s : summarize(results)) {
    scenarios.push_back({{"scenario", s.scenario},
                         {"scenario_path", s.scenario_path},
                         {"seeds", s.seeds},
                         {"passed", s.passed},
                         {"safety_violations", s.safety_violations},
                         {"liveness_violations", s.liveness_violations},
                         {"internal_errors", s.internal_errors},
                         {"failures_by_oracle", s.failures_by_oracle}});
  }
  j["scenarios"] = scenarios;
  nlohmann::ordered_json seeds = nlohmann::ordered_json::array();
  for (const SeedResult& r : results.seeds) seeds.push_back(to_json(r, /*with_samples=*/true));
  j["seeds"] = seeds;
  return j;
}

core::Status results_from_json(const nlohmann::json& j, Results* out) {
  if (!j.is_object() || j.value("format", "") != "intsim-results/1") {
    return core::Status::invalid_argument("not an intsim results file (format intsim-results/1)");
  }
  Results r;
  r.intsim_version = j.value("intsim_version", "");
  if (j.contains("commands")) r.commands = j["commands"].get<std::vector<std::string>>();
  if (!j.contains("seeds") || !j["seeds"].is_array()) {
    return core::Status::invalid_argument("/seeds: expected an array");
  }
  for (std::size_t i = 0; i < j["seeds"].size(); ++i) {
    SeedResult s;
    if (core::Status st = from_json(j["seeds"][i], &s); !st) {
      return core::Status::invalid_argument(fmt::format("/seeds/{}: {}", i, st.message()));
    }
    r.seeds.push_back(std::move(s));
  }
  *out = std::move(r);
  return core::Status::ok();
}

core::Status read_results_file(const std::string& path, Results* out) {
  std::ifstream in(path);
  if (!in) return core::Status::invalid_argument(fmt::format("{}: cannot read the file", path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return core::Status::invalid_argument(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  if (core::Status st = results_from_json(j, out); !st) {
    return core::Status::invalid_argument(fmt::format("{}: {}", path, st.message()));
  }
  return core::Status::ok();
}

core::Status write_text_file(const std::string& path, const std::string& text) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return core::Status::io_error(fmt::format("{}: cannot write the file", path));
  out << text;
  out.flush();
  if (!out) return core::Status::io_error(fmt::format("{}: write failed", path));
  return core::Status::ok();
}

core::Status merge_results(const std::vector<Results>& parts, Results* out) {
  Results merged;
  std::map<std::tuple<std::string, bool, std::uint64_t>, std::size_t> seen;
  for (const Results& part : parts) {
    if (merged.intsim_version.empty()) merged.intsim_version = part.intsim_version;
    if (part.intsim_version != merged.intsim_version) {
      return core::Status::invalid_argument(fmt::format(
          "results from intsim {} and {} cannot be merged: a seed means different runs in "
          "different versions",
          merged.intsim_version, part.intsim_version));
    }
    for (const std::string& c : part.commands) merged.commands.push_back(c);
    for (const SeedResult& r : part.seeds) {
      const auto key = seed_key(r);
      if (auto it = seen.find(key); it != seen.end()) {
        const SeedResult& before = merged.seeds[it->second];
        if (before.trace_hash != r.trace_hash) {
          return core::Status::conflict(fmt::format(
              "{} seed {} appears twice with different trace hashes ({} and {}): the runs are "
              "not deterministic across machines; reproduce with: {} --check-determinism",
              r.scenario_path, r.seed, sim::format_hash(before.trace_hash),
              sim::format_hash(r.trace_hash), repro_command(r)));
        }
        continue;
      }
      seen.emplace(key, merged.seeds.size());
      merged.seeds.push_back(r);
    }
  }
  sort_seeds(&merged);
  *out = std::move(merged);
  return core::Status::ok();
}

std::string junit_xml(const Results& results) {
  std::ostringstream x;
  std::uint64_t failures = 0;
  for (const SeedResult& r : results.seeds) failures += r.verdict != Verdict::kPassed;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << fmt::format("<testsuites name=\"intsim\" tests=\"{}\" failures=\"{}\">\n",
                   results.seeds.size(), failures);
  for (const ScenarioSummary& s : summarize(results)) {
    x << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
                     escape_xml(s.scenario), s.seeds, s.seeds - s.passed);
    for (const SeedResult& r : results.seeds) {
      if (r.scenario_path != s.scenario_path) continue;
      x << fmt::format("    <testcase classname=\"{}\" name=\"seed {}{}\" time=\"{:.3f}\"",
                       escape_xml(s.scenario), r.seed, r.swarm ? " swarm" : "", r.wall_ms / 1000);
      if (r.verdict == Verdict::kPassed) {
        x << "/>\n";
        continue;
      }
      std::string first = r.error;
      if (!r.violations.empty()) {
        first = fmt::format("{}: {}", oracle_name(r.violations[0].oracle), r.violations[0].message);
      }
      std::string body;
      for (const Violation& v : r.violations) {
        body += fmt::format("{}: {}\n", oracle_name(v.oracle), v.message);
        for (const Witness& w : v.witnesses) {
          body += fmt::format("  #{} t={:.3f}s {}: {}\n", w.trace_index, w.at_us / 1e6, w.actor,
                              w.text);
        }
      }
      if (!r.error.empty()) body += r.error + "\n";
      body += fmt::format("reproduce: {}\nshrink: {}\n", repro_command(r), shrink_command(r));
      x << fmt::format(
          ">\n      <failure type=\"{}\" message=\"{} (reproduce: {})\">{}</failure>\n",
          verdict_name(r.verdict), escape_xml(first), escape_xml(repro_command(r)),
          escape_xml(body));
      x << "    </testcase>\n";
    }
    x << "  </testsuite>\n";
  }
  x << "</testsuites>\n";
  return x.str();
}

core::Status write_outputs(const Results& results, const std::string& dir,
                           std::vector<std::string>* written) {
  const std::string json_path = (std::filesystem::path(dir) / "results.json").string();
  const std::string junit_path = (std::filesystem::path(dir) / "junit.xml").string();
  if (core::Status st = write_text_file(json_path, results_to_json(results).dump(2) + "\n"); !st) {
    return st;
  }
  if (core::Status st = write_text_file(junit_path, junit_xml(results)); !st) return st;
  written->push_back(json_path);
  written->push_back(junit_path);
  return core::Status::ok();
}

}  // namespace intsim::harness
