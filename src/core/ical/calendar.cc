#include "src/core/ical/calendar.h"

#include "src/core/assert.h"
#include "src/core/ical/date.h"

namespace intsim::core::ical {

Moment Moment::date(std::int32_t days) {
  Moment m;
  m.kind = Kind::kDate;
  m.days = days;
  return m;
}

Moment Moment::utc(TimeUs t_us) {
  const std::int64_t seconds = unix_seconds(t_us);
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    days -= 1;
  }
  INTSIM_ASSERT(days >= kDaysMin && days <= kDaysMax);
  Moment m;
  m.kind = Kind::kUtc;
  m.days = static_cast<std::int32_t>(days);
  m.second_of_day = static_cast<std::int32_t>(second_of_day);
  return m;
}

Moment Moment::local(std::int32_t days, std::int32_t second_of_day, std::string tzid) {
  INTSIM_ASSERT(second_of_day >= 0 && second_of_day < kSecondsPerDay);
  Moment m;
  m.kind = Kind::kLocal;
  m.days = days;
  m.second_of_day = second_of_day;
  m.tzid = std::move(tzid);
  return m;
}

TimeUs Moment::utc_us() const {
  INTSIM_ASSERT(kind == Kind::kUtc);
  return wall_seconds() * kUsPerSec;
}

std::int64_t Moment::wall_seconds() const {
  return static_cast<std::int64_t>(days) * kSecondsPerDay + second_of_day;
}

bool Event::operator==(const Event& other) const {
  return uid == other.uid && start == other.start && end == other.end && summary == other.summary &&
         description == other.description && status == other.status &&
         has_stamp == other.has_stamp && (!has_stamp || stamp_us == other.stamp_us);
}

std::string_view status_name(EventStatus status) {
  switch (status) {
    case EventStatus::kNone:
      return "";
    case EventStatus::kTentative:
      return "TENTATIVE";
    case EventStatus::kConfirmed:
      return "CONFIRMED";
    case EventStatus::kCancelled:
      return "CANCELLED";
  }
  return "";
}

}  // namespace intsim::core::ical
