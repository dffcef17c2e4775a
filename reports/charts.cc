#include "reports/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "reports/figures.h"
#include "src/harness/results.h"

namespace intsim::reports {
namespace {

constexpr int kWidth = 560;
constexpr int kLabelWidth = 150;  // left column for series labels
constexpr int kRowHeight = 28;
constexpr int kTop = 30;  // title band
// Duration axes span at least a second, so all-zero data still gets readable ticks.
constexpr std::int64_t kAxisMinUs = 1'000'000;

std::string open_svg(std::string_view chart_id, std::string_view title, int height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"{0}\" "
      "id=\"chart-{0}\" role=\"img\" width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} {2}\">"
      "<title>{3}</title>"
      "<text class=\"chart-title\" x=\"8\" y=\"18\">{3}</text>",
      escape_xml(chart_id), kWidth, height, escape_xml(title));
}

std::string empty_chart(std::string_view chart_id, std::string_view title, std::string_view why) {
  return open_svg(chart_id, title, 60) +
         fmt::format("<text class=\"chart-empty\" x=\"8\" y=\"44\">{}</text></svg>",
                     escape_xml(why));
}

// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `v`.
double nice_ceiling(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

// x position of a value on a linear axis [0, max] spanning the plot area.
double x_of(double v, double max, int left, int right) {
  return left + (right - left) * std::clamp(v / max, 0.0, 1.0);
}

std::string axis_with_ticks(double max, int left, int right, int y, bool durations) {
  std::string out = fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                                left, y, right, y);
  for (int i = 0; i <= 4; ++i) {
    const double v = max * i / 4;
    const double x = x_of(v, max, left, right);
    const std::string text =
        durations ? format_duration_us(static_cast<std::int64_t>(v)) : fmt::format("{:g}", v);
    out += fmt::format(
        "<line class=\"tick\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
        "<text class=\"tick-label\" x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
        x, y, y + 4, y + 16, escape_xml(text));
  }
  return out;
}

}  // namespace

std::string escape_xml(std::string_view text) { return harness::escape_xml(text); }

std::string format_duration_us(std::int64_t us) {
  const double v = static_cast<double>(us);
  const double a = std::fabs(v);
  if (us == 0) return "0";
  if (a < 1'000) return fmt::format("{} us", us);
  if (a < 1'000'000) return fmt::format("{:.0f} ms", v / 1e3);
  if (a < 60e6) return fmt::format("{:.1f} s", v / 1e6);
  if (a < 3600e6) return fmt::format("{:.1f} min", v / 60e6);
  return fmt::format("{:.1f} h", v / 3600e6);
}

std::string svg_integer_histogram(std::string_view chart_id, std::string_view title,
                                  std::string_view x_label, const std::vector<std::int64_t>& values,
                                  std::size_t bins_max) {
  if (values.empty()) return empty_chart(chart_id, title, "no seeds");
  bins_max = std::max<std::size_t>(bins_max, 2);
  const std::int64_t top = *std::max_element(values.begin(), values.end());
  // Bars for 0 .. bins_max-2 and one for the tail, or one per value when they fit.
  const std::size_t bins = std::min<std::size_t>(static_cast<std::size_t>(top) + 1, bins_max);
  const bool tail = static_cast<std::size_t>(top) + 1 > bins_max;
  std::vector<std::uint64_t> counts(bins, 0);
  for (std::int64_t v : values) {
    const auto i = static_cast<std::size_t>(std::max<std::int64_t>(v, 0));
    ++counts[std::min(i, bins - 1)];
  }
  const std::uint64_t highest = *std::max_element(counts.begin(), counts.end());
  const double y_max = nice_ceiling(static_cast<double>(highest));
  constexpr int kLeft = 50, kRight = kWidth - 10, kPlotTop = kTop + 10, kPlotBottom = 210;
  std::string out = open_svg(chart_id, title, 250);
  // The count axis.
  out += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>", kLeft,
                     kPlotTop, kPlotBottom);
  for (int i = 0; i <= 4; ++i) {
    const double y = kPlotBottom - (kPlotBottom - kPlotTop) * i / 4.0;
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\"/>"
        "<text class=\"tick-label\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>",
        kLeft, y, kRight, kLeft - 4, y + 4, y_max * i / 4);
  }
  const double slot = static_cast<double>(kRight - kLeft) / static_cast<double>(bins);
  for (std::size_t i = 0; i < bins; ++i) {
    const double h = (kPlotBottom - kPlotTop) * static_cast<double>(counts[i]) / y_max;
    const double x = kLeft + slot * static_cast<double>(i);
    const std::string label = tail && i == bins - 1 ? fmt::format("{}+", i) : fmt::format("{}", i);
    out += fmt::format(
        "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\">"
        "<title>{}: {} seeds</title></rect>",
        x + 1, kPlotBottom - h, std::max(slot - 2, 1.0), h, label, counts[i]);
    out += fmt::format(
        "<text class=\"tick-label\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        x + slot / 2, kPlotBottom + 14, label);
  }
  out += fmt::format(
      "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
      (kLeft + kRight) / 2, kPlotBottom + 32, escape_xml(x_label));
  return out;
}

std::string svg_box_strip(std::string_view chart_id, std::string_view title,
                          const std::vector<Series>& series) {
  std::int64_t top = 0;
  for (const Series& s : series) {
    if (!s.values.empty()) top = std::max(top, s.values.back());
  }
  if (series.empty()) return empty_chart(chart_id, title, "no scenarios");
  const double max = nice_ceiling(static_cast<double>(std::max(top, kAxisMinUs)));
  constexpr int kLeft = kLabelWidth, kRight = kWidth - 20;
  const int height = kTop + kRowHeight * static_cast<int>(series.size()) + 30;
  std::string out = open_svg(chart_id, title, height);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const int y = kTop + kRowHeight * static_cast<int>(i) + kRowHeight / 2;
    out += fmt::format("<text class=\"series-label\" x=\"8\" y=\"{}\">{}</text>", y + 4,
                       escape_xml(s.label));
    if (s.values.empty()) {
      out += fmt::format("<text class=\"chart-empty\" x=\"{}\" y=\"{}\">never converged</text>",
                         kLeft, y + 4);
      continue;
    }
    const auto x = [&](std::int64_t v) { return x_of(static_cast<double>(v), max, kLeft, kRight); };
    const std::int64_t lo = s.values.front(), hi = s.values.back();
    const std::int64_t q1 = percentile(s.values, 25), med = percentile(s.values, 50),
                       q3 = percentile(s.values, 75);
    out += fmt::format(
        "<g class=\"box\"><title>{}: min {}, p25 {}, median {}, p75 {}, max {} ({} seeds)"
        "</title>",
        escape_xml(s.label), format_duration_us(lo), format_duration_us(q1),
        format_duration_us(med), format_duration_us(q3), format_duration_us(hi), s.values.size());
    out += fmt::format("<line class=\"whisker\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>",
                       x(lo), y, x(hi), y);
    out += fmt::format("<rect class=\"iqr\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\"/>",
                       x(q1), y - 8, std::max(x(q3) - x(q1), 1.0), 16);
    out +=
        fmt::format("<line class=\"median\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>",
                    x(med), y - 9, y + 9);
    // The strip: every seed as a dot, jittered vertically by its rank (deterministic).
    for (std::size_t k = 0; k < s.values.size(); ++k) {
      const int dy = static_cast<int>(k % 5) * 3 - 6;
      out += fmt::format("<circle class=\"dot\" cx=\"{:.1f}\" cy=\"{}\" r=\"2\"/>", x(s.values[k]),
                         y + dy);
    }
    out += "</g>";
  }
  out += axis_with_ticks(max, kLeft, kRight, height - 26, /*durations=*/true);
  return out + "</svg>";
}

std::string svg_percentiles(std::string_view chart_id, std::string_view title,
                            const std::vector<Percentiles>& rows) {
  std::int64_t top = 0;
  for (const Percentiles& r : rows) top = std::max(top, r.max_us);
  if (rows.empty()) return empty_chart(chart_id, title, "no latency samples in these results");
  const double max = nice_ceiling(static_cast<double>(std::max(top, kAxisMinUs)));
  constexpr int kLeft = kLabelWidth, kRight = kWidth - 20;
  constexpr int kRow = 40;
  const int height = kTop + kRow * static_cast<int>(rows.size()) + 30;
  std::string out = open_svg(chart_id, title, height);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Percentiles& r = rows[i];
    const int y = kTop + kRow * static_cast<int>(i) + 14;
    out += fmt::format("<text class=\"series-label\" x=\"8\" y=\"{}\">{}</text>", y + 4,
                       escape_xml(r.label));
    if (r.samples == 0) continue;
    const auto x = [&](std::int64_t v) { return x_of(static_cast<double>(v), max, kLeft, kRight); };
    out += fmt::format("<line class=\"whisker\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>",
                       x(r.p50_us), y, x(r.max_us), y);
    const std::pair<const char*, std::int64_t> marks[] = {
        {"p50", r.p50_us}, {"p90", r.p90_us}, {"p99", r.p99_us}, {"max", r.max_us}};
    for (const auto& [name, v] : marks) {
      out += fmt::format(
          "<circle class=\"mark mark-{0}\" cx=\"{1:.1f}\" cy=\"{2}\" r=\"4\"><title>{0}: {3}"
          "</title></circle>",
          name, x(v), y, format_duration_us(v));
    }
    out += fmt::format(
        "<text class=\"figures\" x=\"{}\" y=\"{}\">p50 {} · p90 {} · p99 {} · max {} ({} calls)"
        "</text>",
        kLeft, y + 18, format_duration_us(r.p50_us), format_duration_us(r.p90_us),
        format_duration_us(r.p99_us), format_duration_us(r.max_us), r.samples);
  }
  out += axis_with_ticks(max, kLeft, kRight, height - 26, /*durations=*/true);
  return out + "</svg>";
}

std::string svg_bars(std::string_view chart_id, std::string_view title,
                     const std::vector<Bar>& bars) {
  if (bars.empty()) return empty_chart(chart_id, title, "nothing to show");
  double top = 0;
  for (const Bar& b : bars) top = std::max(top, b.value);
  const double max = top > 0 ? top : 1;
  constexpr int kLeft = kLabelWidth, kRight = kWidth - 150;
  const int height = kTop + kRowHeight * static_cast<int>(bars.size()) + 8;
  std::string out = open_svg(chart_id, title, height);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const int y = kTop + kRowHeight * static_cast<int>(i);
    const double w = x_of(b.value, max, kLeft, kRight) - kLeft;
    out += fmt::format(
        "<text class=\"series-label\" x=\"8\" y=\"{0}\">{1}</text>"
        "<rect class=\"bar\" x=\"{2}\" y=\"{3}\" width=\"{4:.1f}\" height=\"16\">"
        "<title>{1}: {5}</title></rect>"
        "<text class=\"figures\" x=\"{6:.1f}\" y=\"{0}\">{5}</text>",
        y + 16, escape_xml(b.label), kLeft, y + 4, std::max(w, 0.5), escape_xml(b.text),
        kLeft + w + 6);
  }
  return out + "</svg>";
}

}  // namespace intsim::reports
