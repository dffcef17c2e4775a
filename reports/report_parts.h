// Pieces the Markdown and HTML renderers share, so both pages say the same things.
#pragma once

#include <string>
#include <vector>

#include "reports/figures.h"
#include "src/harness/results.h"

namespace intsim::reports::parts {

// Oracles that failed in at least one seed, in the order DESIGN.md lists them.
std::vector<std::string> failed_oracles(const harness::Results& results);
// "no_double_charge: 3" counts of one scenario summary, for the oracle columns.
std::uint64_t oracle_failures(const harness::ScenarioSummary& s, const std::string& oracle);
// A fault effect's key ("dlq_entries") in words ("DLQ entries").
std::string effect_label(const std::string& key);
// The headline: "4 scenarios x 16 seeds: 15 passed, 1 failed (1 safety, 0 liveness, 0 internal
// errors)".
std::string headline(const harness::Results& results);
// Seed title: "core-crashes seed 7 (swarm): safety_violation".
std::string seed_title(const harness::SeedResult& r);
// Witness line: "#1234 t=00:12:03.250 core: inbox row evt_3".
std::string witness_line(const harness::Witness& w);

}  // namespace intsim::reports::parts
