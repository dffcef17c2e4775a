#include "models/guests/guest_model.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/core/assert.h"
#include "src/core/ical/date.h"

namespace intsim::models::guests {

std::string_view attempt_state_name(BookingAttempt::State state) {
  switch (state) {
    case BookingAttempt::State::kPending:
      return "pending";
    case BookingAttempt::State::kCreated:
      return "created";
    case BookingAttempt::State::kRefused:
      return "refused";
    case BookingAttempt::State::kRejected:
      return "rejected";
    case BookingAttempt::State::kGaveUp:
      return "gave_up";
  }
  return "unknown";
}

GuestModel::GuestModel(sim::Network& network, GuestConfig config, std::string name,
                       std::string core_node)
    : ApiClientNode(network, name, core_node, config.bookings_per_day), config_(std::move(config)) {
  INTSIM_ASSERT(!config_.units.empty() && !config_.currencies.empty());
  INTSIM_ASSERT(config_.nights_min >= 1 && config_.nights_min <= config_.nights_max);
}

std::string GuestModel::busy_reason() const {
  if (requests_in_flight() > 0) {
    return fmt::format("{} guest requests in flight", requests_in_flight());
  }
  for (const BookingAttempt& a : attempts_) {
    if (a.state == BookingAttempt::State::kPending) {
      return fmt::format("booking attempt {} of {} is waiting to retry", a.idempotency_key,
                         a.guest);
    }
    if (a.cancel_planned && !a.cancel_answered && a.state == BookingAttempt::State::kCreated &&
        !a.booking_id.empty()) {
      return fmt::format("{} still has to cancel booking {}", a.guest, a.booking_id);
    }
  }
  return "";
}

void GuestModel::act(std::uint64_t action, std::size_t index) {
  if (action == kRetry) return send_booking(index);
  INTSIM_ASSERT(action == kCancel);
  send_cancel(index);
}

void GuestModel::arrive() {
  BookingAttempt a;
  a.idempotency_key = fmt::format("gk_{}", attempts_.size() + 1);
  a.guest = fmt::format("g_{}", rng_.uniform(static_cast<std::uint64_t>(config_.guests)) + 1);
  a.unit = config_.units[rng_.uniform(config_.units.size())];
  const std::int32_t today = static_cast<std::int32_t>(now_us() / core::kUsPerDay);
  a.first_night = today + static_cast<std::int32_t>(
                              rng_.uniform_range(config_.lead_days_min, config_.lead_days_max));
  a.nights = rng_.uniform_range(config_.nights_min, config_.nights_max);
  a.currency = config_.currencies[rng_.uniform(config_.currencies.size())];
  // An abandoned checkout: 3-D Secure is required and never completed.
  a.payment_method = rng_.bernoulli(config_.abandon_probability)
                         ? "pm_card_intsim_threeDSecureFails"
                         : fmt::format("pm_{}", a.guest);
  a.cancel_planned = rng_.bernoulli(config_.cancel_probability);
  attempts_.push_back(std::move(a));
  send_booking(attempts_.size() - 1);
}

void GuestModel::send_booking(std::size_t index) {
  BookingAttempt& a = attempts_[index];
  ++a.attempts;
  nlohmann::ordered_json body;
  body["guest"] = a.guest;
  body["unit"] = a.unit;
  body["first_night"] = core::ical::format_iso_date(a.first_night);
  body["nights"] = a.nights;
  body["currency"] = a.currency;
  body["payment_method"] = a.payment_method;
  core::HttpRequest req{
      "POST",
      "/api/bookings",
      {{"Content-Type", "application/json"}, {"Idempotency-Key", a.idempotency_key}},
      body.dump()};
  send(std::move(req), index, kRetry, config_.request_timeout_us);
}

void GuestModel::send_cancel(std::size_t index) {
  BookingAttempt& a = attempts_[index];
  a.cancel_sent = true;
  ++a.attempts;
  core::HttpRequest req{"POST",
                        fmt::format("/api/bookings/{}/cancel", a.booking_id),
                        {{"Content-Type", "application/json"}},
                        "{}"};
  send(std::move(req), index, kCancel, config_.request_timeout_us);
}

void GuestModel::schedule_retry(std::size_t index, Action action) {
  later(retry_backoff_us(config_.retry_delay_us, attempts_[index].attempts), action, index);
}

void GuestModel::on_answer(std::size_t index, std::uint64_t action,
                           const core::HttpResult& result) {
  BookingAttempt& a = attempts_[index];
  const bool answered = result.has_response();
  const int status = answered ? result.response.status : 0;
  a.last_status = status;
  const bool transient = !answered || status >= 500 || status == 429;

  if (action == kCancel) {
    if (transient && a.attempts < config_.attempts_max * 2) {
      schedule_retry(index, kCancel);
      return;
    }
    a.cancel_answered = true;
    a.cancel_confirmed = answered && status == 200;
    return;
  }
  if (transient) {
    if (a.attempts < config_.attempts_max) {
      schedule_retry(index, kRetry);
    } else {
      a.state = BookingAttempt::State::kGaveUp;
    }
    return;
  }
  if (status == 201 || status == 200) {
    const auto body = nlohmann::json::parse(result.response.body, nullptr, false);
    if (!body.is_object() || !body.contains("booking_id") || !body["booking_id"].is_string()) {
      // A success whose body arrived garbled tells the guest nothing: ask again with the same
      // Idempotency-Key, and the core answers with the booking it already made.
      if (a.attempts < config_.attempts_max) {
        schedule_retry(index, kRetry);
      } else {
        a.state = BookingAttempt::State::kGaveUp;
      }
      return;
    }
    a.state = BookingAttempt::State::kCreated;
    a.booking_id = body["booking_id"].get<std::string>();
    if (a.cancel_planned && !a.booking_id.empty()) {
      later(rng_.uniform_range(config_.cancel_after_us_min, config_.cancel_after_us_max), kCancel,
            index);
    }
    return;
  }
  a.state = status == 409 ? BookingAttempt::State::kRefused : BookingAttempt::State::kRejected;
}

}  // namespace intsim::models::guests
