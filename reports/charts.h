// Charts as inline SVG strings, drawn here so a report needs no script and no external asset
// (it must open offline from file://). Every chart is an <svg class="chart" data-chart="...">
// with a <title>, so a reader, a screen reader and the browser test can all find it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace intsim::reports {

// Escapes text for HTML and SVG content and attribute values.
std::string escape_xml(std::string_view text);
// A duration for humans: "850 us", "340 ms", "12.5 s", "4.2 min", "3.1 h".
std::string format_duration_us(std::int64_t us);

// Counts per integer value (0, 1, 2, ... and one "N+" bar for the tail beyond bins_max bars).
std::string svg_integer_histogram(std::string_view chart_id, std::string_view title,
                                  std::string_view x_label, const std::vector<std::int64_t>& values,
                                  std::size_t bins_max = 20);

// One row per series: a box (p25..p75, median line, whiskers to min and max) with every value
// drawn as a dot over it. Values are durations in microseconds.
struct Series {
  std::string label;
  std::vector<std::int64_t> values;  // sorted
};
std::string svg_box_strip(std::string_view chart_id, std::string_view title,
                          const std::vector<Series>& series);

// One row per peer: a line from p50 to max with marks at p50, p90, p99 and max, and the
// figures as text. Durations in microseconds.
struct Percentiles {
  std::string label;
  std::int64_t samples = 0;  // 0: nothing to draw
  std::int64_t p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};
std::string svg_percentiles(std::string_view chart_id, std::string_view title,
                            const std::vector<Percentiles>& rows);

// Horizontal bars with their value printed by `format` ("%" for rates, plain for counts).
struct Bar {
  std::string label;
  double value = 0;
  std::string text;  // printed at the end of the bar
};
std::string svg_bars(std::string_view chart_id, std::string_view title,
                     const std::vector<Bar>& bars);

}  // namespace intsim::reports
