// intsim merge RESULTS.json... [--out DIR]: combines the results of shards (CI matrix jobs).
#include <fmt/format.h>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/cli/run_support.h"
#include "src/harness/results.h"

namespace intsim::cli {

int cmd_merge(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"out"}, {}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim merge: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (args.positional().empty()) {
    fmt::print(stderr, "intsim merge: name the results.json files to merge\n");
    return kExitInvalidInput;
  }
  std::vector<harness::Results> parts;
  for (const std::string& path : args.positional()) {
    harness::Results r;
    if (auto st = harness::read_results_file(path, &r); !st) {
      fmt::print(stderr, "intsim merge: {}\n", st.message());
      return kExitInvalidInput;
    }
    parts.push_back(std::move(r));
  }
  harness::Results merged;
  if (auto st = harness::merge_results(parts, &merged); !st) {
    fmt::print(stderr, "intsim merge: {}\n", st.message());
    return st.code() == core::Status::Code::kConflict ? kExitInternalError : kExitInvalidInput;
  }
  merged.commands.push_back(command_line(argc, argv));
  std::vector<std::string> written;
  const std::string out = args.value("out").value_or("reports/out/merged");
  if (auto st = harness::write_outputs(merged, out, &written); !st) {
    fmt::print(stderr, "intsim merge: {}\n", st.message());
    return kExitInternalError;
  }
  std::size_t failed = 0;
  for (const auto& r : merged.seeds) {
    if (r.verdict != harness::Verdict::kPassed && ++failed <= 20) print_failure(r, 3);
  }
  for (const auto& path : written) fmt::print("wrote {}\n", path);
  fmt::print("{} of {} seeds passed\n", merged.seeds.size() - failed, merged.seeds.size());
  return exit_status(merged.seeds);
}

}  // namespace intsim::cli
