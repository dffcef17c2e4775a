#include "src/core/assert.h"

#include <cstdio>
#include <cstdlib>

namespace intsim::core::detail {

void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "intsim: assertion failed: %s at %s:%d%s%s\n", expr, file, line,
               msg ? ": " : "", msg ? msg : "");
  std::abort();
}

}  // namespace intsim::core::detail
