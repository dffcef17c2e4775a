// `intsim webhook sign|verify`: the core's own signing and verification code paths, for
// debugging a real integration (is this header right for this body and this secret, and if not,
// why not). Secrets come from a flag or, better, an environment variable, and are never printed.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/core/http.h"
#include "src/core/webhook/signature.h"

namespace intsim::cli {
namespace {

namespace wh = core::webhook;

enum class Scheme { kStripe, kStandard, kWhatsApp };

struct Input {
  Scheme scheme = Scheme::kStripe;
  std::vector<std::string> secrets;
  std::string body;
  std::int64_t timestamp_s = 0;
};

core::Status fail(std::string message) {
  return core::Status::invalid_argument(std::move(message));
}

// "a,b" -> {"a", "b"}: several active secrets while one is rotated. Stripe, Standard Webhooks
// and Meta secrets never contain a comma.
std::vector<std::string> split_secrets(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::int64_t wall_clock_unix_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::Status read_input(const Args& args, bool need_single_secret, Input* in) {
  const std::optional<std::string> scheme = args.value("scheme");
  if (!scheme) return fail("--scheme is required (stripe, standard or whatsapp)");
  if (*scheme == "stripe") {
    in->scheme = Scheme::kStripe;
  } else if (*scheme == "standard") {
    in->scheme = Scheme::kStandard;
  } else if (*scheme == "whatsapp") {
    in->scheme = Scheme::kWhatsApp;
  } else {
    return fail(fmt::format("unknown --scheme '{}' (stripe, standard or whatsapp)", *scheme));
  }
  std::string secrets_text;
  if (args.has("secret") == args.has("secret-env")) {
    return fail("give exactly one of --secret S or --secret-env VAR");
  }
  if (const auto var = args.value("secret-env")) {
    const char* value = std::getenv(var->c_str());
    if (value == nullptr || *value == '\0') {
      return fail(fmt::format("environment variable {} (from --secret-env) is not set", *var));
    }
    secrets_text = value;
  } else {
    secrets_text = *args.value("secret");
  }
  in->secrets = split_secrets(secrets_text);
  for (std::size_t i = 0; i < in->secrets.size(); ++i) {
    if (in->secrets[i].empty()) return fail(fmt::format("secret #{} is empty", i + 1));
    if (in->scheme == Scheme::kStandard) {
      std::string key;
      if (core::Status st = wh::standard_webhook_key(in->secrets[i], &key); !st) {
        return fail(fmt::format("secret #{}: {}", i + 1, st.message()));
      }
    }
  }
  if (need_single_secret && in->secrets.size() != 1) {
    return fail("WhatsApp signs with exactly one app secret");
  }
  const std::optional<std::string> path = args.value("body");
  if (!path) return fail("--body FILE is required (the raw body, byte for byte)");
  std::ifstream file(*path, std::ios::binary);
  if (!file) return fail(fmt::format("cannot read body file '{}'", *path));
  in->body.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  std::uint64_t t = 0;
  if (core::Status st = args.u64("timestamp", 0, &t); !st) return st;
  in->timestamp_s = args.has("timestamp") ? static_cast<std::int64_t>(t) : wall_clock_unix_s();
  return core::Status::ok();
}

// Accepts a bare value or a pasted "Name: value" line.
std::string header_value(std::string_view text, std::string_view name) {
  if (text.size() > name.size() && core::iequals(text.substr(0, name.size()), name) &&
      text[name.size()] == ':') {
    text.remove_prefix(name.size() + 1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return std::string(text);
}

int sign(const Args& args) {
  const bool whatsapp = args.value("scheme") == "whatsapp";
  Input in;
  if (core::Status st = read_input(args, whatsapp, &in); !st) {
    fmt::print(stderr, "intsim webhook sign: {}\n", st.message());
    return kExitInvalidInput;
  }
  switch (in.scheme) {
    case Scheme::kStripe:
      fmt::print("Stripe-Signature: {}\n",
                 wh::stripe_signature_header(in.secrets, in.timestamp_s, in.body));
      break;
    case Scheme::kStandard: {
      const std::optional<std::string> id = args.value("id");
      if (!id || id->empty()) {
        fmt::print(stderr, "intsim webhook sign: --id ID is required for --scheme standard\n");
        return kExitInvalidInput;
      }
      std::string signatures;
      wh::StandardHeaders h;
      for (const std::string& secret : in.secrets) {
        if (core::Status st = wh::standard_webhook_sign(secret, *id, in.timestamp_s, in.body, &h);
            !st) {
          fmt::print(stderr, "intsim webhook sign: {}\n", st.message());
          return kExitInvalidInput;
        }
        signatures += (signatures.empty() ? "" : " ") + h.signature;
      }
      fmt::print("webhook-id: {}\nwebhook-timestamp: {}\nwebhook-signature: {}\n", h.id,
                 h.timestamp, signatures);
      break;
    }
    case Scheme::kWhatsApp:
      fmt::print("X-Hub-Signature-256: {}\n",
                 wh::whatsapp_signature_header(in.secrets[0], in.body));
      break;
  }
  return kExitPassed;
}

int verify(const Args& args) {
  Input in;
  core::Status st = read_input(args, false, &in);
  const std::optional<std::string> header = args.value("header");
  if (st && !header) st = fail("--header \"...\" is required (the signature header's value)");
  std::uint64_t now_s = 0;
  if (st) st = args.u64("now", static_cast<std::uint64_t>(wall_clock_unix_s()), &now_s);
  std::uint64_t tolerance_s = 300;
  if (st) st = args.u64("tolerance", 300, &tolerance_s);
  const std::optional<std::string> id = args.value("id");
  if (st && in.scheme == Scheme::kStandard && (!id || !args.has("timestamp"))) {
    st = fail("--scheme standard needs --id (webhook-id) and --timestamp (webhook-timestamp)");
  }
  if (!st) {
    fmt::print(stderr, "intsim webhook verify: {}\n", st.message());
    return kExitInvalidInput;
  }
  const core::TimeUs now_us = static_cast<core::TimeUs>(now_s) * core::kUsPerSec;
  const wh::Tolerance tolerance{static_cast<std::int64_t>(tolerance_s),
                                static_cast<std::int64_t>(tolerance_s)};
  wh::Verification v;
  std::string_view scheme_name;
  switch (in.scheme) {
    case Scheme::kStripe:
      scheme_name = "stripe";
      v = wh::StripeVerifier(in.secrets, tolerance)
              .verify(header_value(*header, "Stripe-Signature"), in.body, now_us);
      break;
    case Scheme::kStandard: {
      scheme_name = "standard";
      std::optional<wh::StandardWebhookVerifier> verifier;
      if (core::Status created =
              wh::StandardWebhookVerifier::create(in.secrets, tolerance, &verifier);
          !created) {
        fmt::print(stderr, "intsim webhook verify: {}\n", created.message());
        return kExitInvalidInput;
      }
      v = verifier->verify(*id, std::to_string(in.timestamp_s),
                           header_value(*header, "webhook-signature"), in.body, now_us);
      break;
    }
    case Scheme::kWhatsApp:
      scheme_name = "whatsapp";
      v = wh::WhatsAppVerifier(in.secrets)
              .verify(header_value(*header, "X-Hub-Signature-256"), in.body);
      break;
  }
  const std::string event = v.event_id.empty() ? "" : fmt::format(" (event {})", v.event_id);
  if (!v.ok()) {
    fmt::print("invalid: {}: {}{}\n", wh::verify_error_name(v.error), v.detail, event);
    return kExitSafetyViolation;  // 1: the signature is not valid
  }
  std::string when;
  if (in.scheme != Scheme::kWhatsApp) {
    when = fmt::format("; timestamp {} is {} s from now (tolerance {} s)", v.timestamp_s,
                       static_cast<std::int64_t>(now_s) - v.timestamp_s, tolerance_s);
  }
  fmt::print("valid: {} signature matches secret #{} of {}{}{}\n", scheme_name, v.secret_index + 1,
             in.secrets.size(), event, when);
  return kExitPassed;
}

}  // namespace

int cmd_webhook(int argc, char** argv) {
  Args args;
  const OptionSpec spec{
      {"scheme", "secret", "secret-env", "body", "timestamp", "id", "header", "now", "tolerance"},
      {}};
  if (auto st = Args::parse(argc, argv, 1, spec, &args); !st) {
    fmt::print(stderr, "intsim webhook: {}\n", st.message());
    return kExitInvalidInput;
  }
  const auto& pos = args.positional();
  if (pos.size() != 1 || (pos[0] != "sign" && pos[0] != "verify")) {
    fmt::print(stderr, "intsim webhook: expected 'sign' or 'verify', got '{}'\n",
               pos.empty() ? "" : fmt::format("{}", fmt::join(pos, " ")));
    return kExitInvalidInput;
  }
  return pos[0] == "sign" ? sign(args) : verify(args);
}

}  // namespace intsim::cli
