#include "src/core/webhook/signature.h"

#include <gtest/gtest.h>

namespace intsim::core::webhook {
namespace {

constexpr std::int64_t kT = 1'767'225'600;  // 2026-01-01T00:00:00Z
constexpr TimeUs kNowUs = kT * kUsPerSec;
const std::string kBody = R"({"id":"evt_1","object":"event","type":"payment_intent.succeeded"})";
const std::string kOld = "whsec_old_secret_0123456789";
const std::string kNew = "whsec_new_secret_9876543210";

// Every failure detail is shown to humans and logged: it must never contain a secret.
void expect_no_secret(const Verification& v, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) EXPECT_EQ(v.detail.find(s), std::string::npos) << v.detail;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return !s.empty();
}

// ---- Stripe -------------------------------------------------------------------------------

TEST(StripeSignature, HeaderHasTimestampAndOneLowercaseHexV1PerSecret) {
  const std::string one = stripe_signature_header(kOld, kT, kBody);
  ASSERT_EQ(one.size(), 16 + 64);
  EXPECT_EQ(one.substr(0, 16), "t=1767225600,v1=");
  EXPECT_TRUE(is_lower_hex(one.substr(16)));
  const std::string two = stripe_signature_header({kOld, kNew}, kT, kBody);
  ASSERT_EQ(two.size(), 16 + 64 + 4 + 64);
  EXPECT_EQ(two.substr(0, 80), one);
  EXPECT_EQ(two.substr(80, 4), ",v1=");
  EXPECT_TRUE(is_lower_hex(two.substr(84)));
  EXPECT_NE(two.substr(84), one.substr(16));
}

TEST(StripeSignature, SignedHeaderVerifies) {
  const StripeVerifier verifier({kOld});
  const Verification v = verifier.verify(stripe_signature_header(kOld, kT, kBody), kBody, kNowUs);
  EXPECT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(v.timestamp_s, kT);
  EXPECT_EQ(v.secret_index, 0);
  EXPECT_EQ(v.event_id, "evt_1");
  // Even a stale delivery says which event it was (for logs and `intsim webhook verify`).
  EXPECT_EQ(
      verifier.verify(stripe_signature_header(kOld, kT, kBody), kBody, kNowUs + kUsPerDay).event_id,
      "evt_1");
  EXPECT_EQ(verifier.verify(stripe_signature_header(kOld, kT, "[]"), "[]", kNowUs).event_id, "");
}

TEST(StripeSignature, RotationAcceptsEitherSecretAndEitherSignature) {
  // The peer signs with both secrets while rolling; we may hold only the new one.
  const std::string both = stripe_signature_header({kOld, kNew}, kT, kBody);
  EXPECT_EQ(StripeVerifier({kNew}).verify(both, kBody, kNowUs).secret_index, 0);
  // We hold both; the peer already signs with the new one only.
  const Verification v =
      StripeVerifier({kOld, kNew}).verify(stripe_signature_header(kNew, kT, kBody), kBody, kNowUs);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.secret_index, 1);
  // A retired secret no longer verifies.
  EXPECT_EQ(
      StripeVerifier({kNew}).verify(stripe_signature_header(kOld, kT, kBody), kBody, kNowUs).error,
      VerifyError::kNoMatch);
}

TEST(StripeSignature, TamperedBodyOrTimestampDoesNotMatch) {
  const StripeVerifier verifier({kOld});
  const std::string header = stripe_signature_header(kOld, kT, kBody);
  std::string tampered = kBody;
  tampered[10] ^= 1;
  const Verification v = verifier.verify(header, tampered, kNowUs);
  EXPECT_EQ(v.error, VerifyError::kNoMatch);
  expect_no_secret(v, {kOld});
  // Moving t (to slip a replay into the window) breaks the signature too.
  std::string moved = header;
  moved.replace(0, 12, "t=1767225700");
  EXPECT_EQ(verifier.verify(moved, kBody, kNowUs + 100 * kUsPerSec).error, VerifyError::kNoMatch);
}

TEST(StripeSignature, WrongSecretDoesNotMatch) {
  const Verification v = StripeVerifier({kNew}).verify(
      stripe_signature_header("whsec_attacker", kT, kBody), kBody, kNowUs);
  EXPECT_EQ(v.error, VerifyError::kNoMatch);
  expect_no_secret(v, {kNew, "whsec_attacker"});
  EXPECT_EQ(
      StripeVerifier({}).verify(stripe_signature_header(kNew, kT, kBody), kBody, kNowUs).error,
      VerifyError::kNoMatch);
}

TEST(StripeSignature, StaleAndFutureTimestampsAreRejectedAtTheToleranceEdge) {
  const StripeVerifier verifier({kOld});  // 300 s each way
  const std::string header = stripe_signature_header(kOld, kT, kBody);
  EXPECT_TRUE(verifier.verify(header, kBody, kNowUs + 300 * kUsPerSec).ok());
  const Verification stale = verifier.verify(header, kBody, kNowUs + 301 * kUsPerSec);
  EXPECT_EQ(stale.error, VerifyError::kTimestampTooOld);
  EXPECT_NE(stale.detail.find("301 s old"), std::string::npos) << stale.detail;
  EXPECT_TRUE(verifier.verify(header, kBody, kNowUs - 300 * kUsPerSec).ok());
  EXPECT_EQ(verifier.verify(header, kBody, kNowUs - 301 * kUsPerSec).error,
            VerifyError::kTimestampInFuture);
  const StripeVerifier strict({kOld}, Tolerance{10, 0});
  EXPECT_EQ(strict.verify(header, kBody, kNowUs + 11 * kUsPerSec).error,
            VerifyError::kTimestampTooOld);
  EXPECT_EQ(strict.verify(header, kBody, kNowUs - 1 * kUsPerSec).error,
            VerifyError::kTimestampInFuture);
}

TEST(StripeSignature, StaleForgeryIsReportedAsNoMatch) {
  // The signature is checked first: "too old" is only ever said of an authentic delivery.
  const Verification v = StripeVerifier({kOld}).verify(
      stripe_signature_header("whsec_attacker", kT, kBody), kBody, kNowUs + 3600 * kUsPerSec);
  EXPECT_EQ(v.error, VerifyError::kNoMatch);
}

TEST(StripeSignature, MissingMalformedAndV1lessHeaders) {
  const StripeVerifier verifier({kOld});
  EXPECT_EQ(verifier.verify(std::nullopt, kBody, kNowUs).error, VerifyError::kMissingHeader);
  const std::string v1 = "v1=" + std::string(64, 'a');
  for (const std::string& bad :
       {std::string(""), std::string("garbage"), v1, "t=abc," + v1, "t=-5," + v1, "t=," + v1,
        "t=1,t=2," + v1, "t=1 ," + v1, "t=1," + v1 + ",junk"}) {
    const Verification v = verifier.verify(bad, kBody, kNowUs);
    EXPECT_EQ(v.error, VerifyError::kMalformedHeader) << bad;
    EXPECT_FALSE(v.detail.empty());
  }
  EXPECT_EQ(verifier.verify("t=1767225600", kBody, kNowUs).error, VerifyError::kNoSignature);
  // A v0 (test-mode legacy) signature never counts, even when it is the right HMAC.
  const std::string header = stripe_signature_header(kOld, kT, kBody);
  const std::string as_v0 = "t=1767225600,v0=" + header.substr(header.find("v1=") + 3);
  EXPECT_EQ(verifier.verify(as_v0, kBody, kNowUs).error, VerifyError::kNoSignature);
}

TEST(StripeSignature, IgnoresV0AndUnknownSchemesBesideAValidV1) {
  const std::string header = stripe_signature_header(kOld, kT, kBody) + ",v0=abcd,v9=zz";
  EXPECT_TRUE(StripeVerifier({kOld}).verify(header, kBody, kNowUs).ok());
}

TEST(StripeSignature, UppercaseHexIsNotStripesEncodingAndDoesNotMatch) {
  std::string header = stripe_signature_header(kOld, kT, kBody);
  for (std::size_t i = header.find("v1=") + 3; i < header.size(); ++i) {
    header[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(header[i])));
  }
  EXPECT_EQ(StripeVerifier({kOld}).verify(header, kBody, kNowUs).error, VerifyError::kNoMatch);
}

// ---- Standard Webhooks --------------------------------------------------------------------

const std::string kStdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kStdSecret2 = "whsec_c2Vjb25kIHNlY3JldCBieXRlcw==";

StandardWebhookVerifier standard(const std::vector<std::string>& secrets, Tolerance t = {}) {
  std::optional<StandardWebhookVerifier> v;
  EXPECT_TRUE(StandardWebhookVerifier::create(secrets, t, &v).is_ok());
  return std::move(*v);
}

// The example of the Standard Webhooks specification's reference libraries.
TEST(StandardWebhookSignature, ReferenceVector) {
  StandardHeaders h;
  ASSERT_TRUE(standard_webhook_sign(kStdSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                    R"({"test": 2432232314})", &h)
                  .is_ok());
  EXPECT_EQ(h.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
  EXPECT_EQ(h.timestamp, "1614265330");
  EXPECT_EQ(h.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(StandardWebhookSignature, SignedHeadersVerifyAndCarryTheId) {
  StandardHeaders h;
  ASSERT_TRUE(standard_webhook_sign(kStdSecret, "msg_1", kT, kBody, &h).is_ok());
  const Verification v =
      standard({kStdSecret}).verify(h.id, h.timestamp, h.signature, kBody, kNowUs);
  EXPECT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(v.event_id, "msg_1");
  EXPECT_EQ(v.timestamp_s, kT);
}

TEST(StandardWebhookSignature, SecretPrefixIsOptionalAndBadSecretsAreNamed) {
  std::string a, b;
  ASSERT_TRUE(standard_webhook_key(kStdSecret, &a).is_ok());
  ASSERT_TRUE(standard_webhook_key(kStdSecret.substr(6), &b).is_ok());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_FALSE(standard_webhook_key("whsec_not base64!", &a).is_ok());
  EXPECT_FALSE(standard_webhook_key("whsec_", &a).is_ok());
  std::optional<StandardWebhookVerifier> v;
  const Status st = StandardWebhookVerifier::create({kStdSecret, "whsec_%%%"}, {}, &v);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("#2"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("%%%"), std::string::npos) << "the secret leaked into the error";
  EXPECT_FALSE(v.has_value());
}

TEST(StandardWebhookSignature, SeveralSignaturesAndRotation) {
  StandardHeaders h1, h2;
  ASSERT_TRUE(standard_webhook_sign(kStdSecret, "msg_1", kT, kBody, &h1).is_ok());
  ASSERT_TRUE(standard_webhook_sign(kStdSecret2, "msg_1", kT, kBody, &h2).is_ok());
  const std::string both = "v1a,ignored-asymmetric " + h1.signature + "  " + h2.signature;
  EXPECT_EQ(standard({kStdSecret2}).verify("msg_1", h1.timestamp, both, kBody, kNowUs).secret_index,
            0);
  const Verification v = standard({kStdSecret, kStdSecret2})
                             .verify("msg_1", h2.timestamp, h2.signature, kBody, kNowUs);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.secret_index, 1);
  EXPECT_EQ(
      standard({kStdSecret2}).verify("msg_1", h1.timestamp, h1.signature, kBody, kNowUs).error,
      VerifyError::kNoMatch);
}

TEST(StandardWebhookSignature, TamperedBodyIdOrTimestampDoesNotMatch) {
  StandardHeaders h;
  ASSERT_TRUE(standard_webhook_sign(kStdSecret, "msg_1", kT, kBody, &h).is_ok());
  const auto verifier = standard({kStdSecret});
  EXPECT_EQ(verifier.verify(h.id, h.timestamp, h.signature, kBody + " ", kNowUs).error,
            VerifyError::kNoMatch);
  // The id is signed: a replay cannot dodge deduplication by changing it.
  EXPECT_EQ(verifier.verify("msg_2", h.timestamp, h.signature, kBody, kNowUs).error,
            VerifyError::kNoMatch);
  EXPECT_EQ(verifier.verify(h.id, "1767225601", h.signature, kBody, kNowUs).error,
            VerifyError::kNoMatch);
}

TEST(StandardWebhookSignature, StaleAndFutureTimestamps) {
  StandardHeaders h;
  ASSERT_TRUE(standard_webhook_sign(kStdSecret, "msg_1", kT, kBody, &h).is_ok());
  const auto verifier = standard({kStdSecret});
  const auto at = [&](std::int64_t offset_s) {
    return verifier.verify(h.id, h.timestamp, h.signature, kBody, kNowUs + offset_s * kUsPerSec)
        .error;
  };
  EXPECT_EQ(at(300), VerifyError::kNone);
  EXPECT_EQ(at(301), VerifyError::kTimestampTooOld);
  EXPECT_EQ(at(-300), VerifyError::kNone);
  EXPECT_EQ(at(-301), VerifyError::kTimestampInFuture);
}

TEST(StandardWebhookSignature, MissingAndMalformedHeaders) {
  StandardHeaders h;
  ASSERT_TRUE(standard_webhook_sign(kStdSecret, "msg_1", kT, kBody, &h).is_ok());
  const auto verifier = standard({kStdSecret});
  const Verification no_id = verifier.verify(std::nullopt, h.timestamp, h.signature, kBody, kNowUs);
  EXPECT_EQ(no_id.error, VerifyError::kMissingHeader);
  EXPECT_NE(no_id.detail.find("webhook-id"), std::string::npos);
  const Verification no_ts = verifier.verify(h.id, std::nullopt, h.signature, kBody, kNowUs);
  EXPECT_EQ(no_ts.error, VerifyError::kMissingHeader);
  EXPECT_NE(no_ts.detail.find("webhook-timestamp"), std::string::npos);
  const Verification no_sig = verifier.verify(h.id, h.timestamp, std::nullopt, kBody, kNowUs);
  EXPECT_EQ(no_sig.error, VerifyError::kMissingHeader);
  EXPECT_NE(no_sig.detail.find("webhook-signature"), std::string::npos);
  EXPECT_EQ(verifier.verify("", h.timestamp, h.signature, kBody, kNowUs).error,
            VerifyError::kMalformedHeader);
  EXPECT_EQ(verifier.verify(h.id, "2026-01-01", h.signature, kBody, kNowUs).error,
            VerifyError::kMalformedHeader);
  EXPECT_EQ(verifier.verify(h.id, h.timestamp, "v1" + h.signature.substr(3), kBody, kNowUs).error,
            VerifyError::kMalformedHeader);
  EXPECT_EQ(verifier.verify(h.id, h.timestamp, "v1a,xyz", kBody, kNowUs).error,
            VerifyError::kNoSignature);
  EXPECT_EQ(verifier.verify(h.id, h.timestamp, "", kBody, kNowUs).error, VerifyError::kNoSignature);
}

// ---- WhatsApp -----------------------------------------------------------------------------

const std::string kApp = "0123456789abcdef0123456789abcdef";
const std::string kApp2 = "fedcba9876543210fedcba9876543210";

TEST(WhatsAppSignature, HeaderFormatAndVerification) {
  const std::string header = whatsapp_signature_header(kApp, kBody);
  ASSERT_EQ(header.size(), 7 + 64);
  EXPECT_EQ(header.substr(0, 7), "sha256=");
  EXPECT_TRUE(is_lower_hex(header.substr(7)));
  EXPECT_TRUE(WhatsAppVerifier({kApp}).verify(header, kBody).ok());
  std::string upper = header;
  for (std::size_t i = 7; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  EXPECT_TRUE(WhatsAppVerifier({kApp}).verify(upper, kBody).ok());
}

TEST(WhatsAppSignature, RotationTamperingAndWrongSecret) {
  const Verification v =
      WhatsAppVerifier({kApp, kApp2}).verify(whatsapp_signature_header(kApp2, kBody), kBody);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.secret_index, 1);
  const Verification tampered =
      WhatsAppVerifier({kApp}).verify(whatsapp_signature_header(kApp, kBody), kBody + "x");
  EXPECT_EQ(tampered.error, VerifyError::kNoMatch);
  expect_no_secret(tampered, {kApp});
  EXPECT_EQ(WhatsAppVerifier({kApp}).verify(whatsapp_signature_header(kApp2, kBody), kBody).error,
            VerifyError::kNoMatch);
}

TEST(WhatsAppSignature, MissingAndMalformedHeaders) {
  const WhatsAppVerifier verifier({kApp});
  EXPECT_EQ(verifier.verify(std::nullopt, kBody).error, VerifyError::kMissingHeader);
  const std::string hex = whatsapp_signature_header(kApp, kBody).substr(7);
  for (const std::string& bad :
       {hex, "sha1=" + hex, "sha256=" + hex.substr(1), "sha256=" + hex + "00",
        "sha256=" + hex.substr(2) + "zz", std::string("sha256=")}) {
    EXPECT_EQ(verifier.verify(bad, kBody).error, VerifyError::kMalformedHeader) << bad;
  }
}

TEST(VerifyErrorName, NamesAreStable) {
  EXPECT_EQ(verify_error_name(VerifyError::kNone), "ok");
  EXPECT_EQ(verify_error_name(VerifyError::kMissingHeader), "missing_header");
  EXPECT_EQ(verify_error_name(VerifyError::kMalformedHeader), "malformed_header");
  EXPECT_EQ(verify_error_name(VerifyError::kNoSignature), "no_signature");
  EXPECT_EQ(verify_error_name(VerifyError::kTimestampTooOld), "timestamp_too_old");
  EXPECT_EQ(verify_error_name(VerifyError::kTimestampInFuture), "timestamp_in_future");
  EXPECT_EQ(verify_error_name(VerifyError::kNoMatch), "no_match");
}

}  // namespace
}  // namespace intsim::core::webhook
