#include "src/core/observability/metrics_registry.h"

#include <gtest/gtest.h>

namespace intsim::core::observability {
namespace {

TEST(MetricsRegistry, CountersAddAndReadBack) {
  MetricsRegistry m;
  m.count("requests_total", "stripe", "success");
  m.count("requests_total", "stripe", "success", 4);
  m.count("requests_total", "whatsapp", "timeout");
  EXPECT_EQ(m.counter("requests_total", "stripe", "success"), 5);
  EXPECT_EQ(m.counter("requests_total", "stripe", "timeout"), 0);
  EXPECT_EQ(m.counter_total("requests_total"), 6);
}

TEST(MetricsRegistry, HistogramBucketsAreInclusiveUpperBounds) {
  MetricsRegistry m;
  m.observe_us("latency", "stripe", "success", 1'000);       // le 1 ms
  m.observe_us("latency", "stripe", "success", 1'001);       // le 5 ms
  m.observe_us("latency", "stripe", "success", 0);           // le 1 ms
  m.observe_us("latency", "stripe", "success", 61'000'000);  // above every bound
  const auto* h = m.histogram("latency", "stripe", "success");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->buckets[0], 2);
  EXPECT_EQ(h->buckets[1], 1);
  EXPECT_EQ(h->over_max, 1);
  EXPECT_EQ(h->count, 4);
  EXPECT_EQ(h->sum_us, 61'002'001);
  EXPECT_EQ(m.histogram("latency", "stripe", "timeout"), nullptr);
}

TEST(MetricsRegistry, PrometheusTextIsOrderedCumulativeAndEscaped) {
  MetricsRegistry m;
  m.count("b_total", "z", "ok", 2);
  m.count("a_total", "stripe", "say \"hi\"\\\n");
  m.count("bad-name", "p", "o");
  m.observe_us("rtt", "stripe", "success", 1'500);
  m.observe_us("rtt", "stripe", "success", 70'000'000);
  const std::string text = m.prometheus_text();
  EXPECT_NE(text.find("# TYPE a_total counter\n"
                      "a_total{peer=\"stripe\",outcome=\"say \\\"hi\\\"\\\\\\n\"} 1\n"
                      "# TYPE b_total counter\n"
                      "b_total{peer=\"z\",outcome=\"ok\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bad_name{peer=\"p\",outcome=\"o\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE rtt_seconds histogram\n"
                      "rtt_seconds_bucket{peer=\"stripe\",outcome=\"success\",le=\"0.001\"} 0\n"
                      "rtt_seconds_bucket{peer=\"stripe\",outcome=\"success\",le=\"0.005\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rtt_seconds_bucket{peer=\"stripe\",outcome=\"success\",le=\"60\"} 1\n"
                      "rtt_seconds_bucket{peer=\"stripe\",outcome=\"success\",le=\"+Inf\"} 2\n"
                      "rtt_seconds_sum{peer=\"stripe\",outcome=\"success\"} 70.0015\n"
                      "rtt_seconds_count{peer=\"stripe\",outcome=\"success\"} 2\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace intsim::core::observability
