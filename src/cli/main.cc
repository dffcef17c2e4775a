// The `intsim` command: dispatches to a subcommand.
#include <fmt/format.h>

#include <string_view>

#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"

namespace {

constexpr std::string_view kVersion = INTSIM_VERSION;

void print_help() {
  fmt::print(
      "intsim {} - deterministic simulation and chaos testing for payment, booking and "
      "messaging integrations\n\nusage: intsim <command> [options]\n\ncommands:\n",
      kVersion);
  for (const auto& c : intsim::cli::commands()) {
    fmt::print("  {:<58} {}{}\n", c.usage, c.summary, c.run ? "" : " (not implemented yet)");
  }
  fmt::print("  {:<58} {}\n  {:<58} {}\n", "version", "print the version", "help",
             "print this help");
  fmt::print(
      "\nexit status: 0 passed, 1 safety violation, 2 invalid input, 3 liveness "
      "violation, 4 internal error, 5 not implemented\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace intsim::cli;
  if (argc < 2) {
    print_help();
    return kExitInvalidInput;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help();
    return kExitPassed;
  }
  if (name == "version" || name == "--version") {
    fmt::print("intsim {}\n", kVersion);
    return kExitPassed;
  }
  for (const auto& c : commands()) {
    if (c.name != name) continue;
    if (!c.run) {
      fmt::print(stderr, "intsim {}: not implemented yet\n", name);
      return kExitNotImplemented;
    }
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const std::exception& e) {
      fmt::print(stderr, "intsim {}: internal error: {}\n", name, e.what());
      return kExitInternalError;
    }
  }
  fmt::print(stderr, "intsim: unknown command '{}' (see 'intsim --help')\n", name);
  return kExitInvalidInput;
}
