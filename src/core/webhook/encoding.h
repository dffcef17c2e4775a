// Hex and base64 for webhook signatures: Stripe and WhatsApp send lowercase hex, Standard
// Webhooks sends base64 (RFC 4648, standard alphabet, padded) and wraps its secrets in it.
// Small and strict on purpose: a decoder that guesses would accept headers a peer never sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace intsim::core::webhook {

// Lowercase hex of `bytes`.
std::string hex_encode(std::string_view bytes);
// Bytes of a hex string (either case); nullopt for an odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);

// Standard base64 with '=' padding.
std::string base64_encode(std::string_view bytes);
// Bytes of padded standard base64; nullopt for a wrong length, a character outside the
// alphabet, misplaced padding or non-zero bits in the padding (a second spelling of the
// same bytes).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace intsim::core::webhook
