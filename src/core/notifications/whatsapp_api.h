// The few shapes of the WhatsApp Cloud API (Graph API) the core speaks: the send request, the
// send response with its wamid, and Graph errors with the codes the core treats specially
// (DESIGN.md section 4).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"

namespace intsim::core::notifications {

// Graph error codes with a meaning for retries.
inline constexpr int kErrorThroughput = 130429;     // too many messages from the number: wait
inline constexpr int kErrorPairRate = 131056;       // too many to one user (~1 per 6 s): wait
inline constexpr int kErrorUndeliverable = 131026;  // the number cannot receive: permanent
inline constexpr int kErrorWindowClosed = 131047;   // free-form outside the 24 h window

struct GraphError {
  int code = 0;
  std::string message;
};
// The error of a Graph error body {"error": {"message", "type", "code", ...}}; nullopt when the
// body is not one.
std::optional<GraphError> parse_graph_error(std::string_view body);

// What to send: free-form text (only inside the customer-service window) or a template.
struct OutboundMessage {
  std::string to;  // the recipient's wa_id (digits)
  bool use_template = false;
  std::string text;                      // free-form body
  std::string template_name;             // approved template
  std::string language = "en_US";        // template language code
  std::vector<std::string> body_params;  // the template body's {{1}}, {{2}}, ...
  std::string callback_data;             // biz_opaque_callback_data: echoed in status webhooks
};
// The JSON body of POST /<version>/<phone-number-id>/messages.
std::string send_body(const OutboundMessage& m);
// The wamid of a 2xx send response {"messaging_product", "contacts", "messages": [{"id"}]}.
Status parse_send_response(std::string_view body, std::string* wamid);

}  // namespace intsim::core::notifications
