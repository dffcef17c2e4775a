#include "src/core/payments/payment_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "src/core/assert.h"
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

// Stripe's search query language quotes values with single quotes; ours are generated ids
// ("bk_" and hex), so they never contain one.
std::string search_target(std::string_view booking_id) {
  return "/v1/payment_intents/search?" +
         form_encode({{"query", fmt::format("metadata['booking_id']:'{}'", booking_id)}});
}

// The booking a job of ours is about, from its body (POST) or its search query.
std::string booking_of_job(const Job& job) {
  FormFields fields;
  if (job.method == "POST") {
    if (!form_decode(job.body, &fields).is_ok()) return "";
    for (const auto& [k, v] : fields) {
      if (k == "metadata[booking_id]") return v;
    }
    return "";
  }
  const std::size_t qmark = job.target.find('?');
  if (qmark == std::string::npos || !form_decode(job.target.substr(qmark + 1), &fields).is_ok()) {
    return "";
  }
  for (const auto& [k, v] : fields) {
    if (k != "query") continue;
    const std::size_t open = v.find(":'");
    const std::size_t close = v.rfind('\'');
    if (open != std::string::npos && close > open + 2) return v.substr(open + 2, close - open - 2);
  }
  return "";
}

}  // namespace

PaymentService::PaymentService(PaymentServiceConfig config, Ports ports,
                               resilience::Dispatcher* dispatcher, BookingHooks* hooks)
    : config_(std::move(config)), ports_(ports), dispatcher_(dispatcher), hooks_(hooks) {
  INTSIM_ASSERT(ports_.store && ports_.log && ports_.alerts);
  INTSIM_ASSERT(dispatcher_ && hooks_);
}

void PaymentService::register_handlers() {
  for (std::string_view kind : {kCreateKind, kRefundKind, kRetrieveKind, kSearchKind}) {
    dispatcher_->add_handler(std::string(kind), this);
  }
}

std::vector<WriteBatch::Op> PaymentService::take_enqueued() {
  std::vector<WriteBatch::Op> out;
  out.swap(enqueued_);
  return out;
}

// ---- rows ---------------------------------------------------------------------------------

Status PaymentService::load(std::string_view booking_id, Payment* out) {
  return load_row<Payment>(*ports_.store, kPaymentsTable, booking_id, decode_payment, out);
}

Status PaymentService::find(std::string_view booking_id, Payment* out) {
  return load(booking_id, out);
}

Status PaymentService::list(std::vector<Payment>* out) {
  return list_rows<Payment>(*ports_.store, kPaymentsTable, decode_payment, out);
}

void PaymentService::save(Payment& p, WriteBatch& batch, std::optional<TimeUs> news_at_us) {
  if (news_at_us) p.updated_at_us = *news_at_us;
  p.update_refunded();
  batch.put(kPaymentsTable, p.booking_id, encode_payment(p));
  // The earlier of the two dues: the batch may not commit, leaving the row as it was.
  if (const std::optional<TimeUs> due = reconcile_due_us(p)) {
    const auto [it, added] = due_.try_emplace(p.booking_id, *due);
    if (!added) it->second = std::min(it->second, *due);
  }
}

std::optional<TimeUs> PaymentService::reconcile_due_us(const Payment& p) const {
  constexpr TimeUs kNow = std::numeric_limits<TimeUs>::min();
  if (p.refund == RefundState::kRetry ||
      (p.refund == RefundState::kWanted && p.status == PayStatus::kSucceeded)) {
    return kNow;
  }
  if (!p.reconcile_job_id.empty()) return std::nullopt;  // its answer will change the row
  if (p.create_dead) return kNow;
  if (!is_terminal(p.status)) return p.updated_at_us + config_.payment_stuck_after_us;
  return std::nullopt;
}

Status PaymentService::load_due() {
  std::map<std::string, TimeUs, std::less<>> due;
  const Status s = scan_rows<Payment>(*ports_.store, kPaymentsTable, decode_payment,
                                      [&](std::string_view key, Payment&& p) {
                                        if (const std::optional<TimeUs> at = reconcile_due_us(p)) {
                                          due.emplace(key, *at);
                                        }
                                      });
  if (!s.is_ok()) return s;
  // Whatever save() noted before is in the scan, as committed (batches commit synchronously).
  due_ = std::move(due);
  due_loaded_ = true;
  return Status::ok();
}

void PaymentService::alert(WriteBatch& batch, TimeUs now_us, std::string kind, std::string subject,
                           std::string message) {
  ports_.log->write(now_us, LogLevel::kWarn, "payments.alert",
                    {{"kind", kind}, {"subject", subject}, {"message", message}});
  // Raised once the batch holding the change commits (core/alerting_store.h).
  batch.alert({now_us, std::move(kind), std::move(subject), std::move(message)});
}

// ---- jobs ---------------------------------------------------------------------------------

Job PaymentService::stripe_job(std::string_view kind, std::string method, std::string target,
                               std::string body) const {
  return payments::stripe_job(config_.peer, kind, std::move(method), std::move(target),
                              std::move(body));
}

std::string PaymentService::enqueue(WriteBatch& batch, Job job, TimeUs now_us) {
  return enqueue_into(*dispatcher_, batch, std::move(job), now_us, &enqueued_);
}

void PaymentService::enqueue_create(Payment& p, WriteBatch& batch, TimeUs now_us, bool reuse_key) {
  const std::string body = form_encode({{"amount", std::to_string(p.amount)},
                                        {"currency", p.currency},
                                        {"payment_method", p.payment_method},
                                        {"confirm", "true"},
                                        {"metadata[booking_id]", p.booking_id}});
  Job job = stripe_job(kCreateKind, "POST", "/v1/payment_intents", body);
  if (reuse_key) {
    INTSIM_ASSERT(!p.idempotency_key.empty());
    job.idempotency_key = p.idempotency_key;
    job.idempotency_key_created_at_us = p.key_created_at_us;
  }
  WriteBatch mine;
  p.create_job_id = dispatcher_->enqueue(mine, std::move(job), now_us);
  Job stored;
  INTSIM_ASSERT(mine.ops().size() == 1);
  INTSIM_ASSERT(resilience::job_from_json(*mine.ops()[0].value, &stored).is_ok());
  p.idempotency_key = stored.idempotency_key;
  p.key_created_at_us = stored.idempotency_key_created_at_us;
  p.create_dead = false;
  p.create_refused = false;
  for (const WriteBatch::Op& op : mine.ops()) {
    batch.put(op.table, op.key, *op.value);
    enqueued_.push_back(op);
  }
  ports_.log->write(now_us, LogLevel::kInfo, "payments.create_queued",
                    {{"booking", p.booking_id},
                     {"job", p.create_job_id},
                     {"idempotency_key", p.idempotency_key},
                     {"creates", std::to_string(p.creates)}});
}

void PaymentService::enqueue_refund(Payment& p, WriteBatch& batch, TimeUs now_us) {
  INTSIM_ASSERT(p.status == PayStatus::kSucceeded && !p.payment_intent.empty());
  const std::string body =
      form_encode({{"payment_intent", p.payment_intent}, {"metadata[booking_id]", p.booking_id}});
  enqueue(batch, stripe_job(kRefundKind, "POST", "/v1/refunds", body), now_us);
  p.refund = RefundState::kQueued;
  ports_.log->write(now_us, LogLevel::kInfo, "payments.refund_queued",
                    {{"booking", p.booking_id}, {"payment_intent", p.payment_intent}});
}

void PaymentService::enqueue_search(Payment& p, WriteBatch& batch, TimeUs now_us, TimeUs at_us) {
  Job job = stripe_job(kSearchKind, "GET", search_target(p.booking_id), "");
  job.next_attempt_at_us = at_us;
  p.reconcile_job_id = enqueue(batch, std::move(job), now_us);
}

void PaymentService::enqueue_retrieve(Payment& p, WriteBatch& batch, TimeUs now_us) {
  p.reconcile_job_id = enqueue(
      batch, stripe_job(kRetrieveKind, "GET", "/v1/payment_intents/" + p.payment_intent, ""),
      now_us);
}

// ---- checkout, refunds, reconciliation ---------------------------------------------------

Status PaymentService::checkout(const CheckoutRequest& r, WriteBatch& batch, TimeUs now_us) {
  if (Status s = validate_charge_amount(r.amount, r.currency); !s.is_ok()) return s;
  Payment existing;
  if (load(r.booking_id, &existing).is_ok()) {
    return Status::conflict("booking " + r.booking_id + " already has a payment");
  }
  Payment p;
  p.booking_id = r.booking_id;
  p.amount = r.amount;
  p.currency = r.currency;
  p.payment_method = r.payment_method;
  p.created_at_us = now_us;
  enqueue_create(p, batch, now_us, /*reuse_key=*/false);
  save(p, batch, now_us);
  return Status::ok();
}

void PaymentService::want_refund(Payment& p, WriteBatch& batch, TimeUs now_us) {
  if (p.refund == RefundState::kQueued || p.refund == RefundState::kDone ||
      p.refund == RefundState::kFailed) {
    return;
  }
  if (p.status == PayStatus::kSucceeded) {
    enqueue_refund(p, batch, now_us);
  } else if (!is_terminal(p.status)) {
    p.refund = RefundState::kWanted;
  }
}

Status PaymentService::refund_booking(std::string_view booking_id, WriteBatch& batch,
                                      TimeUs now_us) {
  Payment p;
  if (Status s = load(booking_id, &p); !s.is_ok()) return s;
  want_refund(p, batch, now_us);
  save(p, batch, now_us);
  return Status::ok();
}

Status PaymentService::reconcile(WriteBatch& batch, TimeUs now_us) {
  if (!due_loaded_) {
    if (Status s = load_due(); !s.is_ok()) return s;
  }
  // In booking id order, as a scan of the table would visit them: the jobs queued below draw
  // their ids in this order.
  for (auto it = due_.begin(); it != due_.end();) {
    if (it->second > now_us) {
      ++it;
      continue;
    }
    Payment p;
    if (Status s = load(it->first, &p); !s.is_ok()) {
      if (s.code() != Status::Code::kNotFound) return s;
      it = due_.erase(it);
      continue;
    }
    bool changed = false;
    if (p.reconcile_job_id.empty()) {
      if (p.create_dead) {
        // The create job died: only a search may decide whether to create again.
        enqueue_search(p, batch, now_us, now_us);
        changed = true;
      } else if (!is_terminal(p.status) &&
                 now_us - p.updated_at_us >= config_.payment_stuck_after_us) {
        ports_.log->write(
            now_us, LogLevel::kInfo, "payments.stuck",
            {{"booking", p.booking_id}, {"status", std::string(pay_status_name(p.status))}});
        if (p.payment_intent.empty()) {
          enqueue_search(p, batch, now_us, now_us);
        } else {
          enqueue_retrieve(p, batch, now_us);
        }
        changed = true;
      }
    }
    if (p.refund == RefundState::kRetry ||
        (p.refund == RefundState::kWanted && p.status == PayStatus::kSucceeded)) {
      enqueue_refund(p, batch, now_us);
      changed = true;
    }
    // updated_at stays: it says when Stripe last told us something, which is what "stuck"
    // measures; the outstanding job prevents a second read meanwhile.
    if (changed) {
      // Kept until a pass reads the committed row: this batch may yet fail to commit.
      save(p, batch, std::nullopt);
      ++it;
    } else if (const std::optional<TimeUs> due = reconcile_due_us(p)) {
      it->second = *due;  // the committed row says when
      ++it;
    } else {
      it = due_.erase(it);
    }
  }
  return Status::ok();
}

// ---- the lattice --------------------------------------------------------------------------

void PaymentService::transition(Payment& p, PayStatus to, WriteBatch& batch, TimeUs now_us) {
  const PayStatus from = p.status;
  p.status = to;
  ports_.log->write(now_us, LogLevel::kInfo, "payments.status",
                    {{"booking", p.booking_id},
                     {"from", std::string(pay_status_name(from))},
                     {"to", std::string(pay_status_name(to))},
                     {"payment_intent", p.payment_intent}});
  if (to == PayStatus::kSucceeded) {
    const bookings::ConfirmOutcome outcome = hooks_->on_paid(p.booking_id, batch, now_us);
    ports_.log->write(now_us, LogLevel::kInfo, "payments.booking_confirm",
                      {{"booking", p.booking_id},
                       {"outcome", std::string(bookings::confirm_outcome_name(outcome))}});
    const bool keeps = outcome == bookings::ConfirmOutcome::kConfirmed ||
                       outcome == bookings::ConfirmOutcome::kAlreadyConfirmed;
    if (!keeps || p.refund == RefundState::kWanted) {
      if (p.refund == RefundState::kWanted) p.refund = RefundState::kNone;
      want_refund(p, batch, now_us);
    }
  } else if (is_terminal(to)) {
    if (p.refund == RefundState::kWanted) p.refund = RefundState::kNone;  // nothing was taken
    hooks_->on_payment_failed(p.booking_id, batch, now_us);
  }
}

void PaymentService::absorb(Payment& p, const nlohmann::json& pi, Via via,
                            std::int64_t event_created_s, WriteBatch& batch, TimeUs now_us) {
  const std::string id = json_str(pi, "id");
  const std::string stripe_status = json_str(pi, "status");
  if (id.empty() || stripe_status.empty()) return;
  if (p.payment_intent.empty()) {
    p.payment_intent = id;
    batch.put(kPaymentsByPiTable, id, p.booking_id);
  } else if (p.payment_intent != id) {
    // A second PaymentIntent for one booking: only a create with a new key after a search
    // that missed the first could make one. Money on it is a double charge: say so loudly.
    if (stripe_status == "succeeded" || stripe_status == "processing") {
      alert(batch, now_us, "duplicate_payment", p.booking_id,
            fmt::format("booking {} has PaymentIntent {} besides {} ({})", p.booking_id, id,
                        p.payment_intent, stripe_status));
    }
    return;
  }
  const bool has_error =
      pi.is_object() && pi.contains("last_payment_error") && !pi["last_payment_error"].is_null();
  const PayStatus to = pay_status_from_stripe(stripe_status, has_error);
  const int rank_to = pay_status_rank(to);
  const int rank_from = pay_status_rank(p.status);
  if (rank_to > rank_from) {
    p.stripe_status = stripe_status;
    transition(p, to, batch, now_us);
  } else if (rank_to == rank_from) {
    // Same rank: a repeat, or another terminal wording that is current: a read's, or Stripe's
    // first word on a payment we abandoned believing no PaymentIntent existed (a create that
    // lingered on the wire reached Stripe after all).
    if (to == p.status || via == Via::kRead || p.status == PayStatus::kAbandoned) {
      if (to != p.status) p.status = to;
      p.stripe_status = stripe_status;
    }
  } else if (via == Via::kEvent && event_created_s >= p.last_event_s &&
             p.reconcile_job_id.empty()) {
    // Lower than what we know, yet not older than the last event applied: we cannot tell
    // which is current, so ask Stripe.
    ports_.log->write(now_us, LogLevel::kInfo, "payments.read_on_doubt",
                      {{"booking", p.booking_id}, {"event_status", stripe_status}});
    enqueue_retrieve(p, batch, now_us);
  } else {
    ports_.log->write(now_us, LogLevel::kDebug, "payments.stale_status_ignored",
                      {{"booking", p.booking_id},
                       {"have", std::string(pay_status_name(p.status))},
                       {"got", stripe_status}});
  }
  if (via == Via::kEvent) p.last_event_s = std::max(p.last_event_s, event_created_s);
}

// ---- job outcomes -------------------------------------------------------------------------

Classification PaymentService::classify(const Job& job, const HttpResult& result) {
  if (result.has_response()) {
    const int status = result.response.status;
    // A card decline is Stripe's answer about the payment, not a failure of the request.
    if (status == 402 && job.kind == kCreateKind) return {Outcome::kSuccess, false, "declined"};
    if (status == 409 && stripe_error_code(result.response) == "idempotency_key_in_use") {
      // The first request with this key is still running: ask again, the answer will come.
      return {Outcome::kRetryable, false, "idempotency_key_in_use"};
    }
    if (status == 400 && job.kind == kRefundKind &&
        stripe_error_code(result.response) == "charge_already_refunded") {
      return {Outcome::kSuccess, false, "already_refunded"};
    }
  }
  return resilience::classify(result);
}

void PaymentService::on_success(const Job& job, const HttpResponse& response, WriteBatch& batch,
                                TimeUs now_us) {
  Payment p;
  const nlohmann::json body = parse_json(response.body);
  std::string booking_id = booking_of_job(job);
  if (booking_id.empty() && job.kind == kRetrieveKind) booking_id = booking_of(body, "id");
  if (booking_id.empty() || !load(booking_id, &p).is_ok()) {
    ports_.log->write(now_us, LogLevel::kError, "payments.job_without_payment",
                      {{"job", job.id}, {"kind", job.kind}});
    return;
  }
  if (job.kind == kCreateKind) {
    if (job.id != p.create_job_id) {
      // An older create (its key replaced after a search) answered: adopt what it made.
      ports_.log->write(now_us, LogLevel::kWarn, "payments.stale_create_answered",
                        {{"booking", p.booking_id}, {"job", job.id}});
    }
    if (response.status == 402) {
      const nlohmann::json pi = body.is_object() && body.contains("error")
                                    ? body["error"].value("payment_intent", nlohmann::json())
                                    : nlohmann::json();
      if (pi.is_object()) {
        absorb(p, pi, Via::kApi, 0, batch, now_us);
      } else if (!is_terminal(p.status)) {
        p.stripe_status = "requires_payment_method";
        transition(p, PayStatus::kFailed, batch, now_us);
      }
    } else {
      absorb(p, body, Via::kApi, 0, batch, now_us);
    }
    if (job.id == p.create_job_id) p.create_dead = false;
  } else if (job.kind == kRefundKind) {
    on_refund_result(p, response, batch, now_us);
  } else if (job.kind == kRetrieveKind) {
    if (job.id == p.reconcile_job_id) p.reconcile_job_id.clear();
    absorb(p, body, Via::kRead, 0, batch, now_us);
  } else if (job.kind == kSearchKind) {
    if (job.id == p.reconcile_job_id) p.reconcile_job_id.clear();
    on_search_result(p, body, batch, now_us);
  }
  save(p, batch, now_us);
}

void PaymentService::on_refund_result(Payment& p, const HttpResponse& response, WriteBatch& batch,
                                      TimeUs now_us) {
  (void)batch;
  if (response.status == 400) {
    // charge_already_refunded: we refund the whole remainder, so everything captured is back.
    p.charge_refunded = std::max(p.charge_refunded, p.amount);
  } else {
    const nlohmann::json r = parse_json(response.body);
    const std::string id = json_str(r, "id");
    const std::string status = json_str(r, "status");
    if (!id.empty() && (status == "succeeded" || status == "pending")) {
      p.refunds[id] = json_int(r, "amount");
    }
  }
  p.refund = RefundState::kDone;
  ports_.log->write(now_us, LogLevel::kInfo, "payments.refunded",
                    {{"booking", p.booking_id}, {"payment_intent", p.payment_intent}});
}

void PaymentService::on_search_result(Payment& p, const nlohmann::json& body, WriteBatch& batch,
                                      TimeUs now_us) {
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) {
    // Not a search result (a garbled body): it proves nothing, least of all that no
    // PaymentIntent exists. The next reconciliation pass searches again.
    ports_.log->write(now_us, LogLevel::kWarn, "payments.search_unreadable",
                      {{"booking", p.booking_id}});
    return;
  }
  std::vector<nlohmann::json> found;
  {
    for (const nlohmann::json& pi : body["data"]) {
      if (pi.is_object() && pi.contains("metadata") &&
          json_str(pi["metadata"], "booking_id") == p.booking_id) {
        found.push_back(pi);
      }
    }
  }
  ports_.log->write(now_us, LogLevel::kInfo, "payments.search_result",
                    {{"booking", p.booking_id}, {"found", std::to_string(found.size())}});
  if (!found.empty()) {
    // Prefer the one we know, then one that took money, then the newest (Stripe lists newest
    // first).
    const nlohmann::json* pick = nullptr;
    int succeeded = 0;
    for (const nlohmann::json& pi : found) {
      if (json_str(pi, "status") == "succeeded") ++succeeded;
    }
    for (const nlohmann::json& pi : found) {
      if (!p.payment_intent.empty() && json_str(pi, "id") == p.payment_intent) pick = &pi;
    }
    for (const nlohmann::json& pi : found) {
      if (!pick && json_str(pi, "status") == "succeeded") pick = &pi;
    }
    if (!pick) pick = &found.front();
    if (succeeded > 1) {
      alert(batch, now_us, "duplicate_payment", p.booking_id,
            fmt::format("booking {} has {} succeeded PaymentIntents", p.booking_id, succeeded));
    }
    absorb(p, *pick, Via::kRead, 0, batch, now_us);
    p.create_dead = false;  // a PaymentIntent exists: never create another
    return;
  }
  if (!p.payment_intent.empty()) {
    // We know one the index does not show yet (search lags): read it directly.
    enqueue_retrieve(p, batch, now_us);
    return;
  }
  if (!p.create_dead) return;  // the create job is still trying; its answer will come
  if (!p.create_refused && hooks_->is_held(p.booking_id, now_us) &&
      p.creates < config_.creates_max) {
    ++p.creates;
    const bool key_aged =
        resilience::key_past_prune_age(p.key_created_at_us, now_us, config_.key_prune_age_us);
    enqueue_create(p, batch, now_us, /*reuse_key=*/!key_aged);
    return;
  }
  p.create_dead = false;
  p.stripe_status.clear();
  transition(p, PayStatus::kAbandoned, batch, now_us);
  if (p.create_refused || p.creates >= config_.creates_max) {
    alert(batch, now_us, "payment_abandoned", p.booking_id,
          fmt::format("booking {}: no PaymentIntent could be created ({} attempts)", p.booking_id,
                      p.creates));
  }
}

void PaymentService::on_failure(const Job& job, const resilience::DlqEntry& entry,
                                WriteBatch& batch, TimeUs now_us) {
  std::string booking_id = booking_of_job(job);
  if (job.kind == kRetrieveKind) {
    const std::string pi = job.target.substr(job.target.rfind('/') + 1);
    if (!ports_.store->get(kPaymentsByPiTable, pi, &booking_id).is_ok()) return;
  }
  Payment p;
  if (booking_id.empty() || !load(booking_id, &p).is_ok()) return;
  if (job.kind == kSearchKind || job.kind == kRetrieveKind) {
    if (p.reconcile_job_id != job.id) return;
    // The next reconciliation pass reads again; updated_at stays (it measures Stripe's news).
    p.reconcile_job_id.clear();
    save(p, batch, std::nullopt);
    return;
  }
  if (job.kind == kCreateKind) {
    if (job.id != p.create_job_id) return;
    // Whatever the reason, Stripe may hold a PaymentIntent made with this key (a timed-out
    // attempt, or a key pruned after 24 h): search before anything else is created.
    p.create_dead = true;
    p.create_refused = entry.reason == DeadReason::kPermanent;
    if (p.reconcile_job_id.empty()) {
      enqueue_search(p, batch, now_us, now_us + config_.search_settle_us);
    }
  } else if (job.kind == kRefundKind) {
    if (entry.reason == DeadReason::kPermanent) {
      p.refund = RefundState::kFailed;
      alert(batch, now_us, "refund_failed", p.booking_id,
            fmt::format("refund of {} for booking {} refused: {}", p.payment_intent, p.booking_id,
                        entry.detail));
    } else {
      p.refund = RefundState::kRetry;
    }
  }
  save(p, batch, now_us);
}

// ---- webhooks -----------------------------------------------------------------------------

std::string PaymentService::booking_of(const nlohmann::json& object, std::string_view pi_field) {
  if (object.is_object() && object.contains("metadata")) {
    std::string b = json_str(object["metadata"], "booking_id");
    if (!b.empty()) return b;
  }
  const std::string pi = json_str(object, pi_field);
  if (pi.empty()) return "";
  std::string booking;
  if (!ports_.store->get(kPaymentsByPiTable, pi, &booking).is_ok()) return "";
  return booking;
}

Status PaymentService::apply(const webhook::VerifiedEvent& event, WriteBatch& effects,
                             TimeUs now_us) {
  if (event.endpoint != webhook::Endpoint::kStripe) return Status::ok();
  const std::string& type = event.type;
  const bool ours = type.starts_with("payment_intent.") || type == "charge.refunded" ||
                    type.starts_with("refund.") || type.starts_with("charge.dispute.");
  if (!ours) return Status::ok();  // customer.*, product.*...: acknowledged, nothing to do
  const nlohmann::json& payload = event.payload;
  const auto data = payload.is_object() ? payload.find("data") : payload.end();
  if (data == payload.end() || !data->is_object()) {
    return Status::ok();  // authentic but not an event we understand: nothing to do
  }
  static const nlohmann::json kNone;
  const auto found = data->find("object");
  const nlohmann::json& object = found == data->end() ? kNone : *found;
  const std::int64_t created_s = json_int(payload, "created");
  if (type.starts_with("payment_intent.")) {
    return apply_payment_intent(object, created_s, effects, now_us);
  }
  if (type == "charge.refunded") return apply_charge_refunded(object, effects, now_us);
  if (type.starts_with("refund.")) return apply_refund(type, object, effects, now_us);
  return apply_dispute(type, object, effects, now_us);
}

Status PaymentService::apply_payment_intent(const nlohmann::json& object, std::int64_t created_s,
                                            WriteBatch& batch, TimeUs now_us) {
  const std::string booking_id = booking_of(object, "id");
  Payment p;
  if (booking_id.empty()) return Status::ok();  // not a booking's (an invoice's, say)
  if (Status s = load(booking_id, &p); !s.is_ok()) {
    return s.code() == Status::Code::kNotFound ? Status::ok() : s;
  }
  absorb(p, object, Via::kEvent, created_s, batch, now_us);
  save(p, batch, now_us);
  return Status::ok();
}

Status PaymentService::apply_charge_refunded(const nlohmann::json& charge, WriteBatch& batch,
                                             TimeUs now_us) {
  const std::string booking_id = booking_of(charge, "payment_intent");
  Payment p;
  if (booking_id.empty()) return Status::ok();
  if (Status s = load(booking_id, &p); !s.is_ok()) {
    return s.code() == Status::Code::kNotFound ? Status::ok() : s;
  }
  if (json_str(charge, "payment_intent") != p.payment_intent) return Status::ok();
  p.charge_refunded = std::max(p.charge_refunded, json_int(charge, "amount_refunded"));
  p.update_refunded();
  if (p.refunded >= p.amount && p.refund != RefundState::kFailed) p.refund = RefundState::kDone;
  save(p, batch, now_us);
  return Status::ok();
}

Status PaymentService::apply_refund(const std::string& type, const nlohmann::json& refund,
                                    WriteBatch& batch, TimeUs now_us) {
  const std::string booking_id = booking_of(refund, "payment_intent");
  Payment p;
  if (booking_id.empty()) return Status::ok();
  if (Status s = load(booking_id, &p); !s.is_ok()) {
    return s.code() == Status::Code::kNotFound ? Status::ok() : s;
  }
  if (json_str(refund, "payment_intent") != p.payment_intent) return Status::ok();
  const std::string id = json_str(refund, "id");
  const std::string status = json_str(refund, "status");
  if (status == "failed" || status == "canceled" || type == "refund.failed") {
    alert(batch, now_us, "refund_failed", p.booking_id,
          fmt::format("refund {} for booking {} is {}", id, p.booking_id, status));
    if (p.refund == RefundState::kDone || p.refund == RefundState::kQueued) {
      p.refund = RefundState::kRetry;
    }
  } else if (!id.empty()) {
    p.refunds[id] = json_int(refund, "amount");
    p.update_refunded();
    if (p.refunded >= p.amount) p.refund = RefundState::kDone;
  }
  save(p, batch, now_us);
  return Status::ok();
}

Status PaymentService::apply_dispute(const std::string& type, const nlohmann::json& dispute,
                                     WriteBatch& batch, TimeUs now_us) {
  const std::string booking_id = booking_of(dispute, "payment_intent");
  Payment p;
  if (booking_id.empty()) return Status::ok();
  if (Status s = load(booking_id, &p); !s.is_ok()) {
    return s.code() == Status::Code::kNotFound ? Status::ok() : s;
  }
  const std::string status = json_str(dispute, "status");
  // Dispute statuses move needs_response -> under_review -> won | lost; keep the furthest.
  auto rank = [](std::string_view s) {
    if (s == "won" || s == "lost") return 2;
    if (s == "under_review") return 1;
    if (s == "needs_response" || s == "warning_needs_response") return 0;
    return -1;
  };
  if (!p.disputed) {
    p.disputed = true;
    alert(batch, now_us, "dispute", p.booking_id,
          fmt::format("charge of booking {} ({}) disputed: {} ({})", p.booking_id, p.payment_intent,
                      json_str(dispute, "reason"), type));
  }
  if (rank(status) > rank(p.dispute_status)) p.dispute_status = status;
  save(p, batch, now_us);
  return Status::ok();
}

}  // namespace intsim::core::payments
