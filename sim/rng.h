// Seeded randomness: one master seed, named streams split from it.
//
// A stream is xoshiro256** seeded through splitmix64 from (master seed, stream name), so adding
// a new stream never shifts the numbers an existing stream draws. Range reduction and every
// distribution are our own: std::uniform_*_distribution differ between standard libraries
// (DESIGN.md section 2). Golden tests in rng_test.cc pin the exact sequences.
#pragma once

#include <cstdint>
#include <string_view>

#include "src/core/ports.h"

namespace intsim::sim {

// splitmix64: used to expand seeds, never to draw simulation values directly.
std::uint64_t splitmix64_next(std::uint64_t& state);

// FNV-1a 64 of a stream name; fixed forever, since it is part of what a seed means.
std::uint64_t stream_name_hash(std::string_view name);

// Also the core's Random port: a node's core draws jitter from its own stream.
class Rng final : public core::Random {
 public:
  // The stream `name` of `master_seed`.
  Rng(std::uint64_t master_seed, std::string_view name);
  // A stream seeded directly (for tests and for child streams).
  explicit Rng(std::uint64_t seed);

  // A child stream, e.g. one per node, derived from this stream's identity, not its position.
  Rng child(std::string_view name) const;

  std::uint64_t next_u64() override;
  // Uniform in [0, bound) without modulo bias (Lemire's multiply-and-reject); bound > 0.
  std::uint64_t uniform(std::uint64_t bound);
  // Uniform in [lo, hi], inclusive; lo <= hi.
  std::int64_t uniform_range(std::int64_t lo, std::int64_t hi);
  // Uniform in [0, 1) with 53 random bits.
  double next_double();
  // True with probability p (p <= 0: never, p >= 1: always).
  bool bernoulli(double p);
  // Exponential with the given mean.
  double exponential(double mean);
  // Standard normal (Marsaglia's polar method: no trigonometry, so deterministic).
  double normal();
  // exp(N(mu, sigma)).
  double lognormal(double mu, double sigma);
  // Pareto with minimum `scale` and tail index `shape` > 0.
  double pareto(double scale, double shape);

  std::uint64_t identity() const { return identity_; }

 private:
  void seed_state(std::uint64_t seed);
  std::uint64_t s_[4];
  std::uint64_t identity_;  // the seed this stream was made from; children derive from it
};

}  // namespace intsim::sim
