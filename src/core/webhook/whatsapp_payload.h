// WhatsApp Cloud API webhook payloads: one POST carries many messages and statuses and no event
// id, so each item becomes its own event with a stable dedupe key (the key table is in
// intake.h).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "src/core/status.h"
#include "src/core/webhook/intake.h"

namespace intsim::core::webhook {

// Appends the events of `body` in payload order (per change: messages, then statuses, or one
// "change" event when it has neither). kInvalidArgument naming what is malformed.
Status whatsapp_events(const nlohmann::json& body, std::vector<VerifiedEvent>* events);

}  // namespace intsim::core::webhook
