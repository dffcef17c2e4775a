// `intsim peers`: the simulated peers on real HTTP with the real clock (src/peers), so that
// `intsim serve`, or a service of the user's in any language, can be exercised end to end
// against a realistic, misbehaving Stripe on loopback.
//
//   intsim peers --core-url http://127.0.0.1:8080 [--stripe-port 12111] [--address 127.0.0.1]
//                [--seed S] [--stripe-secret-env VAR]
//
// The Stripe peer serves /v1/... on --stripe-port (0: an ephemeral one, logged) and delivers
// its events, signed with the secret in the environment variable VAR (default
// INTSIM_STRIPE_WEBHOOK_SECRET: the same one `intsim serve` verifies with), to
// <core-url>/webhooks/stripe. API calls need "Authorization: Bearer <key>" with the key from
// INTSIM_STRIPE_API_KEY (default sk_test_intsim). Secrets come only from the environment and
// are never printed. Runs until SIGTERM or SIGINT.
//
// WhatsApp and the OTA channels are not served yet: their models run in the simulator only.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdlib>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/peers/stripe_peer.h"
#include "src/server/shutdown_signals.h"
#include "src/server/system_ports.h"

namespace intsim::cli {

int cmd_peers(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"core-url", "stripe-port", "address", "seed", "stripe-secret-env"}, {}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim peers: {}\n", st.message());
    return kExitInvalidInput;
  }
  const auto core_url = args.value("core-url");
  if (!core_url || !args.positional().empty()) {
    fmt::print(stderr,
               "intsim peers: usage: intsim peers --core-url URL [--stripe-port P] "
               "[--address A] [--seed S] [--stripe-secret-env VAR]\n");
    return kExitInvalidInput;
  }
  std::uint64_t port = 12111;
  std::uint64_t seed = 1;
  if (auto st = args.u64("stripe-port", port, &port); !st) {
    fmt::print(stderr, "intsim peers: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (port > 65535) {
    fmt::print(stderr, "intsim peers: --stripe-port: expected a port number, got {}\n", port);
    return kExitInvalidInput;
  }
  if (auto st = args.u64("seed", seed, &seed); !st) {
    fmt::print(stderr, "intsim peers: {}\n", st.message());
    return kExitInvalidInput;
  }
  const std::string secret_env =
      args.value("stripe-secret-env").value_or("INTSIM_STRIPE_WEBHOOK_SECRET");
  const char* secret = std::getenv(secret_env.c_str());
  if (secret == nullptr || *secret == '\0') {
    fmt::print(stderr,
               "intsim peers: environment variable {} is not set (the Stripe endpoint secret "
               "that signs the events)\n",
               secret_env);
    return kExitInvalidInput;
  }

  peers::StripePeerOptions options;
  options.address = args.value("address").value_or("127.0.0.1");
  options.port = static_cast<std::uint16_t>(port);
  options.core_url = *core_url;
  options.seed = seed;
  options.delivery.signing_secrets = {secret};
  if (const char* key = std::getenv("INTSIM_STRIPE_API_KEY"); key != nullptr && *key != '\0') {
    options.model.secret_key = key;
  }

  server::SystemClock clock;
  server::JsonLineLog log;
  boost::asio::io_context io;
  peers::StripePeer stripe(io, clock, std::move(options));
  if (auto st = stripe.start(); !st) {
    fmt::print(stderr, "intsim peers: {}\n", st.message());
    return kExitInvalidInput;
  }
  server::ShutdownSignals signals(io, [&](int signal_number) {
    log.write(clock.now_us(), core::LogLevel::kInfo, "peers.stopping",
              {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stripe.stop();
    io.stop();  // deliveries in flight are abandoned, as a peer that goes away would
  });
  log.write(clock.now_us(), core::LogLevel::kInfo, "peers.listening",
            {{"peer", "stripe"},
             {"port", std::to_string(stripe.port())},
             {"core_url", *core_url},
             {"seed", std::to_string(seed)}});
  io.run();
  const peers::StripePeerStats s = stripe.stats();
  log.write(clock.now_us(), core::LogLevel::kInfo, "peers.stopped",
            {{"api_requests", std::to_string(s.api_requests)},
             {"deliveries", std::to_string(s.deliveries)},
             {"deliveries_accepted", std::to_string(s.deliveries_accepted)}});
  return kExitPassed;
}

}  // namespace intsim::cli
