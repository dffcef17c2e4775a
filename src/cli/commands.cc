#include "src/cli/commands.h"

#include <array>

namespace intsim::cli {

std::span<const Command> commands() {
  static constexpr std::array kCommands = {
      Command{"smoke", "smoke [--seed S] [--trace FILE] [--check-determinism]",
              "run the kernel smoke simulation and print a summary", &cmd_smoke},
      Command{"run",
              "run <suite|scenario...> [--seeds N | --seed S] [--jobs J] [--shard K/N] [--swarm] "
              "[--out DIR] [--scenarios DIR]",
              "run scenarios over many seeds in parallel; write results.json and junit.xml",
              &cmd_run},
      Command{"repro", "repro <scenario> --seed S [--swarm] [--trace FILE] [--check-determinism]",
              "replay one seed, print its violations and write its trace as JSON Lines",
              &cmd_repro},
      Command{"shrink", "shrink <scenario> --seed S [--swarm] [--out FILE] [--runs-max N]",
              "reduce a failing run to a minimal scenario under scenarios/regressions/",
              &cmd_shrink},
      Command{"merge", "merge RESULTS.json... [--out DIR]",
              "combine the results of shards run on different machines", &cmd_merge},
      Command{"report", "report RESULTS.json -o DIR [--baseline OLD.json] [--timelines N]",
              "render report.md and a self-contained report.html (charts, failing seeds' "
              "timelines, changes from a baseline)",
              &cmd_report},
      Command{"serve", "serve --config FILE", "run the integration core for real", &cmd_serve},
      Command{"peers",
              "peers --core-url URL [--stripe-port P] [--whatsapp-port P] [--ota-port P "
              "--ota-channels C,.. --ota-units U,.. --ota-bookings-per-day N] [--seed S]",
              "serve the simulated Stripe, WhatsApp and OTA channels over real HTTP, delivering "
              "their webhooks to a core and importing its iCal export",
              &cmd_peers},
      Command{"ical", "ical lint FEED.ics",
              "print the events of an iCal feed as JSON, with every problem and its line",
              &cmd_ical},
      Command{"webhook",
              "webhook sign|verify --scheme stripe|standard|whatsapp --secret S[,S2] | "
              "--secret-env VAR --body FILE [--timestamp T] [--id ID] [--header H] [--now T] "
              "[--tolerance S]",
              "sign a webhook body, or say whether and why a signature header is valid",
              &cmd_webhook},
  };
  return kCommands;
}

}  // namespace intsim::cli
