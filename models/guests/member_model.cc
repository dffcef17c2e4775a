#include "models/guests/member_model.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/core/assert.h"

namespace intsim::models::guests {

MemberModel::MemberModel(sim::Network& network, MemberConfig config, std::string name,
                         std::string core_node)
    : network_(network),
      config_(std::move(config)),
      ports_(network, network.add_node(name), network.simulation().rng("node." + name)),
      rng_(network.simulation().rng(name)) {
  INTSIM_ASSERT(!config_.currencies.empty() && config_.guests >= 1);
  INTSIM_ASSERT(config_.cancel_after_us_min <= config_.cancel_after_us_max);
  ports_.http.set_sink(this);
  const auto core = network_.find_node(core_node);
  INTSIM_ASSERT_MSG(core.has_value(), "the core node must exist before the members");
  ports_.http.alias("core", *core);
  kind_ = network_.simulation().register_kind(name + ".act", this);
}

std::string MemberModel::busy_reason() const {
  if (!in_flight_.empty()) return fmt::format("{} member requests in flight", in_flight_.size());
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

void MemberModel::start() {
  arriving_ = true;
  schedule_next_arrival();
}

void MemberModel::stop_arrivals() {
  arriving_ = false;
  if (next_arrival_.valid()) network_.simulation().cancel(next_arrival_);
  next_arrival_ = {};
}

void MemberModel::schedule_next_arrival() {
  if (!arriving_ || config_.subscriptions_per_day <= 0) return;
  const double mean_us = static_cast<double>(core::kUsPerDay) / config_.subscriptions_per_day;
  const auto delay_us = static_cast<core::TimeUs>(rng_.exponential(mean_us)) + 1;
  next_arrival_ = network_.simulation().after(delay_us, kind_, network_.node_actor(ports_.node),
                                              arg(kArrive, 0));
}

void MemberModel::later(core::TimeUs delay_us, Action action, std::size_t index) {
  network_.simulation().after(delay_us, kind_, network_.node_actor(ports_.node),
                              arg(action, index));
}

void MemberModel::on_event(const sim::Event& event) {
  const auto action = static_cast<Action>(event.arg & 3);
  const std::size_t index = event.arg >> 2;
  switch (action) {
    case kArrive:
      next_arrival_ = {};
      arrive();
      schedule_next_arrival();
      break;
    case kSubscribe:
      send_subscribe(index);
      break;
    case kCancel:
      send_cancel(index);
      break;
  }
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
  const core::RequestId id = next_request_id_++;
  in_flight_.emplace(id, std::make_pair(index, kSubscribe));
  ports_.http.send(id, "core", std::move(req), now_us() + config_.request_timeout_us);
}

void MemberModel::send_cancel(std::size_t index) {
  MembershipAttempt& a = attempts_[index];
  a.cancel_sent = true;
  ++a.cancel_attempts;
  core::HttpRequest req{"POST",
                        fmt::format("/api/subscriptions/{}/cancel", a.membership_id),
                        {{"Content-Type", "application/json"}},
                        "{}"};
  const core::RequestId id = next_request_id_++;
  in_flight_.emplace(id, std::make_pair(index, kCancel));
  ports_.http.send(id, "core", std::move(req), now_us() + config_.request_timeout_us);
}

void MemberModel::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs) {
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const auto [index, action] = it->second;
  in_flight_.erase(it);
  MembershipAttempt& a = attempts_[index];
  const bool answered = result.has_response();
  const int status = answered ? result.response.status : 0;
  a.last_status = status;
  const bool transient = !answered || status >= 500 || status == 429;
  auto backoff = [&](int attempts) {
    return config_.retry_delay_us << (std::min(attempts, 10) - 1);
  };

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
