#include "src/server/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "src/server/temp_dir_for_test.h"

namespace intsim::server {
namespace {

using core::Status;

// The error for `text`, which must be invalid.
std::string error_of(std::string_view text) {
  Config config;
  const Status st = parse_config(text, "serve.json", &config);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << text;
  return st.message();
}

TEST(Config, AFullFileParsesWithUnitsConverted) {
  Config c;
  const Status st = parse_config(R"({
    "listen": {"address": "0.0.0.0", "port": 9090},
    "store": {"path": "/var/lib/intsim/intsim.db"},
    "http": {"body_bytes_max": 65536, "read_timeout_ms": 2500, "connections_max": 64},
    "peers": {
      "stripe": {"base_url": "https://api.stripe.com", "timeout_ms": 8000},
      "whatsapp": {"base_url": "http://127.0.0.1:9000/v19.0"}
    },
    "tls": {"ca_file": "/etc/intsim/test-ca.pem"},
    "secrets": {"stripe.webhook": "INTSIM_STRIPE_WEBHOOK_SECRET"}
  })",
                                 "serve.json", &c);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(c.listen_address, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9090);
  EXPECT_EQ(c.store_path, "/var/lib/intsim/intsim.db");
  EXPECT_EQ(c.body_bytes_max, 65536u);
  EXPECT_EQ(c.read_timeout_us, 2'500'000);
  EXPECT_EQ(c.connections_max, 64u);
  ASSERT_EQ(c.peers.size(), 2u);
  EXPECT_EQ(c.peers.at("stripe").timeout_us, 8'000'000);
  EXPECT_EQ(c.peers.at("whatsapp").base_url, "http://127.0.0.1:9000/v19.0");
  EXPECT_EQ(c.peers.at("whatsapp").timeout_us, 10'000'000);  // the default
  EXPECT_EQ(c.ca_file, "/etc/intsim/test-ca.pem");
  EXPECT_EQ(c.secret_envs.at("stripe.webhook"), "INTSIM_STRIPE_WEBHOOK_SECRET");
}

TEST(Config, OnlyTheStoreIsRequired) {
  Config c;
  ASSERT_TRUE(parse_config(R"({"store": {"path": "x.db"}})", "serve.json", &c));
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_TRUE(c.peers.empty());
}

TEST(Config, ErrorsNameTheFileThePointerAndWhatWasExpected) {
  EXPECT_EQ(error_of(R"({"store": {"path": "x"}, "listen": {"port": "80"}})"),
            "serve.json: /listen/port: expected a port number from 0 to 65535, got the string "
            "\"80\"");
  EXPECT_EQ(error_of(R"({"store": {"path": "x"}, "listen": {"port": 70000}})"),
            "serve.json: /listen/port: expected a port number from 0 to 65535, got the number "
            "70000");
  EXPECT_EQ(error_of(R"({"listen": {}})"), "serve.json: /store: expected an object with \"path\"");
  EXPECT_EQ(error_of(R"({"store": {"path": ""}})"),
            "serve.json: /store/path: expected a non-empty string, got the string \"\"");
  EXPECT_EQ(error_of(R"([1, 2])"), "serve.json: /: expected an object, got an array");
  EXPECT_EQ(
      error_of(R"({"store": {"path": "x"}, "peers": {"stripe": {"base_url": "api.stripe.com"}}})"),
      "serve.json: /peers/stripe/base_url: expected an http:// or https:// URL with a host, got "
      "the string \"api.stripe.com\"");
  EXPECT_EQ(error_of(R"({"store": {"path": "x"}, "peers": {"a/b": {"base_url": "http://h", )"
                     R"("timeout_ms": 0}}})"),
            "serve.json: /peers/a~1b/timeout_ms: expected milliseconds from 1 to 3600000, got "
            "the number 0");
  EXPECT_EQ(error_of(R"({"store": {"path": "x", "journal": "off"}})"),
            "serve.json: /store/journal: expected no such key (allowed: \"path\", "
            "\"pending_requests_max\", \"flush_age_ms_max\")");
}

TEST(Config, BackpressureAndDrainBoundsHaveDefaultsAndAreChecked) {
  Config c;
  ASSERT_TRUE(parse_config(R"({"store": {"path": "x.db"}})", "serve.json", &c));
  EXPECT_EQ(c.pending_requests_max, 10'000u);
  EXPECT_EQ(c.flush_age_us_max, 5'000'000);
  EXPECT_EQ(c.drain_timeout_us, 10'000'000);
  const Status st = parse_config(
      R"({"store": {"path": "x.db", "pending_requests_max": 50, "flush_age_ms_max": 1500},
          "shutdown": {"drain_timeout_ms": 0}})",
      "serve.json", &c);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(c.pending_requests_max, 50u);
  EXPECT_EQ(c.flush_age_us_max, 1'500'000);
  EXPECT_EQ(c.drain_timeout_us, 0);
  EXPECT_EQ(error_of(R"({"store": {"path": "x", "pending_requests_max": 0}})"),
            "serve.json: /store/pending_requests_max: expected a request count from 1 to "
            "10000000, got the number 0");
  EXPECT_EQ(error_of(R"({"store": {"path": "x", "flush_age_ms_max": "5s"}})"),
            "serve.json: /store/flush_age_ms_max: expected milliseconds from 1 to 3600000, got "
            "the string \"5s\"");
  EXPECT_EQ(error_of(R"({"store": {"path": "x"}, "shutdown": {"drain_timeout_ms": -1}})"),
            "serve.json: /shutdown/drain_timeout_ms: expected milliseconds from 0 to 3600000, got "
            "the number -1");
  EXPECT_EQ(error_of(R"({"store": {"path": "x"}, "shutdown": {"drain_timeout": 5}})"),
            "serve.json: /shutdown/drain_timeout: expected no such key (allowed: "
            "\"drain_timeout_ms\")");
  EXPECT_EQ(error_of(R"({"store": {"path": "x"}, "shutdown": 5})"),
            "serve.json: /shutdown: expected an object, got the number 5");
}

TEST(Config, UnitsAreReadAndCheckedForIdsAndUnknownKeys) {
  Config c;
  ASSERT_TRUE(parse_config(
      R"({"store": {"path": "x.db"}, "units": [{"id": "u1", "kind": "studio"}, {"id": "u2"}]})",
      "serve.json", &c));
  ASSERT_EQ(c.units.size(), 2u);
  EXPECT_EQ(c.units[0].id, "u1");
  EXPECT_EQ(c.units[0].kind, "studio");
  EXPECT_EQ(c.units[1].kind, "");
  EXPECT_NE(error_of(R"({"store": {"path": "x.db"}, "units": [{"kind": "studio"}]})")
                .find("/units/0/id: expected a non-empty string"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"store": {"path": "x.db"}, "units": [{"id": "u1", "beds": 2}]})")
                .find("/units/0/beds: expected no such key"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"store": {"path": "x.db"}, "units": {"id": "u1"}})").find("/units: "),
            std::string::npos);
}

TEST(Config, NotificationsAndChannelsFillTheCoresConfig) {
  Config c;
  const Status st = parse_config(R"({
    "store": {"path": "x.db"},
    "peers": {"whatsapp": {"base_url": "http://127.0.0.1:9001"},
              "ota.airbnb": {"base_url": "http://127.0.0.1:9002/airbnb"},
              "feeds": {"base_url": "http://127.0.0.1:9002/booking_com"}},
    "secrets": {"whatsapp.access_token": "T_TOKEN", "whatsapp.app_secret": "T_APP"},
    "notifications": {"enabled": true, "api_version": "v21.0", "phone_number_id": "1234",
                      "language": "es_CO", "ambiguous": "resend", "await_status_ms": 2000,
                      "pair_interval_ms": 6500},
    "channels": [{"name": "airbnb", "poll_interval_ms": 1000},
                 {"name": "booking_com", "peer": "feeds"}]
  })",
                                 "serve.json", &c);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_TRUE(c.notifications.enabled);
  EXPECT_EQ(c.notifications.peer, "whatsapp");
  EXPECT_EQ(c.notifications.api_version, "v21.0");
  EXPECT_EQ(c.notifications.phone_number_id, "1234");
  EXPECT_EQ(c.notifications.language, "es_CO");
  EXPECT_EQ(c.notifications.ambiguous, core::notifications::AmbiguousSendPolicy::kResend);
  EXPECT_EQ(c.notifications.await_status_us, 2'000'000);
  EXPECT_EQ(c.notifications.pair_interval_us, 6'500'000);
  ASSERT_EQ(c.channels.size(), 2u);
  EXPECT_EQ(c.channels[0].source, core::bookings::Source::kAirbnb);
  EXPECT_EQ(c.channels[0].peer, "ota.airbnb");
  EXPECT_EQ(c.channels[0].poll_interval_us, 1'000'000);
  EXPECT_FALSE(c.channels[0].empty_body_is_calendar);
  EXPECT_EQ(c.channels[1].source, core::bookings::Source::kBookingCom);
  EXPECT_EQ(c.channels[1].peer, "feeds");
  EXPECT_EQ(c.channels[1].poll_interval_us, 5 * core::kUsPerMin);  // the default
  EXPECT_TRUE(c.channels[1].empty_body_is_calendar);

  Config off;
  ASSERT_TRUE(parse_config(R"({"store": {"path": "x"}})", "serve.json", &off));
  EXPECT_FALSE(off.notifications.enabled);
  EXPECT_TRUE(off.channels.empty());
}

TEST(Config, NotificationAndChannelErrorsNameTheField) {
  const std::string wa_peer = R"("peers": {"whatsapp": {"base_url": "http://h"}}, )";
  const std::string wa_secrets =
      R"("secrets": {"whatsapp.access_token": "A", "whatsapp.app_secret": "B"}, )";
  const auto with = [](std::string rest) { return R"({"store": {"path": "x"}, )" + rest + "}"; };
  EXPECT_EQ(error_of(with(wa_secrets + R"("notifications": {"enabled": true})")),
            "serve.json: /notifications/peer: expected a peer configured in /peers (no peer "
            "\"whatsapp\" there)");
  EXPECT_EQ(error_of(with(wa_peer + R"("notifications": {"enabled": true})")),
            "serve.json: /secrets/whatsapp.access_token: expected the environment variable "
            "holding it (notifications are enabled)");
  EXPECT_EQ(error_of(with(R"("notifications": {"enabled": "yes"})")),
            "serve.json: /notifications/enabled: expected true or false, got the string \"yes\"");
  EXPECT_EQ(error_of(with(R"("notifications": {"ambiguous": "maybe"})")),
            "serve.json: /notifications/ambiguous: expected \"await_status\" or \"resend\", got "
            "the string \"maybe\"");
  EXPECT_EQ(error_of(with(R"("notifications": {"phone_number_id": "+1 555"})")),
            "serve.json: /notifications/phone_number_id: expected the phone number id (digits "
            "only), got the string \"+1 555\"");
  EXPECT_EQ(error_of(with(R"("notifications": {"template": "x"})")).substr(0, 51),
            "serve.json: /notifications/template: expected no su");
  EXPECT_EQ(error_of(with(R"("channels": {"name": "airbnb"})")),
            "serve.json: /channels: expected an array of {\"name\", \"peer\", "
            "\"poll_interval_ms\"}, got an object");
  EXPECT_EQ(error_of(with(R"("channels": [{"name": "direct"}])")),
            "serve.json: /channels/0/name: expected \"airbnb\", \"booking_com\" or \"vrbo\", got "
            "the string \"direct\"");
  EXPECT_EQ(error_of(with(R"("channels": [{"name": "vrbo"}])")),
            "serve.json: /channels/0/peer: expected a peer configured in /peers (no peer "
            "\"ota.vrbo\" there)");
  const std::string vrbo_peer = R"("peers": {"ota.vrbo": {"base_url": "http://h"}}, )";
  EXPECT_EQ(error_of(with(vrbo_peer + R"("channels": [{"name": "vrbo"}, {"name": "vrbo"}])")),
            "serve.json: /channels/1/name: expected a channel not listed before, got the string "
            "\"vrbo\"");
  EXPECT_EQ(error_of(with(vrbo_peer + R"("channels": [{"name": "vrbo", "poll_interval_ms": 0}])")),
            "serve.json: /channels/0/poll_interval_ms: expected milliseconds from 1 to 604800000, "
            "got the number 0");
}

TEST(Config, ASyntaxErrorNamesTheFileAndThePosition) {
  const std::string msg = error_of("{\"store\": {\"path\": \"x\",}}");
  EXPECT_EQ(msg.rfind("serve.json: not valid JSON: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("line 1, column 24"), std::string::npos) << msg;
}

TEST(Config, ASecretPastedIntoTheFileIsRejectedWithoutEchoingIt) {
  const std::string msg =
      error_of(R"({"store": {"path": "x"}, "secrets": {"stripe.webhook": "whsec_abc123"}})");
  EXPECT_EQ(msg.find("whsec_abc123"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/secrets/stripe.webhook"), std::string::npos) << msg;
  EXPECT_NE(msg.find("environment variable"), std::string::npos) << msg;
}

TEST(Config, LoadReadsTheFileAndNamesItInErrors) {
  TempDir dir;
  const std::string path = dir.file("serve.json");
  std::ofstream(path) << R"({"store": {"path": "a.db"}, "listen": {"port": -1}})";
  Config c;
  const Status st = load_config(path, &c);
  EXPECT_EQ(st.message().rfind(path + ": /listen/port: ", 0), 0u) << st.message();
  const Status missing = load_config(dir.file("absent.json"), &c);
  EXPECT_EQ(missing.message(), dir.file("absent.json") + ": cannot read the file");
}

TEST(Secrets, AreReadFromTheNamedVariablesAndAMissingOneIsNamedNeverShown) {
  Config c;
  c.secret_envs = {{"stripe.webhook", "T_STRIPE"}, {"whatsapp.app", "T_WA"}};
  std::map<std::string, std::string> env = {{"T_STRIPE", "whsec_value"}, {"T_WA", "app_value"}};
  auto getenv = [&](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  Secrets secrets;
  ASSERT_TRUE(read_secrets(c, getenv, &secrets));
  ASSERT_NE(secrets.find("stripe.webhook"), nullptr);
  EXPECT_EQ(*secrets.find("stripe.webhook"), "whsec_value");
  EXPECT_EQ(secrets.find("other"), nullptr);

  env.erase("T_WA");
  Status st = read_secrets(c, getenv, &secrets);
  EXPECT_EQ(st.message(), "secret 'whatsapp.app': environment variable T_WA is not set");
  env["T_WA"] = "";
  st = read_secrets(c, getenv, &secrets);
  EXPECT_EQ(st.message(), "secret 'whatsapp.app': environment variable T_WA is empty");
  EXPECT_EQ(st.message().find("whsec_value"), std::string::npos);
}

}  // namespace
}  // namespace intsim::server
