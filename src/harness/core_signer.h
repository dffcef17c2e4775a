// The attacker's WebhookSigner, backed by the core's own signing functions: an attack signed
// with a wrong or retired secret is exactly what a real client library would produce.
#pragma once

#include "models/attacker.h"

namespace intsim::harness {

class CoreSigner final : public models::WebhookSigner {
 public:
  std::vector<core::Header> sign(std::string_view scheme, std::string_view secret,
                                 core::TimeUs at_us, const core::HttpRequest& request) override;
};

}  // namespace intsim::harness
