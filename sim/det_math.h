// Deterministic elementary functions for the simulator's distributions.
//
// std::log and std::exp may differ in the last bit between C libraries and versions, which
// would silently change what a seed means. These use only +, -, *, / and frexp/ldexp, which
// IEEE 754 defines exactly (the build turns off FMA contraction), so the same input gives the
// same bits on every conforming platform. Accuracy is within a few ulps: plenty for drawing
// latencies, not meant for numerics.
#pragma once

namespace intsim::sim {

// Natural logarithm for x > 0 (asserts otherwise).
double det_log(double x);
// e^x for x in [-700, 700] (clamped outside).
double det_exp(double x);

}  // namespace intsim::sim
