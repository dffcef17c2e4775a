// `intsim peers`: the simulated peers on real HTTP with the real clock (src/peers), so that
// `intsim serve`, or a service of the user's in any language, can be exercised end to end
// against a realistic, misbehaving Stripe, WhatsApp Cloud API and OTA channels on loopback.
//
//   intsim peers --core-url URL [--address A] [--seed S]
//                [--stripe-port P] [--stripe-secret-env VAR]
//                [--whatsapp-port P] [--whatsapp-phone-number-id ID]
//                [--ota-port P] [--ota-channels airbnb,booking_com,vrbo] [--ota-units u1,u2]
//                [--ota-bookings-per-day N] [--ota-import-interval-ms MS]
//
// Stripe serves /v1/... on --stripe-port (default 12111; 0: an ephemeral one, logged) and
// delivers its events, signed with the secret in the environment variable VAR (default
// INTSIM_STRIPE_WEBHOOK_SECRET: the same one `intsim serve` verifies with), to
// <core-url>/webhooks/stripe. API calls need "Authorization: Bearer <key>" with the key from
// INTSIM_STRIPE_API_KEY (default sk_test_intsim).
//
// WhatsApp, with --whatsapp-port, serves POST /<version>/<phone-number-id>/messages (the Bearer
// token from INTSIM_WHATSAPP_ACCESS_TOKEN) and delivers its status webhooks, signed with
// X-Hub-Signature-256 under INTSIM_WHATSAPP_APP_SECRET, to <core-url>/webhooks/whatsapp, after
// the GET handshake with the hub.verify_token in INTSIM_WHATSAPP_VERIFY_TOKEN (unset: none).
//
// The OTA channels, with --ota-port, serve GET /<channel>/ical/<unit>.ics (the channels and
// units listed, default airbnb and u1), their own guests booking at --ota-bookings-per-day
// (default 10, 0: none), and import <core-url>/ical/<unit>.ics every --ota-import-interval-ms
// (default the channel's own: Airbnb 30 min, Vrbo 1 h, Booking.com 2 h). Point the core's
// channel peer at http://<address>:<port>/<channel>.
//
// Secrets come only from the environment and are never printed. Runs until SIGTERM or SIGINT.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdlib>
#include <optional>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/peers/ota_peer.h"
#include "src/peers/stripe_peer.h"
#include "src/peers/whatsapp_peer.h"
#include "src/server/shutdown_signals.h"
#include "src/server/system_ports.h"

namespace intsim::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: intsim peers --core-url URL [--address A] [--seed S] [--stripe-port P] "
    "[--stripe-secret-env VAR] [--whatsapp-port P] [--whatsapp-phone-number-id ID] "
    "[--ota-port P] [--ota-channels C1,C2] [--ota-units U1,U2] [--ota-bookings-per-day N] "
    "[--ota-import-interval-ms MS]";

// The flag's value as a port (0: an ephemeral one); an error names the flag.
core::Status port_flag(const Args& args, const std::string& name, std::uint64_t fallback,
                       std::uint16_t* out) {
  std::uint64_t port = fallback;
  if (auto st = args.u64(name, fallback, &port); !st) return st;
  if (port > 65535) {
    return core::Status::invalid_argument(
        fmt::format("--{}: expected a port number, got {}", name, port));
  }
  *out = static_cast<std::uint16_t>(port);
  return core::Status::ok();
}

// The value of the environment variable `name`, or an error saying what it should hold.
core::Status secret_from_env(const std::string& name, std::string_view what, std::string* out) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    return core::Status::invalid_argument(
        fmt::format("environment variable {} is not set ({})", name, what));
  }
  *out = value;
  return core::Status::ok();
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// What every peer takes from the common flags.
struct Common {
  std::string address;
  std::string core_url;
  std::uint64_t seed = 1;
};

template <typename PeerOptions>
void set_common(const Common& common, PeerOptions* o) {
  o->address = common.address;
  o->core_url = common.core_url;
  o->seed = common.seed;
}

core::Status stripe_options(const Args& args, const Common& common, peers::StripePeerOptions* o) {
  set_common(common, o);
  if (auto st = port_flag(args, "stripe-port", 12111, &o->port); !st) return st;
  std::string secret;
  if (auto st =
          secret_from_env(args.value("stripe-secret-env").value_or("INTSIM_STRIPE_WEBHOOK_SECRET"),
                          "the Stripe endpoint secret that signs the events", &secret);
      !st) {
    return st;
  }
  o->delivery.signing_secrets = {secret};
  if (const char* key = std::getenv("INTSIM_STRIPE_API_KEY"); key != nullptr && *key != '\0') {
    o->model.secret_key = key;
  }
  return core::Status::ok();
}

core::Status whatsapp_options(const Args& args, const Common& common,
                              peers::WhatsAppPeerOptions* o) {
  set_common(common, o);
  if (auto st = port_flag(args, "whatsapp-port", 0, &o->port); !st) return st;
  if (auto st = secret_from_env("INTSIM_WHATSAPP_APP_SECRET",
                                "the Meta app secret that signs the status webhooks",
                                &o->webhooks.app_secret);
      !st) {
    return st;
  }
  if (auto st =
          secret_from_env("INTSIM_WHATSAPP_ACCESS_TOKEN",
                          "the access token the senders must present", &o->model.access_token);
      !st) {
    return st;
  }
  const char* verify = std::getenv("INTSIM_WHATSAPP_VERIFY_TOKEN");
  o->webhooks.verify_token = verify != nullptr ? verify : "";
  if (const auto id = args.value("whatsapp-phone-number-id")) {
    if (id->empty() || id->find_first_not_of("0123456789") != std::string::npos) {
      return core::Status::invalid_argument(
          fmt::format("--whatsapp-phone-number-id: expected digits, got '{}'", *id));
    }
    o->model.phone_number_id = *id;
  }
  return core::Status::ok();
}

core::Status ota_options(const Args& args, const Common& common, peers::OtaPeerOptions* o) {
  set_common(common, o);
  if (auto st = port_flag(args, "ota-port", 0, &o->port); !st) return st;
  const std::vector<std::string> units = split_list(args.value("ota-units").value_or("u1"));
  if (units.empty()) return core::Status::invalid_argument("--ota-units: expected unit ids");
  std::uint64_t per_day = 10;
  if (auto st = args.u64("ota-bookings-per-day", per_day, &per_day); !st) return st;
  std::uint64_t import_ms = 0;
  if (auto st = args.u64("ota-import-interval-ms", 0, &import_ms); !st) return st;
  for (const std::string& name : split_list(args.value("ota-channels").value_or("airbnb"))) {
    models::ota::ChannelConfig c;
    if (!models::ota::parse_flavour(name, &c.flavour)) {
      return core::Status::invalid_argument(fmt::format(
          "--ota-channels: unknown channel '{}' (expected airbnb, booking_com, vrbo)", name));
    }
    c.units = units;
    c.bookings_per_day = static_cast<double>(per_day);
    c.import_interval_us = static_cast<core::TimeUs>(import_ms) * core::kUsPerMs;
    o->channels.push_back(std::move(c));
  }
  return core::Status::ok();  // OtaPeer::start checks the rest (none, twice, rates)
}

}  // namespace

int cmd_peers(int argc, char** argv) {
  Args args;
  const OptionSpec spec{{"core-url", "stripe-port", "address", "seed", "stripe-secret-env",
                         "whatsapp-port", "whatsapp-phone-number-id", "ota-port", "ota-channels",
                         "ota-units", "ota-bookings-per-day", "ota-import-interval-ms"},
                        {}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim peers: {}\n", st.message());
    return kExitInvalidInput;
  }
  const auto core_url = args.value("core-url");
  if (!core_url || !args.positional().empty()) {
    fmt::print(stderr, "intsim peers: {}\n", kUsage);
    return kExitInvalidInput;
  }
  const auto invalid = [](const core::Status& st) {
    fmt::print(stderr, "intsim peers: {}\n", st.message());
    return kExitInvalidInput;
  };
  Common common;
  common.core_url = *core_url;
  common.address = args.value("address").value_or("127.0.0.1");
  if (auto st = args.u64("seed", common.seed, &common.seed); !st) return invalid(st);

  peers::StripePeerOptions stripe_config;
  if (auto st = stripe_options(args, common, &stripe_config); !st) return invalid(st);
  std::optional<peers::WhatsAppPeerOptions> whatsapp_config;
  if (args.has("whatsapp-port")) {
    if (auto st = whatsapp_options(args, common, &whatsapp_config.emplace()); !st) {
      return invalid(st);
    }
  }
  std::optional<peers::OtaPeerOptions> ota_config;
  if (args.has("ota-port")) {
    if (auto st = ota_options(args, common, &ota_config.emplace()); !st) return invalid(st);
  }

  server::SystemClock clock;
  server::JsonLineLog log;
  boost::asio::io_context io;
  peers::StripePeer stripe(io, clock, std::move(stripe_config));
  if (auto st = stripe.start(); !st) return invalid(st);
  std::unique_ptr<peers::WhatsAppPeer> whatsapp;
  if (whatsapp_config) {
    whatsapp = std::make_unique<peers::WhatsAppPeer>(io, clock, std::move(*whatsapp_config));
    if (auto st = whatsapp->start(); !st) return invalid(st);
  }
  std::unique_ptr<peers::OtaPeer> ota;
  if (ota_config) {
    ota = std::make_unique<peers::OtaPeer>(io, clock, std::move(*ota_config));
    if (auto st = ota->start(); !st) return invalid(st);
  }
  server::ShutdownSignals signals(io, [&](int signal_number) {
    log.write(clock.now_us(), core::LogLevel::kInfo, "peers.stopping",
              {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stripe.stop();
    if (whatsapp) whatsapp->stop();
    if (ota) ota->stop();
    io.stop();  // deliveries in flight are abandoned, as a peer that goes away would
  });
  // One line per peer, Stripe first (scripts take the first line's port as Stripe's).
  log.write(clock.now_us(), core::LogLevel::kInfo, "peers.listening",
            {{"peer", "stripe"},
             {"port", std::to_string(stripe.port())},
             {"core_url", common.core_url},
             {"seed", std::to_string(common.seed)}});
  if (whatsapp) {
    log.write(clock.now_us(), core::LogLevel::kInfo, "peers.listening",
              {{"peer", "whatsapp"},
               {"port", std::to_string(whatsapp->port())},
               {"phone_number_id", whatsapp->model().config().phone_number_id}});
  }
  if (ota) {
    std::string names;
    for (const char* n : {"airbnb", "booking_com", "vrbo"}) {
      if (ota->channel(n) != nullptr) names += names.empty() ? n : fmt::format(",{}", n);
    }
    log.write(clock.now_us(), core::LogLevel::kInfo, "peers.listening",
              {{"peer", "ota"}, {"port", std::to_string(ota->port())}, {"channels", names}});
  }
  io.run();
  const peers::StripePeerStats s = stripe.stats();
  log.write(clock.now_us(), core::LogLevel::kInfo, "peers.stopped",
            {{"api_requests", std::to_string(s.api_requests)},
             {"deliveries", std::to_string(s.deliveries)},
             {"deliveries_accepted", std::to_string(s.deliveries_accepted)}});
  if (whatsapp) {
    const peers::WhatsAppPeerStats w = whatsapp->stats();
    log.write(clock.now_us(), core::LogLevel::kInfo, "peers.stopped",
              {{"peer", "whatsapp"},
               {"api_requests", std::to_string(w.api_requests)},
               {"deliveries", std::to_string(w.deliveries)},
               {"deliveries_accepted", std::to_string(w.deliveries_accepted)},
               {"handshake_verified", w.handshake_verified ? "true" : "false"}});
  }
  if (ota) {
    const peers::OtaPeerStats o = ota->stats();
    log.write(clock.now_us(), core::LogLevel::kInfo, "peers.stopped",
              {{"peer", "ota"},
               {"feed_requests", std::to_string(o.feed_requests)},
               {"imports", std::to_string(o.imports)},
               {"imports_ok", std::to_string(o.imports_ok)}});
  }
  return kExitPassed;
}

}  // namespace intsim::cli
