#include "src/core/observability/recorders.h"

#include <gtest/gtest.h>

namespace intsim::core::observability {
namespace {

TEST(RecordingLog, KeepsEventsFieldsAndOrderAboveTheLevel) {
  RecordingLog log(LogLevel::kInfo);
  log.write(5, LogLevel::kDebug, "noise", {});
  log.write(7, LogLevel::kWarn, "outbox.retry", {{"job", "job_1"}, {"attempt", "2"}});
  log.write(9, LogLevel::kInfo, "outbox.retry", {});
  ASSERT_EQ(log.records().size(), 2u);
  EXPECT_EQ(log.records()[0].at_us, 7);
  EXPECT_EQ(log.records()[0].field("attempt"), "2");
  EXPECT_EQ(log.records()[0].field("missing"), "");
  EXPECT_EQ(log.count("outbox.retry"), 2u);
  EXPECT_EQ(log.count("noise"), 0u);
  EXPECT_EQ(log_level_name(LogLevel::kWarn), "warn");
}

TEST(RecordingAlerts, CountsByKindAndSubject) {
  RecordingAlerts alerts;
  alerts.raise({1, "dlq", "job_1", "dead"});
  alerts.raise({2, "dlq", "job_2", "dead"});
  alerts.raise({3, "circuit_open", "stripe", "open"});
  EXPECT_EQ(alerts.count("dlq"), 2u);
  EXPECT_EQ(alerts.count("dlq", "job_2"), 1u);
  EXPECT_EQ(alerts.alerts().back().subject, "stripe");
}

}  // namespace
}  // namespace intsim::core::observability
