#include "src/core/observability/recorders.h"

namespace intsim::core::observability {

std::string_view RecordingLog::Record::field(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return {};
}

void RecordingLog::write(TimeUs at_us, LogLevel level, std::string_view event,
                         std::initializer_list<LogField> fields) {
  if (level < level_min_) return;
  Record r{at_us, level, std::string(event), {}};
  r.fields.reserve(fields.size());
  for (const LogField& f : fields) r.fields.emplace_back(std::string(f.key), f.value);
  records_.push_back(std::move(r));
}

std::size_t RecordingLog::count(std::string_view event) const {
  std::size_t n = 0;
  for (const Record& r : records_) n += r.event == event ? 1 : 0;
  return n;
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

std::size_t RecordingAlerts::count(std::string_view kind) const {
  std::size_t n = 0;
  for (const Alert& a : alerts_) n += a.kind == kind ? 1 : 0;
  return n;
}

std::size_t RecordingAlerts::count(std::string_view kind, std::string_view subject) const {
  std::size_t n = 0;
  for (const Alert& a : alerts_) n += (a.kind == kind && a.subject == subject) ? 1 : 0;
  return n;
}

}  // namespace intsim::core::observability
