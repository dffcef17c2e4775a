#include "src/harness/world.h"

#include <fmt/format.h>

#include "src/core/json_reader.h"

namespace intsim::harness {
namespace {

// The endpoint secret both sides share: Stripe signs with it, the core verifies with it. The
// retired one was rotated out before the run: the attacker signs with it, the core refuses it.
constexpr std::string_view kStripeWebhookSecret = "whsec_intsim_sim_endpoint";
constexpr std::string_view kStripeRetiredSecret = "whsec_intsim_sim_retired";
// Meta signs WhatsApp webhooks with the app secret; the handshake's verify token is ours.
constexpr std::string_view kWhatsAppAppSecret = "intsim_meta_app_secret";
constexpr std::string_view kWhatsAppVerifyToken = "intsim_verify_token";

void read_stripe(core::JsonReader& r, PeerSettings* p) {
  auto& card = p->stripe.card;
  if (auto c = r.object("card")) {
    card.succeed_weight = c->number("succeed_weight", card.succeed_weight, 0, 1e6);
    card.decline_weight = c->number("decline_weight", card.decline_weight, 0, 1e6);
    card.requires_action_weight =
        c->number("requires_action_weight", card.requires_action_weight, 0, 1e6);
    card.processing_weight = c->number("processing_weight", card.processing_weight, 0, 1e6);
    card.repeat_decline_probability =
        c->number("repeat_decline_probability", card.repeat_decline_probability, 0, 1);
    card.action_success_probability =
        c->number("action_success_probability", card.action_success_probability, 0, 1);
    card.processing_success_probability =
        c->number("processing_success_probability", card.processing_success_probability, 0, 1);
    c->finish();
  }
  auto& d = p->stripe.dispute;
  if (auto c = r.object("disputes")) {
    d.probability = c->number("probability", d.probability, 0, 1);
    d.won_probability = c->number("won_probability", d.won_probability, 0, 1);
    c->finish();
  }
  auto& sub = p->stripe.subscription;
  if (auto c = r.object("subscriptions")) {
    // Smart retries: hours after the first failure. Scenarios of a few virtual days compress
    // Stripe's "8 tries within 2 weeks"; the default stays the faithful schedule.
    if (const nlohmann::json* offsets = c->take("retry_offsets_h")) {
      std::vector<std::int64_t> hours;
      bool ok = offsets->is_array() && !offsets->empty() && offsets->size() <= 16;
      for (std::size_t i = 0; ok && i < offsets->size(); ++i) {
        const nlohmann::json& h = (*offsets)[i];
        ok = h.is_number_integer() && h.get<std::int64_t>() >= 1 &&
             h.get<std::int64_t>() <= 24 * 60 &&
             (hours.empty() || h.get<std::int64_t>() > hours.back());
        if (ok) hours.push_back(h.get<std::int64_t>());
      }
      if (ok) {
        sub.retry_offsets_h = std::move(hours);
      } else {
        c->error("retry_offsets_h", "expected 1 to 16 increasing hours in [1, 1440]");
      }
    }
    sub.retry_jitter_h = c->integer("retry_jitter_h", sub.retry_jitter_h, 0, 48);
    const std::string end = c->one_of("dunning_end", "cancel", {"cancel", "unpaid", "past_due"});
    sub.dunning_end = end == "unpaid"     ? models::stripe::DunningEnd::kUnpaid
                      : end == "past_due" ? models::stripe::DunningEnd::kPastDue
                                          : models::stripe::DunningEnd::kCancel;
    sub.incomplete_expiry_h = c->integer("incomplete_expiry_h", sub.incomplete_expiry_h, 1, 24 * 7);
    c->finish();
  }
  p->stripe.api_error_probability =
      r.number("api_error_probability", p->stripe.api_error_probability, 0, 1);
  p->stripe.idempotency_key_ttl_h =
      r.integer("idempotency_key_ttl_h", p->stripe.idempotency_key_ttl_h, 1, 24 * 365);
  p->stripe.search_lag_ms = r.integer("search_lag_ms", p->stripe.search_lag_ms, 0, 3'600'000);
  auto& w = p->stripe_webhooks;
  if (auto c = r.object("webhooks")) {
    w.reorder_probability = c->number("reorder_probability", w.reorder_probability, 0, 1);
    w.duplicate_probability = c->number("duplicate_probability", w.duplicate_probability, 0, 1);
    w.before_response_probability =
        c->number("before_response_probability", w.before_response_probability, 0, 1);
    w.retry_window_h = c->integer("retry_window_h", w.retry_window_h, 1, 24 * 30);
    c->finish();
  }
  r.finish();
}

// peers.ota.<channel>: the channel model's feed faults and import interval, and the core's
// poll interval for it.
void read_ota(core::JsonReader& r, PeerSettings* p) {
  for (const std::string_view name : {"airbnb", "booking_com", "vrbo"}) {
    auto c = r.object(name);
    if (!c) continue;
    models::ota::ChannelConfig& ch = p->ota[std::string(name)];
    ch.error_probability = c->number("error_probability", ch.error_probability, 0, 1);
    ch.empty_probability = c->number("empty_probability", ch.empty_probability, 0, 1);
    ch.stale_probability = c->number("stale_probability", ch.stale_probability, 0, 1);
    ch.stale_age_us_max =
        c->integer("stale_age_s_max", ch.stale_age_us_max / core::kUsPerSec, 1, 86'400) *
        core::kUsPerSec;
    ch.truncate_probability = c->number("truncate_probability", ch.truncate_probability, 0, 1);
    ch.uid_churn_probability = c->number("uid_churn_probability", ch.uid_churn_probability, 0, 1);
    ch.cancel_probability = c->number("cancel_probability", ch.cancel_probability, 0, 1);
    ch.import_interval_us = c->integer("import_interval_s", 0, 0, 86'400) * core::kUsPerSec;
    const std::int64_t poll_s = c->integer("poll_interval_s", 300, 10, 86'400);
    p->ota_poll_interval_us[std::string(name)] = poll_s * core::kUsPerSec;
    c->finish();
  }
  r.finish();
}

// peers.whatsapp: the Cloud API model's limits and faults, Meta's webhook delivery, and the
// core's notification policy (peers.whatsapp.core).
void read_whatsapp(core::JsonReader& r, PeerSettings* p) {
  p->whatsapp_enabled = true;
  auto& w = p->whatsapp;
  w.pair_interval_us =
      r.number("pair_interval_s", static_cast<double>(w.pair_interval_us) / core::kUsPerSec, 0,
               3600) *
      core::kUsPerSec;
  w.throughput_per_sec = r.integer("throughput_per_sec", w.throughput_per_sec, 1, 100'000);
  w.undeliverable_probability =
      r.number("undeliverable_probability", w.undeliverable_probability, 0, 1);
  w.ambiguous_error_probability =
      r.number("ambiguous_error_probability", w.ambiguous_error_probability, 0, 1);
  w.server_error_probability =
      r.number("server_error_probability", w.server_error_probability, 0, 1);
  w.offline_probability = r.number("offline_probability", w.offline_probability, 0, 1);
  w.read_probability = r.number("read_probability", w.read_probability, 0, 1);
  w.inbound_per_user_per_day =
      r.number("inbound_per_guest_per_day", w.inbound_per_user_per_day, 0, 1000);
  auto& q = p->whatsapp_webhooks;
  if (auto c = r.object("webhooks")) {
    q.duplicate_probability = c->number("duplicate_probability", q.duplicate_probability, 0, 1);
    q.delay_us_max =
        c->integer("delay_ms_max", q.delay_us_max / core::kUsPerMs, 0, 3'600'000) * core::kUsPerMs;
    q.retry_window_us =
        c->integer("retry_window_h", q.retry_window_us / core::kUsPerHour, 1, 24 * 30) *
        core::kUsPerHour;
    c->finish();
  }
  auto& n = p->notifications;
  if (auto c = r.object("core")) {
    const std::string policy = c->one_of(
        "ambiguous_policy", std::string(core::notifications::ambiguous_policy_name(n.ambiguous)),
        {"await_status", "resend"});
    core::notifications::parse_ambiguous_policy(policy, &n.ambiguous);
    n.await_status_us =
        c->integer("await_status_s", n.await_status_us / core::kUsPerSec, 1, 7 * 24 * 3600) *
        core::kUsPerSec;
    n.pair_interval_us =
        c->number("pair_interval_s", static_cast<double>(n.pair_interval_us) / core::kUsPerSec,
                  0.001, 3600) *
        core::kUsPerSec;
    c->finish();
  }
  r.finish();
}

}  // namespace

core::Status parse_peer_settings(const nlohmann::json& peers, PeerSettings* out) {
  std::vector<std::string> errors;
  PeerSettings p;
  p.stripe_webhooks.signing_secrets = {std::string(kStripeWebhookSecret)};
  core::JsonReader r(peers, "/peers", &errors);
  if (auto s = r.object("stripe")) read_stripe(*s, &p);
  if (auto s = r.object("ota")) read_ota(*s, &p);
  if (auto s = r.object("whatsapp")) read_whatsapp(*s, &p);
  r.finish();
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return core::Status::invalid_argument(msg);
  }
  *out = std::move(p);
  return core::Status::ok();
}

World::World(const Scenario& scenario, std::uint64_t seed, sim::Trace::Mode mode)
    : scenario_(scenario), sim_(seed, mode) {}

core::Status World::build(const Scenario& scenario, std::uint64_t seed, bool swarm,
                          sim::Trace::Mode mode, std::unique_ptr<World>* out) {
  PeerSettings peers;
  if (core::Status st = parse_peer_settings(scenario.peers, &peers); !st) {
    return core::Status::invalid_argument(fmt::format("{}: {}", scenario.origin, st.message()));
  }
  std::unique_ptr<World> w(new World(scenario, seed, mode));
  w->network_ = std::make_unique<sim::Network>(w->sim_);
  w->start_us_ = w->sim_.now_us();

  const WorkloadSpec& load = scenario.workload;
  core::app::IntegrationConfig cfg;
  std::vector<std::string> unit_ids;
  for (std::int64_t i = 0; i < load.units; ++i) {
    const std::string id = fmt::format("u{}", i + 1);
    cfg.units.push_back(
        {id, load.unit_kinds[static_cast<std::size_t>(i) % load.unit_kinds.size()]});
    unit_ids.push_back(id);
  }
  cfg.webhooks.stripe_secrets = {std::string(kStripeWebhookSecret)};
  cfg.stripe_secret_key = peers.stripe.secret_key;
  core::resilience::PeerPolicy stripe_policy;
  stripe_policy.idempotency_header = "Idempotency-Key";
  stripe_policy.key_prune_age_us = peers.stripe.idempotency_key_ttl_h * core::kUsPerHour;
  cfg.dispatcher.peers["stripe"] = stripe_policy;
  cfg.memberships.interval = load.membership_interval;
  if (peers.whatsapp_enabled) {
    cfg.notifications = peers.notifications;
    cfg.notifications.enabled = true;
    cfg.notifications.phone_number_id = peers.whatsapp.phone_number_id;
    cfg.notifications.access_token = peers.whatsapp.access_token;
    w->notifications_ = cfg.notifications;
    cfg.webhooks.whatsapp_app_secrets = {std::string(kWhatsAppAppSecret)};
    cfg.webhooks.whatsapp_verify_token = std::string(kWhatsAppVerifyToken);
  }
  // Channels: the core polls each one's feeds; a vanished stay is cancelled only after longer
  // than any stale copy the channel serves.
  std::vector<models::ota::ChannelConfig> channel_configs;
  for (const std::string& name : load.channels) {
    models::ota::ChannelConfig ch = peers.ota[name];
    if (!models::ota::parse_flavour(name, &ch.flavour)) {
      return core::Status::invalid_argument(
          fmt::format("{}: /workload/channels: unknown channel '{}'", scenario.origin, name));
    }
    ch.units = unit_ids;
    ch.bookings_per_day = std::max(load.channel_bookings_per_day, 1e-9);
    ch.nights_min = load.nights.min;
    ch.nights_max = load.nights.max;
    ch.lead_days_min = load.lead_days.min;
    ch.lead_days_max = load.lead_days.max;
    core::sync::ChannelConfig sc;
    core::bookings::parse_source(name, &sc.source);
    sc.peer = "ota." + name;
    const auto poll = peers.ota_poll_interval_us.find(name);
    if (poll != peers.ota_poll_interval_us.end()) sc.poll_interval_us = poll->second;
    sc.empty_body_is_calendar = ch.flavour == models::ota::Flavour::kBookingCom;
    cfg.sync.channels.push_back(sc);
    cfg.sync.cancel_after_missing_us =
        std::max(cfg.sync.cancel_after_missing_us, 2 * ch.stale_age_us_max);
    channel_configs.push_back(std::move(ch));
  }
  w->core_ = std::make_unique<CoreNode>(*w->network_, std::move(cfg));
  for (models::ota::ChannelConfig& ch : channel_configs) {
    w->channels_.push_back(std::make_unique<models::drivers::OtaNode>(*w->network_, std::move(ch)));
  }

  w->stripe_ = std::make_unique<models::drivers::StripeNode>(*w->network_, peers.stripe,
                                                             peers.stripe_webhooks);
  models::guests::GuestConfig g;
  g.bookings_per_day = load.direct_bookings_per_day;
  g.units = unit_ids;
  g.currencies = load.currencies;
  g.nights_min = load.nights.min;
  g.nights_max = load.nights.max;
  g.lead_days_min = load.lead_days.min;
  g.lead_days_max = load.lead_days.max;
  g.abandon_probability = load.abandon_probability;
  g.cancel_probability = load.cancel_probability;
  g.guests = load.guests;
  w->guests_ = std::make_unique<models::guests::GuestModel>(*w->network_, g);
  if (load.memberships_per_day > 0) {
    models::guests::MemberConfig mc;
    mc.subscriptions_per_day = load.memberships_per_day;
    mc.currencies = load.currencies;
    mc.guests = load.guests;
    mc.cancel_probability = load.membership_cancel_probability;
    w->members_ = std::make_unique<models::guests::MemberModel>(*w->network_, mc);
  }
  if (peers.whatsapp_enabled) {
    models::whatsapp::WhatsAppConfig wa = peers.whatsapp;
    for (std::int64_t i = 1; i <= load.guests; ++i) {
      wa.users.push_back(core::notifications::guest_wa_id(fmt::format("g_{}", i)));
    }
    models::whatsapp::WebhookQueueConfig hooks = peers.whatsapp_webhooks;
    hooks.app_secret = std::string(kWhatsAppAppSecret);
    hooks.verify_token = std::string(kWhatsAppVerifyToken);
    w->whatsapp_ =
        std::make_unique<models::drivers::WhatsAppNode>(*w->network_, std::move(wa), hooks);
  }

  // The attacker is always on the path; the plan's security specs decide whether it acts.
  models::AttackerConfig attack;
  attack.tolerance_us = 300 * core::kUsPerSec;
  attack.retired_secrets["stripe"] = std::string(kStripeRetiredSecret);
  attack.signer = &w->signer_;
  w->attacker_ = std::make_unique<models::Attacker>(w->sim_, *w->network_, attack);

  sim::SwarmTopology topology;
  topology.core = "core";
  topology.peers = {"stripe"};
  for (const auto& ch : w->channels_) topology.peers.push_back(ch->name());
  if (w->whatsapp_) topology.peers.push_back("whatsapp");
  sim::FaultPlan plan = scenario.faults;
  if (swarm && !plan.swarm) plan.swarm = sim::SwarmOptions{};
  sim::Rng swarm_rng = w->sim_.rng("swarm");
  w->plan_ = sim::resolve_plan(plan, topology, swarm_rng);
  if (core::Status st = sim::check_node_names(w->plan_, w->network_->node_names()); !st) {
    return core::Status::invalid_argument(fmt::format("{}: {}", scenario.origin, st.message()));
  }
  if (core::Status st = w->network_->apply(w->plan_); !st) {
    return core::Status::invalid_argument(fmt::format("{}: {}", scenario.origin, st.message()));
  }
  *out = std::move(w);
  return core::Status::ok();
}

core::Status World::start() {
  if (core::Status st = core_->start(); !st) return st;
  guests_->start();
  if (members_) members_->start();
  for (const auto& ch : channels_) ch->start();
  if (whatsapp_) whatsapp_->start();
  return core::Status::ok();
}

void World::heal() {
  guests_->stop_arrivals();
  if (members_) members_->stop_arrivals();
  for (const auto& ch : channels_) ch->stop_arrivals();
  if (whatsapp_) whatsapp_->stop_inbound();
  network_->heal_all();
}

}  // namespace intsim::harness
