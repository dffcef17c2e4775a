// Guests who join the guest club: they subscribe through the core's membership API
// (src/core/payments/subscription_service.h) as a Poisson process, each with their own card
// (pm_<guest>, whose outcome the Stripe model draws at every charge, renewals included, so
// renewals decline and dunning happens), and some cancel later. A request that times out or
// fails is retried with the same Idempotency-Key, as a careful client would, up to attempts_max.
//
// Ground truth: every subscription attempt with what the member was told. The oracles compare
// it with the core's memberships and Stripe's subscriptions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/guests/api_client_node.h"

namespace intsim::models::guests {

struct MemberConfig {
  double subscriptions_per_day = 4.0;
  std::vector<std::string> currencies{"USD"};
  std::int64_t guests = 50;  // members are drawn from the same guests (g_1 .. g_<guests>)
  double cancel_probability = 0.1;
  core::TimeUs cancel_after_us_min = 30 * core::kUsPerMin;
  core::TimeUs cancel_after_us_max = 6 * core::kUsPerHour;
  int attempts_max = 6;
  core::TimeUs request_timeout_us = 10 * core::kUsPerSec;
  core::TimeUs retry_delay_us = 5 * core::kUsPerSec;  // doubled after each failed attempt
};

struct MembershipAttempt {
  std::string idempotency_key;  // "mk_<n>": one per subscription, reused by its retries
  std::string guest;
  std::string currency;
  std::string payment_method;
  int attempts = 0;
  enum class State { kPending, kCreated, kRejected, kGaveUp } state = State::kPending;
  int last_status = 0;
  std::string membership_id;  // kCreated
  bool cancel_planned = false;
  bool cancel_sent = false;
  int cancel_attempts = 0;
  bool cancel_answered = false;   // a definitive answer came back (or the member gave up)
  bool cancel_confirmed = false;  // ... and it was 200
};

class MemberModel final : public ApiClientNode {
 public:
  // Adds the node `name`; requests go to the node named `core_node`.
  MemberModel(sim::Network& network, MemberConfig config, std::string name = "members",
              std::string core_node = "core");

  const std::vector<MembershipAttempt>& attempts() const { return attempts_; }
  // Empty when nothing is pending; otherwise what is still open, in words.
  std::string busy_reason() const;

 private:
  // Actions after kArrive (ApiClientNode's).
  enum Action : std::uint64_t { kSubscribe = 1, kCancel = 2 };
  void arrive() override;
  void act(std::uint64_t action, std::size_t index) override;
  void on_answer(std::size_t index, std::uint64_t action, const core::HttpResult& result) override;
  void send_subscribe(std::size_t index);
  void send_cancel(std::size_t index);

  MemberConfig config_;
  std::vector<MembershipAttempt> attempts_;
};

}  // namespace intsim::models::guests
