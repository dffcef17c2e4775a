#include "src/core/ical/date.h"

#include <fmt/format.h>

#include "src/core/assert.h"

namespace intsim::core::ical {
namespace {

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Shifts the year to start in March so that the leap day is the last day of a year; then a
// 400-year era has a fixed number of days (146097) and day-of-year is a linear function of the
// shifted month.
constexpr std::int32_t kDaysPerEra = 146097;
constexpr std::int32_t kEpochShift = 719468;  // days from 0000-03-01 to 1970-01-01

}  // namespace

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  INTSIM_ASSERT(month >= 1 && month <= 12);
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

bool is_valid_civil(const CivilDate& date) {
  return date.year >= 0 && date.year <= 9999 && date.month >= 1 && date.month <= 12 &&
         date.day >= 1 && date.day <= days_in_month(date.year, date.month);
}

std::int32_t days_from_civil(const CivilDate& date) {
  INTSIM_ASSERT(is_valid_civil(date));
  const int y = date.month <= 2 ? date.year - 1 : date.year;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int year_of_era = y - era * 400;                                       // 0..399
  const int shifted_month = date.month > 2 ? date.month - 3 : date.month + 9;  // March = 0
  const int day_of_year = (153 * shifted_month + 2) / 5 + date.day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * kDaysPerEra + day_of_era - kEpochShift;
}

CivilDate civil_from_days(std::int32_t days) {
  INTSIM_ASSERT(days >= kDaysMin && days <= kDaysMax);
  const std::int32_t z = days + kEpochShift;
  const std::int32_t era = (z >= 0 ? z : z - kDaysPerEra + 1) / kDaysPerEra;
  const std::int32_t day_of_era = z - era * kDaysPerEra;
  const std::int32_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int32_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int32_t shifted_month = (5 * day_of_year + 2) / 153;
  CivilDate out;
  out.day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  out.month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  out.year = year_of_era + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

bool parse_yyyymmdd(std::string_view text, std::int32_t* days) {
  if (text.size() != 8) return false;
  int digits[8];
  for (int i = 0; i < 8; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    digits[i] = text[i] - '0';
  }
  CivilDate d;
  d.year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  d.month = digits[4] * 10 + digits[5];
  d.day = digits[6] * 10 + digits[7];
  if (!is_valid_civil(d)) return false;
  *days = days_from_civil(d);
  return true;
}

void append_digits(int value, int width, std::string* out) {
  INTSIM_ASSERT(value >= 0 && width >= 1 && width <= 4);
  char digits[4];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  INTSIM_ASSERT(value == 0);  // it fitted
  out->append(digits, static_cast<std::size_t>(width));
}

void append_yyyymmdd(std::int32_t days, std::string* out) {
  const CivilDate d = civil_from_days(days);  // years 0 to 9999: four digits
  append_digits(d.year, 4, out);
  append_digits(d.month, 2, out);
  append_digits(d.day, 2, out);
}

std::string format_yyyymmdd(std::int32_t days) {
  std::string out;
  append_yyyymmdd(days, &out);
  return out;
}

std::string format_iso_date(std::int32_t days) {
  const CivilDate d = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

}  // namespace intsim::core::ical
