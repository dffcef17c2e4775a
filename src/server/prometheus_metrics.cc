#include "src/server/prometheus_metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace intsim::server {
namespace {

std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string labels(const std::string& peer, const std::string& outcome) {
  return fmt::format("peer=\"{}\",outcome=\"{}\"", label_value(peer), label_value(outcome));
}

// Seconds from microseconds, exactly: 1500 -> "0.0015".
std::string seconds(core::TimeUs us) {
  std::string s = fmt::format("{}.{:06d}", us / core::kUsPerSec, us % core::kUsPerSec);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string prometheus_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

void PrometheusMetrics::count(std::string_view name, std::string_view peer,
                              std::string_view outcome, std::int64_t delta) {
  counters_[Key(name, peer, outcome)] += delta;
}

void PrometheusMetrics::observe_us(std::string_view name, std::string_view peer,
                                   std::string_view outcome, core::TimeUs value_us) {
  // A wall-clock step can make a measured duration negative; count it as zero.
  value_us = std::max<core::TimeUs>(0, value_us);
  Histogram& h = histograms_[Key(name, peer, outcome)];
  for (std::size_t i = 0; i < kBucketsUs.size(); ++i) {
    if (value_us <= kBucketsUs[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum_us += value_us;
}

std::string PrometheusMetrics::text() const {
  std::string out;
  std::string last;
  for (const auto& [key, value] : counters_) {
    const auto& [name, peer, outcome] = key;
    const std::string metric = "intsim_" + prometheus_name(name) + "_total";
    if (metric != last) out += fmt::format("# TYPE {} counter\n", metric);
    last = metric;
    out += fmt::format("{}{{{}}} {}\n", metric, labels(peer, outcome), value);
  }
  last.clear();
  for (const auto& [key, h] : histograms_) {
    const auto& [name, peer, outcome] = key;
    const std::string metric = "intsim_" + prometheus_name(name) + "_seconds";
    if (metric != last) out += fmt::format("# TYPE {} histogram\n", metric);
    last = metric;
    const std::string l = labels(peer, outcome);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBucketsUs.size(); ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", metric, l, seconds(kBucketsUs[i]),
                         cumulative);
    }
    out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", metric, l, h.count);
    out += fmt::format("{}_sum{{{}}} {}\n", metric, l, seconds(h.sum_us));
    out += fmt::format("{}_count{{{}}} {}\n", metric, l, h.count);
  }
  return out;
}

}  // namespace intsim::server
