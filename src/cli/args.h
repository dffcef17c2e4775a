// A small command-line parser: positional arguments and `--flag value` / `--flag=value` /
// `--switch` options, checked against the options a command declares, so that a typo is an
// error that names the flag instead of a silently ignored word.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "src/core/status.h"

namespace intsim::cli {

struct OptionSpec {
  std::set<std::string> with_value;  // e.g. "seed", "out"
  std::set<std::string> switches;    // e.g. "check-determinism"
};

class Args {
 public:
  // Parses argv[first..argc). On error, returns a Status naming the offending word.
  static core::Status parse(int argc, char** argv, int first, const OptionSpec& spec, Args* out);

  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  // The flag parsed as an unsigned integer; an error names the flag and the bad value.
  core::Status u64(const std::string& name, std::uint64_t fallback, std::uint64_t* out) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  std::set<std::string> switches_;
};

}  // namespace intsim::cli
