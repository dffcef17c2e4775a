#include "src/core/webhook/whatsapp_payload.h"

#include <fmt/format.h>

#include "src/core/webhook/encoding.h"
#include "src/core/webhook/hmac.h"
#include "src/core/webhook/json_field.h"

namespace intsim::core::webhook {

using nlohmann::json;

Status whatsapp_events(const json& body, std::vector<VerifiedEvent>* events) {
  if (!body.is_object() || json_string_member(body, "object") != "whatsapp_business_account") {
    return Status::invalid_argument("object is not whatsapp_business_account");
  }
  const auto entries = body.find("entry");
  if (entries == body.end() || !entries->is_array()) {
    return Status::invalid_argument("entry is not an array");
  }
  for (const json& entry : *entries) {
    const std::string entry_id =
        entry.is_object() ? json_string_member(entry, "id") : std::string();
    const auto changes = entry.is_object() ? entry.find("changes") : entry.end();
    if (entry_id.empty() || changes == entry.end() || !changes->is_array()) {
      return Status::invalid_argument("an entry lacks its id or changes");
    }
    for (const json& change : *changes) {
      const auto value = change.is_object() ? change.find("value") : change.end();
      if (value == change.end() || !value->is_object()) {
        return Status::invalid_argument("a change has no value object");
      }
      const std::string field = json_string_member(change, "field");
      json context = {{"entry_id", entry_id}, {"field", field}};
      if (const auto m = value->find("metadata"); m != value->end()) context["metadata"] = *m;
      std::size_t items = 0;
      for (const char* list : {"messages", "statuses"}) {
        const auto arr = value->find(list);
        if (arr == value->end()) continue;
        if (!arr->is_array())
          return Status::invalid_argument(fmt::format("{} is not an array", list));
        const bool is_message = std::string_view(list) == "messages";
        for (const json& item : *arr) {
          const std::string id = item.is_object() ? json_string_member(item, "id") : std::string();
          const std::string status = is_message ? "" : json_string_member(item, "status");
          if (id.empty() || (!is_message && status.empty())) {
            return Status::invalid_argument(
                fmt::format("an item of {} lacks its id{}", list, is_message ? "" : " or status"));
          }
          VerifiedEvent ev;
          ev.endpoint = Endpoint::kWhatsApp;
          ev.id = is_message ? "message:" + id : "status:" + id + ":" + status;
          ev.type = is_message ? "message" : "status";
          ev.payload = item;
          ev.context = context;
          events->push_back(std::move(ev));
          ++items;
        }
      }
      if (items == 0) {
        const Sha256Digest digest = sha256(value->dump());
        VerifiedEvent ev;
        ev.endpoint = Endpoint::kWhatsApp;
        ev.id =
            fmt::format("change:{}:{}:{}", entry_id, field,
                        hex_encode({reinterpret_cast<const char*>(digest.data()), digest.size()}));
        ev.type = "change";
        ev.payload = *value;
        ev.context = std::move(context);
        events->push_back(std::move(ev));
      }
    }
  }
  return Status::ok();
}

}  // namespace intsim::core::webhook
