// The oracles of DESIGN.md section 5, checked against ground truth the core cannot influence
// (the Stripe model's ledger, the guests' own records, the network's delivery ledger) and the
// core's durable state.
//
// Safety oracles run every check_interval_us of virtual time during the whole run and once at
// the end; each distinct problem is reported once, with the events that prove it. Liveness is
// the `converged()` predicate the run loop polls after healing.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/simulation.h"
#include "src/core/notifications/notification.h"
#include "src/harness/outcome.h"
#include "src/harness/world.h"

namespace intsim::harness {

class Oracles final : public sim::Handler {
 public:
  // Safety violations persist once they happen (money kept, a night double-held), so checking
  // every five virtual minutes loses nothing but detection latency; the final check runs too.
  static constexpr core::TimeUs kCheckIntervalUs = 5 * core::kUsPerMin;
  // How long a cross-channel conflict may stay in the core's ledger before it must be resolved
  // or alerted (resolution runs with the upsert that reveals it, or at recovery).
  static constexpr core::TimeUs kConflictBoundUs = 15 * core::kUsPerMin;

  Oracles(World& world, const Scenario& scenario);

  // Schedules the periodic safety checks.
  void start();
  void on_event(const sim::Event& event) override;

  void check_safety();
  // Everyone agrees and every queue drained. When false, why_not() says what is still open.
  bool converged();
  const std::string& why_not() const { return why_not_; }
  // The end of the run: safety once more, and what must hold once everything settled.
  void check_final(bool converged);

  const std::vector<Violation>& violations() const { return violations_; }
  bool safety_violated() const;

 private:
  void violate(Oracle oracle, const std::string& key, std::string message,
               std::vector<Witness> witnesses);
  Witness witness(std::string actor, std::string text, core::TimeUs at_us = -1) const;
  void check_double_charge();
  void check_overbooking();
  void check_authentic();
  void check_status_monotonic();
  // WhatsApp (when the scenario has it): message statuses never regress (safety); at the end,
  // every confirmed booking's guest got a confirmation or it is in the DLQ with an alert,
  // duplicates only after ambiguous sends, no resend inside the backoff after 130429/131056;
  // and for convergence, WhatsApp idle and its statuses agreed with.
  void check_message_statuses();
  void check_whatsapp_final();
  bool whatsapp_converged();
  // Channels: a double-held unit-night in the core's ledger is resolved within
  // kConflictBoundUs, or alerted as unresolved.
  void check_channel_conflicts();
  // Channels, once converged: the core's channel stays equal every channel's truth, every
  // channel's import of our export is current, no unit-night is held twice unless alerted.
  bool channels_converged();
  // Memberships (when the scenario has them), against the Stripe model's subscriptions and
  // invoices: at most one subscription per membership and no billing period paid twice
  // (safety); once converged, every membership's status equals its subscription's, members'
  // cancels are done, and every failed invoice was paid or dunned (nothing lost).
  void check_memberships();
  bool memberships_converged();
  void check_memberships_final();

  World& world_;
  const Scenario& scenario_;
  std::uint16_t kind_ = 0;
  std::vector<Violation> violations_;
  std::set<std::string> reported_;                  // "<oracle>/<key>" already reported
  std::map<std::string, int> stay_state_rank_;      // last seen rank per stay (status monotonic)
  std::map<std::string, int> message_status_rank_;  // last seen rank per notification
  std::map<std::string, core::TimeUs> conflict_seen_us_;  // "<unit>/<night>" -> first seen
  // Incremental views of append-only ground truth, so a check costs what is new since the last.
  std::set<std::string, std::less<>> stripe_event_ids_;
  std::size_t stripe_events_seen_ = 0;
  std::set<std::string, std::less<>> inbox_checked_;
  std::string subscriptions_seen_;                      // the newest subscription id checked
  std::map<std::string, std::string> subscription_of_;  // membership id -> its first subscription
  std::string invoices_seen_;                           // the newest invoice id checked
  std::set<std::string> invoices_open_;                 // invoices that may still be paid
  std::map<std::string, std::vector<std::string>> paid_invoices_;  // membership -> paid invoices
  std::string why_not_;

  // The core's notification rows decoded, by id. A check decodes only the rows that changed
  // since the last one: decoding every row every five minutes was half of a WhatsApp run.
  struct DecodedNotification {
    std::string row;
    core::notifications::Notification notification;
  };
  const std::map<std::string, DecodedNotification>& core_notifications();
  std::map<std::string, DecodedNotification> notifications_;
};

}  // namespace intsim::harness
