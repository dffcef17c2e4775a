// intsim report RESULTS.json -o DIR [--baseline OLD.json] [--timelines N]
//
// Renders report.md (for a pull-request comment) and report.html (self-contained, charts and
// sequence diagrams inline) into DIR, next to a copy of the results (results.json) and its
// JUnit XML. The first N failing seeds (default 5) are replayed from their scenario files to
// draw their timelines; a replay whose trace hash differs from the recorded one is not drawn.
#include <fmt/format.h>

#include <filesystem>

#include "reports/replay.h"
#include "reports/report.h"
#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/cli/run_support.h"
#include "src/harness/results.h"

namespace intsim::cli {

int cmd_report(int argc, char** argv) {
  // `-o DIR` is the spelling the issue documents; the parser knows long options only.
  std::vector<std::string> words(argv, argv + argc);
  for (std::string& w : words) {
    if (w == "-o") w = "--out";
  }
  std::vector<char*> av;
  for (std::string& w : words) av.push_back(w.data());
  Args args;
  const OptionSpec spec{{"out", "baseline", "timelines"}, {}};
  if (auto st = Args::parse(argc, av.data(), 1, spec, &args); !st) {
    fmt::print(stderr, "intsim report: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (args.positional().size() != 1 || !args.has("out")) {
    fmt::print(stderr,
               "intsim report: usage: intsim report RESULTS.json -o DIR "
               "[--baseline OLD.json] [--timelines N]\n");
    return kExitInvalidInput;
  }
  std::uint64_t timelines = 0;
  if (auto st = args.u64("timelines", 5, &timelines); !st) {
    fmt::print(stderr, "intsim report: {}\n", st.message());
    return kExitInvalidInput;
  }
  harness::Results results, baseline;
  if (auto st = harness::read_results_file(args.positional()[0], &results); !st) {
    fmt::print(stderr, "intsim report: {}\n", st.message());
    return kExitInvalidInput;
  }
  reports::ReportInput input;
  input.results = &results;
  if (const auto path = args.value("baseline")) {
    if (auto st = harness::read_results_file(*path, &baseline); !st) {
      fmt::print(stderr, "intsim report: baseline: {}\n", st.message());
      return kExitInvalidInput;
    }
    input.baseline = &baseline;
    input.baseline_path = *path;
  }
  reports::StoryOptions options;
  options.timelines_max = timelines;
  input.failures = reports::failure_stories(results, options);

  const std::string dir = *args.value("out");
  std::vector<std::string> written;
  if (auto st = harness::write_outputs(results, dir, &written); !st) {
    fmt::print(stderr, "intsim report: {}\n", st.message());
    return kExitInternalError;
  }
  if (auto st = reports::write_report(input, dir, &written); !st) {
    fmt::print(stderr, "intsim report: {}\n", st.message());
    return kExitInternalError;
  }
  for (const auto& path : written) fmt::print("wrote {}\n", path);
  fmt::print("report: {}\n", std::filesystem::absolute(written.back()).lexically_normal().string());
  return kExitPassed;
}

}  // namespace intsim::cli
