// HMAC-SHA256 with a key prepared once (OpenSSL 3 EVP_MAC). Keying HMAC means fetching the
// algorithm and hashing the key into the inner and outer pads; done per message it costs about
// as much as hashing a 1 KB body, so each secret is keyed once into its own EVP_MAC_CTX and each
// message restarts that context with the key it already holds (EVP_MAC_init with a null key),
// which is cheaper again than EVP_MAC_CTX_dup per message.
//
// Not thread-safe: mac() restarts the one context. The core is single-threaded; a driver that
// verifies on several threads gives each its own verifier.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

namespace intsim::core::webhook {

using Sha256Digest = std::array<unsigned char, 32>;

class HmacSha256 {
 public:
  // `key` is the raw key bytes (any length). Never logged or exposed again.
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // MAC of the concatenation of `parts`, so a caller signing "<t>.<body>" never copies the body.
  // const because the key does not change; the context it restarts is scratch.
  Sha256Digest mac(std::initializer_list<std::string_view> parts) const;

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// HMAC-SHA256 keyed from scratch for this one message: the slow path, kept for the benchmark's
// baseline and for tests that cross-check the pre-keyed path.
Sha256Digest hmac_sha256_once(std::string_view key, std::initializer_list<std::string_view> parts);

// Plain SHA-256 (for content-derived keys, not for authentication).
Sha256Digest sha256(std::string_view data);

// Constant-time equality (CRYPTO_memcmp) for equal lengths; different lengths are unequal
// (lengths of signatures are public).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace intsim::core::webhook
