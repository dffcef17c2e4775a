// The subcommands of `intsim`. Each lives in its own cmd_*.cc file; commands.cc lists them.
#pragma once

#include <span>
#include <string_view>

namespace intsim::cli {

// argv[0] is the subcommand's name; the return value is the process's exit status.
using CommandFn = int (*)(int argc, char** argv);

struct Command {
  std::string_view name;
  std::string_view usage;    // one line: "smoke [--seed S] [--trace FILE]"
  std::string_view summary;  // one line: what it does
  CommandFn run;             // null: declared but not implemented yet
};

std::span<const Command> commands();

int cmd_ical(int argc, char** argv);
int cmd_merge(int argc, char** argv);
int cmd_peers(int argc, char** argv);
int cmd_repro(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_shrink(int argc, char** argv);
int cmd_smoke(int argc, char** argv);
int cmd_webhook(int argc, char** argv);

}  // namespace intsim::cli
