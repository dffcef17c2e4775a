// Assertions for programmer errors (TigerBeetle style): they stay on in release builds,
// because a simulator that continues past a broken invariant produces traces nobody can trust.
// Expected operating failures are values (core::Status), never assertions.
#pragma once

namespace intsim::core::detail {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);
}  // namespace intsim::core::detail

#define INTSIM_ASSERT(cond)                                                    \
  do {                                                                         \
    if (!(cond)) [[unlikely]]                                                  \
      ::intsim::core::detail::assert_fail(#cond, __FILE__, __LINE__, nullptr); \
  } while (0)

#define INTSIM_ASSERT_MSG(cond, msg)                                         \
  do {                                                                       \
    if (!(cond)) [[unlikely]]                                                \
      ::intsim::core::detail::assert_fail(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
