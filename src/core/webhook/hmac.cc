#include "src/core/webhook/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "src/core/assert.h"

namespace intsim::core::webhook {
namespace {

// OpenSSL failing to set up or run SHA-256 HMAC is an environment that cannot work at all
// (a broken provider), not an operating condition a caller could handle.
void check(int ok, const char* what) { INTSIM_ASSERT_MSG(ok == 1, what); }

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct CtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_MAC_CTX, CtxDeleter>;

CtxPtr keyed_context(std::string_view key) {
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  INTSIM_ASSERT_MSG(mac != nullptr, "EVP_MAC_fetch(HMAC)");
  CtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  INTSIM_ASSERT_MSG(ctx != nullptr, "EVP_MAC_CTX_new");
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  // A zero-length key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  check(EVP_MAC_init(ctx.get(), key_bytes, key.size(), params), "EVP_MAC_init");
  return ctx;
}

Sha256Digest finish(EVP_MAC_CTX* ctx, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    check(EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size()),
          "EVP_MAC_update");
  }
  Sha256Digest out{};
  std::size_t len = 0;
  check(EVP_MAC_final(ctx, out.data(), &len, out.size()), "EVP_MAC_final");
  INTSIM_ASSERT(len == out.size());
  return out;
}

}  // namespace

struct HmacSha256::Ctx {
  CtxPtr keyed;
};

HmacSha256::HmacSha256(std::string_view key) : ctx_(new Ctx{keyed_context(key)}) {}
HmacSha256::~HmacSha256() = default;
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;

Sha256Digest HmacSha256::mac(std::initializer_list<std::string_view> parts) const {
  INTSIM_ASSERT(ctx_ != nullptr);  // used after a move
  // Re-initialising with a null key restarts the MAC with the key already set: no allocation
  // and no key schedule (half the cost of EVP_MAC_CTX_dup per message). The RFC 4231 tests
  // run several messages through one context to prove no state carries over.
  check(EVP_MAC_init(ctx_->keyed.get(), nullptr, 0, nullptr), "EVP_MAC_init(reuse key)");
  return finish(ctx_->keyed.get(), parts);
}

Sha256Digest hmac_sha256_once(std::string_view key, std::initializer_list<std::string_view> parts) {
  CtxPtr ctx = keyed_context(key);
  return finish(ctx.get(), parts);
}

Sha256Digest sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  check(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr),
        "EVP_Digest(SHA256)");
  INTSIM_ASSERT(len == out.size());
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace intsim::core::webhook
