// The Metrics port for real mode, exposed on GET /metrics in the Prometheus text format (0.0.4):
// count() feeds a counter `intsim_<name>_total`, observe_us() a histogram
// `intsim_<name>_seconds`, both labelled {peer, outcome}. Output is sorted by name and labels,
// so two scrapes of the same state are byte-identical.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "src/core/ports.h"

namespace intsim::server {

class PrometheusMetrics final : public core::Metrics {
 public:
  // Upper bounds of the histogram buckets, in microseconds (0.5 ms to 10 s), then +Inf.
  static constexpr std::array<core::TimeUs, 14> kBucketsUs = {
      500,     1'000,   2'500,   5'000,     10'000,    25'000,    50'000,
      100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

  void count(std::string_view name, std::string_view peer, std::string_view outcome,
             std::int64_t delta = 1) override;
  void observe_us(std::string_view name, std::string_view peer, std::string_view outcome,
                  core::TimeUs value_us) override;

  std::string text() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // name, peer, outcome
  struct Histogram {
    std::array<std::uint64_t, kBucketsUs.size()> buckets{};  // not cumulative
    std::uint64_t count = 0;
    core::TimeUs sum_us = 0;
  };
  std::map<Key, std::int64_t> counters_;
  std::map<Key, Histogram> histograms_;
};

// "webhook.received" -> "webhook_received": Prometheus names are [a-zA-Z_:][a-zA-Z0-9_:]*.
std::string prometheus_name(std::string_view name);

}  // namespace intsim::server
