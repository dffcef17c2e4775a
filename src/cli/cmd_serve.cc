// `intsim serve --config FILE`: real mode. Loads and validates the configuration, reads the
// secrets it names from the environment, opens the SQLite store and serves HTTP on one thread
// until SIGTERM or SIGINT, then stops gracefully: no new connections, requests in flight are
// answered, and the store is closed last.
//
// Served today: GET /healthz and GET /metrics. The webhook intake, booking API and iCal export
// routes are added to the router as those core components are wired to real mode.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdlib>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/server/config.h"
#include "src/server/http_server.h"
#include "src/server/prometheus_metrics.h"
#include "src/server/shutdown_signals.h"
#include "src/server/sqlite_store.h"
#include "src/server/system_ports.h"

namespace intsim::cli {

int cmd_serve(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"config"}, {}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }
  const auto config_path = args.value("config");
  if (!config_path || !args.positional().empty()) {
    fmt::print(stderr, "intsim serve: usage: intsim serve --config FILE\n");
    return kExitInvalidInput;
  }
  server::Config config;
  if (auto st = server::load_config(*config_path, &config); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }
  // Read at startup so a missing variable fails now, not at the first webhook; the verifiers
  // take them from here once the intake is wired.
  server::Secrets secrets;
  if (auto st = server::read_secrets(
          config, [](const char* name) { return std::getenv(name); }, &secrets);
      !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  server::SystemClock clock;
  server::JsonLineLog log;
  std::unique_ptr<server::SqliteStore> store;
  if (auto st = server::SqliteStore::open(config.store_path, &store); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  boost::asio::io_context io;
  server::PrometheusMetrics metrics;
  server::HttpServerOptions options;
  options.address = config.listen_address;
  options.port = config.listen_port;
  options.body_bytes_max = config.body_bytes_max;
  options.read_timeout_us = config.read_timeout_us;
  options.connections_max = config.connections_max;
  options.metrics_text = [&metrics] { return metrics.text(); };
  server::HttpServer http(io, server::Router{}, std::move(options));
  if (auto st = http.start(); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  server::ShutdownSignals signals(io, [&](int signal_number) {
    log.write(clock.now_us(), core::LogLevel::kInfo, "serve.stopping",
              {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    http.stop();
  });
  log.write(clock.now_us(), core::LogLevel::kInfo, "serve.listening",
            {{"address", config.listen_address},
             {"port", std::to_string(http.port())},
             {"store", config.store_path}});
  // Single-threaded on purpose (the core is): run one process per core to use more of them.
  io.run();
  store.reset();  // closes SQLite, which checkpoints the WAL
  log.write(clock.now_us(), core::LogLevel::kInfo, "serve.stopped",
            {{"requests", std::to_string(http.stats().requests)}});
  return kExitPassed;
}

}  // namespace intsim::cli
