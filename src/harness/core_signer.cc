#include "src/harness/core_signer.h"

#include "src/core/webhook/signature.h"

namespace intsim::harness {

std::vector<core::Header> CoreSigner::sign(std::string_view scheme, std::string_view secret,
                                           core::TimeUs at_us, const core::HttpRequest& request) {
  const std::int64_t ts = core::unix_seconds(at_us);
  if (scheme == models::kSchemeStripe) {
    return {{"Stripe-Signature", core::webhook::stripe_signature_header(secret, ts, request.body)}};
  }
  if (scheme == models::kSchemeWhatsApp) {
    return {
        {"X-Hub-Signature-256", core::webhook::whatsapp_signature_header(secret, request.body)}};
  }
  if (scheme == models::kSchemeStandard) {
    core::webhook::StandardHeaders h;
    const std::string id(request.header("webhook-id").value_or("msg_intsim"));
    // A secret that is not valid base64 cannot sign: the attack is then a forged header.
    if (!core::webhook::standard_webhook_sign(secret, id, ts, request.body, &h)) {
      return {{"webhook-signature", "v1,AAAA"}};
    }
    return {{"webhook-timestamp", h.timestamp}, {"webhook-signature", h.signature}};
  }
  return {};
}

}  // namespace intsim::harness
