#include "src/core/payments/subscription_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/api/json_api.h"
#include "src/core/assert.h"
#include "src/core/bookings/stay.h"
#include "src/core/notifications/notification_service.h"
#include "src/core/payments/currency.h"
#include "src/core/payments/form_codec.h"
#include "src/core/payments/stripe_jobs.h"
#include "src/core/resilience/idempotency.h"
#include "src/core/typed_rows.h"

namespace intsim::core::payments {
namespace {

using resilience::Classification;
using resilience::DeadReason;
using resilience::Job;
using resilience::Outcome;

std::string membership_in_metadata(const nlohmann::json& object) {
  return object.is_object() && object.contains("metadata")
             ? json_str(object["metadata"], "membership_id")
             : "";
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return s;
}
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

using api::error_response;
using api::json_response;

// Stripe's time of an answer, from its Date header; 0 when absent (then the answer counts as
// news of an unknown second: taken only over nothing, see absorb). A replayed answer
// (Idempotent-Replayed: true) shows the object as it was when the key was first used, whatever
// its Date says, so it is news of an unknown second too: it teaches ids, never a status.
std::int64_t date_of(const HttpResponse& response) {
  if (response.header("Idempotent-Replayed") == "true") return 0;
  std::int64_t s = 0;
  const auto date = response.header("Date");
  return date && parse_http_date(*date, &s) ? s : 0;
}

// Ours are generated ids ("ms_" and hex): never a quote inside.
std::string search_target(std::string_view membership_id) {
  return "/v1/customers/search?" +
         form_encode({{"query", fmt::format("metadata['membership_id']:'{}'", membership_id)}});
}

std::string list_target(std::string_view customer) {
  return "/v1/subscriptions?" +
         form_encode({{"customer", std::string(customer)}, {"status", "all"}, {"limit", "100"}});
}

}  // namespace

SubscriptionService::SubscriptionService(SubscriptionServiceConfig config, Ports ports,
                                         resilience::Dispatcher* dispatcher,
                                         notifications::NotificationService* notifications)
    : config_(std::move(config)),
      ports_(ports),
      dispatcher_(dispatcher),
      notifications_(notifications) {
  INTSIM_ASSERT(ports_.store && ports_.log && ports_.alerts && ports_.metrics && ports_.random);
  INTSIM_ASSERT(dispatcher_);
}

void SubscriptionService::register_handlers() {
  for (std::string_view kind :
       {kCreateCustomerKind, kCreateSubscriptionKind, kCancelSubscriptionKind,
        kRetrieveSubscriptionKind, kSearchCustomersKind, kListSubscriptionsKind}) {
    dispatcher_->add_handler(std::string(kind), this);
  }
}

std::vector<WriteBatch::Op> SubscriptionService::take_enqueued() {
  std::vector<WriteBatch::Op> out;
  out.swap(enqueued_);
  return out;
}

// ---- rows ---------------------------------------------------------------------------------

Status SubscriptionService::load(std::string_view id, Membership* out) {
  return load_row<Membership>(*ports_.store, kMembershipsTable, id, decode_membership, out);
}

Status SubscriptionService::find(std::string_view id, Membership* out) { return load(id, out); }

Status SubscriptionService::list(std::vector<Membership>* out) {
  return list_rows<Membership>(*ports_.store, kMembershipsTable, decode_membership, out);
}

void SubscriptionService::save(Membership& m, WriteBatch& batch) {
  // When reconcile() must look at it next: at once when a dead create has no read running or
  // the member's cancel is not on its way; else once it has had no news for check_after_us;
  // never once final.
  TimeUs due = 0;
  if (!is_final(m.status)) {
    const bool stuck = m.read_job_id.empty() && ((m.customer_dead && m.customer.empty()) ||
                                                 (m.subscription_dead && m.subscription.empty()));
    const bool cancel_waits =
        m.cancel_requested && m.cancel_job_id.empty() && !m.subscription.empty();
    const TimeUs last_us = std::max(m.updated_at_us, m.checked_at_us);
    due = last_us + config_.check_after_us;
    if (m.news_expected_us > last_us) {
      due = std::min(due, m.news_expected_us + config_.news_grace_us);
    }
    if (stuck || cancel_waits) due = 1;
  }
  if (due != m.check_due_us) {
    if (m.check_due_us > 0) {
      batch.erase(kMembershipChecksTable, membership_check_key(m.check_due_us, m.id));
    }
    if (due > 0) batch.put(kMembershipChecksTable, membership_check_key(due, m.id), "");
    m.check_due_us = due;
  }
  batch.put(kMembershipsTable, m.id, encode_membership(m));
}

void SubscriptionService::alert(WriteBatch& batch, TimeUs now_us, std::string kind,
                                std::string subject, std::string message) {
  ports_.log->write(now_us, LogLevel::kWarn, "memberships.alert",
                    {{"kind", kind}, {"subject", subject}, {"message", message}});
  // Raised once the batch holding the change commits (core/alerting_store.h).
  batch.alert({now_us, std::move(kind), std::move(subject), std::move(message)});
}

void SubscriptionService::learn_subscription(Membership& m, const std::string& id,
                                             WriteBatch& batch) {
  if (id.empty() || !m.subscription.empty()) return;
  m.subscription = id;
  batch.put(kMembershipsBySubTable, id, m.id);
}

void SubscriptionService::learn_customer(Membership& m, const std::string& id, WriteBatch& batch) {
  if (id.empty() || !m.customer.empty()) return;
  m.customer = id;
  batch.put(kMembershipsByCustomerTable, id, m.id);
}

std::string SubscriptionService::membership_of(const nlohmann::json& object) {
  // A subscription names us in its metadata, an invoice in subscription_details.metadata; else
  // the index by subscription id.
  std::string id = membership_in_metadata(object);
  if (id.empty() && object.is_object() && object.contains("subscription_details")) {
    id = membership_in_metadata(object["subscription_details"]);
  }
  if (!id.empty()) return id;
  std::string sub = json_str(object, "object") == "subscription" ? json_str(object, "id")
                                                                 : json_str(object, "subscription");
  if (sub.empty()) return "";
  ports_.store->get(kMembershipsBySubTable, sub, &id);
  return id;
}

std::string SubscriptionService::membership_of_job(const Job& job) {
  FormFields fields;
  if (job.method == "POST") {
    if (!form_decode(job.body, &fields).is_ok()) return "";
    for (const auto& [k, v] : fields) {
      if (k == "metadata[membership_id]") return v;
    }
    return "";
  }
  std::string id;
  const std::size_t qmark = job.target.find('?');
  if (job.kind == kSearchCustomersKind || job.kind == kListSubscriptionsKind) {
    if (qmark == std::string::npos || !form_decode(job.target.substr(qmark + 1), &fields).is_ok()) {
      return "";
    }
    for (const auto& [k, v] : fields) {
      if (k == "query") {
        const std::size_t open = v.find(":'");
        const std::size_t close = v.rfind('\'');
        if (open != std::string::npos && close > open + 2)
          return v.substr(open + 2, close - open - 2);
      }
      if (k == "customer") ports_.store->get(kMembershipsByCustomerTable, v, &id);
    }
    return id;
  }
  // GET or DELETE /v1/subscriptions/{id}
  const std::string sub = job.target.substr(job.target.rfind('/') + 1);
  ports_.store->get(kMembershipsBySubTable, sub, &id);
  return id;
}

// ---- jobs ---------------------------------------------------------------------------------

Job SubscriptionService::stripe_job(std::string_view kind, std::string method, std::string target,
                                    std::string body) const {
  return payments::stripe_job(config_.peer, kind, std::move(method), std::move(target),
                              std::move(body));
}

std::string SubscriptionService::enqueue(WriteBatch& batch, Job job, TimeUs now_us) {
  return enqueue_into(*dispatcher_, batch, std::move(job), now_us, &enqueued_);
}

namespace {
// The key the dispatcher gave a job it just wrote into `batch` (its last outbox row).
void key_of_last_job(const WriteBatch& batch, std::string* key, TimeUs* at_us) {
  for (auto it = batch.ops().rbegin(); it != batch.ops().rend(); ++it) {
    if (it->table != resilience::kOutboxTable || !it->value) continue;
    Job stored;
    INTSIM_ASSERT(resilience::job_from_json(*it->value, &stored).is_ok());
    *key = stored.idempotency_key;
    *at_us = stored.idempotency_key_created_at_us;
    return;
  }
  INTSIM_ASSERT_MSG(false, "no job was written");
}
}  // namespace

std::string SubscriptionService::enqueue_create(Job job, bool reuse_key, std::string* key,
                                                TimeUs* key_at_us, WriteBatch& batch,
                                                TimeUs now_us) {
  if (reuse_key) {
    INTSIM_ASSERT(!key->empty());
    job.idempotency_key = *key;
    job.idempotency_key_created_at_us = *key_at_us;
  }
  const std::string job_id = enqueue(batch, std::move(job), now_us);
  key_of_last_job(batch, key, key_at_us);
  return job_id;
}

void SubscriptionService::enqueue_create_customer(Membership& m, WriteBatch& batch, TimeUs now_us,
                                                  bool reuse_key) {
  const std::string body =
      form_encode({{"name", m.guest},
                   {"invoice_settings[default_payment_method]", m.payment_method},
                   {"metadata[membership_id]", m.id},
                   {"metadata[guest]", m.guest}});
  m.customer_job_id =
      enqueue_create(stripe_job(kCreateCustomerKind, "POST", "/v1/customers", body), reuse_key,
                     &m.customer_key, &m.customer_key_at_us, batch, now_us);
  m.customer_dead = false;
  ++m.creates;
  ports_.log->write(
      now_us, LogLevel::kInfo, "memberships.customer_queued",
      {{"membership", m.id}, {"job", m.customer_job_id}, {"idempotency_key", m.customer_key}});
}

void SubscriptionService::enqueue_create_subscription(Membership& m, WriteBatch& batch,
                                                      TimeUs now_us, bool reuse_key) {
  INTSIM_ASSERT(!m.customer.empty());
  const std::string body =
      form_encode({{"customer", m.customer},
                   {"default_payment_method", m.payment_method},
                   {"items[0][price_data][currency]", m.currency},
                   {"items[0][price_data][product]", m.plan},
                   {"items[0][price_data][unit_amount]", std::to_string(m.amount)},
                   {"items[0][price_data][recurring][interval]", m.interval},
                   {"metadata[membership_id]", m.id}});
  m.subscription_job_id =
      enqueue_create(stripe_job(kCreateSubscriptionKind, "POST", "/v1/subscriptions", body),
                     reuse_key, &m.subscription_key, &m.subscription_key_at_us, batch, now_us);
  m.subscription_dead = false;
  ++m.creates;
  ports_.log->write(now_us, LogLevel::kInfo, "memberships.subscription_queued",
                    {{"membership", m.id},
                     {"job", m.subscription_job_id},
                     {"idempotency_key", m.subscription_key}});
}

void SubscriptionService::enqueue_cancel(Membership& m, WriteBatch& batch, TimeUs now_us) {
  if (m.subscription.empty() || !m.cancel_job_id.empty() || is_final(m.status)) return;
  // DELETE carries no idempotency key (Stripe ignores them there): cancelling twice is harmless,
  // the second answers 400 "already canceled".
  m.cancel_job_id = enqueue(
      batch,
      stripe_job(kCancelSubscriptionKind, "DELETE", "/v1/subscriptions/" + m.subscription, ""),
      now_us);
}

void SubscriptionService::enqueue_read(Membership& m, WriteBatch& batch, TimeUs now_us,
                                       TimeUs at_us) {
  if (!m.read_job_id.empty() || m.status == MemberStatus::kFailed) return;
  Job job;
  if (!m.subscription.empty()) {
    job = stripe_job(kRetrieveSubscriptionKind, "GET", "/v1/subscriptions/" + m.subscription, "");
  } else if (!m.customer.empty()) {
    job = stripe_job(kListSubscriptionsKind, "GET", list_target(m.customer), "");
  } else {
    job = stripe_job(kSearchCustomersKind, "GET", search_target(m.id), "");
  }
  job.next_attempt_at_us = std::max(at_us, now_us);
  m.read_job_id = enqueue(batch, std::move(job), now_us);
}

// ---- the guest API -------------------------------------------------------------------------

nlohmann::json SubscriptionService::view(const Membership& m) const {
  nlohmann::json invoices_failed = nlohmann::json::array();
  for (const auto& [id, state] : m.invoices) {
    if (state == "failed") invoices_failed.push_back(id);
  }
  return {{"membership_id", m.id},
          {"guest", m.guest},
          {"plan", m.plan},
          {"status", member_status_name(m.status)},
          {"amount", m.amount},
          {"currency", upper(m.currency)},
          {"interval", m.interval},
          {"subscription", m.subscription},
          {"cancel_requested", m.cancel_requested},
          {"lapsed", m.lapsed},
          {"invoices_failed", std::move(invoices_failed)}};
}

HttpResponse SubscriptionService::handle(const HttpRequest& request, TimeUs now_us) {
  std::string_view path = request.target;
  if (const std::size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  constexpr std::string_view kBase = "/api/subscriptions";
  if (path == kBase) {
    if (request.method != "POST") return error_response(405, "method_not_allowed", "POST only");
    return create(request, now_us);
  }
  if (!path.starts_with(std::string(kBase) + "/")) return error_response(404, "not_found", "");
  std::string_view rest = path.substr(kBase.size() + 1);
  const std::size_t slash = rest.find('/');
  const std::string id(rest.substr(0, slash));
  const std::string_view action =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (action == "cancel" && request.method == "POST") return cancel(id, now_us);
  if (action.empty() && request.method == "GET") {
    Membership m;
    if (!load(id, &m).is_ok()) return error_response(404, "membership_not_found", "no " + id);
    return json_response(200, view(m));
  }
  return error_response(404, "not_found", "");
}

HttpResponse SubscriptionService::create(const HttpRequest& request, TimeUs now_us) {
  if (auto replayed = api::replay_or_refuse(*ports_.store, kMembershipRequestsTable, request)) {
    return *replayed;
  }
  // Every answer below is final for this request, so it is stored under the key.
  auto answer = [&](HttpResponse response, WriteBatch batch) {
    api::remember_answer(kMembershipRequestsTable, request, response, batch);
    if (batch.empty()) return response;
    if (Status s = ports_.store->commit(batch); !s.is_ok()) {
      enqueued_.clear();
      return error_response(503, "unavailable", "could not record the membership: " + s.message());
    }
    return response;
  };
  const nlohmann::json body = parse_json(request.body);
  if (!body.is_object()) {
    return answer(error_response(400, "invalid_json", "the body must be a JSON object"), {});
  }
  auto text = [&](const char* field) -> std::string {
    const auto it = body.find(field);
    return it != body.end() && it->is_string() ? it->get<std::string>() : "";
  };
  const std::string guest = text("guest");
  const std::string plan = text("plan").empty() ? config_.plan : text("plan");
  const std::string currency = text("currency");
  const std::string payment_method = text("payment_method");
  if (guest.empty()) return answer(error_response(400, "parameter_missing", "guest", "guest"), {});
  if (plan != config_.plan) {
    return answer(error_response(400, "unknown_plan", "the plan sold is " + config_.plan, "plan"),
                  {});
  }
  const auto price = config_.price_minor.find(upper(currency));
  if (price == config_.price_minor.end()) {
    return answer(
        error_response(400, "unsupported_currency", "no price in that currency", "currency"), {});
  }
  if (!payment_method.starts_with("pm_") || payment_method.size() < 4) {
    return answer(error_response(400, "invalid_payment_method", "a pm_... id", "payment_method"),
                  {});
  }
  if (Status s = validate_charge_amount(price->second, lower(currency)); !s.is_ok()) {
    return answer(error_response(400, "invalid_amount", s.message(), "currency"), {});
  }
  Membership m;
  m.id = fmt::format("ms_{:016x}", ports_.random->next_u64());
  m.guest = guest;
  m.plan = plan;
  m.currency = lower(currency);
  m.amount = price->second;
  m.interval = config_.interval;
  m.payment_method = payment_method;
  m.created_at_us = now_us;
  m.updated_at_us = now_us;
  WriteBatch batch;
  enqueue_create_customer(m, batch, now_us, /*reuse_key=*/false);
  save(m, batch);
  ports_.log->write(now_us, LogLevel::kInfo, "memberships.created",
                    {{"membership", m.id}, {"guest", m.guest}});
  return answer(json_response(201, view(m)), std::move(batch));
}

HttpResponse SubscriptionService::cancel(std::string_view id, TimeUs now_us) {
  Membership m;
  if (!load(id, &m).is_ok()) {
    return error_response(404, "membership_not_found", "no " + std::string(id));
  }
  if (!m.cancel_requested && !is_final(m.status)) {
    m.cancel_requested = true;
    WriteBatch batch;
    enqueue_cancel(m, batch, now_us);  // or once the subscription is known
    save(m, batch);
    if (Status s = ports_.store->commit(batch); !s.is_ok()) {
      enqueued_.clear();
      return error_response(503, "unavailable", s.message());
    }
    ports_.log->write(now_us, LogLevel::kInfo, "memberships.cancel_requested",
                      {{"membership", m.id}});
  }
  return json_response(200, view(m));
}

// ---- what Stripe says ----------------------------------------------------------------------

void SubscriptionService::set_status(Membership& m, MemberStatus to, WriteBatch& batch,
                                     TimeUs now_us) {
  if (m.status == to) return;
  const MemberStatus from = m.status;
  m.status = to;
  ports_.log->write(now_us, LogLevel::kInfo, "memberships.status",
                    {{"membership", m.id},
                     {"from", std::string(member_status_name(from))},
                     {"to", std::string(member_status_name(to))}});
  ports_.metrics->count("intsim_membership_transitions_total", config_.peer,
                        member_status_name(to));
  // Dunning ended it, not the member: the membership lapses.
  if ((to == MemberStatus::kCanceled || to == MemberStatus::kUnpaid) && !m.cancel_requested &&
      !m.lapsed) {
    m.lapsed = true;
    alert(batch, now_us, "membership_lapsed", m.id,
          fmt::format("membership {} of {} lapsed: {} after failed renewals", m.id, m.guest,
                      member_status_name(to)));
  }
  if (is_final(to)) m.cancel_job_id.clear();
}

void SubscriptionService::absorb(Membership& m, const nlohmann::json& sub, std::int64_t at_s,
                                 WriteBatch& batch, TimeUs now_us) {
  const std::string id = json_str(sub, "id");
  if (id.empty()) return;
  if (!m.subscription.empty() && m.subscription != id) {
    // A second subscription for one membership: a create made again under a new key after its
    // first attempt's key aged out, when the list could not see the first. A human decides.
    alert(batch, now_us, "duplicate_subscription", m.id,
          fmt::format("membership {} has subscriptions {} and {}", m.id, m.subscription, id));
    return;
  }
  learn_subscription(m, id, batch);
  learn_customer(m, json_str(sub, "customer"), batch);
  m.subscription_dead = false;
  if (const std::int64_t end_s = json_int(sub, "current_period_end"); end_s > 0) {
    m.news_expected_us = end_s * kUsPerSec;  // the renewal
  }
  MemberStatus incoming;
  if (!member_status_from_stripe(json_str(sub, "status"), &incoming)) return;
  m.updated_at_us = now_us;
  // An answer without a Date is taken over nothing but our own "creating".
  if (at_s == 0 && m.status != MemberStatus::kCreating && !is_final(incoming)) return;
  switch (merge_news(m, incoming, at_s)) {
    case Merge::kApply:
      set_status(m, incoming, batch, now_us);
      break;
    case Merge::kRead:
      // Two changes in one second: read a second later, when no change can share it.
      enqueue_read(m, batch, now_us, now_us + kUsPerSec);
      break;
    case Merge::kIgnore:
      break;
  }
  m.last_news_s = std::max(m.last_news_s, at_s);
  if (m.cancel_requested) enqueue_cancel(m, batch, now_us);
}

void SubscriptionService::dun(Membership& m, const nlohmann::json& invoice, WriteBatch& batch,
                              TimeUs now_us) {
  const std::string inv = json_str(invoice, "id");
  ports_.metrics->count("intsim_invoice_payment_failures_total", config_.peer,
                        json_str(invoice, "billing_reason"));
  std::string& state = m.invoices[inv];
  if (state == "paid") return;  // an old failure, reported after the invoice was paid
  state = "failed";
  if (!m.dunned.insert(inv).second) return;  // the member was told about this invoice
  ports_.metrics->count("intsim_dunning_notices_total", config_.peer, "notice");
  const nlohmann::json next = invoice.value("next_payment_attempt", nlohmann::json());
  alert(batch, now_us, "dunning", m.id,
        fmt::format("invoice {} of membership {} ({}) failed (attempt {}); {}", inv, m.id, m.guest,
                    json_int(invoice, "attempt_count"),
                    next.is_number_integer()
                        ? fmt::format("Stripe retries at {}", next.get<std::int64_t>())
                        : std::string("no retry scheduled")));
  if (notifications_) {
    // The member hears it on WhatsApp (its link lets them update the card before the retry);
    // the notification's id is the invoice's, so a redelivered event notifies once.
    if (Status s = notifications_->notify_membership_payment_failed(inv, m.guest, batch, now_us);
        !s.is_ok()) {
      ports_.log->write(now_us, LogLevel::kError, "memberships.notify_failed",
                        {{"membership", m.id}, {"error", s.to_string()}});
    }
  }
}

Status SubscriptionService::apply(const webhook::VerifiedEvent& event, WriteBatch& effects,
                                  TimeUs now_us) {
  if (event.endpoint != webhook::Endpoint::kStripe) return Status::ok();
  const std::string& type = event.type;
  const bool about_sub = type.starts_with("customer.subscription.");
  const bool about_invoice = type.starts_with("invoice.");
  if (!about_sub && !about_invoice) return Status::ok();
  const nlohmann::json& payload = event.payload;
  if (!payload.is_object() || !payload.contains("data") || !payload["data"].is_object()) {
    return Status::ok();
  }
  const nlohmann::json object = payload["data"].value("object", nlohmann::json());
  const std::int64_t created_s = json_int(payload, "created");
  const std::string id = membership_of(object);
  Membership m;
  if (id.empty()) return Status::ok();  // not one of ours
  if (Status s = load(id, &m); !s.is_ok()) {
    return s.code() == Status::Code::kNotFound ? Status::ok() : s;
  }
  const std::string before = encode_membership(m);
  if (about_sub) {
    absorb(m, object, created_s, effects, now_us);
  } else if (type == "invoice.payment_failed" || type == "invoice.paid") {
    learn_subscription(m, json_str(object, "subscription"), effects);
    learn_customer(m, json_str(object, "customer"), effects);
    if (type == "invoice.paid") {
      std::string& state = m.invoices[json_str(object, "id")];
      if (state == "failed") {
        ports_.metrics->count("intsim_dunning_recovered_total", config_.peer, "paid");
      }
      state = "paid";
    } else {
      dun(m, object, effects, now_us);
      const nlohmann::json next = object.value("next_payment_attempt", nlohmann::json());
      if (next.is_number_integer()) m.news_expected_us = next.get<std::int64_t>() * kUsPerSec;
    }
    // What the invoice says about the subscription: paid, it is active (unless it ended);
    // failed with a retry ahead, a renewal is past_due. The end of retries is the
    // subscription's own event (canceled or unpaid, as Stripe is configured).
    const bool paid = type == "invoice.paid";
    const bool retrying = !paid && json_str(object, "billing_reason") == "subscription_cycle" &&
                          object.value("next_payment_attempt", nlohmann::json()).is_number();
    if ((paid || retrying) && !m.subscription.empty()) {
      const nlohmann::json as_sub = {{"id", m.subscription},
                                     {"status", paid ? "active" : "past_due"}};
      absorb(m, as_sub, created_s, effects, now_us);
    }
  }
  // invoice.created, .finalized, .voided and the like change nothing: no write.
  if (encode_membership(m) != before) save(m, effects);
  return Status::ok();
}

// ---- job outcomes -------------------------------------------------------------------------

Classification SubscriptionService::classify(const Job& job, const HttpResult& result) {
  if (result.has_response()) {
    const int status = result.response.status;
    if (status == 409 && stripe_error_code(result.response) == "idempotency_key_in_use") {
      return {Outcome::kRetryable, false, "idempotency_key_in_use"};
    }
    // Cancelling what is already canceled: done (absorb learns how it ended from a read).
    if (status == 400 && job.kind == kCancelSubscriptionKind) {
      return {Outcome::kSuccess, false, "already_canceled"};
    }
  }
  return resilience::classify(result);
}

void SubscriptionService::on_success(const Job& job, const HttpResponse& response,
                                     WriteBatch& batch, TimeUs now_us) {
  const std::string id = membership_of_job(job);
  Membership m;
  if (id.empty() || !load(id, &m).is_ok()) {
    ports_.log->write(now_us, LogLevel::kError, "memberships.job_without_membership",
                      {{"job", job.id}, {"kind", job.kind}});
    return;
  }
  const nlohmann::json body = parse_json(response.body);
  const std::int64_t at_s = date_of(response);
  if (job.kind == kCreateCustomerKind) {
    if (job.id == m.customer_job_id) m.customer_dead = false;
    learn_customer(m, json_str(body, "id"), batch);
    if (m.customer.empty() && job.id == m.customer_job_id) {
      // A 2xx whose body we cannot read proves the create ran, not what it made: find it.
      m.customer_dead = true;
      enqueue_read(m, batch, now_us, now_us + config_.search_settle_us);
    }
    if (!m.customer.empty() && m.subscription.empty() && m.subscription_job_id.empty() &&
        !is_final(m.status)) {
      enqueue_create_subscription(m, batch, now_us, /*reuse_key=*/false);
    }
  } else if (job.kind == kCreateSubscriptionKind) {
    if (job.id == m.subscription_job_id) m.subscription_dead = false;
    absorb(m, body, at_s, batch, now_us);
    if (m.subscription.empty() && job.id == m.subscription_job_id) {
      m.subscription_dead = true;  // unreadable: the customer's list shows what it made
      enqueue_read(m, batch, now_us, now_us);
    }
  } else if (job.kind == kCancelSubscriptionKind) {
    if (job.id == m.cancel_job_id) m.cancel_job_id.clear();
    if (response.status == 200) {
      absorb(m, body, at_s, batch, now_us);
    } else {
      enqueue_read(m, batch, now_us, now_us);  // already ended: learn how
    }
  } else {
    if (job.id == m.read_job_id) m.read_job_id.clear();
    m.checked_at_us = now_us;
    if (job.kind == kRetrieveSubscriptionKind) {
      absorb(m, body, at_s, batch, now_us);
    } else if (job.kind == kSearchCustomersKind) {
      on_customers_found(m, body, batch, now_us);
    } else if (job.kind == kListSubscriptionsKind) {
      on_subscriptions_found(m, body, batch, now_us);
    }
  }
  save(m, batch);
}

namespace {
// The objects of a search or list answer that name `membership_id`, oldest first (Stripe lists
// newest first); nullopt when the body is not a list at all (it proves nothing).
std::optional<std::vector<nlohmann::json>> ours(const nlohmann::json& body,
                                                std::string_view membership_id) {
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) return std::nullopt;
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& o : body["data"]) {
    if (membership_in_metadata(o) == membership_id) out.push_back(o);
  }
  std::reverse(out.begin(), out.end());
  return out;
}
}  // namespace

void SubscriptionService::on_customers_found(Membership& m, const nlohmann::json& body,
                                             WriteBatch& batch, TimeUs now_us) {
  const auto found = ours(body, m.id);
  if (!found) {
    ports_.log->write(now_us, LogLevel::kWarn, "memberships.search_unreadable",
                      {{"membership", m.id}});
    return;  // the next reconciliation pass reads again
  }
  if (!found->empty()) {
    learn_customer(m, json_str(found->front(), "id"), batch);
    m.customer_dead = false;
    if (m.subscription.empty() && m.subscription_job_id.empty() && !is_final(m.status)) {
      enqueue_create_subscription(m, batch, now_us, /*reuse_key=*/false);
    }
    return;
  }
  if (!m.customer_dead || !m.customer.empty()) return;  // the create is still trying
  if (m.creates >= config_.creates_max) {
    give_up(m, batch, now_us, "no customer could be created");
    return;
  }
  const bool aged =
      resilience::key_past_prune_age(m.customer_key_at_us, now_us, config_.key_prune_age_us);
  enqueue_create_customer(m, batch, now_us, /*reuse_key=*/!aged);
}

void SubscriptionService::on_subscriptions_found(Membership& m, const nlohmann::json& body,
                                                 WriteBatch& batch, TimeUs now_us) {
  const auto found = ours(body, m.id);
  if (!found) {
    ports_.log->write(now_us, LogLevel::kWarn, "memberships.list_unreadable",
                      {{"membership", m.id}});
    return;
  }
  if (!found->empty()) {
    if (found->size() > 1) {
      alert(batch, now_us, "duplicate_subscription", m.id,
            fmt::format("membership {} has {} subscriptions", m.id, found->size()));
    }
    // A list shows the present; it has no time of its own here, so it only settles creating.
    const nlohmann::json& pick = found->front();
    learn_subscription(m, json_str(pick, "id"), batch);
    m.subscription_dead = false;
    MemberStatus s;
    if (m.status == MemberStatus::kCreating &&
        member_status_from_stripe(json_str(pick, "status"), &s)) {
      set_status(m, s, batch, now_us);
    }
    enqueue_read(m, batch, now_us, now_us);  // the retrieve carries a Date: the merge decides
    return;
  }
  if (!m.subscription_dead || !m.subscription.empty()) return;
  if (m.creates >= config_.creates_max) {
    give_up(m, batch, now_us, "no subscription could be created");
    return;
  }
  const bool aged =
      resilience::key_past_prune_age(m.subscription_key_at_us, now_us, config_.key_prune_age_us);
  enqueue_create_subscription(m, batch, now_us, /*reuse_key=*/!aged);
}

void SubscriptionService::give_up(Membership& m, WriteBatch& batch, TimeUs now_us,
                                  std::string_view why) {
  m.customer_dead = false;
  m.subscription_dead = false;
  set_status(m, MemberStatus::kFailed, batch, now_us);
  alert(batch, now_us, "membership_failed", m.id,
        fmt::format("membership {} of {}: {} ({} attempts)", m.id, m.guest, why, m.creates));
}

void SubscriptionService::on_failure(const Job& job, const resilience::DlqEntry& entry,
                                     WriteBatch& batch, TimeUs now_us) {
  const std::string id = membership_of_job(job);
  Membership m;
  if (id.empty() || !load(id, &m).is_ok()) return;
  const bool refused = entry.reason == DeadReason::kPermanent;
  if (job.kind == kCreateCustomerKind) {
    if (job.id != m.customer_job_id || !m.customer.empty()) return;
    // Whatever the reason, Stripe may hold a customer made with this key: search first.
    m.customer_dead = true;
    if (refused) {
      give_up(m, batch, now_us, "Stripe refused the customer: " + entry.detail);
    } else {
      enqueue_read(m, batch, now_us, now_us + config_.search_settle_us);
    }
  } else if (job.kind == kCreateSubscriptionKind) {
    if (job.id != m.subscription_job_id || !m.subscription.empty()) return;
    m.subscription_dead = true;
    if (refused) {
      give_up(m, batch, now_us, "Stripe refused the subscription: " + entry.detail);
    } else {
      enqueue_read(m, batch, now_us, now_us);  // the customer's list does not lag
    }
  } else if (job.kind == kCancelSubscriptionKind) {
    if (job.id != m.cancel_job_id) return;
    // The reconciliation pass asks again while the member's cancel is not done.
    m.cancel_job_id.clear();
  } else {
    if (job.id != m.read_job_id) return;
    m.read_job_id.clear();  // the next reconciliation pass reads again
  }
  save(m, batch);
}

// ---- reconciliation -----------------------------------------------------------------------

Status SubscriptionService::reconcile(WriteBatch& batch, TimeUs now_us) {
  // Only the memberships due (the index is in time order): a pass costs what needs looking at.
  std::vector<std::string> due;
  const Status scanned =
      ports_.store->scan(kMembershipChecksTable, "", [&](std::string_view key, std::string_view) {
        const std::size_t slash = key.find('/');
        TimeUs at_us = 0;
        for (std::size_t i = 0; i < slash && i < key.size(); ++i)
          at_us = at_us * 10 + (key[i] - '0');
        if (slash == std::string_view::npos || at_us > now_us) return false;
        due.emplace_back(key.substr(slash + 1));
        return true;
      });
  if (!scanned.is_ok()) return scanned;
  for (const std::string& id : due) {
    Membership m;
    if (Status s = load(id, &m); !s.is_ok()) {
      if (s.code() != Status::Code::kNotFound) return s;
      continue;
    }
    if (is_final(m.status)) {
      save(m, batch);  // drops it from the index
      continue;
    }
    if (m.status == MemberStatus::kCreating && m.read_job_id.empty()) {
      // Whatever went unseen (an answer lost to a bug, a row from an older version): a create
      // that is neither in the outbox nor settled is treated as dead, and its result read.
      auto gone = [&](const std::string& job_id) {
        std::string row;
        return !job_id.empty() &&
               ports_.store->get(resilience::kOutboxTable, job_id, &row).code() ==
                   Status::Code::kNotFound;
      };
      if (m.customer.empty() && gone(m.customer_job_id)) m.customer_dead = true;
      if (!m.customer.empty() && m.subscription.empty() && gone(m.subscription_job_id)) {
        m.subscription_dead = true;
      }
      if (!m.customer.empty() && m.subscription.empty() && m.subscription_job_id.empty()) {
        enqueue_create_subscription(m, batch, now_us, /*reuse_key=*/false);
      }
    }
    if (m.read_job_id.empty()) {
      if ((m.customer_dead && m.customer.empty()) ||
          (m.subscription_dead && m.subscription.empty())) {
        enqueue_read(m, batch, now_us, now_us);  // a read died before it settled a dead create
      } else if (!m.subscription.empty() && m.check_due_us > 1 && m.check_due_us <= now_us) {
        enqueue_read(m, batch, now_us, now_us);  // owed news did not come, or none for long
      }
    }
    if (m.cancel_requested) enqueue_cancel(m, batch, now_us);
    m.checked_at_us = now_us;  // looked at: due again after check_after_us without news
    save(m, batch);
  }
  return Status::ok();
}

}  // namespace intsim::core::payments
