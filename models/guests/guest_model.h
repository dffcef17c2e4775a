// Guests who book directly through the core's booking API (src/core/app/integration.h): they
// arrive as a Poisson process, pick a unit, dates, a length and a currency, and pay with a card
// whose outcome the Stripe model draws. Some abandon checkout (their 3-D Secure never
// completes), some cancel later. A guest whose request times out or fails retries with the same
// Idempotency-Key, as a careful client would, and gives up after attempts_max.
//
// Ground truth: every attempt with what the guest was told. Since several guests race for the
// same unit, "409 unit_unavailable" answers are expected and counted.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/guests/api_client_node.h"

namespace intsim::models::guests {

struct GuestConfig {
  double bookings_per_day = 20.0;
  std::vector<std::string> units{"u1"};
  std::vector<std::string> currencies{"USD"};
  std::int64_t nights_min = 1, nights_max = 5;
  std::int64_t lead_days_min = 0, lead_days_max = 30;
  double abandon_probability = 0.05;
  double cancel_probability = 0.05;
  std::int64_t guests = 50;
  int attempts_max = 6;
  core::TimeUs request_timeout_us = 10 * core::kUsPerSec;
  core::TimeUs retry_delay_us = 5 * core::kUsPerSec;  // doubled after each failed attempt
  // A guest who cancels does so this long after booking.
  core::TimeUs cancel_after_us_min = 10 * core::kUsPerMin;
  core::TimeUs cancel_after_us_max = 2 * core::kUsPerHour;
};

struct BookingAttempt {
  std::string idempotency_key;  // "gk_<n>": one per booking attempt, reused by its retries
  std::string guest;
  std::string unit;
  std::int32_t first_night = 0;  // days since the Unix epoch
  std::int64_t nights = 0;
  std::string currency;
  std::string payment_method;
  int attempts = 0;
  // What the guest was last told.
  enum class State { kPending, kCreated, kRefused, kRejected, kGaveUp } state = State::kPending;
  int last_status = 0;
  std::string booking_id;  // kCreated
  bool cancel_planned = false;
  bool cancel_sent = false;
  bool cancel_answered = false;   // a definitive answer came back (or the guest gave up)
  bool cancel_confirmed = false;  // ... and it was 200
};
std::string_view attempt_state_name(BookingAttempt::State state);

class GuestModel final : public ApiClientNode {
 public:
  // Adds the node `name`; bookings go to the node named `core_node`.
  GuestModel(sim::Network& network, GuestConfig config, std::string name = "guests",
             std::string core_node = "core");

  const std::vector<BookingAttempt>& attempts() const { return attempts_; }
  // Empty when no attempt is pending and no cancellation is still to be sent or answered;
  // otherwise what is still open, in words.
  std::string busy_reason() const;
  bool idle() const { return busy_reason().empty(); }

 private:
  // Actions after kArrive (ApiClientNode's).
  enum Action : std::uint64_t { kRetry = 1, kCancel = 2 };
  void arrive() override;
  void act(std::uint64_t action, std::size_t index) override;
  void on_answer(std::size_t index, std::uint64_t action, const core::HttpResult& result) override;
  void send_booking(std::size_t index);
  void send_cancel(std::size_t index);
  void schedule_retry(std::size_t index, Action action);

  GuestConfig config_;
  std::vector<BookingAttempt> attempts_;
};

}  // namespace intsim::models::guests
