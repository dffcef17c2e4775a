// A fresh directory under $TMPDIR (or /tmp) for one test, removed with everything in it when the
// test ends. Test-only: it asserts rather than reporting errors.
//
// kMemory puts it on /dev/shm when there is one: tests of a store's semantics (not of its
// durability) then do not pay for an fsync per commit, which on a busy disk costs milliseconds.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "src/core/assert.h"

namespace intsim::server {

class TempDir {
 public:
  enum class Where { kDisk, kMemory };
  explicit TempDir(Where where = Where::kDisk) {
    const char* base = std::getenv("TMPDIR");
    std::string root = base != nullptr && *base != '\0' ? base : "/tmp";
    if (where == Where::kMemory && std::filesystem::is_directory("/dev/shm")) root = "/dev/shm";
    std::string pattern = root + "/intsim_server_test_XXXXXX";
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
