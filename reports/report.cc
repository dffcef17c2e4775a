#include "reports/report.h"

#include <fmt/format.h>

#include <filesystem>

#include "reports/report_parts.h"

namespace intsim::reports {
namespace parts {

std::vector<std::string> failed_oracles(const harness::Results& results) {
  std::vector<bool> failed(harness::kOracleCount, false);
  for (const harness::SeedResult& r : results.seeds) {
    for (const harness::Violation& v : r.violations)
      failed[static_cast<std::size_t>(v.oracle)] = true;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < harness::kOracleCount; ++i) {
    if (failed[i]) out.emplace_back(harness::oracle_name(static_cast<harness::Oracle>(i)));
  }
  return out;
}

std::uint64_t oracle_failures(const harness::ScenarioSummary& s, const std::string& oracle) {
  const auto it = s.failures_by_oracle.find(oracle);
  return it == s.failures_by_oracle.end() ? 0 : it->second;
}

std::string effect_label(const std::string& key) {
  if (key == "retries") return "retries (attempts after a job's first)";
  if (key == "dlq_entries") return "DLQ entries";
  if (key == "alerts") return "alerts raised";
  if (key == "core_crashes") return "core crashes";
  if (key == "net_timeouts") return "requests timed out";
  if (key == "stripe_webhook_given_up") return "Stripe webhooks given up";
  if (key == "webhook_duplicates") return "duplicate webhooks recognised";
  if (key == "conflicts_detected") return "race-window conflicts detected";
  if (key == "conflicts_resolved") return "conflicts resolved";
  return key;
}

std::string headline(const harness::Results& results) {
  std::uint64_t passed = 0, safety = 0, liveness = 0, internal = 0;
  for (const harness::SeedResult& r : results.seeds) {
    switch (r.verdict) {
      case harness::Verdict::kPassed:
        ++passed;
        break;
      case harness::Verdict::kSafetyViolation:
        ++safety;
        break;
      case harness::Verdict::kLivenessViolation:
        ++liveness;
        break;
      case harness::Verdict::kInternalError:
        ++internal;
        break;
    }
  }
  const std::size_t scenarios = harness::summarize(results).size();
  return fmt::format(
      "{} scenario{} x {} seeds: {} passed, {} failed ({} safety, {} liveness, {} internal errors)",
      scenarios, scenarios == 1 ? "" : "s", results.seeds.size(), passed,
      results.seeds.size() - passed, safety, liveness, internal);
}

std::string seed_title(const harness::SeedResult& r) {
  return fmt::format("{} seed {}{}: {}", r.scenario, r.seed, r.swarm ? " (swarm)" : "",
                     harness::verdict_name(r.verdict));
}

std::string witness_line(const harness::Witness& w) {
  const std::int64_t ms = w.at_us / 1000;
  return fmt::format("#{} t={}:{:02}:{:02}.{:03} {}: {}", w.trace_index, ms / 3'600'000,
                     ms / 60'000 % 60, ms / 1000 % 60, ms % 1000, w.actor, w.text);
}

}  // namespace parts

std::vector<FailureStory> plain_stories(const harness::Results& results, std::string_view note) {
  std::vector<FailureStory> out;
  for (const harness::SeedResult& r : results.seeds) {
    if (r.verdict == harness::Verdict::kPassed) continue;
    out.push_back({&r, std::nullopt, std::string(note)});
  }
  return out;
}

core::Status write_report(const ReportInput& input, const std::string& dir,
                          std::vector<std::string>* written) {
  const std::string md = (std::filesystem::path(dir) / "report.md").string();
  const std::string html = (std::filesystem::path(dir) / "report.html").string();
  if (core::Status st = harness::write_text_file(md, render_markdown(input)); !st) return st;
  if (core::Status st = harness::write_text_file(html, render_html(input)); !st) return st;
  written->push_back(md);
  written->push_back(html);
  return core::Status::ok();
}

}  // namespace intsim::reports
