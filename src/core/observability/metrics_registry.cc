#include "src/core/observability/metrics_registry.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::core::observability {
namespace {

// The entry of `map` for (name, peer, outcome), made (value-initialized) when new: the strings
// of a key are built only the first time it is counted.
template <typename Map>
typename Map::mapped_type& entry(Map& map, std::string_view name, std::string_view peer,
                                 std::string_view outcome) {
  const MetricsRegistry::KeyView view{name, peer, outcome};
  auto it = map.lower_bound(view);
  if (it == map.end() || view < it->first) {
    it = map.emplace_hint(
        it, MetricsRegistry::Key{std::string(name), std::string(peer), std::string(outcome)},
        typename Map::mapped_type{});
  }
  return it->second;
}

// Metric names allow [a-zA-Z_:][a-zA-Z0-9_:]*; anything else becomes '_'.
std::string metric_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

// Label values escape backslash, double quote and newline.
std::string label_value(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Microseconds as decimal seconds, exactly (no floating point): 1500 -> "0.0015".
std::string seconds(TimeUs us) {
  const bool negative = us < 0;
  const std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(us) : us;
  std::string frac = fmt::format("{:06d}", mag % 1'000'000);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return fmt::format("{}{}{}{}", negative ? "-" : "", mag / 1'000'000, frac.empty() ? "" : ".",
                     frac);
}

}  // namespace

void MetricsRegistry::count(std::string_view name, std::string_view peer, std::string_view outcome,
                            std::int64_t delta) {
  entry(counters_, name, peer, outcome) += delta;
}

void MetricsRegistry::observe_us(std::string_view name, std::string_view peer,
                                 std::string_view outcome, TimeUs value_us) {
  Histogram& h = entry(histograms_, name, peer, outcome);
  std::size_t i = 0;
  while (i < kBucketBoundsUs.size() && value_us > kBucketBoundsUs[i]) ++i;
  if (i < kBucketBoundsUs.size()) {
    ++h.buckets[i];
  } else {
    ++h.over_max;
  }
  ++h.count;
  h.sum_us += value_us;
  h.max_us = std::max(h.max_us, value_us);
}

std::int64_t MetricsRegistry::counter(std::string_view name, std::string_view peer,
                                      std::string_view outcome) const {
  const auto it = counters_.find(KeyView{name, peer, outcome});
  return it == counters_.end() ? 0 : it->second;
}

std::int64_t MetricsRegistry::counter_total(std::string_view name) const {
  std::int64_t total = 0;
  for (const auto& [key, value] : counters_) {
    if (std::get<0>(key) == name) total += value;
  }
  return total;
}

const MetricsRegistry::Histogram* MetricsRegistry::histogram(std::string_view name,
                                                             std::string_view peer,
                                                             std::string_view outcome) const {
  const auto it = histograms_.find(KeyView{name, peer, outcome});
  return it == histograms_.end() ? nullptr : &it->second;
}

std::string MetricsRegistry::prometheus_text() const {
  std::string out;
  std::string current;
  for (const auto& [key, value] : counters_) {
    const auto& [name, peer, outcome] = key;
    const std::string m = metric_name(name);
    if (m != current) {
      out += fmt::format("# TYPE {} counter\n", m);
      current = m;
    }
    out += fmt::format("{}{{peer=\"{}\",outcome=\"{}\"}} {}\n", m, label_value(peer),
                       label_value(outcome), value);
  }
  current.clear();
  for (const auto& [key, h] : histograms_) {
    const auto& [name, peer, outcome] = key;
    const std::string m = metric_name(name) + "_seconds";
    if (m != current) {
      out += fmt::format("# TYPE {} histogram\n", m);
      current = m;
    }
    const std::string labels =
        fmt::format("peer=\"{}\",outcome=\"{}\"", label_value(peer), label_value(outcome));
    std::int64_t cumulative = 0;
    for (std::size_t i = 0; i < kBucketBoundsUs.size(); ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", m, labels, seconds(kBucketBoundsUs[i]),
                         cumulative);
    }
    INTSIM_ASSERT(cumulative + h.over_max == h.count);
    out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", m, labels, h.count);
    out += fmt::format("{}_sum{{{}}} {}\n", m, labels, seconds(h.sum_us));
    out += fmt::format("{}_count{{{}}} {}\n", m, labels, h.count);
  }
  return out;
}

}  // namespace intsim::core::observability
