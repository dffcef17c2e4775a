#include "src/core/notifications/whatsapp_api.h"

namespace intsim::core::notifications {

std::optional<GraphError> parse_graph_error(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return std::nullopt;
  const auto code = e->find("code");
  if (code == e->end() || !code->is_number_integer()) return std::nullopt;
  GraphError out;
  out.code = code->get<int>();
  if (const auto m = e->find("message"); m != e->end() && m->is_string()) out.message = *m;
  return out;
}

std::string send_body(const OutboundMessage& m) {
  nlohmann::ordered_json j;
  j["messaging_product"] = "whatsapp";
  j["recipient_type"] = "individual";
  j["to"] = m.to;
  if (m.use_template) {
    j["type"] = "template";
    nlohmann::ordered_json t;
    t["name"] = m.template_name;
    t["language"] = {{"code", m.language}};
    nlohmann::ordered_json params = nlohmann::ordered_json::array();
    for (const std::string& p : m.body_params) params.push_back({{"type", "text"}, {"text", p}});
    t["components"] = nlohmann::ordered_json::array({{{"type", "body"}, {"parameters", params}}});
    j["template"] = std::move(t);
  } else {
    j["type"] = "text";
    j["text"] = {{"preview_url", false}, {"body", m.text}};
  }
  if (!m.callback_data.empty()) j["biz_opaque_callback_data"] = m.callback_data;
  return j.dump();
}

Status parse_send_response(std::string_view body, std::string* wamid) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return Status::invalid_argument("send response: not a JSON object");
  const auto msgs = j.find("messages");
  if (msgs == j.end() || !msgs->is_array() || msgs->empty() || !(*msgs)[0].is_object()) {
    return Status::invalid_argument("send response: no messages[0]");
  }
  const auto id = (*msgs)[0].find("id");
  if (id == (*msgs)[0].end() || !id->is_string() || id->get<std::string>().empty()) {
    return Status::invalid_argument("send response: messages[0].id missing");
  }
  *wamid = id->get<std::string>();
  return Status::ok();
}

}  // namespace intsim::core::notifications
