// Query parameters of a request target, for the WhatsApp verification handshake
// (GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace intsim::core::webhook {

// The first value of parameter `name` in `query` (the part after '?'), percent- and
// '+'-decoded; "" for a parameter without '='; nullopt when absent or its escape is broken.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace intsim::core::webhook
