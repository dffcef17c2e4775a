#include "models/guests/member_model.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/core/assert.h"

namespace intsim::models::guests {

MemberModel::MemberModel(sim::Network& network, MemberConfig config, std::string name,
                         std::string core_node)
    : ApiClientNode(network, name, core_node, config.subscriptions_per_day),
      config_(std::move(config)) {
  INTSIM_ASSERT(!config_.currencies.empty() && config_.guests >= 1);
  INTSIM_ASSERT(config_.cancel_after_us_min <= config_.cancel_after_us_max);
}

std::string MemberModel::busy_reason() const {
  if (requests_in_flight() > 0) {
    return fmt::format("{} member requests in flight", requests_in_flight());
  }
  for (const MembershipAttempt& a : attempts_) {
    if (a.state == MembershipAttempt::State::kPending) {
      return fmt::format("subscription {} of {} is waiting to retry", a.idempotency_key, a.guest);
    }
    if (a.cancel_planned && !a.cancel_answered && a.state == MembershipAttempt::State::kCreated) {
      return fmt::format("{} still has to cancel membership {}", a.guest, a.membership_id);
    }
  }
  return "";
}

void MemberModel::act(std::uint64_t action, std::size_t index) {
  if (action == kSubscribe) return send_subscribe(index);
  INTSIM_ASSERT(action == kCancel);
  send_cancel(index);
}

void MemberModel::arrive() {
  MembershipAttempt a;
  a.idempotency_key = fmt::format("mk_{}", attempts_.size() + 1);
  a.guest = fmt::format("g_{}", rng_.uniform(static_cast<std::uint64_t>(config_.guests)) + 1);
  a.currency = config_.currencies[rng_.uniform(config_.currencies.size())];
  a.payment_method = fmt::format("pm_{}", a.guest);
  a.cancel_planned = rng_.bernoulli(config_.cancel_probability);
  attempts_.push_back(std::move(a));
  send_subscribe(attempts_.size() - 1);
}

void MemberModel::send_subscribe(std::size_t index) {
  MembershipAttempt& a = attempts_[index];
  ++a.attempts;
  nlohmann::ordered_json body;
  body["guest"] = a.guest;
  body["plan"] = "guest_club";
  body["currency"] = a.currency;
  body["payment_method"] = a.payment_method;
  core::HttpRequest req{
      "POST",
      "/api/subscriptions",
      {{"Content-Type", "application/json"}, {"Idempotency-Key", a.idempotency_key}},
      body.dump()};
  send(std::move(req), index, kSubscribe, config_.request_timeout_us);
}

void MemberModel::send_cancel(std::size_t index) {
  MembershipAttempt& a = attempts_[index];
  a.cancel_sent = true;
  ++a.cancel_attempts;
  core::HttpRequest req{"POST",
                        fmt::format("/api/subscriptions/{}/cancel", a.membership_id),
                        {{"Content-Type", "application/json"}},
                        "{}"};
  send(std::move(req), index, kCancel, config_.request_timeout_us);
}

void MemberModel::on_answer(std::size_t index, std::uint64_t action,
                            const core::HttpResult& result) {
  MembershipAttempt& a = attempts_[index];
  const bool answered = result.has_response();
  const int status = answered ? result.response.status : 0;
  a.last_status = status;
  const bool transient = !answered || status >= 500 || status == 429;
  auto backoff = [&](int attempts) { return retry_backoff_us(config_.retry_delay_us, attempts); };

  if (action == kCancel) {
    // Cancelling twice is harmless: keep asking until the core answers.
    if (transient && a.cancel_attempts < config_.attempts_max * 2) {
      later(backoff(a.cancel_attempts), kCancel, index);
      return;
    }
    a.cancel_answered = true;
    a.cancel_confirmed = answered && status == 200;
    return;
  }
  nlohmann::json body;
  if (!transient && (status == 201 || status == 200)) {
    body = nlohmann::json::parse(result.response.body, nullptr, false);
  }
  const bool garbled =
      (status == 201 || status == 200) &&
      (!body.is_object() || !body.contains("membership_id") || !body["membership_id"].is_string());
  if (transient || garbled) {
    // A garbled 201 tells nothing: the same key gets the same membership back.
    if (a.attempts < config_.attempts_max) {
      later(backoff(a.attempts), kSubscribe, index);
    } else {
      a.state = MembershipAttempt::State::kGaveUp;
    }
    return;
  }
  if (status != 201 && status != 200) {
    a.state = MembershipAttempt::State::kRejected;
    return;
  }
  a.state = MembershipAttempt::State::kCreated;
  a.membership_id = body["membership_id"].get<std::string>();
  if (a.cancel_planned) {
    later(rng_.uniform_range(config_.cancel_after_us_min, config_.cancel_after_us_max), kCancel,
          index);
  }
}

}  // namespace intsim::models::guests
