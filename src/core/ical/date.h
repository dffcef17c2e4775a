// Calendar dates as days since the Unix epoch (1970-01-01 is day 0), the unit availability is
// kept in: a night is the date it starts on. Proleptic Gregorian calendar, years 0000..9999
// (what an iCal DATE can spell).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace intsim::core::ical {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..days_in_month
  bool operator==(const CivilDate&) const = default;
};

inline constexpr std::int32_t kDaysMin = -719528;  // 0000-01-01
inline constexpr std::int32_t kDaysMax = 2932896;  // 9999-12-31

bool is_valid_civil(const CivilDate& date);
int days_in_month(int year, int month);

// Defined for valid dates only (INTSIM_ASSERT otherwise).
std::int32_t days_from_civil(const CivilDate& date);
// Defined for kDaysMin..kDaysMax (INTSIM_ASSERT otherwise).
CivilDate civil_from_days(std::int32_t days);

// "YYYYMMDD" <-> days. Parsing accepts exactly 8 digits naming a real date.
bool parse_yyyymmdd(std::string_view text, std::int32_t* days);
std::string format_yyyymmdd(std::int32_t days);
// The same, appended to `out` (writers format a date for every stay of every feed they serve).
void append_yyyymmdd(std::int32_t days, std::string* out);
// `value` (0 <= value < 10^width, width 1 to 4) zero-padded to `width` digits.
void append_digits(int value, int width, std::string* out);
// "YYYY-MM-DD", for JSON and messages.
std::string format_iso_date(std::int32_t days);

}  // namespace intsim::core::ical
