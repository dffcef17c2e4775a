#include "src/server/prometheus_metrics.h"

#include <gtest/gtest.h>

namespace intsim::server {
namespace {

TEST(PrometheusMetrics, CountersAreSummedAndRenderedSortedWithEscapedLabels) {
  PrometheusMetrics m;
  m.count("webhook.received", "stripe", "accepted");
  m.count("webhook.received", "stripe", "accepted", 2);
  m.count("webhook.received", "stripe", "duplicate");
  m.count("dlq", "wa\"x", "line\nbreak");
  EXPECT_EQ(m.text(),
            "# TYPE intsim_dlq_total counter\n"
            "intsim_dlq_total{peer=\"wa\\\"x\",outcome=\"line\\nbreak\"} 1\n"
            "# TYPE intsim_webhook_received_total counter\n"
            "intsim_webhook_received_total{peer=\"stripe\",outcome=\"accepted\"} 3\n"
            "intsim_webhook_received_total{peer=\"stripe\",outcome=\"duplicate\"} 1\n");
}

TEST(PrometheusMetrics, HistogramBucketsAreCumulativeInSeconds) {
  PrometheusMetrics m;
  m.observe_us("http.latency", "stripe", "ok", 400);         // <= 0.5 ms
  m.observe_us("http.latency", "stripe", "ok", 1'000);       // exactly on the 1 ms bound
  m.observe_us("http.latency", "stripe", "ok", 30'000'000);  // past every bound: only +Inf
  const std::string text = m.text();
  const std::string l = "peer=\"stripe\",outcome=\"ok\"";
  EXPECT_NE(text.find("# TYPE intsim_http_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("intsim_http_latency_seconds_bucket{" + l + ",le=\"0.0005\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("intsim_http_latency_seconds_bucket{" + l + ",le=\"0.001\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("intsim_http_latency_seconds_bucket{" + l + ",le=\"10\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("intsim_http_latency_seconds_bucket{" + l + ",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("intsim_http_latency_seconds_sum{" + l + "} 30.0014\n"), std::string::npos);
  EXPECT_NE(text.find("intsim_http_latency_seconds_count{" + l + "} 3\n"), std::string::npos);
}

TEST(PrometheusMetrics, NamesAreSanitised) {
  EXPECT_EQ(prometheus_name("ical.sync-lag"), "ical_sync_lag");
}

}  // namespace
}  // namespace intsim::server
