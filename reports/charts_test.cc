#include "reports/charts.h"

#include <gtest/gtest.h>

#include "reports/test_results.h"

namespace intsim::reports {
namespace {

using testing::occurrences;

void expect_balanced(const std::string& svg) { EXPECT_EQ(testing::unbalanced(svg), ""); }

TEST(ReportsCharts, EscapesMarkup) {
  EXPECT_EQ(escape_xml("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(escape_xml(std::string("a\x01z")), "a z");
}

TEST(ReportsCharts, FormatsDurations) {
  EXPECT_EQ(format_duration_us(0), "0");
  EXPECT_EQ(format_duration_us(850), "850 us");
  EXPECT_EQ(format_duration_us(340'000), "340 ms");
  EXPECT_EQ(format_duration_us(12'500'000), "12.5 s");
  EXPECT_EQ(format_duration_us(252'000'000), "4.2 min");
  EXPECT_EQ(format_duration_us(11'160'000'000), "3.1 h");
}

TEST(ReportsCharts, HistogramHasOneBarPerValue) {
  const std::string svg = svg_integer_histogram("retries", "Retries", "retries", {0, 0, 1, 3});
  EXPECT_EQ(occurrences(svg, "class=\"bar\""), 4u);
  EXPECT_NE(svg.find("<title>0: 2 seeds</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>2: 0 seeds</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>3: 1 seeds</title>"), std::string::npos);
  EXPECT_NE(svg.find("data-chart=\"retries\""), std::string::npos);
  expect_balanced(svg);
}

TEST(ReportsCharts, HistogramFoldsTheTailIntoOneBar) {
  const std::string svg = svg_integer_histogram("r", "R", "x", {0, 1, 2, 7, 40}, 3);
  EXPECT_EQ(occurrences(svg, "class=\"bar\""), 3u);
  EXPECT_NE(svg.find("<title>2+: 3 seeds</title>"), std::string::npos);
}

TEST(ReportsCharts, EmptyChartsSayWhy) {
  EXPECT_NE(svg_integer_histogram("r", "R", "x", {}).find("no seeds"), std::string::npos);
  EXPECT_NE(svg_percentiles("l", "L", {}).find("no latency samples"), std::string::npos);
}

TEST(ReportsCharts, BoxStripDrawsEverySeedAndTheQuartiles) {
  const std::vector<Series> series = {{"fast", {1'000'000, 2'000'000, 3'000'000, 4'000'000}},
                                      {"never", {}}};
  const std::string svg = svg_box_strip("convergence", "Convergence", series);
  EXPECT_EQ(occurrences(svg, "<circle class=\"dot\""), 4u);
  EXPECT_NE(svg.find("min 1.0 s, p25 1.0 s, median 2.0 s, p75 3.0 s, max 4.0 s (4 seeds)"),
            std::string::npos);
  EXPECT_NE(svg.find("never converged"), std::string::npos);
  expect_balanced(svg);
}

TEST(ReportsCharts, PercentilesMarkP50P90P99AndMax) {
  const std::string svg =
      svg_percentiles("latency", "Latency", {{"stripe", 100, 50'000, 90'000, 99'000, 100'000}});
  EXPECT_NE(svg.find("<title>p50: 50 ms</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>p90: 90 ms</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>p99: 99 ms</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>max: 100 ms</title>"), std::string::npos);
  expect_balanced(svg);
}

TEST(ReportsCharts, BarsAreProportional) {
  const std::string svg = svg_bars("d", "D", {{"a", 10, "10"}, {"b", 5, "5"}});
  // The plot spans x 150..410: the longest bar is 260 wide, half of it 130.
  EXPECT_NE(svg.find("width=\"260.0\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"130.0\""), std::string::npos);
}

}  // namespace
}  // namespace intsim::reports
