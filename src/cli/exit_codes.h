// Exit statuses of the `intsim` command. CI scripts branch on them, so they never change.
#pragma once

namespace intsim::cli {

inline constexpr int kExitPassed = 0;             // everything ran and every oracle held
inline constexpr int kExitSafetyViolation = 1;    // a safety oracle failed (double charge, ...)
inline constexpr int kExitInvalidInput = 2;       // a wrong flag, a malformed file or header
inline constexpr int kExitLivenessViolation = 3;  // no convergence within the liveness bound
inline constexpr int kExitInternalError = 4;      // a bug in intsim: please report it
inline constexpr int kExitNotImplemented = 5;     // a command that exists but is not built yet

}  // namespace intsim::cli
