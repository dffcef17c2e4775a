#include "src/core/resilience/idempotency.h"

#include <fmt/format.h>

namespace intsim::core::resilience {

std::string new_idempotency_key(Random& random) {
  const std::uint64_t hi = random.next_u64();
  const std::uint64_t lo = random.next_u64();
  return fmt::format("ik_{:016x}{:016x}", hi, lo);
}

std::string new_job_id(Random& random) { return fmt::format("job_{:016x}", random.next_u64()); }

}  // namespace intsim::core::resilience
