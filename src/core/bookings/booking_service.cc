#include "src/core/bookings/booking_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/api/json_api.h"
#include "src/core/assert.h"
#include "src/core/ical/date.h"
#include "src/core/payments/currency.h"

namespace intsim::core::bookings {
namespace {

using api::error_response;
using api::json_response;

// "YYYY-MM-DD" naming a real date.
bool parse_iso_date(std::string_view text, Night* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  std::string compact = std::string(text.substr(0, 4)) + std::string(text.substr(5, 2)) +
                        std::string(text.substr(8, 2));
  return ical::parse_yyyymmdd(compact, out);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

Status load_ledger(Store& store, const std::vector<Unit>& units, Ledger* out) {
  std::vector<Stay> stays;
  Status bad;
  const Status s = store.scan(kStaysTable, "", [&](std::string_view key, std::string_view value) {
    Stay stay;
    if (Status d = decode_stay(value, &stay); !d.is_ok()) {
      bad = Status::internal("stay " + std::string(key) + ": " + d.message());
      return false;
    }
    stays.push_back(std::move(stay));
    return true;
  });
  if (!s.is_ok()) return s;
  if (!bad.is_ok()) return bad;
  Ledger ledger(units);
  auto rank = [](const Stay& st) {
    if (st.source != Source::kDirect) return 2;
    return is_active(st.state) ? 1 : 0;
  };
  std::stable_sort(stays.begin(), stays.end(),
                   [&](const Stay& a, const Stay& b) { return rank(a) < rank(b); });
  for (const Stay& st : stays) {
    if (st.source != Source::kDirect) {
      ledger.upsert_channel_stay(st);
      if (st.state == StayState::kCancelled) ledger.cancel(st.id);
      continue;
    }
    Stay held = st;
    held.state = StayState::kHeld;
    if (Status p = ledger.place_hold(held); !p.is_ok()) {
      return Status::internal("stay " + st.id + " cannot be restored: " + p.message());
    }
    switch (st.state) {
      case StayState::kHeld:
        break;
      case StayState::kConfirmed:
        // At the hold's own expiry the hold is still valid, so this confirms in place and the
        // stay keeps every field it was stored with.
        INTSIM_ASSERT(ledger.confirm(st.id, st.hold_expires_at_us) == ConfirmOutcome::kConfirmed);
        break;
      case StayState::kCancelled:
        ledger.cancel(st.id);
        break;
      case StayState::kReleased:
        ledger.release(st.id);
        break;
    }
  }
  *out = std::move(ledger);
  return Status::ok();
}

BookingService::BookingService(BookingServiceConfig config, Ports ports,
                               resilience::Dispatcher* dispatcher)
    : config_(std::move(config)), ports_(ports), dispatcher_(dispatcher), ledger_(config_.units) {
  INTSIM_ASSERT(ports_.random && ports_.timers && ports_.store && ports_.log && ports_.alerts);
  INTSIM_ASSERT(dispatcher_ != nullptr);
}

Status BookingService::recover(TimeUs now_us) {
  INTSIM_ASSERT(payments_ != nullptr);
  armed_at_us_.reset();
  unsettled_.clear();
  alerted_conflicts_.clear();
  if (Status s = load_ledger(*ports_.store, config_.units, &ledger_); !s.is_ok()) return s;
  on_hold_timer(now_us);
  return Status::ok();
}

void BookingService::reload(TimeUs now_us) {
  unsettled_.clear();
  const Status s = load_ledger(*ports_.store, config_.units, &ledger_);
  ports_.log->write(now_us, s.is_ok() ? LogLevel::kWarn : LogLevel::kError, "bookings.reloaded",
                    {{"status", s.to_string()}});
  forget_ended_conflicts();
  rearm();
}

void BookingService::forget_ended_conflicts() {
  if (alerted_conflicts_.empty()) return;
  std::set<std::string> present;
  for (const Conflict& c : ledger_.conflicts()) present.insert(conflict_key(c));
  std::erase_if(alerted_conflicts_, [&](const std::string& key) { return !present.count(key); });
}

void BookingService::put_stay(std::string_view id, WriteBatch& batch) {
  const Stay* stay = ledger_.find(id);
  INTSIM_ASSERT(stay != nullptr);
  batch.put(kStaysTable, id, encode_stay(*stay));
}

Status BookingService::commit(const WriteBatch& batch, TimeUs now_us) {
  if (Status s = ports_.store->commit(batch); !s.is_ok()) {
    reload(now_us);
    return s;
  }
  dispatcher_->on_committed(batch, now_us);
  // Every change to a channel stay (upsert, cancel, relocation) commits here: a conflict that
  // ended is forgotten before it can come back.
  forget_ended_conflicts();
  rearm();
  return Status::ok();
}

void BookingService::settle(TimeUs now_us) {
  bool stale = false;
  for (const std::string& id : unsettled_) {
    std::string row;
    const Stay* stay = ledger_.find(id);
    if (!ports_.store->get(kStaysTable, id, &row).is_ok() || !stay || row != encode_stay(*stay)) {
      stale = true;
      break;
    }
  }
  unsettled_.clear();
  if (stale) {
    reload(now_us);
  } else {
    rearm();
  }
}

void BookingService::rearm() {
  const std::optional<TimeUs> want = ledger_.next_hold_expiry_us();
  if (want == armed_at_us_) return;
  if (want) {
    ports_.timers->arm(config_.hold_timer_id, *want);
  } else {
    ports_.timers->disarm(config_.hold_timer_id);
  }
  armed_at_us_ = want;
}

void BookingService::on_hold_timer(TimeUs now_us) {
  armed_at_us_.reset();
  const std::vector<std::string> released = ledger_.expire_holds(now_us);
  if (!released.empty()) {
    WriteBatch batch;
    for (const std::string& id : released) {
      put_stay(id, batch);
      ports_.log->write(now_us, LogLevel::kInfo, "bookings.hold_expired", {{"booking", id}});
    }
    if (!commit(batch, now_us).is_ok()) return;  // reloaded; the timer is armed again
  }
  rearm();
}

// ---- channel stays and conflicts ---------------------------------------------------------

Status BookingService::upsert_channel_stay(const Stay& stay, TimeUs now_us) {
  if (stay.source == Source::kDirect || stay.end_night <= stay.first_night ||
      !ledger_.unit(stay.unit)) {
    return Status::invalid_argument("not a channel stay on a known unit: " + stay.id);
  }
  ledger_.upsert_channel_stay(stay);
  WriteBatch batch;
  put_stay(stay.id, batch);
  if (Status s = commit(batch, now_us); !s.is_ok()) return s;
  return resolve_conflicts(now_us);
}

Status BookingService::resolve_conflicts(TimeUs now_us, std::vector<Resolution>* out) {
  const std::vector<Resolution> resolutions =
      bookings::resolve_conflicts(ledger_, config_.resolver);
  if (out) *out = resolutions;
  if (resolutions.empty()) return Status::ok();
  WriteBatch batch;
  std::vector<const Resolution*> unresolved;
  for (const Resolution& r : resolutions) {
    ports_.log->write(now_us, LogLevel::kWarn, "bookings.conflict",
                      {{"stay", r.stay_id},
                       {"resolution", std::string(resolution_kind_name(r.kind))},
                       {"from", r.from_unit},
                       {"to", r.to_unit},
                       {"night", std::to_string(r.night)}});
    switch (r.kind) {
      case ResolutionKind::kRelocated:
        put_stay(r.stay_id, batch);
        break;
      case ResolutionKind::kCancelled:
        put_stay(r.stay_id, batch);
        if (r.source == Source::kDirect) {
          // The money goes back; a stay with no payment row (none started) needs nothing.
          const Status s = payments_->refund_booking(r.stay_id, batch, now_us);
          if (!s.is_ok() && s.code() != Status::Code::kNotFound) {
            reload(now_us);
            return s;
          }
        }
        break;
      case ResolutionKind::kUnresolved:
        unresolved.push_back(&r);
        break;
    }
  }
  if (Status s = commit(batch, now_us); !s.is_ok()) return s;
  // Raised after the commit, and only then: an alert for a resolution that did not land would
  // be raised again on the retry. An unresolved conflict stays in the ledger as it was.
  std::map<std::pair<std::string, Night>, Conflict> conflict_at;
  if (!unresolved.empty()) {
    for (Conflict& c : ledger_.conflicts()) conflict_at[{c.unit, c.night}] = std::move(c);
  }
  for (const Resolution* r : unresolved) {
    const auto c = conflict_at.find({r->from_unit, r->night});
    // A later round of the same pass may have moved one of its stays away (relocated for a
    // conflict on another night): then the night is no longer double-held.
    if (c == conflict_at.end()) continue;
    if (!alerted_conflicts_.insert(conflict_key(c->second)).second) continue;  // alerted already
    ports_.alerts->raise({now_us, "unresolved_conflict", r->stay_id,
                          fmt::format("{} on {} night {} is double-held ({}) and can be neither "
                                      "moved nor cancelled",
                                      r->stay_id, r->from_unit, ical::format_iso_date(r->night),
                                      fmt::join(c->second.stay_ids, ", "))});
  }
  return Status::ok();
}

// ---- payment hooks ------------------------------------------------------------------------

ConfirmOutcome BookingService::on_paid(std::string_view booking_id, WriteBatch& batch,
                                       TimeUs now_us) {
  const Stay* before = ledger_.find(booking_id);
  const StayState state_before = before ? before->state : StayState::kCancelled;
  const ConfirmOutcome outcome = ledger_.confirm(booking_id, now_us);
  const Stay* after = ledger_.find(booking_id);
  if (after && after->state != state_before) {
    put_stay(booking_id, batch);
    unsettled_.insert(std::string(booking_id));
  }
  return outcome;
}

void BookingService::on_payment_failed(std::string_view booking_id, WriteBatch& batch,
                                       TimeUs now_us) {
  if (ledger_.release(booking_id)) {
    put_stay(booking_id, batch);
    unsettled_.insert(std::string(booking_id));
    ports_.log->write(now_us, LogLevel::kInfo, "bookings.released",
                      {{"booking", std::string(booking_id)}});
  }
}

bool BookingService::is_held(std::string_view booking_id, TimeUs now_us) const {
  const Stay* stay = ledger_.find(booking_id);
  return stay && stay->state == StayState::kHeld && now_us < stay->hold_expires_at_us;
}

// ---- the API ------------------------------------------------------------------------------

HttpResponse BookingService::handle(const HttpRequest& request, TimeUs now_us) {
  INTSIM_ASSERT(payments_ != nullptr);
  std::string_view path = request.target;
  if (const std::size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  constexpr std::string_view kPrefix = "/api/bookings";
  if (path == kPrefix) {
    if (request.method != "POST") return error_response(405, "method_not_allowed", "use POST");
    return create(request, now_us);
  }
  if (!path.starts_with(kPrefix) || path.size() <= kPrefix.size() + 1 ||
      path[kPrefix.size()] != '/') {
    return error_response(404, "not_found", "no such resource");
  }
  std::string_view rest = path.substr(kPrefix.size() + 1);
  if (rest.ends_with("/cancel")) {
    if (request.method != "POST") return error_response(405, "method_not_allowed", "use POST");
    return cancel_request(rest.substr(0, rest.size() - 7), now_us);
  }
  if (rest.find('/') != std::string_view::npos) {
    return error_response(404, "not_found", "no such resource");
  }
  if (request.method != "GET") return error_response(405, "method_not_allowed", "use GET");
  return get(rest);
}

nlohmann::json BookingService::view(const Stay& stay) {
  nlohmann::json out = {
      {"booking_id", stay.id},   {"status", state_name(stay.state)},
      {"unit", stay.unit},       {"first_night", ical::format_iso_date(stay.first_night)},
      {"nights", stay.nights()}, {"guest", stay.guest}};
  if (stay.state == StayState::kHeld) {
    out["hold_expires_at"] = unix_seconds(stay.hold_expires_at_us);
  }
  payments::Payment p;
  if (payments_->find(stay.id, &p).is_ok()) {
    out["amount"] = p.amount;
    out["currency"] = upper(p.currency);
    out["payment"] = {{"status", payments::pay_status_name(p.status)},
                      {"payment_intent", p.payment_intent},
                      {"refunded", p.refunded},
                      {"disputed", p.disputed}};
  }
  return out;
}

HttpResponse BookingService::get(std::string_view booking_id) {
  const Stay* stay = ledger_.find(booking_id);
  if (!stay || stay->source != Source::kDirect) {
    return error_response(404, "booking_not_found", "no booking " + std::string(booking_id));
  }
  return json_response(200, view(*stay));
}

Status BookingService::cancel(std::string_view booking_id, TimeUs now_us, bool* cancelled) {
  if (cancelled) *cancelled = false;
  const Stay* stay = ledger_.find(booking_id);
  if (!stay) return Status::not_found("no booking " + std::string(booking_id));
  if (!is_active(stay->state)) return Status::ok();
  // A stay leaving an unresolved conflict of three or more leaves a smaller one behind, which
  // no alert names yet. (The commit forgets the conflicts that ended: ask before it.)
  const bool may_leave_conflict = !alerted_conflicts_.empty();
  INTSIM_ASSERT(ledger_.cancel(booking_id));
  WriteBatch batch;
  put_stay(booking_id, batch);
  if (stay->source == Source::kDirect) {
    const Status r = payments_->refund_booking(booking_id, batch, now_us);
    if (!r.is_ok() && r.code() != Status::Code::kNotFound) {
      reload(now_us);
      return r;
    }
  }
  if (Status s = commit(batch, now_us); !s.is_ok()) return s;
  ports_.log->write(now_us, LogLevel::kInfo, "bookings.cancelled",
                    {{"booking", std::string(booking_id)}});
  if (cancelled) *cancelled = true;
  if (may_leave_conflict) return resolve_conflicts(now_us);
  return Status::ok();
}

HttpResponse BookingService::cancel_request(std::string_view booking_id, TimeUs now_us) {
  const Stay* stay = ledger_.find(booking_id);
  if (!stay || stay->source != Source::kDirect) {
    return error_response(404, "booking_not_found", "no booking " + std::string(booking_id));
  }
  if (Status s = cancel(booking_id, now_us); !s.is_ok()) {
    return error_response(503, "unavailable", s.message());
  }
  return json_response(200, view(*ledger_.find(booking_id)));
}

HttpResponse BookingService::create(const HttpRequest& request, TimeUs now_us) {
  if (auto replayed = api::replay_or_refuse(*ports_.store, kBookingRequestsTable, request)) {
    return *replayed;
  }
  // Validation: every answer below is final for this request, so it is stored under the key.
  auto answer = [&](HttpResponse response, WriteBatch batch) {
    api::remember_answer(kBookingRequestsTable, request, response, batch);
    if (batch.empty()) return response;
    if (Status s = commit(batch, now_us); !s.is_ok()) {
      return error_response(503, "unavailable", "could not record the booking: " + s.message());
    }
    return response;
  };
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) {
    return answer(error_response(400, "invalid_json", "the body must be a JSON object"), {});
  }
  auto text = [&](const char* field) -> std::optional<std::string> {
    const auto it = body.find(field);
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) return {};
    return it->get<std::string>();
  };
  const auto guest = text("guest");
  const auto unit = text("unit");
  const auto first_night_text = text("first_night");
  const auto currency = text("currency");
  const auto payment_method = text("payment_method");
  const auto nights_it = body.find("nights");
  if (!guest) return answer(error_response(400, "parameter_missing", "guest", "guest"), {});
  if (!unit || !ledger_.unit(*unit)) {
    return answer(error_response(400, "unknown_unit", "no such unit", "unit"), {});
  }
  Night first = 0;
  if (!first_night_text || !parse_iso_date(*first_night_text, &first)) {
    return answer(error_response(400, "invalid_date", "YYYY-MM-DD", "first_night"), {});
  }
  if (nights_it == body.end() || !nights_it->is_number_integer() ||
      nights_it->get<std::int64_t>() < 1 || nights_it->get<std::int64_t>() > config_.nights_max) {
    return answer(
        error_response(400, "invalid_nights",
                       fmt::format("an integer in [1, {}]", config_.nights_max), "nights"),
        {});
  }
  const auto nights = static_cast<Night>(nights_it->get<std::int64_t>());
  const auto rate = currency ? config_.nightly_rate_minor.find(upper(*currency))
                             : config_.nightly_rate_minor.end();
  if (rate == config_.nightly_rate_minor.end()) {
    return answer(
        error_response(400, "unsupported_currency", "no rate in that currency", "currency"), {});
  }
  if (!payment_method || !payment_method->starts_with("pm_")) {
    return answer(error_response(400, "invalid_payment_method", "a pm_... id", "payment_method"),
                  {});
  }
  const std::int64_t amount = rate->second * nights;
  const std::string stripe_currency = lower(*currency);
  if (Status s = payments::validate_charge_amount(amount, stripe_currency); !s.is_ok()) {
    return answer(error_response(400, "invalid_amount", s.message(), "nights"), {});
  }

  Stay stay;
  stay.id = fmt::format("bk_{:016x}", ports_.random->next_u64());
  stay.unit = *unit;
  stay.first_night = first;
  stay.end_night = first + nights;
  stay.source = Source::kDirect;
  stay.state = StayState::kHeld;
  stay.created_at_us = now_us;
  stay.hold_expires_at_us = now_us + config_.hold_ttl_us;
  stay.guest = *guest;
  if (Status s = ledger_.place_hold(stay); !s.is_ok()) {
    if (s.code() == Status::Code::kConflict) {
      return answer(error_response(409, "unit_unavailable", s.message(), "unit"), {});
    }
    return answer(error_response(400, "invalid_booking", s.message()), {});
  }
  WriteBatch batch;
  put_stay(stay.id, batch);
  const Status c =
      payments_->checkout({stay.id, amount, stripe_currency, *payment_method}, batch, now_us);
  if (!c.is_ok()) {
    reload(now_us);  // forget the hold that will not be committed
    return error_response(500, "internal", c.message());
  }
  ports_.log->write(now_us, LogLevel::kInfo, "bookings.held",
                    {{"booking", stay.id},
                     {"unit", stay.unit},
                     {"first_night", std::to_string(first)},
                     {"nights", std::to_string(nights)}});
  const nlohmann::json created = {{"booking_id", stay.id},
                                  {"status", "held"},
                                  {"amount", amount},
                                  {"currency", upper(*currency)},
                                  {"hold_expires_at", unix_seconds(stay.hold_expires_at_us)}};
  return answer(json_response(201, created), std::move(batch));
}

}  // namespace intsim::core::bookings
