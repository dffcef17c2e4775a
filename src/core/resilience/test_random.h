// A core::Random for the resilience tests: splitmix64 from a fixed seed. The core cannot use
// sim::Rng (layering), and the tests only need a reproducible stream of words.
#pragma once

#include <cstdint>

#include "src/core/ports.h"

namespace intsim::core::resilience::testing {

class SplitMixRandom final : public Random {
 public:
  explicit SplitMixRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next_u64() override {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

}  // namespace intsim::core::resilience::testing
