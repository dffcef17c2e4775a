// A fresh directory under $TMPDIR (or /tmp) for one test, removed with everything in it when the
// test ends. Test-only: it asserts rather than reporting errors.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "src/core/assert.h"

namespace intsim::server {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/intsim_server_test_XXXXXX";
    INTSIM_ASSERT_MSG(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace intsim::server
