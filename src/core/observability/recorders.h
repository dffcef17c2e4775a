// core::Log and core::Alerts that keep what they are given, in order: for tests, and for the
// simulator's reports (what was logged and alerted during a run, at which virtual time).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/ports.h"

namespace intsim::core::observability {

class RecordingLog final : public Log {
 public:
  struct Record {
    TimeUs at_us = 0;
    LogLevel level = LogLevel::kInfo;
    std::string event;
    std::vector<std::pair<std::string, std::string>> fields;  // in the order written

    // The value of field `key`, or empty when absent.
    std::string_view field(std::string_view key) const;
  };

  // Records at `level_min` or above; below it they are dropped (a long run logs a lot of debug).
  explicit RecordingLog(LogLevel level_min = LogLevel::kDebug) : level_min_(level_min) {}

  void write(TimeUs at_us, LogLevel level, std::string_view event,
             std::initializer_list<LogField> fields) override;

  const std::vector<Record>& records() const { return records_; }
  std::size_t count(std::string_view event) const;
  void clear() { records_.clear(); }

 private:
  LogLevel level_min_;
  std::vector<Record> records_;
};

std::string_view log_level_name(LogLevel level);

class RecordingAlerts final : public Alerts {
 public:
  void raise(const Alert& alert) override { alerts_.push_back(alert); }
  const std::vector<Alert>& alerts() const { return alerts_; }
  std::size_t count(std::string_view kind) const;
  std::size_t count(std::string_view kind, std::string_view subject) const;

 private:
  std::vector<Alert> alerts_;
};

}  // namespace intsim::core::observability
