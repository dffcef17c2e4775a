// A reliability report of a results file: a Markdown page for a pull-request comment and a
// self-contained HTML page (inline CSS and SVG, no script, opens offline from file://).
//
// What a reader gets, in order: the summary (scenarios x seeds, passed and failed per oracle,
// the intsim version and the exact commands), the faults injected and what they led to, the
// charts, every failing seed's story (the violated oracle, its witnesses, the repro and shrink
// commands and, when the seed was replayed, its sequence diagram), and the comparison with a
// baseline results file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/timeline.h"
#include "src/harness/results.h"

namespace intsim::reports {

struct FailureStory {
  const harness::SeedResult* seed = nullptr;  // points into ReportInput::results
  std::optional<Timeline> timeline;
  std::string timeline_note;  // how the timeline was made, or why there is none
};

struct ReportInput {
  const harness::Results* results = nullptr;
  const harness::Results* baseline = nullptr;  // optional
  std::string baseline_path;                   // as given, for the heading
  // Stories of failing seeds, in results order; a failing seed without one is still listed.
  std::vector<FailureStory> failures;
};

// Every failing seed of `results`, with no timeline (the renderers' default stories).
std::vector<FailureStory> plain_stories(const harness::Results& results, std::string_view note);

std::string render_markdown(const ReportInput& input);
std::string render_html(const ReportInput& input);

// Writes report.md and report.html into `dir` (created if needed); `written` gets the paths.
core::Status write_report(const ReportInput& input, const std::string& dir,
                          std::vector<std::string>* written);

}  // namespace intsim::reports
