#include "src/server/config.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace intsim::server {
namespace {

using Json = nlohmann::json;

// Walks the document keeping the JSON pointer of where it is, so every error can say where.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  core::Status fail(const std::string& pointer, std::string_view expected, const Json* got) const {
    std::string msg =
        fmt::format("{}: {}: expected {}", source_, pointer.empty() ? "/" : pointer, expected);
    if (got != nullptr) msg += fmt::format(", got {}", describe(*got));
    return core::Status::invalid_argument(std::move(msg));
  }

  // Rejects keys other than `allowed` in the object at `pointer`.
  core::Status only_keys(const Json& object, const std::string& pointer,
                         std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (std::string_view a : allowed) known = known || a == key;
      if (!known) {
        std::string list;
        for (std::string_view a : allowed)
          list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", a);
        return fail(pointer + "/" + escape_pointer(key), "no such key (allowed: " + list + ")",
                    nullptr);
      }
    }
    return core::Status::ok();
  }

  core::Status object(const Json& v, const std::string& pointer) const {
    return v.is_object() ? core::Status::ok() : fail(pointer, "an object", &v);
  }

  core::Status string(const Json& v, const std::string& pointer, std::string* out,
                      bool allow_empty = false) const {
    if (!v.is_string() || (!allow_empty && v.get_ref<const std::string&>().empty())) {
      return fail(pointer, "a non-empty string", &v);
    }
    *out = v.get<std::string>();
    return core::Status::ok();
  }

  core::Status integer(const Json& v, const std::string& pointer, std::int64_t min,
                       std::int64_t max, std::string_view what, std::int64_t* out) const {
    if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
      return fail(pointer, fmt::format("{} from {} to {}", what, min, max), &v);
    }
    *out = v.get<std::int64_t>();
    return core::Status::ok();
  }

  // object[key], when present, checked to lie in [min, max] and multiplied by `scale` into *out
  // (ms to us, say); absent, *out keeps its default.
  template <typename T>
  core::Status optional_integer(const Json& object, const std::string& pointer, const char* key,
                                std::int64_t min, std::int64_t max, std::string_view what,
                                std::int64_t scale, T* out) const {
    if (!object.contains(key)) return core::Status::ok();
    std::int64_t n = 0;
    if (auto st = integer(object[key], pointer + "/" + key, min, max, what, &n); !st) return st;
    *out = static_cast<T>(n * scale);
    return core::Status::ok();
  }

  static std::string escape_pointer(std::string_view key) {
    std::string out;
    for (char c : key) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
    return out;
  }

 private:
  static std::string describe(const Json& v) {
    switch (v.type()) {
      case Json::value_t::string:
        return fmt::format("the string {}", v.dump());
      case Json::value_t::object:
        return "an object";
      case Json::value_t::array:
        return "an array";
      case Json::value_t::null:
        return "null";
      case Json::value_t::boolean:
        return fmt::format("the boolean {}", v.dump());
      default:
        return fmt::format("the number {}", v.dump());
    }
  }

  std::string_view source_;
};

// Upper case only, as environment variables conventionally are: that also rejects nearly every
// real secret ("whsec_...", "sk_live_...") pasted where its variable's name belongs.
bool valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_base_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.substr(0, scheme.size()) == scheme && url.size() > scheme.size() &&
        url[scheme.size()] != '/') {
      return true;
    }
  }
  return false;
}

core::Status milliseconds(const Json& v, const std::string& pointer, const Reader& r,
                          core::TimeUs* out_us) {
  std::int64_t ms = 0;
  if (auto st = r.integer(v, pointer, 1, 7 * 24 * 3'600'000LL, "milliseconds", &ms); !st) return st;
  *out_us = ms * core::kUsPerMs;
  return core::Status::ok();
}

core::Status require_peer(const Config& c, const Json& v, const std::string& pointer,
                          const std::string& peer, const Reader& r) {
  if (c.peers.contains(peer)) return core::Status::ok();
  return r.fail(pointer, fmt::format("a peer configured in /peers (no peer \"{}\" there)", peer),
                v.is_null() ? nullptr : &v);
}

core::Status parse_notifications(const Json& v, const Reader& r, Config* c) {
  const std::string at = "/notifications";
  if (auto st = r.object(v, at); !st) return st;
  if (auto st = r.only_keys(v, at,
                            {"enabled", "peer", "api_version", "phone_number_id", "language",
                             "ambiguous", "await_status_ms", "pair_interval_ms"});
      !st) {
    return st;
  }
  core::notifications::NotificationConfig n;
  if (v.contains("enabled")) {
    if (!v["enabled"].is_boolean()) return r.fail(at + "/enabled", "true or false", &v["enabled"]);
    n.enabled = v["enabled"].get<bool>();
  }
  for (auto [key, field] : {std::pair<const char*, std::string*>{"peer", &n.peer},
                            {"api_version", &n.api_version},
                            {"phone_number_id", &n.phone_number_id},
                            {"language", &n.language}}) {
    if (v.contains(key)) {
      if (auto st = r.string(v[key], at + "/" + key, field); !st) return st;
    }
  }
  if (!n.api_version.starts_with("v")) {
    return r.fail(at + "/api_version", "a Graph API version such as \"v21.0\"", &v["api_version"]);
  }
  if (n.phone_number_id.find_first_not_of("0123456789") != std::string::npos) {
    return r.fail(at + "/phone_number_id", "the phone number id (digits only)",
                  &v["phone_number_id"]);
  }
  if (v.contains("ambiguous")) {
    if (!v["ambiguous"].is_string() || !core::notifications::parse_ambiguous_policy(
                                           v["ambiguous"].get<std::string>(), &n.ambiguous)) {
      return r.fail(at + "/ambiguous", "\"await_status\" or \"resend\"", &v["ambiguous"]);
    }
  }
  if (v.contains("await_status_ms")) {
    if (auto st =
            milliseconds(v["await_status_ms"], at + "/await_status_ms", r, &n.await_status_us);
        !st) {
      return st;
    }
  }
  if (v.contains("pair_interval_ms")) {
    if (auto st =
            milliseconds(v["pair_interval_ms"], at + "/pair_interval_ms", r, &n.pair_interval_us);
        !st) {
      return st;
    }
  }
  if (n.enabled) {
    const Json peer = v.contains("peer") ? v["peer"] : Json();
    if (auto st = require_peer(*c, peer, at + "/peer", n.peer, r); !st) return st;
    for (const char* secret : {"whatsapp.access_token", "whatsapp.app_secret"}) {
      if (!c->secret_envs.contains(secret)) {
        return r.fail(fmt::format("/secrets/{}", secret),
                      "the environment variable holding it (notifications are enabled)", nullptr);
      }
    }
  }
  c->notifications = std::move(n);
  return core::Status::ok();
}

core::Status parse_channels(const Json& channels, const Reader& r, Config* c) {
  if (!channels.is_array()) {
    return r.fail("/channels", "an array of {\"name\", \"peer\", \"poll_interval_ms\"}", &channels);
  }
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const std::string at = fmt::format("/channels/{}", i);
    const Json& v = channels[i];
    if (auto st = r.object(v, at); !st) return st;
    if (auto st = r.only_keys(v, at, {"name", "peer", "poll_interval_ms"}); !st) return st;
    core::sync::ChannelConfig ch;
    std::string name;
    if (!v.contains("name")) return r.fail(at + "/name", "a channel name", nullptr);
    if (!v["name"].is_string() ||
        !core::bookings::parse_source(v["name"].get<std::string>(), &ch.source) ||
        ch.source == core::bookings::Source::kDirect) {
      return r.fail(at + "/name", "\"airbnb\", \"booking_com\" or \"vrbo\"", &v["name"]);
    }
    name = v["name"].get<std::string>();
    for (const core::sync::ChannelConfig& other : c->channels) {
      if (other.source == ch.source) {
        return r.fail(at + "/name", "a channel not listed before", &v["name"]);
      }
    }
    ch.peer = "ota." + name;
    if (v.contains("peer")) {
      if (auto st = r.string(v["peer"], at + "/peer", &ch.peer); !st) return st;
    }
    const Json peer = v.contains("peer") ? v["peer"] : Json();
    if (auto st = require_peer(*c, peer, at + "/peer", ch.peer, r); !st) return st;
    if (v.contains("poll_interval_ms")) {
      if (auto st = milliseconds(v["poll_interval_ms"], at + "/poll_interval_ms", r,
                                 &ch.poll_interval_us);
          !st) {
        return st;
      }
    }
    // Booking.com answers an empty calendar with an empty body (DESIGN.md section 4).
    ch.empty_body_is_calendar = ch.source == core::bookings::Source::kBookingCom;
    c->channels.push_back(std::move(ch));
  }
  return core::Status::ok();
}

core::Status parse_document(const Json& doc, const Reader& r, Config* out) {
  if (auto st = r.object(doc, ""); !st) return st;
  if (auto st = r.only_keys(doc, "",
                            {"listen", "store", "http", "peers", "tls", "secrets", "units",
                             "notifications", "channels", "shutdown"});
      !st) {
    return st;
  }
  Config c;
  if (doc.contains("listen")) {
    const Json& v = doc["listen"];
    if (auto st = r.object(v, "/listen"); !st) return st;
    if (auto st = r.only_keys(v, "/listen", {"address", "port"}); !st) return st;
    if (v.contains("address")) {
      if (auto st = r.string(v["address"], "/listen/address", &c.listen_address); !st) return st;
    }
    if (v.contains("port")) {
      std::int64_t port = 0;
      if (auto st = r.integer(v["port"], "/listen/port", 0, 65535, "a port number", &port); !st) {
        return st;
      }
      c.listen_port = static_cast<std::uint16_t>(port);
    }
  }
  if (!doc.contains("store")) return r.fail("/store", "an object with \"path\"", nullptr);
  {
    const Json& v = doc["store"];
    if (auto st = r.object(v, "/store"); !st) return st;
    if (auto st = r.only_keys(v, "/store", {"path", "pending_requests_max", "flush_age_ms_max"});
        !st) {
      return st;
    }
    if (!v.contains("path")) return r.fail("/store/path", "a non-empty string", nullptr);
    if (auto st = r.string(v["path"], "/store/path", &c.store_path); !st) return st;
    if (auto st = r.optional_integer(v, "/store", "pending_requests_max", 1, 10'000'000,
                                     "a request count", 1, &c.pending_requests_max);
        !st) {
      return st;
    }
    if (auto st = r.optional_integer(v, "/store", "flush_age_ms_max", 1, 3'600'000, "milliseconds",
                                     core::kUsPerMs, &c.flush_age_us_max);
        !st) {
      return st;
    }
  }
  if (doc.contains("shutdown")) {
    const Json& v = doc["shutdown"];
    if (auto st = r.object(v, "/shutdown"); !st) return st;
    if (auto st = r.only_keys(v, "/shutdown", {"drain_timeout_ms"}); !st) return st;
    if (auto st = r.optional_integer(v, "/shutdown", "drain_timeout_ms", 0, 3'600'000,
                                     "milliseconds", core::kUsPerMs, &c.drain_timeout_us);
        !st) {
      return st;
    }
  }
  if (doc.contains("http")) {
    const Json& v = doc["http"];
    if (auto st = r.object(v, "/http"); !st) return st;
    if (auto st = r.only_keys(v, "/http", {"body_bytes_max", "read_timeout_ms", "connections_max"});
        !st) {
      return st;
    }
    if (auto st = r.optional_integer(v, "/http", "body_bytes_max", 1, 1 << 30, "a byte count", 1,
                                     &c.body_bytes_max);
        !st) {
      return st;
    }
    if (auto st = r.optional_integer(v, "/http", "read_timeout_ms", 1, 3'600'000, "milliseconds",
                                     core::kUsPerMs, &c.read_timeout_us);
        !st) {
      return st;
    }
    if (auto st = r.optional_integer(v, "/http", "connections_max", 1, 1'000'000,
                                     "a connection count", 1, &c.connections_max);
        !st) {
      return st;
    }
  }
  if (doc.contains("peers")) {
    const Json& peers = doc["peers"];
    if (auto st = r.object(peers, "/peers"); !st) return st;
    for (const auto& [name, v] : peers.items()) {
      const std::string at = "/peers/" + Reader::escape_pointer(name);
      if (auto st = r.object(v, at); !st) return st;
      if (auto st = r.only_keys(v, at, {"base_url", "timeout_ms"}); !st) return st;
      PeerConfig peer;
      if (!v.contains("base_url")) return r.fail(at + "/base_url", "an http(s) URL", nullptr);
      if (!v["base_url"].is_string() || !valid_base_url(v["base_url"].get<std::string>())) {
        return r.fail(at + "/base_url", "an http:// or https:// URL with a host", &v["base_url"]);
      }
      peer.base_url = v["base_url"].get<std::string>();
      if (v.contains("timeout_ms")) {
        std::int64_t ms = 0;
        if (auto st =
                r.integer(v["timeout_ms"], at + "/timeout_ms", 1, 3'600'000, "milliseconds", &ms);
            !st) {
          return st;
        }
        peer.timeout_us = ms * core::kUsPerMs;
      }
      c.peers.emplace(name, std::move(peer));
    }
  }
  if (doc.contains("units")) {
    const Json& units = doc["units"];
    if (!units.is_array()) return r.fail("/units", "an array of {\"id\", \"kind\"}", &units);
    for (std::size_t i = 0; i < units.size(); ++i) {
      const std::string at = fmt::format("/units/{}", i);
      const Json& v = units[i];
      if (auto st = r.object(v, at); !st) return st;
      if (auto st = r.only_keys(v, at, {"id", "kind"}); !st) return st;
      UnitConfig unit;
      if (!v.contains("id")) return r.fail(at + "/id", "a non-empty string", nullptr);
      if (auto st = r.string(v["id"], at + "/id", &unit.id); !st) return st;
      if (v.contains("kind")) {
        if (auto st = r.string(v["kind"], at + "/kind", &unit.kind); !st) return st;
      }
      c.units.push_back(std::move(unit));
    }
  }
  if (doc.contains("tls")) {
    const Json& v = doc["tls"];
    if (auto st = r.object(v, "/tls"); !st) return st;
    if (auto st = r.only_keys(v, "/tls", {"ca_file"}); !st) return st;
    if (v.contains("ca_file")) {
      if (auto st = r.string(v["ca_file"], "/tls/ca_file", &c.ca_file); !st) return st;
    }
  }
  if (doc.contains("secrets")) {
    const Json& secrets = doc["secrets"];
    if (auto st = r.object(secrets, "/secrets"); !st) return st;
    for (const auto& [name, v] : secrets.items()) {
      const std::string at = "/secrets/" + Reader::escape_pointer(name);
      // A value that is not a variable name is most likely a secret pasted into the file: the
      // error must not echo it back.
      if (!v.is_string() || !valid_env_name(v.get<std::string>())) {
        return r.fail(at,
                      "the name of an environment variable ([A-Z_][A-Z0-9_]*; secrets "
                      "themselves never go in the file)",
                      nullptr);
      }
      c.secret_envs.emplace(name, v.get<std::string>());
    }
  }
  // After "peers" and "secrets", which these two refer to.
  if (doc.contains("notifications")) {
    if (auto st = parse_notifications(doc["notifications"], r, &c); !st) return st;
  }
  if (doc.contains("channels")) {
    if (auto st = parse_channels(doc["channels"], r, &c); !st) return st;
  }
  *out = std::move(c);
  return core::Status::ok();
}

}  // namespace

core::Status parse_config(std::string_view text, std::string_view source, Config* out) {
  // JSON parsing is a boundary: its exception becomes a Status with the parser's position.
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return core::Status::invalid_argument(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  return parse_document(doc, Reader(source), out);
}

core::Status load_config(const std::string& path, Config* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::invalid_argument(fmt::format("{}: cannot read the file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, out);
}

const std::string* Secrets::find(std::string_view name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

core::Status read_secrets(const Config& config,
                          const std::function<const char*(const char*)>& getenv, Secrets* out) {
  Secrets secrets;
  for (const auto& [name, variable] : config.secret_envs) {
    const char* value = getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
      return core::Status::invalid_argument(
          fmt::format("secret '{}': environment variable {} is {}", name, variable,
                      value == nullptr ? "not set" : "empty"));
    }
    secrets.values_.emplace(name, value);
  }
  *out = std::move(secrets);
  return core::Status::ok();
}

}  // namespace intsim::server
