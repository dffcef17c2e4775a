// An in-memory core::Metrics: counters and latency histograms keyed by (name, peer, outcome) in
// ordered maps, so rendering and reading are deterministic. The harness reads values directly;
// real mode serves prometheus_text() on /metrics.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "src/core/ports.h"

namespace intsim::core::observability {

class MetricsRegistry final : public Metrics {
 public:
  // Upper bounds of the latency buckets, inclusive (Prometheus `le`), from 1 ms to 60 s: the
  // range between a fast local peer and the longest timeout we configure. Above: +Inf only.
  static constexpr std::array<TimeUs, 14> kBucketBoundsUs = {
      1'000,   5'000,     10'000,    25'000,    50'000,     100'000,    250'000,
      500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000};

  struct Histogram {
    std::array<std::int64_t, kBucketBoundsUs.size()> buckets{};  // per bucket, not cumulative
    std::int64_t over_max = 0;                                   // above the last bound
    std::int64_t count = 0;
    TimeUs sum_us = 0;
    TimeUs max_us = 0;  // the largest value observed (reports show it next to the quantiles)
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // name, peer, outcome
  // Ordered as Key and comparable with it: a count looks its counter up without three strings.
  using KeyView = std::tuple<std::string_view, std::string_view, std::string_view>;
  using Counters = std::map<Key, std::int64_t, std::less<>>;
  using Histograms = std::map<Key, Histogram, std::less<>>;

  void count(std::string_view name, std::string_view peer, std::string_view outcome,
             std::int64_t delta = 1) override;
  void observe_us(std::string_view name, std::string_view peer, std::string_view outcome,
                  TimeUs value_us) override;

  // 0 for a counter never touched.
  std::int64_t counter(std::string_view name, std::string_view peer,
                       std::string_view outcome) const;
  // Sum over every peer and outcome of `name`.
  std::int64_t counter_total(std::string_view name) const;
  // nullptr for a histogram never observed.
  const Histogram* histogram(std::string_view name, std::string_view peer,
                             std::string_view outcome) const;
  const Counters& counters() const { return counters_; }
  const Histograms& histograms() const { return histograms_; }

  // Prometheus text exposition format 0.0.4. Histograms are in seconds, as Prometheus expects
  // (name suffixed _seconds); counters keep the caller's name (which should end in _total).
  std::string prometheus_text() const;

 private:
  Counters counters_;
  Histograms histograms_;
};

}  // namespace intsim::core::observability
