// The HTML page: one file, inline CSS and inline SVG, no script and no external asset, so it
// opens the same from file://, from a CI artefact and offline.
#include <fmt/format.h>

#include <algorithm>

#include "reports/baseline.h"
#include "reports/charts.h"
#include "reports/figures.h"
#include "reports/report.h"
#include "reports/report_parts.h"

namespace intsim::reports {
namespace {

// Stories drawn in full; past it a failing seed is one repro command (a sweep with thousands of
// failures still gives a page a browser opens quickly).
constexpr std::size_t kStoriesMax = 200;

constexpr std::string_view kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.headline{font-size:16px;font-weight:600}.ok{color:#17803d}.bad{color:#b42318}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f5f8;border-radius:3px}
code{padding:1px 4px}pre{padding:8px 10px;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #dde2ea;padding:3px 8px;text-align:right}
th{background:#f3f5f8}td:first-child,th:first-child{text-align:left}
td.fail{background:#fde8e7;color:#b42318;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0;border:1px solid #dde2ea;border-radius:4px;padding:6px}
figcaption{font-size:12px;color:#5b6578;max-width:560px}
svg text{font:11px system-ui,sans-serif;fill:#1d2330}
.chart-title{font-weight:600;font-size:12px}.chart-empty,.note{fill:#5b6578;font-style:italic}
.axis,.tick{stroke:#5b6578}.grid{stroke:#eef1f5}.bar{fill:#4a78c2}.iqr{fill:#c9d8f0;stroke:#4a78c2}
.whisker{stroke:#4a78c2}.median{stroke:#0f2f66;stroke-width:2}.dot{fill:#0f2f66;fill-opacity:.55}
.mark{stroke:#fff}.mark-p50{fill:#4a78c2}.mark-p90{fill:#e0a100}.mark-p99{fill:#d9480f}.mark-max{fill:#b42318}
.story{border:1px solid #f1c4c0;border-left:4px solid #b42318;border-radius:4px;padding:4px 14px 10px;margin:14px 0}
.timeline-wrap{overflow-x:auto;border:1px solid #dde2ea;border-radius:4px;margin-top:8px}
.lane-label{font-weight:600;font-size:12px}.lifeline{stroke:#9aa5b8;stroke-dasharray:3 3}
.time{fill:#5b6578;font:10.5px ui-monospace,monospace}.msg{stroke:#1d2330;stroke-width:1.2}.arrow-head{fill:#1d2330}
.msg-label{font-size:10.5px}.fault-mark{fill:#d9480f}.fault-label,.failure-label{fill:#b42318;font-size:10.5px}
.fault-link{stroke:#d9480f;stroke-dasharray:4 3}.failure-mark{fill:#b42318;font-weight:700}
.witness-band{fill:#ffe066}.highlight-band{fill:#fff4bf}.witness-mark{fill:#9c6b00;font-size:13px}
.witness-label{font-weight:600}.gap{fill:#5b6578;font-style:italic}
.better{color:#17803d}.worse{color:#b42318;font-weight:600}
)";

void summary(const harness::Results& results, std::string& out) {
  const std::vector<std::string> oracles = parts::failed_oracles(results);
  out +=
      "<section id=\"summary\"><h2>Summary</h2><table><tr><th>scenario</th><th>seeds</th>"
      "<th>passed</th><th>safety</th><th>liveness</th><th>internal</th>";
  for (const std::string& o : oracles) out += fmt::format("<th>{}</th>", escape_xml(o));
  out += "</tr>";
  const auto td = [](std::uint64_t n) {
    return fmt::format("<td{}>{}</td>", n > 0 ? " class=\"fail\"" : "", n);
  };
  for (const harness::ScenarioSummary& s : harness::summarize(results)) {
    out += fmt::format("<tr><td title=\"{}\">{}</td><td>{}</td><td>{}</td>",
                       escape_xml(s.scenario_path), escape_xml(s.scenario), s.seeds, s.passed);
    out += td(s.safety_violations) + td(s.liveness_violations) + td(s.internal_errors);
    for (const std::string& o : oracles) out += td(parts::oracle_failures(s, o));
    out += "</tr>";
  }
  out += "</table><h3>Commands</h3><pre>";
  for (const std::string& c : results.commands) out += escape_xml(c) + "\n";
  out += "</pre></section>";
}

void faults(const Figures& f, std::string& out) {
  out += "<section id=\"faults\"><h2>Faults injected and what they led to</h2>";
  if (f.faults_by_kind.empty()) {
    out += "<p>No faults were injected.</p>";
  } else {
    out += "<table><tr><th>fault kind</th>";
    for (const ScenarioFigures& s : f.scenarios)
      out += fmt::format("<th>{}</th>", escape_xml(s.scenario));
    out += "<th>total</th></tr>";
    for (const auto& [kind, n] : f.faults_by_kind) {
      out += fmt::format("<tr><td>{}</td>", escape_xml(kind));
      for (const ScenarioFigures& s : f.scenarios) {
        const auto it = s.faults.find(kind);
        out += fmt::format("<td>{}</td>", it == s.faults.end() ? 0 : it->second);
      }
      out += fmt::format("<td>{}</td></tr>", n);
    }
    out += "</table>";
  }
  if (!f.faults_by_peer.empty()) {
    out += "<table><tr><th>peer</th><th>fault kind</th><th>injected</th></tr>";
    for (const auto& [peer, kinds] : f.faults_by_peer) {
      for (const auto& [kind, n] : kinds) {
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape_xml(peer),
                           escape_xml(kind), n);
      }
    }
    out += "</table>";
  }
  out += "<table><tr><th>effect</th><th>total</th></tr>";
  for (const auto& [key, n] : f.effects) {
    out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape_xml(parts::effect_label(key)), n);
  }
  out += "</table>";
  if (!f.outcomes_by_peer.empty()) {
    out +=
        "<details><summary>Outcomes per peer</summary><table><tr><th>peer</th><th>counter</th>"
        "<th>total</th></tr>";
    for (const auto& [peer, counters] : f.outcomes_by_peer) {
      for (const auto& [name, n] : counters) {
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape_xml(peer),
                           escape_xml(name), n);
      }
    }
    out += "</table></details>";
  }
  out += "</section>";
}

void figure(std::string svg, std::string_view caption, std::string& out) {
  out +=
      "<figure>" + svg + fmt::format("<figcaption>{}</figcaption></figure>", escape_xml(caption));
}

void charts(const Figures& f, std::string& out) {
  out += "<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">";
  figure(svg_integer_histogram("retries", "Retries per seed", "retries in one seed",
                               f.retries_per_seed),
         "How many seeds needed how many retries: the core's outbound attempts that came back, "
         "minus the jobs that finished (done or dead-lettered).",
         out);
  std::vector<Series> conv;
  for (const ScenarioFigures& s : f.scenarios) {
    conv.push_back(
        {s.not_converged ? fmt::format("{} ({} never)", s.scenario, s.not_converged) : s.scenario,
         s.convergence_us});
  }
  figure(svg_box_strip("convergence", "Time to convergence after healing, per scenario", conv),
         "Box from p25 to p75, the median as a bar, whiskers to min and max, one dot per seed.",
         out);
  std::vector<Percentiles> lat;
  for (const auto& [peer, h] : f.latency_us_by_peer) lat.push_back(latency_percentiles(peer, h));
  figure(svg_percentiles("latency", "Latency per peer (p50, p90, p99, max)", lat),
         "The core's outbound call latency per peer, every call of every seed. Quantiles are "
         "interpolated inside the metric's buckets (as Prometheus does); the maximum is exact.",
         out);
  std::vector<Bar> races;
  for (const ScenarioFigures& s : f.scenarios) {
    races.push_back(
        {s.scenario, static_cast<double>(s.conflicts_detected),
         fmt::format("{} detected, {} resolved", s.conflicts_detected, s.conflicts_resolved)});
  }
  figure(svg_bars("conflicts", "Race-window conflicts per scenario", races),
         "Cross-channel conflicts the resolver found (iCal polling leaves unavoidable windows); "
         "zero everywhere means no channel counters were recorded in these results.",
         out);
  std::vector<Bar> dups;
  for (const ScenarioFigures& s : f.scenarios) {
    dups.push_back({s.scenario, 100.0 * s.duplicate_rate(),
                    fmt::format("{:.1f}% ({} of {})", 100.0 * s.duplicate_rate(),
                                s.webhook_duplicates, s.webhook_deliveries)});
  }
  figure(svg_bars("duplicates", "Duplicate-message rate per scenario", dups),
         "Webhooks the core recognised as already processed, out of every webhook it received.",
         out);
  out += "</div></section>";
}

void story(const FailureStory& s, std::size_t n, std::string& out) {
  const harness::SeedResult& r = *s.seed;
  out += fmt::format("<article class=\"story\" id=\"seed-{}\"><h3>{}</h3>", n,
                     escape_xml(parts::seed_title(r)));
  for (const harness::Violation& v : r.violations) {
    out += fmt::format("<p><b>{}</b>: {}</p><ul class=\"witnesses\">",
                       escape_xml(harness::oracle_name(v.oracle)), escape_xml(v.message));
    for (const harness::Witness& w : v.witnesses) {
      out += fmt::format("<li><code>{}</code></li>", escape_xml(parts::witness_line(w)));
    }
    out += "</ul>";
  }
  if (!r.error.empty()) out += fmt::format("<p>error: <code>{}</code></p>", escape_xml(r.error));
  out += fmt::format("<pre>reproduce: {}\nshrink:    {}</pre>",
                     escape_xml(harness::repro_command(r)), escape_xml(harness::shrink_command(r)));
  if (s.timeline) {
    out += fmt::format(
        "<p class=\"note\">{} rows of {} shown{}. {}</p><div class=\"timeline-wrap\">{}</div>",
        s.timeline->rows.size(), s.timeline->rows_total,
        s.timeline->rows_omitted
            ? fmt::format(" ({} omitted around the witnesses)", s.timeline->rows_omitted)
            : "",
        escape_xml(s.timeline_note), svg_timeline(*s.timeline, std::to_string(n)));
    if (!s.timeline->faults_by_place.empty()) {
      out +=
          "<details><summary>Faults injected in this seed, by kind and place</summary><table>"
          "<tr><th>fault</th><th>count</th></tr>";
      for (const auto& [what, count] : s.timeline->faults_by_place) {
        out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape_xml(what), count);
      }
      out += "</table></details>";
    }
  } else if (!s.timeline_note.empty()) {
    out += fmt::format("<p class=\"note\">No timeline: {}</p>", escape_xml(s.timeline_note));
  }
  out += "</article>";
}

void baseline(const ReportInput& input, std::string& out) {
  const BaselineDiff d = compare_to_baseline(*input.results, *input.baseline);
  out += fmt::format("<section id=\"baseline\"><h2>Compared with the baseline <code>{}</code></h2>",
                     escape_xml(input.baseline_path));
  if (d.versions_differ) {
    out += fmt::format(
        "<p class=\"worse\">The baseline is intsim {} and this run is intsim {}: a seed means a "
        "different run in each, so per-seed changes are indicative only.</p>",
        escape_xml(d.baseline_version), escape_xml(d.current_version));
  }
  out += fmt::format(
      "<p><span class=\"better\">{} better</span>, <span class=\"worse\">{} "
      "worse</span>.</p><ul>",
      d.better(), d.worse());
  for (const std::string& s : d.newly_failing) {
    out += fmt::format("<li class=\"worse\">newly failing: {}</li>", escape_xml(s));
  }
  for (const std::string& s : d.newly_passing) {
    out += fmt::format("<li class=\"better\">newly passing: {}</li>", escape_xml(s));
  }
  out += "</ul><table><tr><th>what</th><th>baseline</th><th>now</th><th>change</th></tr>";
  for (const DiffLine& l : d.lines) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                       escape_xml(l.what), escape_xml(l.before.empty() ? "-" : l.before),
                       escape_xml(l.after.empty() ? "-" : l.after), change_name(l.change),
                       change_name(l.change));
  }
  out += "</table></section>";
}

}  // namespace

std::string render_html(const ReportInput& input) {
  const harness::Results& results = *input.results;
  const Figures f = compute_figures(results);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out += fmt::format("<title>intsim report: {}</title><style>{}</style></head><body>",
                     escape_xml(parts::headline(results)), kStyle);
  out += fmt::format(
      "<header><h1>intsim reliability report</h1><p class=\"headline {}\">{}</p>"
      "<p>intsim {}{}</p></header>",
      f.failed ? "bad" : "ok", escape_xml(parts::headline(results)),
      escape_xml(results.intsim_version),
      f.failed ? fmt::format(" &middot; <a href=\"#failures\">{} failing seeds</a>", f.failed)
               : "");
  summary(results, out);
  faults(f, out);
  charts(f, out);
  if (!input.failures.empty()) {
    out +=
        fmt::format("<section id=\"failures\"><h2>Failing seeds ({})</h2>", input.failures.size());
    const std::size_t shown = std::min(input.failures.size(), kStoriesMax);
    for (std::size_t i = 0; i < shown; ++i) story(input.failures[i], i + 1, out);
    if (shown < input.failures.size()) {
      out += fmt::format("<h3>{} more failing seeds</h3><pre>", input.failures.size() - shown);
      for (std::size_t i = shown; i < input.failures.size(); ++i) {
        out += escape_xml(harness::repro_command(*input.failures[i].seed)) + "\n";
      }
      out += "</pre>";
    }
    out += "</section>";
  }
  if (input.baseline != nullptr) baseline(input, out);
  return out + "</body></html>\n";
}

}  // namespace intsim::reports
