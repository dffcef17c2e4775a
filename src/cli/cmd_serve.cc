// `intsim serve --config FILE`: real mode. Loads and validates the configuration, reads the
// secrets it names from the environment, opens the SQLite store and serves HTTP on one thread
// until SIGTERM or SIGINT, then stops gracefully: no new connections, requests in flight are
// answered, and the store is closed last.
//
// Stopping. The first SIGTERM/SIGINT stops accepting and drains: the process waits until every
// connection is closed and nothing waits for a flush (held answers of a flush in flight are
// still given when it completes), for at most config shutdown.drain_timeout_ms. Past that
// deadline it logs serve.drain_timeout with what was still open or waiting and stops anyway,
// with exit status 0: every answer it gave was durable (answers wait for their flush), what it
// did not answer its peers redeliver, and the store is closed cleanly (after the one commit in
// flight, if any, finishes). A second signal stops at once: it logs serve.forced_stop and exits
// with 128 + the signal's number (143 for SIGTERM, 130 for SIGINT), without closing the store,
// as a crash would (SQLite's WAL recovers; nothing unanswered was acknowledged).
//
// Served: the core's routes (server/core_service.h: webhooks, booking API, iCal export) with
// group commit, plus GET /healthz and GET /metrics. Secrets by name (config "secrets"):
//   stripe.webhook        Stripe endpoint secret ("whsec_...")
//   standard.webhook      Standard Webhooks secret ("whsec_<base64>")
//   whatsapp.app_secret   Meta app secret (X-Hub-Signature-256)
//   whatsapp.verify_token the GET handshake's hub.verify_token
//   stripe.api_key        the Stripe secret key for outbound API calls
//   whatsapp.access_token the WhatsApp Cloud API token for guest notifications ("notifications")
// The OTA channels in "channels" are polled through their "peers" base URLs.
// An endpoint with no secret is not served (404).
#include <fmt/format.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/core/forwarding_store.h"
#include "src/server/asio_timers.h"
#include "src/server/committer.h"
#include "src/server/config.h"
#include "src/server/core_service.h"
#include "src/server/http_client.h"
#include "src/server/http_server.h"
#include "src/server/prometheus_metrics.h"
#include "src/server/shutdown_signals.h"
#include "src/server/sqlite_store.h"
#include "src/server/store_lock.h"
#include "src/server/system_ports.h"
#include "src/server/wal_checkpointer.h"

namespace intsim::cli {
namespace {

core::app::IntegrationConfig integration_config(const server::Config& config,
                                                const server::Secrets& secrets) {
  core::app::IntegrationConfig c;
  for (const server::UnitConfig& u : config.units) c.units.push_back({u.id, u.kind});
  if (const std::string* s = secrets.find("stripe.webhook")) c.webhooks.stripe_secrets = {*s};
  if (const std::string* s = secrets.find("standard.webhook")) c.webhooks.standard_secrets = {*s};
  if (const std::string* s = secrets.find("whatsapp.app_secret")) {
    c.webhooks.whatsapp_app_secrets = {*s};
  }
  if (const std::string* s = secrets.find("whatsapp.verify_token")) {
    c.webhooks.whatsapp_verify_token = *s;
  }
  if (const std::string* s = secrets.find("stripe.api_key")) c.stripe_secret_key = *s;
  c.notifications = config.notifications;
  if (const std::string* s = secrets.find("whatsapp.access_token")) {
    c.notifications.access_token = *s;
  }
  c.sync.channels = config.channels;
  return c;
}

// A fault for tests/serve: every commit of the writer takes `delay` longer, standing in for a
// slow disk (INTSIM_SERVE_FAULT_COMMIT_DELAY_MS). Never set in production, where the writer is
// the SqliteStore itself.
class DelayedCommits final : public core::ForwardingStore {
 public:
  DelayedCommits(core::Store* inner, std::chrono::milliseconds delay)
      : ForwardingStore(inner), delay_(delay) {}
  core::Status commit(const core::WriteBatch& batch) override {
    std::this_thread::sleep_for(delay_);
    return inner()->commit(batch);
  }

 private:
  std::chrono::milliseconds delay_;
};

}  // namespace

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
  // Read at startup so a missing variable fails now, not at the first webhook.
  server::Secrets secrets;
  if (auto st = server::read_secrets(
          config, [](const char* name) { return std::getenv(name); }, &secrets);
      !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  std::unique_ptr<server::StoreLock> store_lock;  // held until the process ends
  if (auto st = server::StoreLock::acquire(config.store_path, &store_lock); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  server::SystemClock clock;
  server::JsonLineLog log;
  // Three connections to the store: the core reads through `store` on the event loop's thread
  // (one snapshot per flush, not a lock round trip per read), `writer` commits the group
  // commit's layers, fsync included, on the commit thread (server/core_service.h), and the
  // checkpointer copies the WAL into the database on its own thread (server/wal_checkpointer.h).
  std::unique_ptr<server::SqliteStore> store;
  std::unique_ptr<server::SqliteStore> writer;
  std::unique_ptr<server::WalCheckpointer> checkpointer;
  server::SqliteStore::Options reader_options;
  reader_options.hold_read_snapshot = true;
  if (auto st = server::SqliteStore::open(config.store_path, reader_options, &store); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }
  if (auto st = server::WalCheckpointer::open(config.store_path, 1000, &checkpointer); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }
  // The WAL's size after the writer's last commit, for the checkpointer. It is handed over only
  // once the reader has let go of its snapshot (after_durable below): a checkpoint asked for
  // from inside the commit stops at that snapshot, one layer short of the end, every time, and
  // a WAL never checkpointed to its end is never rewound: it grew without bound under load.
  std::atomic<int> wal_frames{0};
  server::SqliteStore::Options writer_options;
  writer_options.after_commit = [&wal_frames](int frames) {
    wal_frames.store(frames, std::memory_order_relaxed);
  };
  // Under back-to-back flushes only the writer itself, between two commits, can finish a
  // checkpoint that lets the WAL rewind (wal_checkpointer.h, "Rewinding").
  writer_options.checkpoint_first = [&checkpointer] { return checkpointer->rewind_wanted(); };
  if (auto st = server::SqliteStore::open(config.store_path, writer_options, &writer); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  boost::asio::io_context io;
  // A line per webhook at info level: written once per event-loop turn, not once per line.
  log.set_deferred([&io, &log] { boost::asio::post(io, [&log] { log.flush(); }); });
  server::PrometheusMetrics metrics;
  server::OsRandom random;
  server::LogAlerts alerts(&log);
  server::AsioTimers timers(io, clock);
  server::HttpClientOptions client_options;
  for (const auto& [name, peer] : config.peers) {
    client_options.base_urls[name] = peer.base_url;
    client_options.timeouts_us[name] = peer.timeout_us;
  }
  client_options.ca_file = config.ca_file;
  server::BeastHttpClient client(io, clock, std::move(client_options));
  if (auto st = client.init(); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }
  core::Ports ports{&clock, &random, &timers, &client, store.get(), &log, &metrics, &alerts};
  std::unique_ptr<DelayedCommits> delayed;
  if (const char* ms = std::getenv("INTSIM_SERVE_FAULT_COMMIT_DELAY_MS")) {
    delayed =
        std::make_unique<DelayedCommits>(writer.get(), std::chrono::milliseconds(std::atoi(ms)));
  }
  auto committer = std::make_unique<server::ThreadCommitter>(
      io, delayed ? static_cast<core::Store*>(delayed.get()) : writer.get());
  server::CoreServiceOptions service_options;
  service_options.committer = committer.get();
  service_options.pending_requests_max = config.pending_requests_max;
  service_options.flush_age_us_max = config.flush_age_us_max;
  service_options.after_durable = [&store, &checkpointer, &wal_frames] {
    checkpointer->after_flush(*store, wal_frames.load(std::memory_order_relaxed));
  };
  server::CoreService service(io, integration_config(config, secrets), ports, service_options);
  timers.set_sink(&service);
  client.set_sink(&service);
  if (auto st = service.start(); !st) {
    fmt::print(stderr, "intsim serve: cannot start the core: {}\n", st.message());
    return kExitInvalidInput;
  }
  server::Router router;
  service.add_routes(router);
  server::HttpServerOptions options;
  options.address = config.listen_address;
  options.port = config.listen_port;
  options.body_bytes_max = config.body_bytes_max;
  options.read_timeout_us = config.read_timeout_us;
  options.connections_max = config.connections_max;
  options.metrics_text = [&metrics] { return metrics.text(); };
  server::HttpServer http(io, std::move(router), std::move(options));
  if (auto st = http.start(); !st) {
    fmt::print(stderr, "intsim serve: {}\n", st.message());
    return kExitInvalidInput;
  }

  // Logs `event` with `first` and what a stop now would leave unanswered or unsent.
  const auto log_waiting = [&](core::LogLevel level, std::string_view event, core::LogField first) {
    log.write(clock.now_us(), level, event,
              {std::move(first),
               {"connections_open", std::to_string(http.stats().connections_open)},
               {"responses_waiting", std::to_string(service.responses_waiting())},
               {"requests_waiting", std::to_string(service.requests_waiting())},
               {"batches_pending", std::to_string(service.store().batches_pending())},
               {"flush_age_ms", std::to_string(service.flush_age_us() / core::kUsPerMs)}});
  };
  boost::asio::steady_timer drain_timer(io);
  std::function<void()> drain_check;
  std::chrono::steady_clock::time_point drain_deadline;
  bool drain_timed_out = false;
  server::ShutdownSignals signals(io, [&](int signal_number, int count) {
    const char* name = signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
    if (count > 1) {
      // The operator will not wait: stop now, as a crash would. Nothing was answered before it
      // was durable, so the held answers are simply never given (their peers redeliver) and a
      // commit cut short is rolled back by SQLite's WAL at the next open.
      log_waiting(core::LogLevel::kError, "serve.forced_stop", {"signal", name});
      log.flush();
      std::fflush(nullptr);
      std::_Exit(128 + signal_number);
    }
    log.write(clock.now_us(), core::LogLevel::kInfo, "serve.stopping",
              {{"signal", name},
               {"drain_timeout_ms", std::to_string(config.drain_timeout_us / core::kUsPerMs)}});
    http.stop();
    drain_deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(config.drain_timeout_us);
    // The core's timers and outbound requests would keep io.run() going for ever: once the
    // last connection is answered and nothing waits for a flush, stop the loop. Outbound work
    // is durable in the outbox and resumes at the next start.
    drain_check = [&] {
      if (http.stats().connections_open == 0 && service.drained()) {
        io.stop();
        return;
      }
      if (std::chrono::steady_clock::now() >= drain_deadline) {
        log_waiting(core::LogLevel::kWarn, "serve.drain_timeout",
                    {"drain_timeout_ms", std::to_string(config.drain_timeout_us / core::kUsPerMs)});
        drain_timed_out = true;
        io.stop();
        return;
      }
      drain_timer.expires_after(std::chrono::milliseconds(10));
      drain_timer.async_wait([&](const boost::system::error_code&) { drain_check(); });
    };
    drain_check();
  });
  log.write(clock.now_us(), core::LogLevel::kInfo, "serve.listening",
            {{"address", config.listen_address},
             {"port", std::to_string(http.port())},
             {"store", config.store_path}});
  // The core and every handler run on this one thread (the commit thread only runs SQLite
  // commits, the checkpointer only checkpoints); one process per store (store_lock.h).
  io.run();
  // The loop ran until nothing was pending (or the drain's deadline passed: then a commit may
  // still be in flight, and joining waits for it), so join the commit thread, then close SQLite
  // (the last connection to close checkpoints the WAL). A second signal still stops at once
  // meanwhile: the loop no longer runs, so a thread of its own listens for it.
  boost::asio::io_context late_io;
  server::ShutdownSignals late_signals(late_io, [&](int signal_number, int) {
    std::fputs(
        (server::JsonLineLog::format(clock.now_us(), core::LogLevel::kError, "serve.forced_stop",
                                     {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                                      {"while", "closing the store"}}) +
         "\n")
            .c_str(),
        stderr);
    std::fflush(nullptr);
    std::_Exit(128 + signal_number);
  });
  std::thread late_thread([&late_io] { late_io.run(); });
  committer.reset();
  writer.reset();
  checkpointer.reset();
  store.reset();
  boost::asio::post(late_io, [&late_signals] { late_signals.cancel(); });
  late_thread.join();
  log.write(clock.now_us(), core::LogLevel::kInfo, "serve.stopped",
            {{"requests", std::to_string(http.stats().requests)},
             {"drain", drain_timed_out ? "timed_out" : "complete"}});
  return kExitPassed;
}

}  // namespace intsim::cli
