#include "src/harness/oracles.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "src/core/bookings/ledger.h"
#include "src/core/notifications/notification.h"
#include "src/core/notifications/notification_service.h"
#include "src/core/payments/subscription.h"
#include "src/core/resilience/job.h"
#include "src/core/sync/availability_export.h"
#include "src/core/webhook/intake.h"

namespace intsim::harness {

namespace bk = core::bookings;

Oracles::Oracles(World& world, const Scenario& scenario) : world_(world), scenario_(scenario) {
  kind_ = world_.sim().register_kind("harness.check", this);
}

void Oracles::start() { world_.sim().after(kCheckIntervalUs, kind_, 0, 0); }

void Oracles::on_event(const sim::Event&) {
  check_safety();
  world_.sim().after(kCheckIntervalUs, kind_, 0, 0);
}

bool Oracles::safety_violated() const {
  for (const Violation& v : violations_) {
    if (is_safety(v.oracle)) return true;
  }
  return false;
}

Witness Oracles::witness(std::string actor, std::string text, core::TimeUs at_us) const {
  sim::Simulation& sim = world_.sim();
  const core::TimeUs t = at_us >= 0 ? at_us : sim.now_us();
  return {sim.trace().count(), t - world_.start_us(), std::move(actor), std::move(text)};
}

void Oracles::violate(Oracle oracle, const std::string& key, std::string message,
                      std::vector<Witness> witnesses) {
  if (!scenario_.oracle_enabled(oracle)) return;
  if (!reported_.insert(fmt::format("{}/{}", oracle_name(oracle), key)).second) return;
  violations_.push_back({oracle, std::move(message), std::move(witnesses)});
}

void Oracles::check_safety() {
  check_double_charge();
  check_overbooking();
  check_authentic();
  check_status_monotonic();
  check_channel_conflicts();
  check_message_statuses();
  check_memberships();
}

// Two active stays on one unit-night (a channel sold what we had sold meanwhile) must be
// resolved within kConflictBoundUs, or be alerted as unresolvable.
void Oracles::check_channel_conflicts() {
  if (world_.channels().empty()) return;
  const core::app::Integration* app = world_.core().app();
  if (!app) return;
  const bk::Ledger& ledger = app->ledger();
  const core::TimeUs now = world_.sim().now_us();
  std::map<std::string, core::TimeUs> seen;
  for (const bk::Conflict& c : ledger.conflicts()) {
    const std::string key = fmt::format("{}/{}", c.unit, c.night);
    const auto before = conflict_seen_us_.find(key);
    const core::TimeUs since = before == conflict_seen_us_.end() ? now : before->second;
    seen[key] = since;
    if (now - since <= kConflictBoundUs) continue;
    bool alerted = false;
    for (const std::string& id : c.stay_ids) {
      alerted = alerted || world_.core().alerts().count("unresolved_conflict", id) > 0;
    }
    if (alerted) continue;
    std::vector<Witness> ws;
    for (const std::string& id : c.stay_ids) {
      const bk::Stay* s = ledger.find(id);
      ws.push_back(witness(
          "core", fmt::format("{} ({}) on {} nights [{}, {})", id, bk::source_name(s->source),
                              s->unit, s->first_night, s->end_night)));
    }
    violate(Oracle::kNoOverbooking, "conflict/" + key,
            fmt::format("unit {} night {} has been held by {} stays for {} s: neither resolved "
                        "nor alerted",
                        c.unit, c.night, c.stay_ids.size(), (now - since) / core::kUsPerSec),
            std::move(ws));
  }
  conflict_seen_us_ = std::move(seen);
}

bool Oracles::channels_converged() {
  const core::app::Integration* app = world_.core().app();
  const bk::Ledger& ledger = app->ledger();
  for (const bk::Conflict& c : ledger.conflicts()) {
    bool alerted = false;
    for (const std::string& id : c.stay_ids) {
      alerted = alerted || world_.core().alerts().count("unresolved_conflict", id) > 0;
    }
    if (!alerted) {
      why_not_ = fmt::format("unit {} night {} is held by {} active stays", c.unit, c.night,
                             c.stay_ids.size());
      return false;
    }
  }
  for (const auto& node : world_.channels()) {
    const models::ota::ChannelModel& m = node->model();
    bk::Source source = bk::Source::kDirect;
    bk::parse_source(m.name(), &source);
    // Every UID the channel ever exported, to its stay (UIDs churn).
    std::map<std::string, const models::ota::SoldStay*> by_uid;
    for (const models::ota::SoldStay& s : m.stays()) {
      for (const std::string& uid : s.uids) by_uid[uid] = &s;
    }
    using Key = std::tuple<std::string, bk::Night, bk::Night>;
    std::vector<Key> truth, core_view;
    for (const models::ota::SoldStay& s : m.stays()) {
      if (s.cancelled_at_us < 0) truth.emplace_back(s.unit, s.first_night, s.end_night);
    }
    for (const auto& [id, stay] : ledger.stays()) {
      if (stay.source != source || !bk::is_active(stay.state)) continue;
      const auto it = by_uid.find(stay.external_uid);
      if (it == by_uid.end()) {
        why_not_ = fmt::format("the core's {} stay {} has a UID {} never exported", m.name(), id,
                               stay.external_uid);
        return false;
      }
      // The listing's unit, not the one we may have relocated the guest to.
      core_view.emplace_back(it->second->unit, stay.first_night, stay.end_night);
    }
    std::sort(truth.begin(), truth.end());
    std::sort(core_view.begin(), core_view.end());
    if (truth != core_view) {
      why_not_ = fmt::format("the core holds {} active {} stays, the channel sold {} still active",
                             core_view.size(), m.name(), truth.size());
      return false;
    }
    for (const auto& [unit, imp] : m.imports()) {
      const std::vector<bk::Night> ours = core::sync::unavailable_nights(ledger, unit);
      if (!std::equal(ours.begin(), ours.end(), imp.blocked.begin(), imp.blocked.end())) {
        why_not_ = fmt::format("{} has not imported the current export of {}", m.name(), unit);
        return false;
      }
    }
  }
  return true;
}

// At most one succeeded PaymentIntent per booking, and never more money kept than one
// booking's worth (the Stripe model's ledger is the truth).
void Oracles::check_double_charge() {
  const auto& ledger = world_.stripe().model().ledger();
  struct Booking {
    std::vector<const models::stripe::PaymentRecord*> records;
    std::int64_t kept = 0;  // captured minus refunded, in the booking's currency
    std::int64_t due = 0;
    int succeeded = 0;
  };
  std::map<std::string_view, Booking> by_booking;
  for (const auto& [id, rec] : ledger.payments()) {
    if (rec.booking_id.empty()) continue;
    Booking& b = by_booking[rec.booking_id];
    b.records.push_back(&rec);
    b.kept += rec.captured - rec.refunded;
    b.due = std::max(b.due, rec.amount);
    if (rec.succeeded_us >= 0) ++b.succeeded;
  }
  for (const auto& [booking, b] : by_booking) {
    // The witnesses are written only for a booking that fails (every check sees every booking).
    if (b.succeeded <= 1 && b.kept <= b.due) continue;
    std::vector<Witness> ws;
    std::int64_t due = 0;
    for (const auto* rec : b.records) {
      due = std::max(due, rec->amount);
      if (rec->succeeded_us >= 0) {
        ws.push_back(
            witness("stripe",
                    fmt::format("{} succeeded: {} {} (idempotency key {})", rec->payment_intent_id,
                                rec->amount, rec->currency,
                                rec->idempotency_key.empty() ? "none" : rec->idempotency_key),
                    rec->succeeded_us));
      }
    }
    if (const std::size_t succeeded = ws.size(); succeeded > 1) {
      violate(Oracle::kNoDoubleCharge, std::string(booking),
              fmt::format("booking {} has {} succeeded PaymentIntents", booking, succeeded),
              std::move(ws));
      continue;
    }
    if (b.kept > due) {
      violate(Oracle::kNoDoubleCharge, std::string(booking),
              fmt::format("booking {}: captured minus refunded is {} {}, more than the {} due",
                          booking, b.kept, b.records.front()->currency, due),
              std::move(ws));
    }
  }
}

// Direct bookings are confirmed only on free nights, so two direct stays never share a night.
void Oracles::check_overbooking() {
  const core::app::Integration* app = world_.core().app();
  if (!app) return;
  const bk::Ledger& ledger = app->ledger();
  for (const bk::Conflict& c : ledger.conflicts()) {
    std::vector<const bk::Stay*> direct;
    for (const std::string& id : c.stay_ids) {
      const bk::Stay* s = ledger.find(id);
      if (s && s->source == bk::Source::kDirect) direct.push_back(s);
    }
    if (direct.size() < 2) continue;
    std::vector<Witness> ws;
    for (const bk::Stay* s : direct) {
      ws.push_back(witness(
          "core", fmt::format("{} {} on {} nights [{}, {}) for {}", s->id, bk::state_name(s->state),
                              s->unit, s->first_night, s->end_night, s->guest)));
    }
    violate(
        Oracle::kNoOverbooking, fmt::format("{}/{}", c.unit, c.night),
        fmt::format("unit {} night {} is held by {} direct stays", c.unit, c.night, direct.size()),
        std::move(ws));
  }
}

// The core acted only on authentic webhooks: no attack was answered 2xx (the attacker's ledger
// knows what was authentic), and every webhook it recorded as processed was an event Stripe
// really created.
void Oracles::check_authentic() {
  // Only attacks other than in-window replays can be accepted unauthentic; while none was made
  // the attacker's ledger, which holds every delivery, need not be walked.
  const models::WebhookLedger& deliveries = world_.attacker().ledger();
  bool attacked = false;
  for (std::size_t origin = 0; origin < models::kOriginCount; ++origin) {
    const auto o = static_cast<models::Origin>(origin);
    if (o == models::Origin::kAuthentic || o == models::Origin::kReplayInside) continue;
    attacked = attacked || deliveries.count(o) > 0;
  }
  const std::vector<const models::LedgerEntry*> accepted =
      attacked ? deliveries.accepted_unauthentic() : std::vector<const models::LedgerEntry*>{};
  for (const models::LedgerEntry* e : accepted) {
    violate(Oracle::kAuthenticAtMostOnce, fmt::format("delivery/{}", e->delivery_id),
            fmt::format("the core answered {} to a {} webhook ({} {}, derived from delivery {})",
                        e->status, models::origin_name(e->origin), e->method, e->target,
                        e->of_delivery),
            {witness("attacker",
                     fmt::format("delivery {}: {} of delivery {}", e->delivery_id,
                                 models::origin_name(e->origin), e->of_delivery),
                     e->at_us)});
  }
  const auto& events = world_.stripe().model().events();
  for (; stripe_events_seen_ < events.size(); ++stripe_events_seen_) {
    stripe_event_ids_.insert(events[stripe_events_seen_].id);
  }
  const auto& tables = world_.core().store().committed().tables();
  const auto inbox = tables.find(core::webhook::kInboxTable);
  if (inbox == tables.end()) return;
  constexpr std::string_view kPrefix = "stripe/";
  for (auto it = inbox->second.lower_bound(kPrefix);
       it != inbox->second.end() && it->first.compare(0, kPrefix.size(), kPrefix) == 0; ++it) {
    if (!inbox_checked_.insert(it->first).second) continue;
    const std::string_view id = std::string_view(it->first).substr(kPrefix.size());
    if (stripe_event_ids_.count(id)) continue;
    violate(Oracle::kAuthenticAtMostOnce, std::string(id),
            fmt::format("the core processed Stripe event {} that Stripe never created", id),
            {witness("core", fmt::format("inbox row {}", it->first))});
  }
}

// A stay never moves backwards: confirmed never becomes held or released again, cancelled is
// final. (released -> confirmed is allowed: a late payment re-acquires free nights.)
void Oracles::check_status_monotonic() {
  const core::app::Integration* app = world_.core().app();
  if (!app) return;
  auto rank = [](bk::StayState s) {
    switch (s) {
      case bk::StayState::kHeld:
        return 0;
      case bk::StayState::kReleased:
        return 1;
      case bk::StayState::kConfirmed:
        return 2;
      case bk::StayState::kCancelled:
        return 3;
    }
    return 0;
  };
  for (const auto& [id, stay] : app->ledger().stays()) {
    const int now_rank = rank(stay.state);
    // try_emplace: no node is made (and freed) for the stays already seen, i.e. nearly all.
    auto [it, inserted] = stay_state_rank_.try_emplace(id, now_rank);
    if (inserted) continue;
    const int before = it->second;
    const bool regressed = now_rank < before && !(before == 1 && now_rank == 2);
    if (regressed || (before == 3 && now_rank != 3)) {
      violate(Oracle::kStatusMonotonic, id,
              fmt::format("stay {} went back to {}", id, bk::state_name(stay.state)),
              {witness("core", fmt::format("stay {} is {} after a later state", id,
                                           bk::state_name(stay.state)))});
    }
    it->second = now_rank;
  }
}

bool Oracles::converged() {
  CoreNode& core = world_.core();
  const core::app::Integration* app = core.app();
  if (!app) {
    why_not_ = "the core is down";
    return false;
  }
  if (const std::size_t jobs = core.store().committed().size(core::resilience::kOutboxTable)) {
    why_not_ = fmt::format("the core's outbox still holds {} jobs", jobs);
    return false;
  }
  for (const auto& [id, stay] : app->ledger().stays()) {
    if (stay.state == bk::StayState::kHeld) {
      why_not_ = fmt::format("stay {} is still held", id);
      return false;
    }
  }
  if (!world_.stripe().idle()) {
    why_not_ = "Stripe still has webhooks to deliver or responses in flight";
    return false;
  }
  if (std::string busy = world_.guests().busy_reason(); !busy.empty()) {
    why_not_ = "guests: " + busy;
    return false;
  }
  if (!channels_converged()) return false;
  if (!whatsapp_converged()) return false;
  if (!memberships_converged()) return false;
  // Money and bookings agree: a succeeded payment belongs to a confirmed stay and is kept, or
  // to a stay that is not confirmed and is refunded in full.
  const auto& ledger = world_.stripe().model().ledger();
  std::map<std::string_view, std::int64_t> kept_by_booking;
  for (const auto& [pi, rec] : ledger.payments()) {
    if (!rec.booking_id.empty()) kept_by_booking[rec.booking_id] += rec.captured - rec.refunded;
  }
  for (const auto& [pi, rec] : ledger.payments()) {
    if (rec.booking_id.empty() || rec.succeeded_us < 0) continue;
    const bk::Stay* stay = app->ledger().find(rec.booking_id);
    const bool confirmed = stay && stay->state == bk::StayState::kConfirmed;
    const std::int64_t kept = kept_by_booking[rec.booking_id];
    if (confirmed && kept != rec.amount) {
      why_not_ = fmt::format("booking {} is confirmed but Stripe keeps {} of {} {}", rec.booking_id,
                             kept, rec.amount, rec.currency);
      return false;
    }
    if (!confirmed && kept != 0) {
      why_not_ = fmt::format("booking {} is {} but Stripe still keeps {} {}", rec.booking_id,
                             stay ? bk::state_name(stay->state) : "unknown to the core", kept,
                             rec.currency);
      return false;
    }
  }
  why_not_.clear();
  return true;
}

void Oracles::check_final(bool converged) {
  check_safety();
  // Nothing lost: every booking a guest was told about exists in the core, and every job that
  // failed for good is in the DLQ with exactly one alert.
  const core::app::Integration* app = world_.core().app();
  if (app) {
    for (const auto& a : world_.guests().attempts()) {
      if (a.state != models::guests::BookingAttempt::State::kCreated) continue;
      if (!app->ledger().find(a.booking_id)) {
        violate(Oracle::kNothingLost, a.booking_id,
                fmt::format("guest {} was given booking {} which the core does not know", a.guest,
                            a.booking_id),
                {witness("guests", fmt::format("attempt {} answered 201 {}", a.idempotency_key,
                                               a.booking_id))});
      }
    }
  }
  const auto& tables = world_.core().store().committed().tables();
  if (const auto dlq = tables.find(core::resilience::kDlqTable); dlq != tables.end()) {
    for (const auto& [id, row] : dlq->second) {
      if (world_.core().alerts().count("dlq", id) != 1) {
        violate(Oracle::kNothingLost, "dlq/" + id,
                fmt::format("DLQ entry {} raised {} alerts instead of exactly one", id,
                            world_.core().alerts().count("dlq", id)),
                {witness("core", fmt::format("dlq row {}", id))});
      }
    }
  }
  if (converged) check_whatsapp_final();
  if (converged) check_memberships_final();
  if (!converged) {
    violate(Oracle::kConvergence, "liveness",
            fmt::format("no convergence within {} s after healing: {}",
                        scenario_.liveness_bound_us / core::kUsPerSec, why_not_),
            {witness("harness", why_not_)});
  }
}

// ---- WhatsApp notifications ------------------------------------------------------------------

namespace {

namespace nt = core::notifications;

// The highest status WhatsApp reached for each callback (over every copy sent), as the core
// names statuses.
std::map<std::string, nt::MessageStatus> model_statuses(const models::whatsapp::WhatsAppModel& m) {
  std::map<std::string, nt::MessageStatus> out;
  for (const auto& [wamid, status] : m.statuses()) {
    const auto cb = m.callbacks().find(wamid);
    nt::MessageStatus st;
    if (cb == m.callbacks().end() || cb->second.empty() || !nt::parse_message_status(status, &st)) {
      continue;
    }
    nt::MessageStatus& best = out[cb->second];
    best = nt::merge_status(best, st);
  }
  return out;
}

}  // namespace

const std::map<std::string, Oracles::DecodedNotification>& Oracles::core_notifications() {
  const auto& tables = world_.core().store().committed().tables();
  const auto table = tables.find(nt::kNotificationsTable);
  if (table == tables.end()) {
    notifications_.clear();
    return notifications_;
  }
  // Both maps are in id order: one walk finds the rows that are new, changed or gone.
  auto cached = notifications_.begin();
  for (const auto& [id, row] : table->second) {
    while (cached != notifications_.end() && cached->first < id) {
      cached = notifications_.erase(cached);
    }
    if (cached != notifications_.end() && cached->first == id) {
      if (cached->second.row != row) {
        nt::Notification n;
        if (nt::decode_notification(row, &n).is_ok()) {
          cached->second = {row, std::move(n)};
        } else {
          cached = notifications_.erase(cached);
          continue;
        }
      }
      ++cached;
      continue;
    }
    nt::Notification n;
    if (nt::decode_notification(row, &n).is_ok()) {
      notifications_.emplace_hint(cached, id, DecodedNotification{row, std::move(n)});
    }
  }
  notifications_.erase(cached, notifications_.end());
  return notifications_;
}

void Oracles::check_message_statuses() {
  if (!world_.whatsapp()) return;
  for (const auto& [id, decoded] : core_notifications()) {
    const nt::Notification& n = decoded.notification;
    const int now_rank = nt::message_status_rank(n.status);
    auto [it, inserted] = message_status_rank_.emplace(id, now_rank);
    if (!inserted && now_rank < it->second) {
      violate(Oracle::kStatusMonotonic, "message/" + id,
              fmt::format("notification {} went back to {}", id, nt::message_status_name(n.status)),
              {witness("core", fmt::format("notification {} is {} after a higher status", id,
                                           nt::message_status_name(n.status)))});
    }
    it->second = std::max(it->second, now_rank);
  }
}

bool Oracles::whatsapp_converged() {
  models::drivers::WhatsAppNode* wa = world_.whatsapp();
  if (!wa) return true;
  if (!wa->handshake_verified()) {
    why_not_ = fmt::format("WhatsApp's GET handshake has not been answered yet ({} attempts)",
                           wa->handshake_attempts());
    return false;
  }
  if (!wa->idle()) {
    why_not_ = "WhatsApp still has statuses or webhooks to deliver";
    return false;
  }
  const auto truth = model_statuses(wa->model());
  for (const auto& [id, decoded] : core_notifications()) {
    const nt::Notification& n = decoded.notification;
    if (n.state == nt::NotificationState::kQueued ||
        n.state == nt::NotificationState::kUnconfirmed) {
      why_not_ =
          fmt::format("notification {} is still {}", id, nt::notification_state_name(n.state));
      return false;
    }
    const auto t = truth.find(id);
    if (t != truth.end() && t->second != n.status) {
      why_not_ = fmt::format("notification {}: WhatsApp says {}, the core {}", id,
                             nt::message_status_name(t->second), nt::message_status_name(n.status));
      return false;
    }
  }
  return true;
}

void Oracles::check_whatsapp_final() {
  models::drivers::WhatsAppNode* wa = world_.whatsapp();
  const core::app::Integration* app = world_.core().app();
  if (!wa || !app) return;
  const auto& model = wa->model();
  // Every confirmed booking's guest received its confirmation, or the failure is in the DLQ
  // with its alert.
  std::map<std::string, std::string> dlq_by_callback;  // callback -> DLQ entry id
  const auto& tables = world_.core().store().committed().tables();
  if (const auto dlq = tables.find(core::resilience::kDlqTable); dlq != tables.end()) {
    for (const auto& [entry_id, row] : dlq->second) {
      core::resilience::DlqEntry e;
      if (!core::resilience::dlq_entry_from_json(row, &e).is_ok() || e.job.kind != nt::kSendKind) {
        continue;
      }
      const nlohmann::json body = nlohmann::json::parse(e.job.body, nullptr, false);
      if (body.is_object()) {
        dlq_by_callback[body.value("biz_opaque_callback_data", std::string())] = entry_id;
      }
    }
  }
  for (const auto& [id, stay] : app->ledger().stays()) {
    if (stay.source != bk::Source::kDirect || stay.state != bk::StayState::kConfirmed) continue;
    const std::string cb = nt::notification_id(nt::NotificationKind::kBookingConfirmed, id);
    const std::string to = nt::guest_wa_id(stay.guest);
    bool received = false;
    if (const auto r = model.received().find(to); r != model.received().end()) {
      for (const auto& m : r->second) received = received || m.callback == cb;
    }
    if (received) continue;
    const auto d = dlq_by_callback.find(cb);
    if (d != dlq_by_callback.end() && world_.core().alerts().count("dlq", d->second) == 1) continue;
    violate(Oracle::kNothingLost, "confirmation/" + id,
            fmt::format("booking {} is confirmed but guest {} ({}) never received a confirmation "
                        "and nothing is in the DLQ",
                        id, stay.guest, to),
            {witness("whatsapp", fmt::format("no message with callback {} to {}", cb, to))});
  }
  // Duplicates only after ambiguity: each ambiguous outcome the core saw from WhatsApp (timeout,
  // 5xx, garbled answer) may cost one extra copy, and so may each send in flight at a crash.
  std::int64_t ambiguous = 0;
  for (const auto& [key, value] : world_.core().metrics().counters()) {
    const auto& [name, peer, outcome] = key;
    if (name == "intsim_outbound_requests_total" && peer == "whatsapp" &&
        (outcome == "timeout" || outcome == "malformed_response" || outcome == "status_5xx" ||
         outcome == "status_invalid")) {
      ambiguous += value;
    }
  }
  constexpr std::int64_t kInFlightMax = 64;  // DispatcherConfig::in_flight_max
  const std::int64_t allowed =
      ambiguous + static_cast<std::int64_t>(world_.core().crashes()) * kInFlightMax;
  if (const auto dups = static_cast<std::int64_t>(model.duplicates()); dups > allowed) {
    violate(Oracle::kAuthenticAtMostOnce, "whatsapp/duplicates",
            fmt::format("guests received {} duplicate messages, more than the {} ambiguous sends "
                        "and crashes can explain",
                        dups, allowed),
            {witness("whatsapp", fmt::format("{} duplicates", dups))});
  }
  // After 130429/131056 the same notification is not sent again inside the core's backoff floor
  // (its pair interval) or WhatsApp's pair interval, whichever is shorter; by the same
  // incarnation of the core, since a crash forgets an answer it never received.
  const core::TimeUs floor_us =
      std::min(model.config().pair_interval_us, world_.notifications().pair_interval_us);
  const auto& attempts = model.attempts();
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const auto& a = attempts[i];
    if ((a.error_code != 130429 && a.error_code != 131056) || a.callback.empty()) continue;
    for (std::size_t j = i + 1; j < attempts.size(); ++j) {
      const auto& b = attempts[j];
      if (b.callback != a.callback || b.client_tag != a.client_tag) continue;
      if (b.at_us - a.at_us < floor_us) {
        violate(Oracle::kAuthenticAtMostOnce, "whatsapp/backoff/" + a.callback,
                fmt::format("{} was sent again {} ms after WhatsApp answered {}", a.callback,
                            (b.at_us - a.at_us) / core::kUsPerMs, a.error_code),
                {witness("whatsapp", fmt::format("{} refused with {}", a.callback, a.error_code),
                         a.at_us),
                 witness("whatsapp", fmt::format("{} sent again", b.callback), b.at_us)});
      }
      break;
    }
  }
}

// ---- Memberships (Stripe subscriptions) ------------------------------------------------------

namespace {

namespace pay = core::payments;

std::string membership_of(const models::stripe::Metadata& metadata) {
  const auto it = metadata.find("membership_id");
  return it == metadata.end() ? "" : it->second;
}

}  // namespace

void Oracles::check_memberships() {
  if (!world_.members()) return;
  const models::stripe::StripeModel& stripe = world_.stripe().model();
  // No double subscription. Subscriptions are created with increasing ids and never removed:
  // only those made since the last check are new.
  const auto& subs = stripe.subscriptions();
  for (auto it = subs.upper_bound(subscriptions_seen_); it != subs.end(); ++it) {
    subscriptions_seen_ = it->first;
    const std::string membership = membership_of(it->second.metadata);
    if (membership.empty()) continue;
    const auto [first, inserted] = subscription_of_.emplace(membership, it->first);
    if (inserted) continue;
    violate(Oracle::kNoDoubleCharge, "subscription/" + membership,
            fmt::format("membership {} has two Stripe subscriptions: {} and {}", membership,
                        first->second, it->first),
            {witness("stripe", fmt::format("{} created for {}", first->second, membership),
                     subs.at(first->second).created_us),
             witness("stripe", fmt::format("{} created for {}", it->first, membership),
                     it->second.created_us)});
  }
  // No invoice charged twice: no invoice's PaymentIntent took more than the invoice, and no
  // billing period of a membership was paid twice (two subscriptions billing one member). Only
  // invoices new since the last check or still open then can have changed.
  const auto& invoices = stripe.invoices();
  std::vector<std::string> look;
  for (auto it = invoices.upper_bound(invoices_seen_); it != invoices.end(); ++it) {
    invoices_seen_ = it->first;
    invoices_open_.insert(it->first);
  }
  for (auto it = invoices_open_.begin(); it != invoices_open_.end();) {
    const models::stripe::Invoice& inv = invoices.at(*it);
    if (inv.status == "draft" || inv.status == "open") {
      ++it;
      continue;
    }
    if (inv.status == "paid") look.push_back(*it);
    it = invoices_open_.erase(it);
  }
  for (const std::string& id : look) {
    const models::stripe::Invoice& inv = invoices.at(id);
    const models::stripe::PaymentRecord* rec = stripe.ledger().find(inv.payment_intent);
    if (rec && rec->captured > inv.amount_due) {
      violate(
          Oracle::kNoDoubleCharge, "invoice/" + id,
          fmt::format("invoice {} of {} {} captured {}", id, inv.amount_due, inv.currency,
                      rec->captured),
          {witness("stripe", fmt::format("{} captured {}", inv.payment_intent, rec->captured))});
    }
    const std::string membership = membership_of(inv.subscription_metadata);
    if (membership.empty()) continue;
    std::vector<std::string>& paid = paid_invoices_[membership];
    for (const std::string& other_id : paid) {
      const models::stripe::Invoice& other = invoices.at(other_id);
      if (other.period_end_us <= inv.period_start_us ||
          inv.period_end_us <= other.period_start_us) {
        continue;
      }
      violate(
          Oracle::kNoDoubleCharge, "period/" + membership,
          fmt::format("membership {} paid twice for one period: invoices {} and {}", membership,
                      other_id, id),
          {witness("stripe",
                   fmt::format("{} paid for {} ({})", other_id, membership, other.subscription),
                   other.created_us),
           witness("stripe", fmt::format("{} paid for {} ({})", id, membership, inv.subscription),
                   inv.created_us)});
    }
    paid.push_back(id);
  }
}

bool Oracles::memberships_converged() {
  models::guests::MemberModel* members = world_.members();
  if (!members) return true;
  check_memberships();  // learns the subscriptions Stripe made since the last check
  if (std::string busy = members->busy_reason(); !busy.empty()) {
    why_not_ = "members: " + busy;
    return false;
  }
  const core::app::Integration* app = world_.core().app();
  std::vector<pay::Membership> all;
  if (!app->memberships(&all).is_ok()) {
    why_not_ = "the core's memberships are unreadable";
    return false;
  }
  const models::stripe::StripeModel& stripe = world_.stripe().model();
  for (const pay::Membership& m : all) {
    if (m.status == pay::MemberStatus::kCreating) {
      why_not_ = fmt::format("membership {} is still creating", m.id);
      return false;
    }
    if (m.status == pay::MemberStatus::kFailed) {
      const auto it = subscription_of_.find(m.id);
      if (it != subscription_of_.end()) {
        why_not_ =
            fmt::format("membership {} failed but Stripe has subscription {}", m.id, it->second);
        return false;
      }
      continue;
    }
    const models::stripe::Subscription* sub = stripe.subscription(m.subscription);
    if (!sub) {
      why_not_ = fmt::format("membership {} names subscription '{}' Stripe does not have", m.id,
                             m.subscription);
      return false;
    }
    if (sub->status != pay::member_status_name(m.status)) {
      why_not_ = fmt::format("membership {}: Stripe says {}, the core {}", m.id, sub->status,
                             pay::member_status_name(m.status));
      return false;
    }
    if (m.cancel_requested && !pay::is_final(m.status)) {
      why_not_ =
          fmt::format("membership {}: the member's cancel is not done ({})", m.id, sub->status);
      return false;
    }
  }
  return true;
}

void Oracles::check_memberships_final() {
  models::guests::MemberModel* members = world_.members();
  const core::app::Integration* app = world_.core().app();
  if (!members || !app) return;
  std::vector<pay::Membership> all;
  if (!app->memberships(&all).is_ok()) return;
  std::map<std::string, const pay::Membership*> by_id;
  for (const pay::Membership& m : all) by_id[m.id] = &m;
  for (const models::guests::MembershipAttempt& a : members->attempts()) {
    if (a.state != models::guests::MembershipAttempt::State::kCreated) continue;
    if (by_id.count(a.membership_id)) continue;
    violate(Oracle::kNothingLost, "membership/" + a.membership_id,
            fmt::format("member {} was given membership {} which the core does not know", a.guest,
                        a.membership_id),
            {witness("members", fmt::format("attempt {} answered 201 {}", a.idempotency_key,
                                            a.membership_id))});
  }
  // Every failed invoice was paid later or its member was told (dunning): with WhatsApp on, told
  // means a notification the core committed, not only the invoice marked as dunned.
  const bool whatsapp = world_.notifications().enabled;
  const std::map<std::string, DecodedNotification> no_notices;
  const std::map<std::string, DecodedNotification>& notices =
      whatsapp ? core_notifications() : no_notices;
  for (const auto& [id, inv] : world_.stripe().model().invoices()) {
    if (inv.first_failure_us < 0 || inv.status == "paid") continue;
    const std::string membership = membership_of(inv.subscription_metadata);
    const auto m = by_id.find(membership);
    const bool told = m != by_id.end() && m->second->dunned.count(id) &&
                      (!whatsapp || notices.count(nt::notification_id(
                                        nt::NotificationKind::kMembershipPaymentFailed, id)));
    if (membership.empty() || told) continue;
    violate(Oracle::kNothingLost, "dunning/" + id,
            fmt::format("invoice {} of membership {} failed ({} attempts) and its member was never "
                        "told",
                        id, membership, inv.attempt_count),
            {witness("stripe", fmt::format("{} failed first", id), inv.first_failure_us)});
  }
}

}  // namespace intsim::harness
