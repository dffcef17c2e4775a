// The Markdown page: what a pull-request comment needs, within GitHub's 65,536-character limit
// for a comment (failing seeds past the budget are listed by their repro command only).
#include <fmt/format.h>

#include "reports/baseline.h"
#include "reports/charts.h"
#include "reports/figures.h"
#include "reports/report.h"
#include "reports/report_parts.h"

namespace intsim::reports {
namespace {

constexpr std::size_t kBudgetChars = 60'000;  // leaves room for a CI bot's own framing
constexpr std::size_t kWitnessesMax = 8;

// Table cells cannot hold a raw '|' or a newline.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Inline code that survives backticks in the text.
std::string code(std::string_view text) {
  return text.find('`') == std::string_view::npos ? fmt::format("`{}`", text)
                                                  : fmt::format("`` {} ``", text);
}

void summary(const harness::Results& results, std::string& out) {
  const std::vector<std::string> oracles = parts::failed_oracles(results);
  out += "| scenario | seeds | passed | safety | liveness | internal |";
  for (const std::string& o : oracles) out += fmt::format(" {} |", o);
  out += "\n|---|---:|---:|---:|---:|---:|";
  for (std::size_t i = 0; i < oracles.size(); ++i) out += "---:|";
  out += "\n";
  for (const harness::ScenarioSummary& s : harness::summarize(results)) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} |", cell(s.scenario), s.seeds, s.passed,
                       s.safety_violations, s.liveness_violations, s.internal_errors);
    for (const std::string& o : oracles) out += fmt::format(" {} |", parts::oracle_failures(s, o));
    out += "\n";
  }
}

void faults(const Figures& f, std::string& out) {
  out += "\n### Faults injected and what they led to\n\n";
  if (f.faults_by_kind.empty()) {
    out += "No faults were injected.\n";
  } else {
    out += "| fault kind | injected |\n|---|---:|\n";
    for (const auto& [kind, n] : f.faults_by_kind) out += fmt::format("| {} | {} |\n", kind, n);
  }
  if (!f.faults_by_peer.empty()) {
    out += "\n| peer | fault kind | injected |\n|---|---|---:|\n";
    for (const auto& [peer, kinds] : f.faults_by_peer) {
      for (const auto& [kind, n] : kinds) out += fmt::format("| {} | {} | {} |\n", peer, kind, n);
    }
  }
  out += "\n| effect | total |\n|---|---:|\n";
  for (const auto& [key, n] : f.effects) {
    out += fmt::format("| {} | {} |\n", parts::effect_label(key), n);
  }
  if (!f.outcomes_by_peer.empty()) {
    out +=
        "\n<details><summary>Outcomes per peer</summary>\n\n| peer | counter | total |\n"
        "|---|---|---:|\n";
    for (const auto& [peer, counters] : f.outcomes_by_peer) {
      for (const auto& [name, n] : counters) {
        out += fmt::format("| {} | {} | {} |\n", cell(peer), cell(name), n);
      }
    }
    out += "\n</details>\n";
  }
  if (!f.latency_us_by_peer.empty()) {
    out += "\n| peer | latency p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|\n";
    for (const auto& [peer, h] : f.latency_us_by_peer) {
      const Percentiles p = latency_percentiles(peer, h);
      out += fmt::format("| {} | {} | {} | {} | {} |\n", cell(peer), format_duration_us(p.p50_us),
                         format_duration_us(p.p90_us), format_duration_us(p.p99_us),
                         format_duration_us(p.max_us));
    }
  }
}

void failure(const FailureStory& story, std::string& out) {
  const harness::SeedResult& r = *story.seed;
  out += fmt::format("\n#### {}\n\n", parts::seed_title(r));
  for (const harness::Violation& v : r.violations) {
    out += fmt::format("- **{}**: {}\n", harness::oracle_name(v.oracle), v.message);
    for (std::size_t i = 0; i < v.witnesses.size() && i < kWitnessesMax; ++i) {
      out += fmt::format("  - witness {}\n", code(parts::witness_line(v.witnesses[i])));
    }
    if (v.witnesses.size() > kWitnessesMax) {
      out += fmt::format("  - ... {} more witnesses in the HTML report\n",
                         v.witnesses.size() - kWitnessesMax);
    }
  }
  if (!r.error.empty()) out += fmt::format("- error: {}\n", code(r.error));
  out += fmt::format("- reproduce: {}\n- shrink: {}\n", code(harness::repro_command(r)),
                     code(harness::shrink_command(r)));
}

void baseline(const ReportInput& input, std::string& out) {
  const BaselineDiff d = compare_to_baseline(*input.results, *input.baseline);
  out += fmt::format("\n### Compared with the baseline {}\n\n", code(input.baseline_path));
  if (d.versions_differ) {
    out += fmt::format(
        "> The baseline is intsim {} and this run is intsim {}: a seed means a different run in "
        "each, so per-seed changes are indicative only.\n\n",
        d.baseline_version, d.current_version);
  }
  out += fmt::format("{} better, {} worse.\n\n", d.better(), d.worse());
  for (const std::string& s : d.newly_failing) out += fmt::format("- newly failing: {}\n", s);
  for (const std::string& s : d.newly_passing) out += fmt::format("- newly passing: {}\n", s);
  bool any = false;
  for (const DiffLine& l : d.lines) {
    if (l.change == Change::kSame) continue;
    if (!any) out += "\n| what | baseline | now | change |\n|---|---:|---:|---|\n";
    any = true;
    out += fmt::format("| {} | {} | {} | {} |\n", cell(l.what), l.before.empty() ? "-" : l.before,
                       l.after.empty() ? "-" : l.after, change_name(l.change));
  }
  if (!any && d.newly_failing.empty() && d.newly_passing.empty()) {
    out += "Nothing changed.\n";
  }
}

}  // namespace

std::string render_markdown(const ReportInput& input) {
  const harness::Results& results = *input.results;
  const Figures f = compute_figures(results);
  std::string out = "## intsim reliability report\n\n";
  out += fmt::format("**{}** (intsim {})\n\n", parts::headline(results), results.intsim_version);
  for (const std::string& c : results.commands) out += fmt::format("    {}\n", c);
  out += "\n";
  summary(results, out);
  faults(f, out);
  if (input.baseline != nullptr) baseline(input, out);
  if (!input.failures.empty()) {
    out += fmt::format("\n### Failing seeds ({})\n", input.failures.size());
    std::size_t shown = 0;
    for (const FailureStory& story : input.failures) {
      if (out.size() > kBudgetChars) break;
      failure(story, out);
      ++shown;
    }
    if (shown < input.failures.size()) {
      out += fmt::format("\n{} more failing seeds (every one is in results.json):\n\n",
                         input.failures.size() - shown);
      for (std::size_t i = shown; i < input.failures.size() && out.size() < kBudgetChars + 4000;
           ++i) {
        out += fmt::format("- {}\n", code(harness::repro_command(*input.failures[i].seed)));
      }
    }
  }
  return out;
}

}  // namespace intsim::reports
