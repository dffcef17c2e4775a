// No double charge, whatever happens: a RapidCheck stateful test that drives the core's
// Integration against the Stripe model in-process, with the faults this layer must survive
// (DESIGN.md section 3): responses lost after Stripe did the work (ambiguous commits), requests
// refused, requests that linger on the wire and reach Stripe after the core gave up, crashes of the
// core with requests on the wire, webhooks reordered and redelivered, guests retrying with the same
// Idempotency-Key, cancellations, and outages longer than the 24 h Stripe keeps idempotency keys.
//
// After every command: per booking at most one succeeded PaymentIntent in Stripe's ledger,
// captured - refunded never above what the booking was priced at, and the core's payment status
// never lower in its lattice than before. At the end, with every fault
// healed and time run forward: every booking that paid is confirmed or fully refunded, a
// confirmed booking is paid exactly, and the core's payment state equals Stripe's.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/stripe/stripe_model.h"
#include "sim/rng.h"
#include "sim/simulation.h"
#include "src/core/webhook/signature.h"
#include "tests/property/in_process_core.h"

namespace intsim::tests {
namespace {

using core::HttpError;
using core::HttpRequest;
using core::HttpResponse;
using core::HttpResult;
using core::kUsPerHour;
using core::kUsPerMin;
using core::kUsPerSec;
using core::RequestId;
using core::TimerId;
using core::TimeUs;

constexpr std::string_view kWebhookSecret = "whsec_property";
constexpr TimeUs kStragglerMaxUs = 2 * kUsPerHour;
constexpr core::bookings::Night kMarchFirst = 20'513;  // 2026-03-01 in days since the epoch
const std::vector<std::string> kPaymentMethods = {
    "pm_card_visa",
    "pm_card_chargeDeclined",
    "pm_card_threeDSecure2Required",
    "pm_card_intsim_threeDSecureFails",
    "pm_card_intsim_processingSucceeds",
    "pm_card_intsim_processingFails",
};

struct BookingRequest {
  std::string body;
  std::string key;
  std::string booking_id;  // from the 201
};

// The world: the core (recreated on every crash, on one store), Stripe, and the wire between.
class World final : public InProcessCore {
 public:
  // impatient: Stripe jobs give up after 10 attempts (a few minutes), as the simulation
  // harness configures them, so creates die young and are made again; otherwise the
  // integration's default lets them retry until their key ages.
  World(std::uint64_t seed, bool impatient)
      : InProcessCore(seed, core::LogLevel::kError),
        stripe_(stripe_config(), sim::Rng(seed, "stripe")) {
    if (impatient) {
      core::resilience::PeerPolicy stripe;
      stripe.idempotency_header = "Idempotency-Key";
      stripe.key_prune_age_us = 24 * kUsPerHour;
      config_.dispatcher.peers["stripe"] = stripe;
    }
    config_.units = {{"u1", "std"}, {"u2", "std"}};
    config_.resolver = {core::bookings::WinnerRule::kChannelWins, /*relocate=*/true};
    config_.webhooks.stripe_secrets = {std::string(kWebhookSecret)};
    start_core();
  }

  // ---- ports the core calls ----
  void send(RequestId id, std::string_view peer, HttpRequest request, TimeUs deadline_us) override {
    RC_ASSERT(peer == "stripe");
    flights_.push_back({id, std::move(request), deadline_us});
  }

  // ---- commands ----
  void book(int unit, int first_offset, int nights, int method, bool with_key) {
    const nlohmann::json body = {
        {"guest", "g_" + std::to_string(requests_.size())},
        {"unit", unit == 0 ? "u1" : "u2"},
        {"first_night",
         "2026-03-" + std::string(first_offset < 9 ? "0" : "") + std::to_string(first_offset + 1)},
        {"nights", nights},
        {"currency", "USD"},
        {"payment_method", kPaymentMethods[method % kPaymentMethods.size()]}};
    BookingRequest r{body.dump(), with_key ? "key-" + std::to_string(requests_.size()) : "", ""};
    const HttpResponse response = post_booking(r);
    if (response.status == 201) {
      r.booking_id = nlohmann::json::parse(response.body)["booking_id"];
      due_[r.booking_id] = nlohmann::json::parse(response.body)["amount"].get<std::int64_t>();
    }
    requests_.push_back(std::move(r));
  }

  // A guest's retry of an earlier request with the same key: the same answer, nothing new.
  void retry_booking(std::size_t pick) {
    if (requests_.empty()) return;
    const BookingRequest& r = requests_[pick % requests_.size()];
    if (r.key.empty()) return;
    const std::size_t bookings_before = due_.size();
    const HttpResponse response = post_booking(r);
    if (response.status >= 500) return;  // the first answer was never recorded
    RC_ASSERT(due_.size() == bookings_before);
    if (!r.booking_id.empty()) {
      RC_ASSERT(response.status == 201);
      RC_ASSERT(nlohmann::json::parse(response.body)["booking_id"] == r.booking_id);
    }
  }

  // A channel's feed shows a stay that may collide with ours (iCal polling races); channels win.
  void channel_stay(int unit, int first_offset, int nights) {
    core::bookings::Stay s;
    s.id = "airbnb:" + std::to_string(++channel_stays_);
    s.unit = unit == 0 ? "u1" : "u2";
    s.first_night = kMarchFirst + first_offset;
    s.end_night = s.first_night + nights;
    s.source = core::bookings::Source::kAirbnb;
    s.state = core::bookings::StayState::kConfirmed;
    s.created_at_us = now();
    RC_ASSERT(core_->upsert_channel_stay(s, now()).is_ok());
  }

  void cancel(std::size_t pick) {
    if (due_.empty()) return;
    auto it = due_.begin();
    std::advance(it, static_cast<long>(pick % due_.size()));
    core_->handle({"POST", "/api/bookings/" + it->first + "/cancel", {}, ""}, now());
  }

  // kDelay: the request lingers on the wire (the core times out) and reaches Stripe later: when a
  // Straggler command says so, and at the latest kStragglerMaxUs after it was sent (no network
  // keeps a request for a day; one that did could outlive Stripe's 24 h key and nothing a client
  // does could stop the second charge).
  enum class Serve { kAnswer, kLoseAnswer, kRefuse, kDelay };
  // Stripe takes one request off the wire (the core's, in any order).
  void serve(std::size_t pick, Serve how) {
    if (flights_.empty()) return;
    const std::size_t i = pick % flights_.size();
    const Flight f = flights_[i];
    flights_.erase(flights_.begin() + static_cast<long>(i));
    if (outage_ || how == Serve::kRefuse) {
      core_->on_http_result(f.id, HttpResult::failed(HttpError::kConnectionFailed), now());
      return;
    }
    if (how == Serve::kDelay) {
      stragglers_.push_back({f.request, now() + kStragglerMaxUs});
      core_->on_http_result(f.id, HttpResult::failed(HttpError::kTimeout), now());
      return;
    }
    const models::stripe::ApiResult result = stripe_.call(f.request, now());
    take_events();
    core_->on_http_result(f.id,
                          how == Serve::kAnswer ? HttpResult::of(result.response)
                                                : HttpResult::failed(HttpError::kTimeout),
                          now());
  }

  // A request that lingered on the wire reaches Stripe; nobody hears the answer.
  void straggler_arrives(std::size_t pick) {
    if (outage_ || stragglers_.empty()) return;
    const std::size_t i = pick % stragglers_.size();
    stripe_.call(stragglers_[i].request, now());
    stragglers_.erase(stragglers_.begin() + static_cast<long>(i));
    take_events();
  }

  // Stripe delivers one pending event (any of them: order is not guaranteed).
  void deliver(std::size_t pick) {
    if (outage_ || pending_events_.empty()) return;
    const std::size_t i = pick % pending_events_.size();
    const models::stripe::Event e = pending_events_[i];
    if (post_event(e).status == 200) {
      pending_events_.erase(pending_events_.begin() + static_cast<long>(i));
      delivered_events_.push_back(e);
    }
  }

  // A delivered event comes again (same id).
  void redeliver(std::size_t pick) {
    if (outage_ || delivered_events_.empty()) return;
    const HttpResponse r = post_event(delivered_events_[pick % delivered_events_.size()]);
    RC_ASSERT(r.status == 200);
  }

  // The core's process dies; requests on the wire may or may not have reached Stripe.
  void crash(std::uint64_t reached_mask) {
    for (std::size_t i = 0; i < flights_.size(); ++i) {
      if (!outage_ && (reached_mask >> (i % 64)) & 1) stripe_.call(flights_[i].request, now());
    }
    take_events();
    flights_.clear();
    start_core();
  }

  void advance(TimeUs delta_us) { run_until(now() + delta_us); }

  // Stripe unreachable for longer than it keeps idempotency keys.
  void long_outage(TimeUs length_us) {
    outage_ = true;
    const TimeUs end_us = now() + length_us;
    while (now() < end_us) {
      run_until(std::min(end_us, now() + kUsPerHour));
      while (!flights_.empty()) serve(0, Serve::kRefuse);
    }
    outage_ = false;
  }

  // Faults healed: answer everything, deliver everything, run time forward until quiet.
  void converge() {
    outage_ = false;
    healed_ = true;  // from now on every request is answered and every event delivered at once
    int quiet_min = 0;
    for (int round = 0; round < 3 * 24 * 60; ++round) {
      heal_step();
      // Long enough for holds to lapse and every reconciler pass to run, then until quiet for
      // three reconcile intervals: a job that just died leaves the outbox empty until the next
      // pass makes its successor.
      quiet_min = pending_events_.empty() && core_->outbox_jobs() == 0 ? quiet_min + 1 : 0;
      if (quiet_min > 30 && round > 120) break;
      advance(kUsPerMin);
    }
  }

  // ---- oracles ----
  void check_safety() {
    // Status never regresses: each payment's rank in the lattice only grows.
    std::vector<core::payments::Payment> payments;
    RC_ASSERT(core_->payments(&payments).is_ok());
    for (const core::payments::Payment& p : payments) {
      int& seen = ranks_[p.booking_id];
      RC_ASSERT(core::payments::pay_status_rank(p.status) >= seen);
      seen = core::payments::pay_status_rank(p.status);
    }
    const auto& ledger = stripe_.ledger();
    for (const std::string& booking : ledger.booking_ids()) {
      if (ledger.succeeded_count(booking) > 1) dump("double charge of " + booking);
      RC_ASSERT(ledger.succeeded_count(booking) <= 1);
      const auto due = due_.find(booking);
      RC_ASSERT(due != due_.end());  // Stripe only knows bookings the core priced
      RC_ASSERT(ledger.captured_minus_refunded(booking, "usd") <= due->second);
    }
  }

  void check_converged() const {
    const auto& ledger = stripe_.ledger();
    RC_ASSERT(flights_.empty());
    // PAYMENTS_DEBUG=1 dumps the core's store and timers when work is left over (for a human
    // reading a shrunk counterexample).
    if (core_->outbox_jobs() != 0u && std::getenv("PAYMENTS_DEBUG")) {
      for (const auto& [t, rows] : store_.tables()) {
        for (const auto& [k, v] : rows)
          std::fprintf(stderr, "%s %s %s\n", t.c_str(), k.c_str(), v.c_str());
      }
      for (const auto& [id, at] : timers_)
        std::fprintf(stderr, "timer %lx at %ld now %ld\n", id, at, now());
    }
    RC_ASSERT(core_->outbox_jobs() == 0u);
    // No night of ours is double-held once conflicts are resolved.
    for (const core::bookings::Conflict& conflict : core_->ledger().conflicts()) {
      for (const std::string& id : conflict.stay_ids) RC_ASSERT(!due_.count(id));
    }
    for (const auto& [booking, due] : due_) {
      const std::int64_t net = ledger.captured_minus_refunded(booking, "usd");
      const core::bookings::Stay* stay = core_->ledger().find(booking);
      RC_ASSERT(stay != nullptr);
      const bool confirmed = stay->state == core::bookings::StayState::kConfirmed;
      // Paid means confirmed, or refunded in full; confirmed means paid exactly.
      RC_ASSERT(net == 0 || confirmed);
      if (confirmed) RC_ASSERT(net == due);
      core::payments::Payment p;
      RC_ASSERT(core_->payment(booking, &p).is_ok());
      const models::stripe::PaymentRecord* record = nullptr;
      for (const auto& [id, r] : ledger.payments()) {
        if (r.booking_id == booking && (p.payment_intent.empty() || id == p.payment_intent)) {
          record = &r;
        }
      }
      if (p.payment_intent.empty()) {
        RC_ASSERT(record == nullptr);  // Stripe has none the core does not know
        if (!core::payments::is_terminal(p.status)) dump("unsettled payment of " + booking);
        RC_ASSERT(core::payments::is_terminal(p.status));
        continue;
      }
      RC_ASSERT(record != nullptr);
      RC_ASSERT(p.stripe_status == record->status);
      RC_ASSERT(p.refunded == record->refunded);
    }
  }

  std::size_t bookings() const { return due_.size(); }

  // PAYMENTS_DEBUG=1: what a human needs to read a shrunk counterexample.
  void dump(const std::string& why) const {
    if (!std::getenv("PAYMENTS_DEBUG")) return;
    std::fprintf(stderr, "---- %s at %lld\n", why.c_str(), static_cast<long long>(now()));
    for (const auto& [id, r] : stripe_.ledger().payments()) {
      std::fprintf(stderr, "stripe %s booking=%s key=%s status=%s created=%lld\n", id.c_str(),
                   r.booking_id.c_str(), r.idempotency_key.c_str(), r.status.c_str(),
                   static_cast<long long>(r.created_us));
    }
    for (const auto& [t, rows] : store_.tables()) {
      if (t != "payments" && t != "outbox" && t != "dlq") continue;
      for (const auto& [k, v] : rows)
        std::fprintf(stderr, "%s %s %s\n", t.c_str(), k.c_str(), v.c_str());
    }
  }
  std::size_t dead_letters(core::resilience::DeadReason reason) const {
    std::vector<core::resilience::DlqEntry> dlq;
    RC_ASSERT(core_->dlq_entries(&dlq).is_ok());
    return static_cast<std::size_t>(
        std::count_if(dlq.begin(), dlq.end(), [&](const auto& e) { return e.reason == reason; }));
  }

 private:
  struct Flight {
    RequestId id;
    HttpRequest request;
    TimeUs deadline_us;
  };

  static models::stripe::StripeConfig stripe_config() {
    models::stripe::StripeConfig c;
    c.dispute.probability = 0;  // a disputed charge cannot be refunded: another test's subject
    return c;
  }

  HttpResponse post_booking(const BookingRequest& r) {
    HttpRequest request{"POST", "/api/bookings", {}, r.body};
    if (!r.key.empty()) request.headers.push_back({"Idempotency-Key", r.key});
    return core_->handle(request, now());
  }

  HttpResponse post_event(const models::stripe::Event& e) {
    const std::string body = e.body();
    HttpRequest request{
        "POST",
        "/webhooks/stripe",
        {{"Stripe-Signature",
          core::webhook::stripe_signature_header(kWebhookSecret, core::unix_seconds(now()), body)}},
        body};
    return core_->handle(request, now());
  }

  void take_events() {
    for (models::stripe::Event& e : stripe_.take_events()) pending_events_.push_back(std::move(e));
  }

  // Fires everything due up to until_us in time order: the core's timers, Stripe's own
  // (3-D Secure, settlement), and request deadlines (a request nobody served times out unsent).
  void run_until(TimeUs until_us) {
    for (int i = 0; i < 100'000; ++i) {
      // Healed, what the last round's timers sent is answered now, before its deadline passes.
      heal_step();
      TimeUs next = next_timer_us(until_us + 1);
      for (const Flight& f : flights_) next = std::min(next, f.deadline_us);
      for (const Straggler& s : stragglers_) next = std::min(next, s.arrives_by_us);
      next = std::min(next, stripe_.next_wakeup_us());
      if (next > until_us) break;
      clock_.now = std::max(clock_.now, next);
      stripe_.advance(now());
      take_events();
      for (std::size_t j = 0; j < flights_.size();) {
        if (flights_[j].deadline_us <= now()) {
          const RequestId id = flights_[j].id;
          flights_.erase(flights_.begin() + static_cast<long>(j));
          core_->on_http_result(id, HttpResult::failed(HttpError::kTimeout), now());
        } else {
          ++j;
        }
      }
      for (std::size_t j = 0; j < stragglers_.size();) {
        if (stragglers_[j].arrives_by_us <= now()) {
          if (!outage_)
            straggler_arrives(j);  // during an outage the network loses it
          else
            stragglers_.erase(stragglers_.begin() + static_cast<long>(j));
        } else {
          ++j;
        }
      }
      heal_step();
      // Timers re-armed for now wait for the next round, after the wire has had its turn.
      std::vector<TimerId> due;
      for (const auto& [id, at] : timers_) {
        if (at <= now()) due.push_back(id);
      }
      for (std::size_t i = 0; i < due.size() && fire_next_timer(now()); ++i) {
      }
    }
    clock_.now = std::max(clock_.now, until_us);
    stripe_.advance(now());
    take_events();
    heal_step();
  }

  void heal_step() {
    if (!healed_) return;
    while (!stragglers_.empty()) straggler_arrives(0);
    for (int i = 0; i < 1'000 && (!flights_.empty() || !pending_events_.empty()); ++i) {
      while (!flights_.empty()) serve(0, Serve::kAnswer);
      while (!pending_events_.empty()) deliver(0);
    }
  }

  models::stripe::StripeModel stripe_;
  std::vector<Flight> flights_;
  struct Straggler {
    HttpRequest request;
    TimeUs arrives_by_us;
  };
  std::vector<Straggler> stragglers_;
  std::vector<models::stripe::Event> pending_events_;
  std::vector<models::stripe::Event> delivered_events_;
  std::vector<BookingRequest> requests_;
  std::map<std::string, std::int64_t> due_;  // booking id -> amount it was priced at
  bool outage_ = false;
  bool healed_ = false;
  int channel_stays_ = 0;
  std::map<std::string, int> ranks_;  // booking id -> highest status rank seen
};

// The model: how many commands of each kind ran (the money model is the priced amounts the
// world records from the core's 201 answers; Stripe's ledger is the truth it is checked against).
struct Model {
  int commands = 0;
};
using Command = rc::state::Command<Model, World>;

struct Book final : Command {
  int unit = *rc::gen::inRange(0, 2);
  int first_offset = *rc::gen::inRange(0, 6);
  int nights = *rc::gen::inRange(1, 4);
  int method = *rc::gen::inRange(0, static_cast<int>(kPaymentMethods.size()));
  bool with_key = *rc::gen::arbitrary<bool>();
  void run(const Model&, World& w) const override {
    w.book(unit, first_offset, nights, method, with_key);
    w.check_safety();
  }
  void show(std::ostream& os) const override {
    os << "Book(u" << unit + 1 << ", +" << first_offset << ", " << nights << " nights, "
       << kPaymentMethods[method] << (with_key ? ", key" : "") << ")";
  }
};

struct RetryBooking final : Command {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 64);
  void run(const Model&, World& w) const override {
    w.retry_booking(pick);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "RetryBooking(" << pick << ")"; }
};

struct ServeRequest final : Command {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 64);
  World::Serve how =
      *rc::gen::element(World::Serve::kAnswer, World::Serve::kAnswer, World::Serve::kLoseAnswer,
                        World::Serve::kRefuse, World::Serve::kDelay);
  void run(const Model&, World& w) const override {
    w.serve(pick, how);
    w.check_safety();
  }
  void show(std::ostream& os) const override {
    os << "Serve(" << pick << ", "
       << (how == World::Serve::kAnswer       ? "answer"
           : how == World::Serve::kLoseAnswer ? "lose answer"
           : how == World::Serve::kRefuse     ? "refuse"
                                              : "delay")
       << ")";
  }
};

struct Straggler final : Command {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 64);
  void run(const Model&, World& w) const override {
    w.straggler_arrives(pick);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "Straggler(" << pick << ")"; }
};

struct DeliverEvent final : Command {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 64);
  void run(const Model&, World& w) const override {
    w.deliver(pick);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "Deliver(" << pick << ")"; }
};

struct RedeliverEvent final : Command {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 64);
  void run(const Model&, World& w) const override {
    w.redeliver(pick);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "Redeliver(" << pick << ")"; }
};

struct Advance final : Command {
  TimeUs delta_us =
      *rc::gen::element(TimeUs{kUsPerSec}, TimeUs{20 * kUsPerSec}, TimeUs{5 * kUsPerMin},
                        TimeUs{20 * kUsPerMin}, TimeUs{2 * kUsPerHour});
  void run(const Model&, World& w) const override {
    w.advance(delta_us);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "Advance(" << delta_us / kUsPerSec << " s)"; }
};

struct Crash final : Command {
  std::uint64_t reached_mask = *rc::gen::arbitrary<std::uint64_t>();
  void run(const Model&, World& w) const override {
    w.crash(reached_mask);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "Crash(" << std::hex << reached_mask << ")"; }
};

struct ChannelStay final : Command {
  int unit = *rc::gen::inRange(0, 2);
  int first_offset = *rc::gen::inRange(0, 6);
  int nights = *rc::gen::inRange(1, 3);
  void run(const Model&, World& w) const override {
    w.channel_stay(unit, first_offset, nights);
    w.check_safety();
  }
  void show(std::ostream& os) const override {
    os << "ChannelStay(u" << unit + 1 << ", +" << first_offset << ", " << nights << " nights)";
  }
};

struct Cancel final : Command {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 64);
  void run(const Model&, World& w) const override {
    w.cancel(pick);
    w.check_safety();
  }
  void show(std::ostream& os) const override { os << "Cancel(" << pick << ")"; }
};

struct LongOutage final : Command {
  TimeUs length_us = *rc::gen::inRange<TimeUs>(25, 31) * kUsPerHour;
  void run(const Model&, World& w) const override {
    w.long_outage(length_us);
    w.check_safety();
  }
  void show(std::ostream& os) const override {
    os << "LongOutage(" << length_us / kUsPerHour << " h)";
  }
};

void run_property(bool with_long_outages) {
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  World world(seed, /*impatient=*/!with_long_outages);
  if (with_long_outages) {
    rc::state::check(
        Model{}, world,
        rc::state::gen::execOneOfWithArgs<Book, Book, RetryBooking, ServeRequest, ServeRequest,
                                          ServeRequest, DeliverEvent, DeliverEvent, RedeliverEvent,
                                          Advance, Crash, Cancel, ChannelStay, Straggler,
                                          LongOutage>());
  } else {
    rc::state::check(
        Model{}, world,
        rc::state::gen::execOneOfWithArgs<Book, Book, RetryBooking, ServeRequest, ServeRequest,
                                          ServeRequest, DeliverEvent, DeliverEvent, RedeliverEvent,
                                          Advance, Crash, Cancel, ChannelStay, Straggler>());
  }
  world.converge();
  world.check_safety();
  world.check_converged();
  RC_CLASSIFY(world.dead_letters(core::resilience::DeadReason::kKeyPastPruneAge) > 0,
              "a create reconciled after its key aged");
  RC_CLASSIFY(world.dead_letters(core::resilience::DeadReason::kAttemptsExhausted) > 0,
              "a job gave up young");
  RC_TAG(world.bookings() > 0 ? "booked" : "no booking");
}

RC_GTEST_PROP(PaymentsProperty, NoDoubleChargeAndConvergenceUnderFaults, ()) {
  run_property(/*with_long_outages=*/false);
}

RC_GTEST_PROP(PaymentsProperty, NoDoubleChargeAcrossOutagesLongerThanKeyRetention, ()) {
  run_property(/*with_long_outages=*/true);
}

}  // namespace
}  // namespace intsim::tests
