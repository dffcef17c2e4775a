// The results of a sweep as a file: JSON (the format reports, baselines and `intsim merge`
// read; documented in scenarios/README.md) and JUnit XML for CI, where every failing seed is a
// failed test case whose message carries the command that reproduces it.
#pragma once

#include <string>
#include <vector>

#include "src/harness/outcome.h"

namespace intsim::harness {

struct Results {
  std::string intsim_version;
  std::vector<std::string> commands;  // the command lines that produced these results
  std::vector<SeedResult> seeds;      // sorted by (scenario_path, swarm, seed)
};

struct ScenarioSummary {
  std::string scenario;
  std::string scenario_path;
  std::uint64_t seeds = 0;
  std::uint64_t passed = 0;
  std::uint64_t safety_violations = 0;
  std::uint64_t liveness_violations = 0;
  std::uint64_t internal_errors = 0;
  std::map<std::string, std::uint64_t> failures_by_oracle;
};

std::vector<ScenarioSummary> summarize(const Results& results);
void sort_seeds(Results* results);

nlohmann::ordered_json results_to_json(const Results& results);
core::Status results_from_json(const nlohmann::json& j, Results* out);
core::Status read_results_file(const std::string& path, Results* out);
core::Status write_text_file(const std::string& path, const std::string& text);

// Combines shards: seeds are unioned; the same (scenario, seed, swarm) twice must agree on the
// trace hash, otherwise it is an error (a determinism failure across machines).
core::Status merge_results(const std::vector<Results>& parts, Results* out);

std::string junit_xml(const Results& results);

// Text made safe for XML and HTML content and attributes (control characters become spaces,
// which XML forbids even escaped). The reports use it too.
std::string escape_xml(std::string_view text);

// Writes results.json and junit.xml into `dir` (created if needed); `written` gets their paths.
core::Status write_outputs(const Results& results, const std::string& dir,
                           std::vector<std::string>* written);

}  // namespace intsim::harness
