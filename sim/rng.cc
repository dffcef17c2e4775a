#include "sim/rng.h"

#include <cmath>

#include "sim/det_math.h"
#include "src/core/assert.h"
#include "src/core/random.h"

namespace intsim::sim {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a ^ rotl(b, 32) ^ 0x6a09e667f3bcc909ULL;
  splitmix64_next(state);
  return splitmix64_next(state) ^ b;
}

}  // namespace

std::uint64_t splitmix64_next(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stream_name_hash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng::Rng(std::uint64_t master_seed, std::string_view name)
    : Rng(mix_seed(master_seed, stream_name_hash(name))) {}

Rng::Rng(std::uint64_t seed) { seed_state(seed); }

void Rng::seed_state(std::uint64_t seed) {
  identity_ = seed;
  std::uint64_t sm = seed;
  for (auto& word : s_) word = splitmix64_next(sm);
  // xoshiro's state must not be all zero; splitmix64 cannot produce four zeros in a row.
  INTSIM_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

Rng Rng::child(std::string_view name) const {
  return Rng(mix_seed(identity_, stream_name_hash(name)));
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::uniform(std::uint64_t bound) {
  INTSIM_ASSERT(bound > 0);
  return core::uniform_below([this] { return next_u64(); }, bound);
}

std::int64_t Rng::uniform_range(std::int64_t lo, std::int64_t hi) {
  INTSIM_ASSERT(lo <= hi);
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(next_u64());
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + uniform(span + 1));
}

double Rng::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

bool Rng::bernoulli(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return next_double() < p;
}

double Rng::exponential(double mean) {
  INTSIM_ASSERT(mean >= 0.0);
  return -mean * det_log(1.0 - next_double());  // 1 - u is in (0, 1]
}

double Rng::normal() {
  for (;;) {
    const double u = 2.0 * next_double() - 1.0;
    const double v = 2.0 * next_double() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * det_log(s) / s);
  }
}

double Rng::lognormal(double mu, double sigma) { return det_exp(mu + sigma * normal()); }

double Rng::pareto(double scale, double shape) {
  INTSIM_ASSERT(scale > 0.0 && shape > 0.0);
  return scale * det_exp(-det_log(1.0 - next_double()) / shape);
}

}  // namespace intsim::sim
