// Time in intsim: a signed 64-bit count of microseconds since the Unix epoch.
//
// The core never reads a clock: time reaches it as an argument (`now_us`) or through the
// Clock port. In simulation the epoch of a run is fixed (sim::kEpochUs), in real mode it is
// the system clock. Names carry their unit: `deadline_us`, `retry_after_ms`.
#pragma once

#include <cstdint>

namespace intsim::core {

using TimeUs = std::int64_t;

inline constexpr TimeUs kUsPerMs = 1'000;
inline constexpr TimeUs kUsPerSec = 1'000'000;
inline constexpr TimeUs kUsPerMin = 60 * kUsPerSec;
inline constexpr TimeUs kUsPerHour = 60 * kUsPerMin;
inline constexpr TimeUs kUsPerDay = 24 * kUsPerHour;

inline constexpr std::int64_t unix_seconds(TimeUs t_us) {
  return t_us >= 0 ? t_us / kUsPerSec : -((-t_us + kUsPerSec - 1) / kUsPerSec);
}

}  // namespace intsim::core
