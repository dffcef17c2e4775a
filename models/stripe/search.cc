// Search (eventually consistent, Stripe's query language for the fields we index) and list of
// PaymentIntents, newest first.
#include <fmt/format.h>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "src/core/payments/currency.h"
#include "src/core/payments/form_codec.h"

namespace intsim::models::stripe {
namespace {
namespace pay = core::payments;
}  // namespace

StripeModel::Reply StripeModel::search_payment_intents(std::string_view query,
                                                       const RequestContext& ctx) {
  nlohmann::json q;
  if (!pay::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
  const auto text = string_param(q, "query");
  if (!text) return {400, missing_param("query")};
  std::int64_t limit = 10;
  if (auto l = string_param(q, "limit");
      l && (!parse_int(*l, &limit) || limit < 1 || limit > 100)) {
    return {400, invalid("parameter_invalid_integer", "Invalid limit: must be between 1 and 100",
                         "limit")};
  }
  // Clauses joined by AND: metadata['k']:'v', status:'v', customer:'v', currency:'v'.
  struct Clause {
    std::string field;  // "metadata.<key>" or a field name
    std::string value;
  };
  std::vector<Clause> clauses;
  std::string_view rest = *text;
  auto bad = [&](std::string why) {
    return Reply{400, invalid("", "Invalid search query: " + why, "query")};
  };
  while (true) {
    const std::size_t and_pos = rest.find(" AND ");
    std::string_view clause = rest.substr(0, and_pos);
    if (clause.find(" OR ") != std::string_view::npos) return bad("OR is not supported here");
    const std::size_t colon = clause.rfind(':');
    if (colon == std::string_view::npos) return bad(std::string(clause));
    std::string_view field = clause.substr(0, colon);
    std::string_view value = clause.substr(colon + 1);
    auto unquote = [](std::string_view v, std::string* out) {
      if (v.size() < 2 || (v.front() != '\'' && v.front() != '"') || v.back() != v.front()) {
        return false;
      }
      *out = std::string(v.substr(1, v.size() - 2));
      return true;
    };
    Clause c;
    if (!unquote(value, &c.value)) return bad("values must be quoted");
    if (field.starts_with("metadata[") && field.ends_with("]")) {
      std::string key;
      if (!unquote(field.substr(9, field.size() - 10), &key)) return bad("metadata key");
      c.field = "metadata." + key;
    } else if (one_of(field, {"status", "customer", "currency"})) {
      c.field = std::string(field);
    } else {
      return bad("unsupported field " + std::string(field));
    }
    clauses.push_back(std::move(c));
    if (and_pos == std::string_view::npos) break;
    rest = rest.substr(and_pos + 5);
  }
  nlohmann::json data = nlohmann::json::array();
  bool has_more = false;
  const core::TimeUs lag_us = config_.search_lag_ms * core::kUsPerMs;
  // Ids are sequential, so reverse id order is newest first, as Stripe sorts.
  for (auto it = payment_intents_.rbegin(); it != payment_intents_.rend(); ++it) {
    const PaymentIntent& pi = it->second;
    if (pi.created_us + lag_us > ctx.now_us) continue;  // not indexed yet
    bool match = true;
    for (const Clause& c : clauses) {
      std::string actual;
      if (c.field.starts_with("metadata.")) {
        auto m = pi.metadata.find(c.field.substr(9));
        if (m == pi.metadata.end()) {
          match = false;
          break;
        }
        actual = m->second;
      } else if (c.field == "status") {
        actual = pi.status;
      } else if (c.field == "customer") {
        actual = pi.customer;
      } else {
        actual = pi.currency;
      }
      if (actual != c.value) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    if (static_cast<std::int64_t>(data.size()) == limit) {
      has_more = true;
      break;
    }
    data.push_back(render(pi));
  }
  return {200,
          {{"object", "search_result"},
           {"data", std::move(data)},
           {"has_more", has_more},
           {"next_page", nullptr},
           {"url", "/v1/payment_intents/search"}}};
}

StripeModel::Reply StripeModel::list_payment_intents(std::string_view query) {
  nlohmann::json q;
  if (!pay::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
  std::int64_t limit = 10;
  if (auto l = string_param(q, "limit");
      l && (!parse_int(*l, &limit) || limit < 1 || limit > 100)) {
    return {400, invalid("parameter_invalid_integer", "Invalid limit: must be between 1 and 100",
                         "limit")};
  }
  const auto customer = string_param(q, "customer");
  nlohmann::json data = nlohmann::json::array();
  bool has_more = false;
  for (auto it = payment_intents_.rbegin(); it != payment_intents_.rend(); ++it) {
    if (customer && it->second.customer != *customer) continue;
    if (static_cast<std::int64_t>(data.size()) == limit) {
      has_more = true;
      break;
    }
    data.push_back(render(it->second));
  }
  return {200,
          {{"object", "list"},
           {"data", std::move(data)},
           {"has_more", has_more},
           {"url", "/v1/payment_intents"}}};
}

}  // namespace intsim::models::stripe
