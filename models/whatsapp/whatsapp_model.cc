#include "models/whatsapp/whatsapp_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/core/assert.h"

namespace intsim::models::whatsapp {
namespace {

using json = nlohmann::ordered_json;

core::HttpResponse json_response(int status, const json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump()};
}

std::string unix_s(core::TimeUs t_us) { return std::to_string(core::unix_seconds(t_us)); }

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos;
}

int status_rank(const std::string& s) {
  if (s == "sent") return 1;
  if (s == "delivered") return 2;
  if (s == "read") return 3;
  return 0;
}

}  // namespace

WhatsAppModel::WhatsAppModel(WhatsAppConfig config, sim::Rng rng)
    : config_(std::move(config)), rng_(std::move(rng)) {
  INTSIM_ASSERT(config_.throughput_per_sec >= 1 && config_.pair_interval_us >= 0);
}

core::HttpResponse WhatsAppModel::graph_error(int http_status, int code,
                                              std::string message) const {
  json e = {{"message", fmt::format("(#{}) {}", code, message)},
            {"type", "OAuthException"},
            {"code", code},
            {"error_data", {{"messaging_product", "whatsapp"}, {"details", message}}},
            {"fbtrace_id", "Aintsim"}};
  return json_response(http_status, {{"error", std::move(e)}});
}

void WhatsAppModel::schedule(core::TimeUs at_us, Scheduled s) {
  scheduled_.emplace(std::make_pair(at_us, next_seq_++), std::move(s));
}

void WhatsAppModel::start(core::TimeUs now_us) {
  if (config_.inbound_per_user_per_day <= 0) return;
  const double mean_us = static_cast<double>(core::kUsPerDay) / config_.inbound_per_user_per_day;
  for (const std::string& user : config_.users) {
    schedule(now_us + static_cast<core::TimeUs>(rng_.exponential(mean_us)),
             {Scheduled::Kind::kInbound, "", "", user});
  }
}

void WhatsAppModel::stop_inbound() {
  config_.inbound_per_user_per_day = 0;
  for (auto it = scheduled_.begin(); it != scheduled_.end();) {
    it = it->second.kind == Scheduled::Kind::kInbound ? scheduled_.erase(it) : std::next(it);
  }
}

bool WhatsAppModel::pending_statuses() const {
  for (const auto& [key, s] : scheduled_) {
    if (s.kind == Scheduled::Kind::kStatus) return true;
  }
  return false;
}

bool WhatsAppModel::deliverable(const std::string& to) {
  auto [it, added] = deliverable_.try_emplace(to, true);
  if (added) it->second = !rng_.bernoulli(config_.undeliverable_probability);
  return it->second;
}

core::HttpResponse WhatsAppModel::handle(const core::HttpRequest& request, core::TimeUs now_us,
                                         std::uint64_t client_tag) {
  advance(now_us);
  const std::string path = fmt::format("/{}/messages", config_.phone_number_id);
  const bool versioned = request.target.size() > path.size() && request.target[0] == '/' &&
                         request.target[1] == 'v' && request.target.ends_with(path) &&
                         request.target.find('/', 1) == request.target.size() - path.size();
  if (request.method != "POST" || !versioned) {
    return graph_error(404, 100, "Unsupported request: the object does not exist");
  }
  const auto auth = request.header("Authorization");
  if (!auth || *auth != "Bearer " + config_.access_token) {
    return graph_error(401, 190, "Invalid OAuth access token");
  }
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  SendAttempt attempt;
  attempt.at_us = now_us;
  attempt.client_tag = client_tag;
  if (body.is_object()) {
    attempt.to = body.value("to", std::string());
    attempt.callback = body.value("biz_opaque_callback_data", std::string());
  }
  const std::string type = body.is_object() ? body.value("type", std::string()) : "";
  bool well_formed = body.is_object() && body.value("messaging_product", "") == "whatsapp" &&
                     all_digits(attempt.to) && (type == "text" || type == "template");
  std::string template_name;
  if (well_formed && type == "text") {
    const auto t = body.find("text");
    well_formed = t != body.end() && t->is_object() && !t->value("body", std::string()).empty();
  } else if (well_formed) {
    const auto t = body.find("template");
    well_formed = t != body.end() && t->is_object() && t->contains("language");
    if (well_formed) template_name = t->value("name", std::string());
    well_formed = well_formed && !template_name.empty();
  }
  auto refuse = [&](int http_status, int code, std::string message) {
    attempt.error_code = code;
    attempts_.push_back(attempt);
    return graph_error(http_status, code, std::move(message));
  };
  if (!well_formed) return refuse(400, 100, "Invalid parameter");

  // Throughput: every request counts against the number's messages per second.
  while (!recent_sends_.empty() && recent_sends_.front() <= now_us - core::kUsPerSec) {
    recent_sends_.pop_front();
  }
  if (static_cast<std::int64_t>(recent_sends_.size()) >= config_.throughput_per_sec) {
    return refuse(400, 130429, "Rate limit hit");
  }
  recent_sends_.push_back(now_us);
  if (rng_.bernoulli(config_.server_error_probability)) {
    return refuse(500, 131000, "Something went wrong");
  }
  if (const auto last = last_accepted_us_.find(attempt.to);
      last != last_accepted_us_.end() && now_us - last->second < config_.pair_interval_us) {
    return refuse(400, 131056, "(Business Account, Consumer Account) pair rate limit hit");
  }
  if (!deliverable(attempt.to)) return refuse(400, 131026, "Message undeliverable");
  if (type == "text") {
    const auto in = last_inbound_us_.find(attempt.to);
    if (in == last_inbound_us_.end() || now_us >= in->second + config_.window_us) {
      return refuse(400, 131047, "Re-engagement message");
    }
  }

  const std::string wamid = fmt::format("wamid.HBgL{:016X}", next_wamid_++);
  attempts_.push_back(attempt);
  last_accepted_us_[attempt.to] = now_us;
  received_[attempt.to].push_back(
      {wamid, attempt.callback, type == "template", template_name, now_us});
  callbacks_[wamid] = attempt.callback;
  recipient_of_[wamid] = attempt.to;
  plan_statuses(wamid, now_us);
  if (rng_.bernoulli(config_.ambiguous_error_probability)) {
    // The message went out; the answer says otherwise.
    return graph_error(500, 1, "An unknown error occurred");
  }
  return json_response(200, {{"messaging_product", "whatsapp"},
                             {"contacts", {{{"input", attempt.to}, {"wa_id", attempt.to}}}},
                             {"messages", {{{"id", wamid}}}}});
}

void WhatsAppModel::plan_statuses(const std::string& wamid, core::TimeUs now_us) {
  const core::TimeUs sent_at = now_us + rng_.uniform_range(0, config_.sent_us_max);
  const core::TimeUs delivered_max = rng_.bernoulli(config_.offline_probability)
                                         ? config_.offline_us_max
                                         : config_.delivered_us_max;
  const core::TimeUs delivered_at = sent_at + rng_.uniform_range(0, delivered_max);
  schedule(sent_at, {Scheduled::Kind::kStatus, wamid, "sent", ""});
  schedule(delivered_at, {Scheduled::Kind::kStatus, wamid, "delivered", ""});
  if (rng_.bernoulli(config_.read_probability)) {
    schedule(delivered_at + rng_.uniform_range(0, config_.read_us_max),
             {Scheduled::Kind::kStatus, wamid, "read", ""});
  }
}

std::string WhatsAppModel::value_envelope(json value) const {
  value["metadata"] = {{"display_phone_number", config_.display_phone_number},
                       {"phone_number_id", config_.phone_number_id}};
  json body = {{"object", "whatsapp_business_account"},
               {"entry",
                {{{"id", config_.business_account_id},
                  {"changes", {{{"value", std::move(value)}, {"field", "messages"}}}}}}}};
  return body.dump();
}

void WhatsAppModel::emit_status(const std::string& wamid, const std::string& status,
                                core::TimeUs now_us) {
  std::string& best = statuses_[wamid];
  if (status_rank(status) > status_rank(best)) best = status;
  json st = {{"id", wamid},
             {"status", status},
             {"timestamp", unix_s(now_us)},
             {"recipient_id", recipient_of_[wamid]}};
  if (const std::string& cb = callbacks_[wamid]; !cb.empty()) st["biz_opaque_callback_data"] = cb;
  json value = {{"messaging_product", "whatsapp"}, {"statuses", json::array({st})}};
  webhooks_.push_back(value_envelope(std::move(value)));
}

void WhatsAppModel::emit_inbound(const std::string& user, core::TimeUs now_us) {
  ++inbound_;
  last_inbound_us_[user] = now_us;
  json msg = {{"from", user},
              {"id", fmt::format("wamid.IN{:016X}", inbound_)},
              {"timestamp", unix_s(now_us)},
              {"type", "text"},
              {"text", {{"body", "Hello, a question about my stay"}}}};
  json value = {{"messaging_product", "whatsapp"},
                {"contacts", {{{"profile", {{"name", "Guest"}}}, {"wa_id", user}}}},
                {"messages", json::array({msg})}};
  webhooks_.push_back(value_envelope(std::move(value)));
  if (config_.inbound_per_user_per_day > 0) {
    const double mean_us = static_cast<double>(core::kUsPerDay) / config_.inbound_per_user_per_day;
    schedule(now_us + 1 + static_cast<core::TimeUs>(rng_.exponential(mean_us)),
             {Scheduled::Kind::kInbound, "", "", user});
  }
}

void WhatsAppModel::advance(core::TimeUs now_us) {
  while (!scheduled_.empty() && scheduled_.begin()->first.first <= now_us) {
    const core::TimeUs at_us = scheduled_.begin()->first.first;
    Scheduled s = std::move(scheduled_.begin()->second);
    scheduled_.erase(scheduled_.begin());
    if (s.kind == Scheduled::Kind::kStatus) {
      emit_status(s.wamid, s.status, at_us);
    } else {
      emit_inbound(s.user, at_us);
    }
  }
}

core::TimeUs WhatsAppModel::next_wakeup_us() const {
  return scheduled_.empty() ? kNever : scheduled_.begin()->first.first;
}

std::vector<std::string> WhatsAppModel::take_webhooks() {
  std::vector<std::string> out;
  out.swap(webhooks_);
  return out;
}

std::map<int, std::uint64_t> WhatsAppModel::errors_by_code() const {
  std::map<int, std::uint64_t> out;
  for (const SendAttempt& a : attempts_) {
    if (a.error_code != 0) ++out[a.error_code];
  }
  return out;
}

std::uint64_t WhatsAppModel::duplicates() const {
  std::uint64_t extra = 0;
  for (const auto& [user, msgs] : received_) {
    std::set<std::string> seen;
    for (const Received& r : msgs) {
      if (!r.callback.empty() && !seen.insert(r.callback).second) ++extra;
    }
  }
  return extra;
}

}  // namespace intsim::models::whatsapp
