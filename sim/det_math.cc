#include "sim/det_math.h"

#include <cmath>

#include "src/core/assert.h"

namespace intsim::sim {
namespace {
constexpr double kLn2 = 0.693147180559945309417232121458176568;
constexpr double kSqrtHalf = 0.707106781186547524400844362104849039;
}  // namespace

double det_log(double x) {
  INTSIM_ASSERT(x > 0.0 && std::isfinite(x));
  int exponent = 0;
  double m = std::frexp(x, &exponent);  // x = m * 2^exponent, m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2.0;
    exponent -= 1;
  }
  // ln(m) = 2 atanh(t) with t = (m - 1) / (m + 1), |t| <= 0.172: the series converges fast.
  const double t = (m - 1.0) / (m + 1.0);
  const double t2 = t * t;
  double term = t;
  double sum = 0.0;
  for (int k = 0; k < 16; ++k) {
    sum += term / static_cast<double>(2 * k + 1);
    term *= t2;
  }
  return static_cast<double>(exponent) * kLn2 + 2.0 * sum;
}

double det_exp(double x) {
  if (x > 700.0) x = 700.0;
  if (x < -700.0) x = -700.0;
  // x = k ln2 + r with |r| <= ln2 / 2, so e^x = 2^k e^r and the Taylor series of e^r is short.
  const double k = std::floor(x / kLn2 + 0.5);
  const double r = x - k * kLn2;
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n < 20; ++n) {
    term *= r / static_cast<double>(n);
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

}  // namespace intsim::sim
