// Search (eventually consistent, Stripe's query language for the fields we index) of
// PaymentIntents and customers, and lists of PaymentIntents and subscriptions, newest first.
#include <fmt/format.h>

#include <optional>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "src/core/payments/currency.h"
#include "src/core/payments/form_codec.h"

namespace intsim::models::stripe {
namespace {
namespace pay = core::payments;
}  // namespace

namespace {

// One clause of a search query: "metadata.<key>" or a field name, and the value it must equal.
struct Clause {
  std::string field;
  std::string value;
};

// Parses clauses joined by AND (metadata['k']:'v' or <field>:'v' for a field in `fields`);
// nullopt and `why` set when the query is not one we serve.
std::optional<std::vector<Clause>> parse_query(std::string_view text,
                                               std::initializer_list<std::string_view> fields,
                                               std::string* why) {
  std::vector<Clause> clauses;
  std::string_view rest = text;
  auto unquote = [](std::string_view v, std::string* out) {
    if (v.size() < 2 || (v.front() != '\'' && v.front() != '"') || v.back() != v.front()) {
      return false;
    }
    *out = std::string(v.substr(1, v.size() - 2));
    return true;
  };
  while (true) {
    const std::size_t and_pos = rest.find(" AND ");
    std::string_view clause = rest.substr(0, and_pos);
    if (clause.find(" OR ") != std::string_view::npos) {
      *why = "OR is not supported here";
      return std::nullopt;
    }
    const std::size_t colon = clause.rfind(':');
    if (colon == std::string_view::npos) {
      *why = std::string(clause);
      return std::nullopt;
    }
    std::string_view field = clause.substr(0, colon);
    Clause c;
    if (!unquote(clause.substr(colon + 1), &c.value)) {
      *why = "values must be quoted";
      return std::nullopt;
    }
    if (field.starts_with("metadata[") && field.ends_with("]")) {
      std::string key;
      if (!unquote(field.substr(9, field.size() - 10), &key)) {
        *why = "metadata key";
        return std::nullopt;
      }
      c.field = "metadata." + key;
    } else if (one_of(field, fields)) {
      c.field = std::string(field);
    } else {
      *why = "unsupported field " + std::string(field);
      return std::nullopt;
    }
    clauses.push_back(std::move(c));
    if (and_pos == std::string_view::npos) break;
    rest = rest.substr(and_pos + 5);
  }
  return clauses;
}

// Whether an object matches every clause; `field` reads a named field of it.
template <typename FieldFn>
bool matches(const std::vector<Clause>& clauses, const Metadata& metadata, FieldFn field) {
  for (const Clause& c : clauses) {
    if (c.field.starts_with("metadata.")) {
      auto m = metadata.find(c.field.substr(9));
      if (m == metadata.end() || m->second != c.value) return false;
    } else if (field(c.field) != c.value) {
      return false;
    }
  }
  return true;
}

// Stripe's `limit` (1 to 100, 10 when absent). False, with the 400 body in *error, when invalid.
bool parse_limit(const nlohmann::json& q, std::int64_t* limit, nlohmann::json* error) {
  *limit = 10;
  if (auto l = string_param(q, "limit");
      l && (!parse_int(*l, limit) || *limit < 1 || *limit > 100)) {
    *error =
        invalid("parameter_invalid_integer", "Invalid limit: must be between 1 and 100", "limit");
    return false;
  }
  return true;
}

// A page of a list or search answer: the first `limit` objects that `keep` accepts, newest
// first (ids are sequential, so reverse id order is newest first, as Stripe sorts), rendered.
template <typename Map, typename Keep, typename Render>
nlohmann::json newest_page(const Map& objects, std::int64_t limit, std::string_view url,
                           bool search_result, Keep keep, Render render) {
  nlohmann::json data = nlohmann::json::array();
  bool has_more = false;
  for (auto it = objects.rbegin(); it != objects.rend(); ++it) {
    if (!keep(it->second)) continue;
    if (static_cast<std::int64_t>(data.size()) == limit) {
      has_more = true;
      break;
    }
    data.push_back(render(it->second));
  }
  if (search_result) {
    return {{"object", "search_result"},
            {"data", std::move(data)},
            {"has_more", has_more},
            {"next_page", nullptr},
            {"url", url}};
  }
  return {{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}, {"url", url}};
}

}  // namespace

StripeModel::Reply StripeModel::search_payment_intents(std::string_view query,
                                                       const RequestContext& ctx) {
  nlohmann::json q;
  if (!pay::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
  const auto text = string_param(q, "query");
  if (!text) return {400, missing_param("query")};
  std::int64_t limit = 0;
  if (nlohmann::json error; !parse_limit(q, &limit, &error)) return {400, error};
  std::string why;
  const auto clauses = parse_query(*text, {"status", "customer", "currency"}, &why);
  if (!clauses) return {400, invalid("", "Invalid search query: " + why, "query")};
  const core::TimeUs lag_us = config_.search_lag_ms * core::kUsPerMs;
  auto keep = [&](const PaymentIntent& pi) {
    if (pi.created_us + lag_us > ctx.now_us) return false;  // not indexed yet
    return matches(*clauses, pi.metadata, [&](const std::string& f) {
      if (f == "status") return pi.status;
      if (f == "customer") return pi.customer;
      return pi.currency;
    });
  };
  return {200, newest_page(payment_intents_, limit, "/v1/payment_intents/search",
                           /*search_result=*/true, keep,
                           [&](const PaymentIntent& pi) { return render(pi); })};
}

StripeModel::Reply StripeModel::search_customers(std::string_view query,
                                                 const RequestContext& ctx) {
  nlohmann::json q;
  if (!pay::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
  const auto text = string_param(q, "query");
  if (!text) return {400, missing_param("query")};
  std::int64_t limit = 0;
  if (nlohmann::json error; !parse_limit(q, &limit, &error)) return {400, error};
  std::string why;
  const auto clauses = parse_query(*text, {"email", "name"}, &why);
  if (!clauses) return {400, invalid("", "Invalid search query: " + why, "query")};
  const core::TimeUs lag_us = config_.search_lag_ms * core::kUsPerMs;
  auto keep = [&](const Customer& c) {
    if (c.created_us + lag_us > ctx.now_us) return false;  // not indexed yet
    return matches(*clauses, c.metadata,
                   [&](const std::string& f) { return f == "email" ? c.email : c.name; });
  };
  return {200, newest_page(customers_, limit, "/v1/customers/search", /*search_result=*/true, keep,
                           [&](const Customer& c) { return render(c); })};
}

StripeModel::Reply StripeModel::list_subscriptions(std::string_view query) {
  nlohmann::json q;
  if (!pay::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
  std::int64_t limit = 0;
  if (nlohmann::json error; !parse_limit(q, &limit, &error)) return {400, error};
  const auto customer = string_param(q, "customer");
  // Stripe lists subscriptions that are not canceled unless asked for a status or "all".
  const std::string status = string_param(q, "status").value_or("");
  if (!status.empty() &&
      !one_of(status, {"all", "active", "past_due", "unpaid", "canceled", "incomplete",
                       "incomplete_expired", "trialing", "paused", "ended"})) {
    return {400, invalid("", "Invalid status: " + status, "status")};
  }
  auto keep = [&](const Subscription& s) {
    if (customer && s.customer != *customer) return false;
    const bool ended = s.status == "canceled" || s.status == "incomplete_expired";
    if (status.empty()) return s.status != "canceled";
    if (status == "all") return true;
    if (status == "ended") return ended;
    return s.status == status;
  };
  return {200, newest_page(subscriptions_, limit, "/v1/subscriptions", /*search_result=*/false,
                           keep, [&](const Subscription& s) { return render(s); })};
}

StripeModel::Reply StripeModel::list_payment_intents(std::string_view query) {
  nlohmann::json q;
  if (!pay::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
  std::int64_t limit = 0;
  if (nlohmann::json error; !parse_limit(q, &limit, &error)) return {400, error};
  const auto customer = string_param(q, "customer");
  auto keep = [&](const PaymentIntent& pi) { return !customer || pi.customer == *customer; };
  return {200, newest_page(payment_intents_, limit, "/v1/payment_intents", /*search_result=*/false,
                           keep, [&](const PaymentIntent& pi) { return render(pi); })};
}

}  // namespace intsim::models::stripe
