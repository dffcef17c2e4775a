#include "models/stripe/stripe_model.h"

#include <fmt/format.h>

#include "models/stripe/api_util.h"
#include "src/core/assert.h"
#include "src/core/payments/form_codec.h"

namespace intsim::models::stripe {
namespace {

// Stripe stores the result of a request that started executing: successes, card errors (the
// charge was attempted) and 500s. Validation failures, missing resources and state conflicts
// changed nothing and are not stored, so a corrected retry with the same key can succeed.
bool stored_under_key(int status) { return status < 400 || status == 402 || status >= 500; }

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

StripeModel::StripeModel(StripeConfig config, const sim::Rng& rng)
    : config_(std::move(config)),
      card_rng_(rng.child("card")),
      dispute_rng_(rng.child("dispute")),
      failure_rng_(rng.child("failure")),
      retry_rng_(rng.child("retry")),
      repeat_rng_(rng.child("repeat")),
      idempotency_(config_.idempotency_key_ttl_h * core::kUsPerHour) {}

std::string StripeModel::next_id(std::string_view prefix) {
  // Sequential ids keep runs reproducible and traces readable; the width keeps them sortable.
  return fmt::format("{}_{:014d}", prefix, ++id_seq_);
}

ApiResult StripeModel::call(const core::HttpRequest& request, core::TimeUs now_us) {
  INTSIM_ASSERT_MSG(now_us >= last_now_us_, "time went backwards");
  last_now_us_ = now_us;
  ApiResult out;
  out.request_id = next_id("req");
  out.completes_at_us = now_us + config_.request_processing_ms * core::kUsPerMs;
  RequestContext ctx{out.request_id, "", now_us};

  auto finish = [&](Reply reply) {
    out.response.status = reply.status;
    out.response.headers = {{"Content-Type", "application/json"},
                            {"Date", http_date(now_us)},
                            {"Request-Id", out.request_id},
                            {"Stripe-Version", config_.api_version}};
    if (!ctx.idempotency_key.empty()) {
      out.response.headers.push_back({"Idempotency-Key", ctx.idempotency_key});
    }
    out.response.body = reply.body.dump();
    return out;
  };

  const auto auth = request.header("Authorization");
  if (!auth || *auth != "Bearer " + config_.secret_key) {
    out.completes_at_us = now_us;
    return finish({401, error_body("invalid_request_error", "",
                                   "Invalid API Key provided. You did not provide a valid "
                                   "secret key in the Authorization header.")});
  }

  const std::string_view target = request.target;
  const std::size_t qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);

  const bool is_post = request.method == "POST";
  nlohmann::json params = nlohmann::json::object();
  if (is_post && !request.body.empty()) {
    const core::Status s = core::payments::form_decode_json(request.body, &params);
    if (!s.is_ok()) {
      return finish(
          {400, error_body("invalid_request_error", "", "Invalid request body: " + s.message())});
    }
  }

  // The idempotency layer wraps every POST route (Stripe ignores keys on GET and DELETE).
  const auto key_header = request.header("Idempotency-Key");
  if (is_post && key_header) {
    const std::string key(*key_header);
    if (key.empty() || key.size() > kIdempotencyKeyLengthMax) {
      return finish({400, error_body("invalid_request_error", "",
                                     "Idempotency-Key must be between 1 and 255 characters "
                                     "long.")});
    }
    const std::string fingerprint = request.method + " " + std::string(path) + "\n" + params.dump();
    const IdempotencyStore::Lookup found = idempotency_.lookup(key, fingerprint, now_us);
    switch (found.verdict) {
      case IdempotencyStore::Verdict::kInFlight:
        out.completes_at_us = now_us;
        return finish(
            {409, error_body("invalid_request_error", "idempotency_key_in_use",
                             "There is currently another in-progress request using this "
                             "Idempotent Key (that probably means you submitted twice, and the "
                             "other request is still going through): " +
                                 key + ". Please try again later.")});
      case IdempotencyStore::Verdict::kMismatch:
        out.completes_at_us = now_us;
        return finish(
            {400, error_body("idempotency_error", "",
                             "Keys for idempotent requests can only be used with the same "
                             "parameters they were first used with. Try using a key other than '" +
                                 key + "' if you meant to execute a different request.")});
      case IdempotencyStore::Verdict::kReplay: {
        out.response = found.stored->response;
        for (core::Header& h : out.response.headers) {
          if (core::iequals(h.name, "Request-Id")) h.value = out.request_id;
        }
        out.response.headers.push_back({"Idempotent-Replayed", "true"});
        out.response.headers.push_back({"Original-Request", found.stored->request_id});
        out.completes_at_us = now_us;
        return out;
      }
      case IdempotencyStore::Verdict::kNew:
        break;
    }
    ctx.idempotency_key = key;
  }

  const std::size_t events_before = events_.size();
  Reply reply;
  if (is_post && failure_rng_.bernoulli(config_.api_error_probability)) {
    reply = {500, error_body("api_error", "",
                             "An unknown error occurred while processing your request.")};
  } else {
    nlohmann::json get_params = nlohmann::json::object();
    reply = route(request, path, query, is_post ? params : get_params, ctx);
  }
  finish(std::move(reply));
  for (std::size_t i = events_before; i < events_.size(); ++i) {
    out.event_ids.push_back(events_[i].id);
  }
  if (!ctx.idempotency_key.empty() && stored_under_key(out.response.status)) {
    idempotency_.store(ctx.idempotency_key,
                       StoredResult{request.method + " " + std::string(path) + "\n" + params.dump(),
                                    out.response, out.request_id, now_us, out.completes_at_us});
  }
  return out;
}

StripeModel::Reply StripeModel::route(const core::HttpRequest& request, std::string_view path,
                                      std::string_view query, const nlohmann::json& params,
                                      const RequestContext& ctx) {
  const std::vector<std::string_view> p = split_path(path);
  const std::string& m = request.method;
  auto missing = [](std::string_view what, std::string_view id) {
    return Reply{404, error_body("invalid_request_error", "resource_missing",
                                 fmt::format("No such {}: '{}'", what, id), "id")};
  };
  if (p.size() < 2 || p[0] != "v1") {
    return {404, error_body("invalid_request_error", "",
                            fmt::format("Unrecognized request URL ({} {}).", m, path))};
  }
  const std::string_view kind = p[1];
  if (kind == "payment_intents") {
    if (p.size() == 2 && m == "POST") return create_payment_intent(params, ctx);
    if (p.size() == 2 && m == "GET") return list_payment_intents(query);
    if (p.size() == 3 && p[2] == "search" && m == "GET") return search_payment_intents(query, ctx);
    if (p.size() == 3 && m == "GET") {
      const PaymentIntent* pi = payment_intent(p[2]);
      return pi ? Reply{200, render(*pi)} : missing("payment_intent", p[2]);
    }
    if (p.size() == 4 && m == "POST") {
      if (p[3] == "confirm") return confirm_payment_intent(p[2], params, ctx);
      if (p[3] == "capture") return capture_payment_intent(p[2], params, ctx);
      if (p[3] == "cancel") return cancel_payment_intent(p[2], params, ctx);
    }
  } else if (kind == "customers") {
    if (p.size() == 2 && m == "POST") return create_customer(params, ctx);
    if (p.size() == 3 && p[2] == "search" && m == "GET") return search_customers(query, ctx);
    if (p.size() == 3 && m == "GET") {
      auto it = customers_.find(p[2]);
      return it != customers_.end() ? Reply{200, render(it->second)} : missing("customer", p[2]);
    }
  } else if (kind == "refunds") {
    if (p.size() == 2 && m == "POST") return create_refund(params, ctx);
    if (p.size() == 3 && m == "GET") {
      auto it = refunds_.find(p[2]);
      return it != refunds_.end() ? Reply{200, render(it->second)} : missing("refund", p[2]);
    }
  } else if (kind == "charges" && p.size() == 3 && m == "GET") {
    const Charge* ch = charge(p[2]);
    return ch ? Reply{200, render(*ch)} : missing("charge", p[2]);
  } else if (kind == "disputes" && p.size() == 3 && m == "GET") {
    const Dispute* d = dispute(p[2]);
    return d ? Reply{200, render(*d)} : missing("dispute", p[2]);
  } else if (kind == "subscriptions") {
    if (p.size() == 2 && m == "POST") return create_subscription(params, ctx);
    if (p.size() == 2 && m == "GET") return list_subscriptions(query);
    if (p.size() == 3 && m == "GET") {
      const Subscription* s = subscription(p[2]);
      return s ? Reply{200, render(*s)} : missing("subscription", p[2]);
    }
    if (p.size() == 3 && m == "POST") return update_subscription(p[2], params, ctx);
    if (p.size() == 3 && m == "DELETE") return cancel_subscription(p[2], ctx);
  } else if (kind == "invoices") {
    if (p.size() == 3 && m == "GET") {
      const Invoice* inv = invoice(p[2]);
      return inv ? Reply{200, render(*inv)} : missing("invoice", p[2]);
    }
    if (p.size() == 4 && p[3] == "pay" && m == "POST") return pay_invoice(p[2], ctx);
  } else if (kind == "events" && m == "GET") {
    if (p.size() == 3) {
      auto it = event_index_.find(p[2]);
      return it != event_index_.end() ? Reply{200, events_[it->second].json}
                                      : missing("event", p[2]);
    }
    if (p.size() == 2) {
      nlohmann::json q;
      if (!core::payments::form_decode_json(query, &q).is_ok()) q = nlohmann::json::object();
      std::int64_t limit = 10;
      if (auto l = string_param(q, "limit");
          l && (!parse_int(*l, &limit) || limit < 1 || limit > 100)) {
        return {400, error_body("invalid_request_error", "parameter_invalid_integer",
                                "Invalid limit: must be between 1 and 100", "limit")};
      }
      const auto type = string_param(q, "type");
      nlohmann::json data = nlohmann::json::array();
      bool has_more = false;
      for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
        if (type && it->type != *type) continue;
        if (static_cast<std::int64_t>(data.size()) == limit) {
          has_more = true;
          break;
        }
        data.push_back(it->json);
      }
      return {200,
              {{"object", "list"},
               {"data", std::move(data)},
               {"has_more", has_more},
               {"url", "/v1/events"}}};
    }
  }
  return {404, error_body("invalid_request_error", "",
                          fmt::format("Unrecognized request URL ({} {}).", m, path))};
}

void StripeModel::emit(std::string type, nlohmann::json object, const RequestContext& ctx,
                       nlohmann::json previous_attributes) {
  Event e;
  e.id = next_id("evt");
  e.type = std::move(type);
  e.created_us = ctx.now_us;
  e.request_id = ctx.request_id;
  e.idempotency_key = ctx.idempotency_key;
  nlohmann::json data = {{"object", std::move(object)}};
  if (!previous_attributes.is_null()) data["previous_attributes"] = std::move(previous_attributes);
  e.json = {
      {"id", e.id},
      {"object", "event"},
      {"api_version", config_.api_version},
      {"created", unix_s(ctx.now_us)},
      {"data", std::move(data)},
      {"livemode", false},
      {"pending_webhooks", 1},
      {"request",
       {{"id", id_or_null(ctx.request_id)}, {"idempotency_key", id_or_null(ctx.idempotency_key)}}},
      {"type", e.type}};
  event_index_.emplace(e.id, events_.size());
  events_.push_back(std::move(e));
}

std::vector<Event> StripeModel::take_events() {
  std::vector<Event> out(events_.begin() + static_cast<std::ptrdiff_t>(events_taken_),
                         events_.end());
  events_taken_ = events_.size();
  return out;
}

void StripeModel::schedule(core::TimeUs at_us, Timer timer) {
  timers_.emplace(std::make_pair(at_us, ++timer_seq_), std::move(timer));
}

core::TimeUs StripeModel::next_wakeup_us() const {
  core::TimeUs next = idempotency_.next_prune_us();
  if (!timers_.empty()) next = std::min(next, timers_.begin()->first.first);
  return next;
}

void StripeModel::advance(core::TimeUs now_us) {
  INTSIM_ASSERT_MSG(now_us >= last_now_us_, "time went backwards");
  last_now_us_ = now_us;
  // Timers a timer schedules at or before now run in this call too, in (time, seq) order.
  while (!timers_.empty() && timers_.begin()->first.first <= now_us) {
    auto node = timers_.extract(timers_.begin());
    RequestContext ctx{"", "", node.key().first};
    run_timer(node.mapped(), ctx);
  }
  idempotency_.prune(now_us);
}

void StripeModel::run_timer(const Timer& timer, const RequestContext& ctx) {
  switch (timer.kind) {
    case TimerKind::kResolveAction:
    case TimerKind::kResolveProcessing:
      resolve_async(timer, ctx);
      return;
    case TimerKind::kOpenDispute:
      open_dispute(timer.object_id, ctx);
      return;
    case TimerKind::kDisputeUnderReview:
      dispute_under_review(timer.object_id, ctx);
      return;
    case TimerKind::kCloseDispute:
      close_dispute(timer.object_id, ctx);
      return;
    case TimerKind::kRenewSubscription:
      renew_subscription(timer.object_id, ctx);
      return;
    case TimerKind::kRetryInvoice: {
      auto it = invoices_.find(timer.object_id);
      INTSIM_ASSERT(it != invoices_.end());
      Invoice& inv = it->second;
      // A retry that was superseded (paid by hand, voided, rescheduled) does nothing.
      if (inv.status == "open" && inv.next_payment_attempt_us == ctx.now_us) {
        attempt_invoice(inv, ctx);
      }
      return;
    }
    case TimerKind::kExpireIncomplete:
      expire_incomplete(timer.object_id, ctx);
      return;
  }
}

const PaymentIntent* StripeModel::payment_intent(std::string_view id) const {
  auto it = payment_intents_.find(id);
  return it == payment_intents_.end() ? nullptr : &it->second;
}
const Charge* StripeModel::charge(std::string_view id) const {
  auto it = charges_.find(id);
  return it == charges_.end() ? nullptr : &it->second;
}
const Dispute* StripeModel::dispute(std::string_view id) const {
  auto it = disputes_.find(id);
  return it == disputes_.end() ? nullptr : &it->second;
}
const Subscription* StripeModel::subscription(std::string_view id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : &it->second;
}
const Invoice* StripeModel::invoice(std::string_view id) const {
  auto it = invoices_.find(id);
  return it == invoices_.end() ? nullptr : &it->second;
}

}  // namespace intsim::models::stripe
