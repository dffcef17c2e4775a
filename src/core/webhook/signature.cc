#include "src/core/webhook/signature.h"

#include <fmt/format.h>

#include <charconv>

#include "src/core/assert.h"
#include "src/core/webhook/encoding.h"
#include "src/core/webhook/json_field.h"

namespace intsim::core::webhook {
namespace {

constexpr std::string_view kStandardPrefix = "whsec_";
constexpr std::string_view kWhatsAppPrefix = "sha256=";
constexpr std::size_t kHexDigestSize = 64;
constexpr std::size_t kBase64DigestSize = 44;

std::string_view as_chars(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

Verification fail(VerifyError error, std::string detail) {
  Verification v;
  v.error = error;
  v.detail = std::move(detail);
  return v;
}

// Unix seconds as peers write them: decimal digits only, no sign, no spaces.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text[0] == '-') {
    return std::nullopt;
  }
  return value;
}

// Sets v.error for a timestamp outside the tolerance; called only once a signature matched.
void check_tolerance(std::int64_t timestamp_s, TimeUs now_us, const Tolerance& tolerance,
                     Verification& v) {
  const std::int64_t age_s = unix_seconds(now_us) - timestamp_s;
  if (age_s > tolerance.past_s) {
    v.error = VerifyError::kTimestampTooOld;
    v.detail = fmt::format("timestamp {} is {} s old, tolerance {} s", timestamp_s, age_s,
                           tolerance.past_s);
  } else if (-age_s > tolerance.future_s) {
    v.error = VerifyError::kTimestampInFuture;
    v.detail = fmt::format("timestamp {} is {} s in the future, tolerance {} s", timestamp_s,
                           -age_s, tolerance.future_s);
  }
}

std::vector<HmacSha256> key_all(const std::vector<std::string>& secrets) {
  std::vector<HmacSha256> keys;
  keys.reserve(secrets.size());
  for (const std::string& s : secrets) keys.emplace_back(s);
  return keys;
}

std::string no_match_detail(std::size_t candidates, std::size_t secrets) {
  return fmt::format("none of {} signature(s) matched any of {} active secret(s)", candidates,
                     secrets);
}

}  // namespace

std::string_view verify_error_name(VerifyError error) {
  switch (error) {
    case VerifyError::kNone:
      return "ok";
    case VerifyError::kMissingHeader:
      return "missing_header";
    case VerifyError::kMalformedHeader:
      return "malformed_header";
    case VerifyError::kNoSignature:
      return "no_signature";
    case VerifyError::kTimestampTooOld:
      return "timestamp_too_old";
    case VerifyError::kTimestampInFuture:
      return "timestamp_in_future";
    case VerifyError::kNoMatch:
      return "no_match";
  }
  return "unknown";
}

// ---- Stripe -------------------------------------------------------------------------------

std::string stripe_signature_header(std::string_view secret, std::int64_t timestamp_s,
                                    std::string_view body) {
  return stripe_signature_header(std::vector<std::string>{std::string(secret)}, timestamp_s, body);
}

std::string stripe_signature_header(const std::vector<std::string>& secrets,
                                    std::int64_t timestamp_s, std::string_view body) {
  const std::string t = std::to_string(timestamp_s);
  std::string header = "t=" + t;
  for (const std::string& secret : secrets) {
    header += ",v1=";
    header += hex_encode(as_chars(hmac_sha256_once(secret, {t, ".", body})));
  }
  return header;
}

StripeVerifier::StripeVerifier(const std::vector<std::string>& secrets, Tolerance tolerance)
    : keys_(key_all(secrets)), tolerance_(tolerance) {}

Verification StripeVerifier::verify(std::optional<std::string_view> header, std::string_view body,
                                    TimeUs now_us) const {
  if (!header) return fail(VerifyError::kMissingHeader, "no Stripe-Signature header");
  std::optional<std::string_view> t_text;
  // Up to a handful of v1 entries in practice; the bound keeps a hostile header cheap.
  constexpr std::size_t kCandidatesMax = 16;
  std::string_view candidates[kCandidatesMax];
  std::size_t candidate_count = 0;
  std::string_view rest = *header;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return fail(VerifyError::kMalformedHeader,
                  fmt::format("Stripe-Signature item '{}' is not key=value", item.substr(0, 20)));
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      if (t_text) return fail(VerifyError::kMalformedHeader, "Stripe-Signature has two t=");
      t_text = value;
    } else if (key == "v1") {
      if (candidate_count == kCandidatesMax) {
        return fail(VerifyError::kMalformedHeader,
                    fmt::format("Stripe-Signature has more than {} v1 entries", kCandidatesMax));
      }
      candidates[candidate_count++] = value;
    }  // v0 and unknown schemes are ignored, as Stripe's own libraries do
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!t_text) return fail(VerifyError::kMalformedHeader, "Stripe-Signature has no t=");
  const std::optional<std::int64_t> t = parse_timestamp(*t_text);
  if (!t) {
    return fail(VerifyError::kMalformedHeader,
                fmt::format("Stripe-Signature t='{}' is not unix seconds", t_text->substr(0, 20)));
  }
  if (candidate_count == 0) {
    return fail(VerifyError::kNoSignature, "Stripe-Signature has no v1 signature");
  }
  Verification v;
  v.timestamp_s = *t;
  for (std::size_t k = 0; k < keys_.size() && v.secret_index < 0; ++k) {
    const std::string expected = hex_encode(as_chars(keys_[k].mac({*t_text, ".", body})));
    for (std::size_t c = 0; c < candidate_count; ++c) {
      if (constant_time_equal(expected, candidates[c])) {
        v.secret_index = static_cast<int>(k);
        break;
      }
    }
  }
  if (v.secret_index < 0) {
    v.error = VerifyError::kNoMatch;
    v.detail = no_match_detail(candidate_count, keys_.size());
    return v;
  }
  // Read without parsing the rest of the body: a duplicate needs nothing more.
  v.event_id = json_top_level_string(body, "id").value_or("");
  check_tolerance(*t, now_us, tolerance_, v);
  return v;
}

// ---- Standard Webhooks --------------------------------------------------------------------

Status standard_webhook_key(std::string_view secret, std::string* key) {
  if (secret.starts_with(kStandardPrefix)) secret.remove_prefix(kStandardPrefix.size());
  std::optional<std::string> bytes = base64_decode(secret);
  if (!bytes) return Status::invalid_argument("secret is not whsec_<base64>");
  if (bytes->empty()) return Status::invalid_argument("secret has an empty key");
  *key = std::move(*bytes);
  return Status::ok();
}

Status standard_webhook_sign(std::string_view secret, std::string_view msg_id,
                             std::int64_t timestamp_s, std::string_view body,
                             StandardHeaders* out) {
  std::string key;
  if (Status st = standard_webhook_key(secret, &key); !st) return st;
  out->id = std::string(msg_id);
  out->timestamp = std::to_string(timestamp_s);
  const Sha256Digest mac = hmac_sha256_once(key, {msg_id, ".", out->timestamp, ".", body});
  out->signature = "v1," + base64_encode(as_chars(mac));
  return Status::ok();
}

Status StandardWebhookVerifier::create(const std::vector<std::string>& secrets, Tolerance tolerance,
                                       std::optional<StandardWebhookVerifier>* out) {
  std::vector<HmacSha256> keys;
  keys.reserve(secrets.size());
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    std::string key;
    if (Status st = standard_webhook_key(secrets[i], &key); !st) {
      return Status::invalid_argument(
          fmt::format("Standard Webhooks secret #{}: {}", i + 1, st.message()));
    }
    keys.emplace_back(key);
  }
  out->emplace(StandardWebhookVerifier(std::move(keys), tolerance));
  return Status::ok();
}

Verification StandardWebhookVerifier::verify(std::optional<std::string_view> id,
                                             std::optional<std::string_view> timestamp,
                                             std::optional<std::string_view> signature,
                                             std::string_view body, TimeUs now_us) const {
  if (!id) return fail(VerifyError::kMissingHeader, "no webhook-id header");
  if (!timestamp) return fail(VerifyError::kMissingHeader, "no webhook-timestamp header");
  if (!signature) return fail(VerifyError::kMissingHeader, "no webhook-signature header");
  if (id->empty()) return fail(VerifyError::kMalformedHeader, "webhook-id is empty");
  const std::optional<std::int64_t> t = parse_timestamp(*timestamp);
  if (!t) {
    return fail(
        VerifyError::kMalformedHeader,
        fmt::format("webhook-timestamp '{}' is not unix seconds", timestamp->substr(0, 20)));
  }
  constexpr std::size_t kCandidatesMax = 16;
  std::string_view candidates[kCandidatesMax];
  std::size_t candidate_count = 0;
  std::string_view rest = *signature;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view item = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (item.empty()) continue;  // doubled spaces
    const std::size_t comma = item.find(',');
    if (comma == std::string_view::npos) {
      return fail(
          VerifyError::kMalformedHeader,
          fmt::format("webhook-signature entry '{}' is not version,signature", item.substr(0, 20)));
    }
    if (item.substr(0, comma) != "v1") continue;  // v1a (asymmetric) and future versions
    if (candidate_count == kCandidatesMax) {
      return fail(VerifyError::kMalformedHeader,
                  fmt::format("webhook-signature has more than {} v1 entries", kCandidatesMax));
    }
    candidates[candidate_count++] = item.substr(comma + 1);
  }
  if (candidate_count == 0) {
    return fail(VerifyError::kNoSignature, "webhook-signature has no v1 signature");
  }
  Verification v;
  v.event_id = std::string(*id);
  v.timestamp_s = *t;
  for (std::size_t k = 0; k < keys_.size() && v.secret_index < 0; ++k) {
    const Sha256Digest mac = keys_[k].mac({*id, ".", *timestamp, ".", body});
    const std::string expected = base64_encode(as_chars(mac));
    INTSIM_ASSERT(expected.size() == kBase64DigestSize);
    for (std::size_t c = 0; c < candidate_count; ++c) {
      if (constant_time_equal(expected, candidates[c])) {
        v.secret_index = static_cast<int>(k);
        break;
      }
    }
  }
  if (v.secret_index < 0) {
    v.error = VerifyError::kNoMatch;
    v.detail = no_match_detail(candidate_count, keys_.size());
    return v;
  }
  check_tolerance(*t, now_us, tolerance_, v);
  return v;
}

// ---- WhatsApp -----------------------------------------------------------------------------

std::string whatsapp_signature_header(std::string_view app_secret, std::string_view body) {
  return std::string(kWhatsAppPrefix) + hex_encode(as_chars(hmac_sha256_once(app_secret, {body})));
}

WhatsAppVerifier::WhatsAppVerifier(const std::vector<std::string>& app_secrets)
    : keys_(key_all(app_secrets)) {}

Verification WhatsAppVerifier::verify(std::optional<std::string_view> header,
                                      std::string_view body) const {
  if (!header) return fail(VerifyError::kMissingHeader, "no X-Hub-Signature-256 header");
  if (!header->starts_with(kWhatsAppPrefix)) {
    return fail(VerifyError::kMalformedHeader, "X-Hub-Signature-256 does not start with sha256=");
  }
  const std::string_view hex = header->substr(kWhatsAppPrefix.size());
  if (hex.size() != kHexDigestSize || !hex_decode(hex)) {
    return fail(VerifyError::kMalformedHeader,
                "X-Hub-Signature-256 is not sha256= and 64 hex digits");
  }
  // Meta sends lowercase; accept either case, since the digest is the same.
  std::string candidate(hex);
  for (char& c : candidate) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  Verification v;
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    const std::string expected = hex_encode(as_chars(keys_[k].mac({body})));
    if (constant_time_equal(expected, candidate)) {
      v.secret_index = static_cast<int>(k);
      return v;
    }
  }
  v.error = VerifyError::kNoMatch;
  v.detail = no_match_detail(1, keys_.size());
  return v;
}

}  // namespace intsim::core::webhook
