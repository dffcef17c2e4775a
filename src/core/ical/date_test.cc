#include "src/core/ical/date.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace intsim::core::ical {
namespace {

TEST(IcalDate, KnownDays) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({1969, 12, 31}), -1);
  EXPECT_EQ(days_from_civil({2000, 3, 1}), 11017);
  EXPECT_EQ(days_from_civil({2024, 2, 29}), 19782);
  EXPECT_EQ(days_from_civil({0, 1, 1}), kDaysMin);
  EXPECT_EQ(days_from_civil({9999, 12, 31}), kDaysMax);
  EXPECT_EQ(civil_from_days(19782), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(civil_from_days(kDaysMin), (CivilDate{0, 1, 1}));
}

TEST(IcalDate, ParseAndFormatYyyymmdd) {
  std::int32_t d = 0;
  ASSERT_TRUE(parse_yyyymmdd("20240229", &d));
  EXPECT_EQ(d, 19782);
  EXPECT_EQ(format_yyyymmdd(d), "20240229");
  EXPECT_EQ(format_iso_date(d), "2024-02-29");
  EXPECT_FALSE(parse_yyyymmdd("20230229", &d));  // not a leap year
  EXPECT_FALSE(parse_yyyymmdd("19000229", &d));  // century, not leap
  EXPECT_TRUE(parse_yyyymmdd("20000229", &d));   // 400-year, leap
  EXPECT_FALSE(parse_yyyymmdd("20241301", &d));
  EXPECT_FALSE(parse_yyyymmdd("20240100", &d));
  EXPECT_FALSE(parse_yyyymmdd("2024011", &d));
  EXPECT_FALSE(parse_yyyymmdd("2024-1-1", &d));
  EXPECT_FALSE(parse_yyyymmdd("2024010a", &d));
}

// The hand-written formatting is fmt's "{:04}{:02}{:02}" byte for byte.
RC_GTEST_PROP(IcalDate, FormattingIsFmtsPadding, ()) {
  const auto days = *rc::gen::inRange<std::int32_t>(kDaysMin, kDaysMax + 1);
  const CivilDate c = civil_from_days(days);
  RC_ASSERT(format_yyyymmdd(days) == fmt::format("{:04}{:02}{:02}", c.year, c.month, c.day));
  std::string out = "x";
  append_digits(days >= 0 ? days % 10'000 : 7, 4, &out);
  RC_ASSERT(out == fmt::format("x{:04}", days >= 0 ? days % 10'000 : 7));
}

RC_GTEST_PROP(IcalDate, DaysRoundTripThroughCivil, ()) {
  const auto days = *rc::gen::inRange<std::int32_t>(kDaysMin, kDaysMax + 1);
  const CivilDate c = civil_from_days(days);
  RC_ASSERT(is_valid_civil(c));
  RC_ASSERT(days_from_civil(c) == days);
  std::int32_t back = 0;
  RC_ASSERT(parse_yyyymmdd(format_yyyymmdd(days), &back));
  RC_ASSERT(back == days);
  // Consecutive days are consecutive dates.
  if (days < kDaysMax) {
    const CivilDate n = civil_from_days(days + 1);
    RC_ASSERT((n.day == c.day + 1) || (n.day == 1 && c.day == days_in_month(c.year, c.month)));
  }
}

}  // namespace
}  // namespace intsim::core::ical
