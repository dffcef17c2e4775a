// Range reduction for the core's randomness (jitter, ids): our own, never std distributions,
// so a seed means the same on every standard library. sim::Rng uses the same function.
#pragma once

#include <cstdint>

#include "src/core/ports.h"

namespace intsim::core {

// Uniform in [0, bound) without modulo bias (Lemire's multiply-and-reject); bound > 0.
// `next` is called one or more times for fresh 64-bit words.
template <typename NextWord>
std::uint64_t uniform_below(NextWord&& next, std::uint64_t bound);

inline std::uint64_t uniform_below(Random& random, std::uint64_t bound) {
  return uniform_below([&] { return random.next_u64(); }, bound);
}

template <typename NextWord>
std::uint64_t uniform_below(NextWord&& next, std::uint64_t bound) {
  __extension__ using Uint128 = unsigned __int128;
  Uint128 m = static_cast<Uint128>(next()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<Uint128>(next()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace intsim::core
