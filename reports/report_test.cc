#include "reports/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/test_results.h"

namespace intsim::reports {
namespace {

using testing::occurrences;

struct Rendered {
  harness::Results results = testing::small_results();
  ReportInput input;
  Rendered() {
    input.results = &results;
    input.failures = plain_stories(results, "not replayed in this test");
  }
};

TEST(ReportsMarkdown, SummaryFaultsAndTheFailingSeedsStory) {
  Rendered r;
  const std::string md = render_markdown(r.input);
  EXPECT_NE(md.find("1 scenario x 3 seeds: 2 passed, 1 failed (1 safety, 0 liveness, 0 internal "
                    "errors)"),
            std::string::npos);
  EXPECT_NE(md.find("intsim 0.1.0"), std::string::npos);
  EXPECT_NE(md.find("    intsim run scenarios/core-crashes.json --seeds 3"), std::string::npos);
  // The summary has a column for the oracle that failed, and its count.
  EXPECT_NE(
      md.find("| scenario | seeds | passed | safety | liveness | internal | no_double_charge |"),
      std::string::npos);
  EXPECT_NE(md.find("| core-crashes | 3 | 2 | 1 | 0 | 0 | 1 |"), std::string::npos);
  EXPECT_NE(md.find("| crash | 9 |"), std::string::npos);
  EXPECT_NE(md.find("| stripe | drop | 2 |"), std::string::npos);
  EXPECT_NE(md.find("| DLQ entries | 1 |"), std::string::npos);
  EXPECT_NE(md.find("#### core-crashes seed 3: safety_violation"), std::string::npos);
  EXPECT_NE(md.find("- **no_double_charge**: booking bk_0007 was charged twice"),
            std::string::npos);
  EXPECT_NE(md.find("`#412 t=1:00:00.250 stripe: pi_00031 succeeded for bk_0007`"),
            std::string::npos);
  EXPECT_NE(md.find("- reproduce: `" + harness::repro_command(r.results.seeds[2]) + "`"),
            std::string::npos);
  EXPECT_NE(md.find("- shrink: `" + harness::shrink_command(r.results.seeds[2]) + "`"),
            std::string::npos);
  EXPECT_EQ(md.find("Compared with the baseline"), std::string::npos);
}

TEST(ReportsMarkdown, StaysWithinAPullRequestCommentWithThousandsOfFailures) {
  Rendered r;
  const harness::SeedResult failing = r.results.seeds[2];
  for (std::uint64_t seed = 4; seed < 3000; ++seed) {
    harness::SeedResult s = failing;
    s.seed = seed;
    r.results.seeds.push_back(s);
  }
  r.input.failures = plain_stories(r.results, "");
  const std::string md = render_markdown(r.input);
  EXPECT_LT(md.size(), 65'536u);
  EXPECT_NE(md.find("more failing seeds (every one is in results.json)"), std::string::npos);
  // The HTML page draws 200 stories and lists the rest by their repro commands.
  const std::string html = render_html(r.input);
  EXPECT_EQ(occurrences(html, "<article class=\"story\""), 200u);
  EXPECT_NE(html.find("<h3>2797 more failing seeds</h3>"), std::string::npos);
  EXPECT_NE(html.find(harness::repro_command(r.results.seeds.back())), std::string::npos);
  EXPECT_EQ(testing::unbalanced(html), "");
}

TEST(ReportsMarkdown, BaselineSectionSaysWhatChanged) {
  Rendered r;
  harness::Results before = r.results;
  before.seeds[2].verdict = harness::Verdict::kPassed;
  before.seeds[2].violations.clear();
  r.input.baseline = &before;
  r.input.baseline_path = "old/results.json";
  const std::string md = render_markdown(r.input);
  EXPECT_NE(md.find("### Compared with the baseline `old/results.json`"), std::string::npos);
  EXPECT_NE(md.find("- newly failing: core-crashes seed 3: no_double_charge"), std::string::npos);
  EXPECT_NE(md.find("| failures: no_double_charge | 0 | 1 | worse |"), std::string::npos);
}

TEST(ReportsHtml, SelfContainedWithChartsAndEscapedText) {
  Rendered r;
  const std::string html = render_html(r.input);
  EXPECT_EQ(testing::unbalanced(html), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Nothing to fetch: no script, no stylesheet link, no image or font from elsewhere. The only
  // URL is the SVG namespace, which browsers never fetch.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("url(http"), std::string::npos);
  EXPECT_EQ(occurrences(html, "http"), occurrences(html, "http://www.w3.org/2000/svg"));
  // The witness text is data, never markup.
  EXPECT_NE(html.find("charged twice &lt;script&gt;"), std::string::npos);
  for (const char* chart : {"retries", "convergence", "latency", "conflicts", "duplicates"}) {
    EXPECT_EQ(occurrences(html, std::string("data-chart=\"") + chart + "\""), 1u) << chart;
  }
  for (const char* id : {"summary", "faults", "charts", "failures"}) {
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_NE(html.find("No timeline: not replayed in this test"), std::string::npos);
  EXPECT_NE(html.find(harness::repro_command(r.results.seeds[2])), std::string::npos);
}

TEST(ReportsHtml, DrawsTheTimelineOfAStory) {
  Rendered r;
  Timeline t;
  t.lanes = {"core", "stripe"};
  TimelineRow row;
  row.kind = TimelineRow::Kind::kMessage;
  row.from = "core";
  row.to = "stripe";
  row.label = "POST /v1/payment_intents";
  t.rows.push_back(row);
  t.rows_total = 1;
  r.input.failures[0].timeline = t;
  const std::string html = render_html(r.input);
  EXPECT_EQ(testing::unbalanced(html), "");
  EXPECT_EQ(occurrences(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\""), 1u);
  EXPECT_NE(html.find("POST /v1/payment_intents"), std::string::npos);
}

TEST(ReportsHtml, WriteReportWritesBothPages) {
  Rendered r;
  const auto dir = std::filesystem::temp_directory_path() / "intsim_reports_test";
  std::filesystem::remove_all(dir);
  std::vector<std::string> written;
  ASSERT_TRUE(write_report(r.input, dir.string(), &written).is_ok());
  ASSERT_EQ(written.size(), 2u);
  std::ifstream md(written[0]), html(written[1]);
  std::stringstream a, b;
  a << md.rdbuf();
  b << html.rdbuf();
  EXPECT_EQ(a.str(), render_markdown(r.input));
  EXPECT_EQ(b.str(), render_html(r.input));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace intsim::reports
