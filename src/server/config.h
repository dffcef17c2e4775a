// `intsim serve` configuration: a JSON file, validated up front with errors that name the file,
// the JSON pointer of the offending value and what was expected. Secrets never appear in the
// file: it names the environment variables that hold them, read once at startup.
//
// {
//   "listen":  {"address": "127.0.0.1", "port": 8080},
//   "store":   {"path": "/var/lib/intsim/intsim.db", "pending_requests_max": 10000,
//               "flush_age_ms_max": 5000},
//   "http":    {"body_bytes_max": 1048576, "read_timeout_ms": 10000, "connections_max": 1024},
//   "peers":   {"stripe": {"base_url": "https://api.stripe.com", "timeout_ms": 10000}},
//   "tls":     {"ca_file": "/etc/ssl/test-ca.pem"},
//   "secrets": {"stripe.webhook": "INTSIM_STRIPE_WEBHOOK_SECRET"},
//   "units":   [{"id": "u1", "kind": "studio"}],
//   "notifications": {"enabled": true, "peer": "whatsapp", "api_version": "v21.0",
//                     "phone_number_id": "106540352242922", "language": "en_US",
//                     "ambiguous": "await_status", "await_status_ms": 600000},
//   "channels": [{"name": "airbnb", "peer": "ota.airbnb", "poll_interval_ms": 300000}],
//   "shutdown": {"drain_timeout_ms": 10000}
// }
// Only "store" is required. Unknown keys are errors, so a misspelt option cannot be silently
// ignored. Relative paths are taken as given (relative to the working directory).
//
// "notifications" (off unless "enabled"): guest messages over the WhatsApp Cloud API, as
// core/notifications/notification_service.h sends them (the templates are the core's own, in
// "language"). Enabled, it needs its "peer" (default "whatsapp") in "peers", the access token as
// the secret "whatsapp.access_token" and the app secret that verifies the status webhooks as
// "whatsapp.app_secret".
// "store": besides the path, the backpressure bounds (server/core_service.h): while
// "pending_requests_max" answers wait for the store's flush, or the flush in flight is older
// than "flush_age_ms_max", requests for the core's routes are answered 503 with Retry-After
// without being processed.
// "shutdown": after SIGTERM/SIGINT the server stops accepting and waits up to
// "drain_timeout_ms" (0 to 3,600,000) for open connections and flushes in flight, then stops
// anyway (src/cli/cmd_serve.cc).
// "channels": the OTA channels whose iCal feeds the core polls (core/sync/sync_engine.h), each
// named by its source ("airbnb", "booking_com", "vrbo"), at most once. A channel's "peer"
// (default "ota.<name>") must be in "peers": the feed of unit U is <base_url>/ical/U.ics, for
// every configured unit (the sync engine's shape; per-unit URLs of other shapes are not
// supported). "poll_interval_ms" defaults to 5 minutes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/notifications/notification_service.h"
#include "src/core/status.h"
#include "src/core/sync/sync_engine.h"
#include "src/core/time.h"

namespace intsim::server {

struct PeerConfig {
  std::string base_url;  // "https://api.stripe.com", "http://127.0.0.1:9000/prefix"
  core::TimeUs timeout_us = 10 * core::kUsPerSec;
};

// A rentable unit the booking API and the iCal export serve (core/bookings/ledger.h's Unit).
struct UnitConfig {
  std::string id;
  std::string kind;  // units of one kind are interchangeable for relocation; may be empty
};

struct Config {
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string store_path;
  std::size_t pending_requests_max = 10'000;
  core::TimeUs flush_age_us_max = 5 * core::kUsPerSec;
  core::TimeUs drain_timeout_us = 10 * core::kUsPerSec;
  std::size_t body_bytes_max = 1 << 20;
  core::TimeUs read_timeout_us = 10 * core::kUsPerSec;
  std::size_t connections_max = 1024;
  std::map<std::string, PeerConfig, std::less<>> peers;
  std::string ca_file;  // empty: the system's trust store
  // Secret name -> name of the environment variable that holds it.
  std::map<std::string, std::string, std::less<>> secret_envs;
  std::vector<UnitConfig> units;
  // The access token is not here: it is the secret "whatsapp.access_token".
  core::notifications::NotificationConfig notifications;
  std::vector<core::sync::ChannelConfig> channels;
};

// `source` names the text in errors (the file's path).
core::Status parse_config(std::string_view text, std::string_view source, Config* out);
core::Status load_config(const std::string& path, Config* out);

// Secret values by name. Deliberately has no way to print itself.
class Secrets {
 public:
  // nullptr when `name` is not configured.
  const std::string* find(std::string_view name) const;
  std::size_t size() const { return values_.size(); }

 private:
  friend core::Status read_secrets(const Config&, const std::function<const char*(const char*)>&,
                                   Secrets*);
  std::map<std::string, std::string, std::less<>> values_;
};

// Reads every configured secret through `getenv` (std::getenv in production). A missing or
// empty variable is an error naming the secret and the variable, never a value.
core::Status read_secrets(const Config& config,
                          const std::function<const char*(const char*)>& getenv, Secrets* out);

}  // namespace intsim::server
