#include "src/core/api/json_api.h"

namespace intsim::core::api {

HttpResponse json_response(int status, const nlohmann::json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump()};
}

HttpResponse error_response(int status, std::string_view code, std::string message,
                            std::string_view param) {
  nlohmann::json e = {{"code", code}, {"message", std::move(message)}};
  if (!param.empty()) e["param"] = param;
  return json_response(status, {{"error", std::move(e)}});
}

std::optional<HttpResponse> replay_or_refuse(Store& store, std::string_view table,
                                             const HttpRequest& request) {
  const std::optional<std::string_view> key = request.header("Idempotency-Key");
  if (!key) return std::nullopt;
  if (key->empty() || key->size() > 255) {
    return error_response(400, "invalid_idempotency_key", "1 to 255 characters", "Idempotency-Key");
  }
  std::string row;
  if (!store.get(table, *key, &row).is_ok()) return std::nullopt;
  const nlohmann::json stored = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
  if (stored.is_object() && stored.value("request", "") == request.body) {
    HttpResponse replay = json_response(
        stored.value("status", 500),
        nlohmann::json::parse(stored.value("body", "{}"), nullptr, /*allow_exceptions=*/false));
    replay.headers.push_back({"Idempotent-Replayed", "true"});
    return replay;
  }
  return error_response(422, "idempotency_key_reused",
                        "this Idempotency-Key was used with another request");
}

void remember_answer(std::string_view table, const HttpRequest& request,
                     const HttpResponse& response, WriteBatch& batch) {
  const std::optional<std::string_view> key = request.header("Idempotency-Key");
  if (!key) return;
  const nlohmann::json stored = {
      {"request", request.body}, {"status", response.status}, {"body", response.body}};
  batch.put(table, *key, stored.dump());
}

}  // namespace intsim::core::api
