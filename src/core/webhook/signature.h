// Webhook signatures of the three peers (DESIGN.md section 4): how to make them (the simulated
// peers and the attacker sign with exactly these functions) and how to check them (the intake
// and `intsim webhook verify` check with exactly these verifiers).
//
//   Stripe            Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>...]
//                     HMAC-SHA256(secret bytes as given, "whsec_" included, "<t>.<body>")
//   Standard Webhooks webhook-id, webhook-timestamp, webhook-signature: v1,<base64>[ v1,...]
//                     HMAC-SHA256(base64-decoded part of "whsec_<base64>", "<id>.<t>.<body>")
//   WhatsApp          X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>
//
// Verifiers key every active secret once at construction (several per endpoint while a secret
// is rotated), compare in constant time, and say exactly why a delivery fails. A failing
// verification never says which secret came close, and no message ever contains a secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/core/time.h"
#include "src/core/webhook/hmac.h"

namespace intsim::core::webhook {

// ---- Results ------------------------------------------------------------------------------

enum class VerifyError {
  kNone = 0,
  kMissingHeader,      // a required header is absent: unsigned delivery or a stripping proxy
  kMalformedHeader,    // a header is present but does not parse (bad timestamp, bad encoding)
  kNoSignature,        // the header parses but has no signature of the version we check (v1)
  kTimestampTooOld,    // authentic, but signed before now - tolerance: a replay or a late copy
  kTimestampInFuture,  // authentic, but signed after now + tolerance: clock skew or a forgery
                       // made with a stolen secret to outlive the replay window
  kNoMatch,            // no signature matches any active secret: forged, tampered, wrong secret
};
// Stable snake_case names ("timestamp_too_old"): they appear in responses, logs and metrics.
std::string_view verify_error_name(VerifyError error);

struct Verification {
  VerifyError error = VerifyError::kNone;
  std::string detail;  // what exactly is wrong, for a human; never a secret
  // Once a signature matched: Standard Webhooks' webhook-id, or the Stripe event's top-level
  // "id" ("" when the body has none). WhatsApp signs batches without an id (see intake.h).
  std::string event_id;
  std::int64_t timestamp_s = 0;  // the signed timestamp (Stripe, Standard Webhooks) once parsed
  int secret_index = -1;         // which active secret matched (0-based), when ok

  bool ok() const { return error == VerifyError::kNone; }
};

// How far the signed timestamp may be from now, each way. Stripe's libraries default to 300 s
// in the past (and accept any future); Standard Webhooks' to 5 minutes each way.
struct Tolerance {
  std::int64_t past_s = 300;
  std::int64_t future_s = 300;
};

// ---- Signing ------------------------------------------------------------------------------

// "t=<timestamp_s>,v1=<hex>" with one v1 per secret, in the order given (Stripe signs with the
// old and the new secret while one is rolled).
std::string stripe_signature_header(std::string_view secret, std::int64_t timestamp_s,
                                    std::string_view body);
std::string stripe_signature_header(const std::vector<std::string>& secrets,
                                    std::int64_t timestamp_s, std::string_view body);

// The key inside a Standard Webhooks secret: "whsec_<base64>" (the prefix is optional, as in the
// reference libraries). kInvalidArgument when the base64 part does not decode or is empty.
Status standard_webhook_key(std::string_view secret, std::string* key);

// Values of the three Standard Webhooks headers.
struct StandardHeaders {
  std::string id;         // webhook-id
  std::string timestamp;  // webhook-timestamp (unix seconds)
  std::string signature;  // webhook-signature ("v1,<base64>")
};
Status standard_webhook_sign(std::string_view secret, std::string_view msg_id,
                             std::int64_t timestamp_s, std::string_view body, StandardHeaders* out);

// "sha256=<hex>" for X-Hub-Signature-256.
std::string whatsapp_signature_header(std::string_view app_secret, std::string_view body);

// ---- Verifying ----------------------------------------------------------------------------

class StripeVerifier {
 public:
  // Every secret in `secrets` is active; with none, nothing verifies.
  explicit StripeVerifier(const std::vector<std::string>& secrets, Tolerance tolerance = {});
  // `header` is the Stripe-Signature value (nullopt when the request has none); the signature
  // is checked before the timestamp, so "too old" is only ever said of an authentic delivery.
  Verification verify(std::optional<std::string_view> header, std::string_view body,
                      TimeUs now_us) const;

 private:
  std::vector<HmacSha256> keys_;
  Tolerance tolerance_;
};

class StandardWebhookVerifier {
 public:
  // kInvalidArgument naming the position of the first secret that is not "whsec_<base64>".
  static Status create(const std::vector<std::string>& secrets, Tolerance tolerance,
                       std::optional<StandardWebhookVerifier>* out);
  Verification verify(std::optional<std::string_view> id, std::optional<std::string_view> timestamp,
                      std::optional<std::string_view> signature, std::string_view body,
                      TimeUs now_us) const;

 private:
  StandardWebhookVerifier(std::vector<HmacSha256> keys, Tolerance tolerance)
      : keys_(std::move(keys)), tolerance_(tolerance) {}
  std::vector<HmacSha256> keys_;
  Tolerance tolerance_;
};

// WhatsApp signs no timestamp: replays are caught by the inbox, not here.
class WhatsAppVerifier {
 public:
  explicit WhatsAppVerifier(const std::vector<std::string>& app_secrets);
  Verification verify(std::optional<std::string_view> header, std::string_view body) const;

 private:
  std::vector<HmacSha256> keys_;
};

}  // namespace intsim::core::webhook
