// The story of a failing seed, told again: the seed is re-run from its scenario file by
// harness::run_seed with a network observer attached (RunOptions::on_world_built), so the
// timeline shows every message (from, to, method and path or status), and the replay's trace
// hash must equal the recorded one before it is drawn (a run is a pure function of scenario,
// seed and version; a different hash means the scenario file or intsim changed since the
// results were written, and the drawing would tell another story).
#pragma once

#include <cstddef>
#include <vector>

#include "reports/report.h"
#include "reports/timeline.h"
#include "src/harness/results.h"

namespace intsim::reports {

// Re-runs one seed and builds its timeline. kInvalidArgument: the scenario file cannot be
// loaded; kConflict: the replay's trace hash differs from the seed's.
core::Status replay_timeline(const harness::SeedResult& seed, std::size_t rows_max, Timeline* out);

struct StoryOptions {
  std::size_t timelines_max = 5;  // failing seeds replayed for a timeline (each is one run)
  std::size_t rows_max = 120;     // rows per timeline, around the witnesses
};

// Every failing seed of `results`; the first timelines_max with a timeline, and the rest (and
// any that cannot be replayed) with a note saying why not.
std::vector<FailureStory> failure_stories(const harness::Results& results,
                                          const StoryOptions& options);

}  // namespace intsim::reports
