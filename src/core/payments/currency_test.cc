#include "src/core/payments/currency.h"

#include <gtest/gtest.h>

namespace intsim::core::payments {
namespace {

TEST(Currency, ZeroDecimalListIsStripes) {
  for (const char* c : {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                        "vnd", "vuv", "xaf", "xof", "xpf", "JPY"}) {
    EXPECT_TRUE(is_zero_decimal(c)) << c;
  }
  for (const char* c : {"usd", "eur", "gbp", "cop", "isk", "huf", ""}) {
    EXPECT_FALSE(is_zero_decimal(c)) << c;
  }
  EXPECT_EQ(api_exponent("jpy"), 0);
  EXPECT_EQ(api_exponent("cop"), 2);
  EXPECT_EQ(api_exponent("isk"), 2);
}

TEST(Currency, CopIsTwoDecimalForStripe) {
  std::int64_t amount = 0;
  ASSERT_TRUE(to_smallest_unit("10000", "cop", &amount).is_ok());
  EXPECT_EQ(amount, 1000000);
  ASSERT_TRUE(to_smallest_unit("10000.50", "cop", &amount).is_ok());
  EXPECT_EQ(amount, 1000050);
}

TEST(Currency, MajorToSmallestUnit) {
  std::int64_t amount = 0;
  ASSERT_TRUE(to_smallest_unit("12.5", "usd", &amount).is_ok());
  EXPECT_EQ(amount, 1250);
  ASSERT_TRUE(to_smallest_unit("0.50", "eur", &amount).is_ok());
  EXPECT_EQ(amount, 50);
  ASSERT_TRUE(to_smallest_unit("1200", "jpy", &amount).is_ok());
  EXPECT_EQ(amount, 1200);
  ASSERT_TRUE(to_smallest_unit("1200", "krw", &amount).is_ok());
  EXPECT_EQ(amount, 1200);
  amount = 7;
  EXPECT_FALSE(to_smallest_unit("12.5", "jpy", &amount).is_ok());  // yen has no fraction
  EXPECT_FALSE(to_smallest_unit("1.234", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit("-1", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit("1e3", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit("", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit(".5", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit("5.", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit("99999999999999999999", "usd", &amount).is_ok());
  EXPECT_FALSE(to_smallest_unit("10", "xyz", &amount).is_ok());
  EXPECT_EQ(amount, 7);  // untouched on failure
}

TEST(Currency, IskMustBeWholeKronur) {
  std::int64_t amount = 0;
  ASSERT_TRUE(to_smallest_unit("1500", "isk", &amount).is_ok());
  EXPECT_EQ(amount, 150000);
  EXPECT_FALSE(to_smallest_unit("1500.10", "isk", &amount).is_ok());
  EXPECT_EQ(check_charge_amount(150000, "isk"), AmountProblem::kNone);
  EXPECT_EQ(check_charge_amount(150050, "isk"), AmountProblem::kNotWholeUnit);
  EXPECT_EQ(check_partial_amount(150, "isk"), AmountProblem::kNotWholeUnit);
  EXPECT_EQ(check_partial_amount(100, "isk"), AmountProblem::kNone);
}

TEST(Currency, Minimums) {
  EXPECT_EQ(check_charge_amount(50, "usd"), AmountProblem::kNone);
  EXPECT_EQ(check_charge_amount(49, "usd"), AmountProblem::kTooSmall);
  EXPECT_EQ(check_charge_amount(30, "gbp"), AmountProblem::kNone);
  EXPECT_EQ(check_charge_amount(29, "gbp"), AmountProblem::kTooSmall);
  EXPECT_EQ(check_charge_amount(49, "eur"), AmountProblem::kTooSmall);
  EXPECT_EQ(check_charge_amount(50, "jpy"), AmountProblem::kNone);
  EXPECT_EQ(check_charge_amount(49, "jpy"), AmountProblem::kTooSmall);
  EXPECT_EQ(check_charge_amount(199900, "cop"), AmountProblem::kTooSmall);
  EXPECT_EQ(check_charge_amount(200000, "cop"), AmountProblem::kNone);
  EXPECT_EQ(check_charge_amount(9900, "isk"), AmountProblem::kTooSmall);
  // A refund has no minimum.
  EXPECT_EQ(check_partial_amount(1, "usd"), AmountProblem::kNone);
}

TEST(Currency, InvalidAmountsAndCurrencies) {
  EXPECT_EQ(check_charge_amount(0, "usd"), AmountProblem::kNotPositive);
  EXPECT_EQ(check_charge_amount(-100, "usd"), AmountProblem::kNotPositive);
  EXPECT_EQ(check_charge_amount(kAmountMax, "usd"), AmountProblem::kNone);
  EXPECT_EQ(check_charge_amount(kAmountMax + 1, "usd"), AmountProblem::kTooLarge);
  EXPECT_EQ(check_charge_amount(1000, "USD"), AmountProblem::kUnsupportedCurrency);
  EXPECT_EQ(check_charge_amount(1000, "xyz"), AmountProblem::kUnsupportedCurrency);
  const Status s = validate_charge_amount(10, "usd");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("minimum"), std::string::npos) << s.message();
  EXPECT_TRUE(validate_charge_amount(5000, "usd").is_ok());
  EXPECT_NE(validate_charge_amount(150050, "isk").message().find("divisible by 100"),
            std::string::npos);
}

}  // namespace
}  // namespace intsim::core::payments
