#include "models/attacker.h"

#include <fmt/format.h>

#include "src/core/assert.h"

namespace intsim::models {

using sim::FaultKind;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

constexpr std::string_view kStripeHeader = "Stripe-Signature";
constexpr std::string_view kStandardHeader = "webhook-signature";
constexpr std::string_view kStandardTimestamp = "webhook-timestamp";
constexpr std::string_view kWhatsAppHeader = "X-Hub-Signature-256";

std::string_view signature_header(std::string_view scheme) {
  if (scheme == kSchemeStripe) return kStripeHeader;
  if (scheme == kSchemeStandard) return kStandardHeader;
  return kWhatsAppHeader;
}

// Replaces the header of the same name (case-insensitive) or adds it.
void set_header(std::vector<core::Header>& headers, const core::Header& h) {
  for (core::Header& existing : headers) {
    if (core::iequals(existing.name, h.name)) {
      existing.value = h.value;
      return;
    }
  }
  headers.push_back(h);
}

void remove_header(std::vector<core::Header>& headers, std::string_view name) {
  std::erase_if(headers, [&](const core::Header& h) { return core::iequals(h.name, name); });
}

}  // namespace

std::string_view webhook_scheme(const core::HttpRequest& request) {
  if (request.header(kStripeHeader)) return kSchemeStripe;
  if (request.header(kStandardHeader)) return kSchemeStandard;
  if (request.header(kWhatsAppHeader)) return kSchemeWhatsApp;
  return "";
}

std::string_view origin_name(Origin origin) {
  switch (origin) {
    case Origin::kAuthentic:
      return "authentic";
    case Origin::kReplayInside:
      return "replay_inside";
    case Origin::kReplayOutside:
      return "replay_outside";
    case Origin::kTamperedBody:
      return "tampered_body";
    case Origin::kForgedSignature:
      return "forged_signature";
    case Origin::kMissingSignature:
      return "missing_signature";
    case Origin::kWrongSecret:
      return "wrong_secret";
    case Origin::kRetiredSecret:
      return "retired_secret";
  }
  return "unknown";
}

Origin origin_of(FaultKind kind) {
  switch (kind) {
    case FaultKind::kReplayInside:
      return Origin::kReplayInside;
    case FaultKind::kReplayOutside:
      return Origin::kReplayOutside;
    case FaultKind::kTamperedBody:
      return Origin::kTamperedBody;
    case FaultKind::kForgedSignature:
      return Origin::kForgedSignature;
    case FaultKind::kMissingSignature:
      return Origin::kMissingSignature;
    case FaultKind::kWrongSecret:
      return Origin::kWrongSecret;
    case FaultKind::kRetiredSecret:
      return Origin::kRetiredSecret;
    default:
      INTSIM_ASSERT_MSG(false, "not a security fault kind");
  }
  return Origin::kAuthentic;
}

// ---- Ledger -----------------------------------------------------------------------------

LedgerEntry& WebhookLedger::add(LedgerEntry entry) {
  ++counts_[static_cast<std::size_t>(entry.origin)];
  by_delivery_[entry.delivery_id] = entries_.size();
  entries_.push_back(std::move(entry));
  return entries_.back();
}

const LedgerEntry* WebhookLedger::find(std::uint64_t delivery_id) const {
  const auto it = by_delivery_.find(delivery_id);
  return it == by_delivery_.end() ? nullptr : &entries_[it->second];
}

LedgerEntry* WebhookLedger::find_mut(std::uint64_t delivery_id) {
  const auto it = by_delivery_.find(delivery_id);
  return it == by_delivery_.end() ? nullptr : &entries_[it->second];
}

std::vector<const LedgerEntry*> WebhookLedger::accepted_unauthentic() const {
  std::vector<const LedgerEntry*> out;
  for (const LedgerEntry& e : entries_) {
    if (e.origin == Origin::kAuthentic || e.origin == Origin::kReplayInside) continue;
    if (!e.reached_endpoint || e.status < 200 || e.status >= 300) continue;
    if (e.origin == Origin::kReplayOutside && e.scheme != kSchemeStripe &&
        e.scheme != kSchemeStandard)
      continue;
    out.push_back(&e);
  }
  return out;
}

// ---- Attacker ---------------------------------------------------------------------------

Attacker::Attacker(sim::Simulation& sim, sim::Network& network, AttackerConfig config)
    : sim_(sim),
      network_(network),
      config_(std::move(config)),
      node_(network.add_node(config_.name)),
      target_(0),
      rng_(sim.rng("attacker")) {
  const auto target = network.find_node(config_.target);
  INTSIM_ASSERT_MSG(target.has_value(), "the attacker's target node does not exist");
  target_ = *target;
  k_inject_ = sim.register_kind("attacker.inject", this);
  network.set_interceptor(target_, this);
}

sim::RequestInterceptor::Verdict Attacker::on_request(const sim::DeliveryInfo& info,
                                                      const core::HttpRequest& request) {
  LedgerEntry e;
  e.delivery_id = info.delivery_id;
  e.at_us = info.arrived_at_us;
  e.from = info.from;
  e.copy = info.copy;
  e.method = request.method;
  e.target = request.target;
  e.webhook = starts_with(request.target, "/webhooks/");
  e.scheme = std::string(webhook_scheme(request));
  if (info.from == node_ && info.tag != 0) {
    INTSIM_ASSERT(info.tag <= injections_.size());
    const Injection& inj = injections_[info.tag - 1];
    e.origin = inj.origin;
    e.of_delivery = inj.of_delivery;
    e.source = inj.source;
    e.scheme = inj.scheme;
  } else {
    e.origin = Origin::kAuthentic;
    e.source = network_.node_name(info.from);
  }
  const bool authentic_webhook = e.origin == Origin::kAuthentic && e.webhook;
  ledger_.add(std::move(e));
  if (!authentic_webhook || network_.healed()) return Verdict::kDeliver;

  ++recorded_;
  bool swallow = false;
  for (const sim::FaultSpec& spec : network_.plan().specs) {
    if (sim::fault_layer(spec.kind) != sim::FaultLayer::kSecurity) continue;
    if (!network_.spec_applies(spec, info.from, info.to, request.target)) continue;
    if (!rng_.bernoulli(spec.probability)) continue;
    Injection inj;
    inj.kind = spec.kind;
    inj.origin = origin_of(spec.kind);
    inj.of_delivery = info.delivery_id;
    inj.source = network_.node_name(info.from);
    inj.scheme = std::string(webhook_scheme(request));
    inj.request = request;
    core::TimeUs delay_us;
    const core::TimeUs tol = config_.tolerance_us, margin = config_.replay_margin_us;
    switch (spec.kind) {
      case FaultKind::kReplayInside:
        delay_us = rng_.uniform_range(core::kUsPerSec,
                                      std::max<core::TimeUs>(core::kUsPerSec, tol - margin));
        break;
      case FaultKind::kReplayOutside:
        delay_us = tol + margin + rng_.uniform_range(0, tol);
        break;
      default:
        delay_us = rng_.uniform_range(core::kUsPerMs, 2 * core::kUsPerSec);
        if (spec.kind == FaultKind::kTamperedBody && config_.swallow_tampered) swallow = true;
        break;
    }
    injections_.push_back(std::move(inj));
    sim_.after(delay_us, k_inject_, network_.node_actor(node_), injections_.size() - 1);
  }
  return swallow ? Verdict::kSwallow : Verdict::kDeliver;
}

void Attacker::on_outcome(const sim::DeliveryInfo& info, const Outcome& outcome) {
  LedgerEntry* e = ledger_.find_mut(info.delivery_id);
  if (e == nullptr) return;
  e->reached_endpoint = outcome.reached_endpoint;
  e->http_fault = outcome.fault;
  e->status = outcome.response != nullptr ? outcome.response->status : -1;
}

void Attacker::on_http_result(core::RequestId, core::HttpResult, core::TimeUs) { ++answers_; }

void Attacker::on_event(const sim::Event& event) {
  Injection& inj = injections_[event.arg];
  core::HttpRequest request = std::move(*inj.request);
  inj.request.reset();
  if (network_.healed() || !network_.is_up(node_) || !prepare(inj, request)) {
    ++skipped_;
    return;
  }
  ++injected_;
  network_.record_fault(inj.kind, node_, inj.of_delivery,
                        fmt::format("{}->{} of delivery {}", inj.source,
                                    network_.node_name(target_), inj.of_delivery));
  sim::Outgoing out;
  out.from = node_;
  out.to = target_;
  out.request_id = event.arg + 1;
  out.sink = this;
  out.deadline_us = sim_.now_us() + config_.deadline_us;
  out.tag = event.arg + 1;
  network_.send(out, std::move(request));
}

bool Attacker::prepare(Injection& inj, core::HttpRequest& request) {
  const std::string& scheme = inj.scheme;
  const core::TimeUs now_us = network_.node_now_us(node_);
  switch (inj.origin) {
    case Origin::kAuthentic:
      return false;
    case Origin::kReplayInside:
    case Origin::kReplayOutside:
      return true;  // verbatim
    case Origin::kTamperedBody:
      if (scheme.empty()) return false;  // nothing could tell a tampered unsigned body
      tamper(request.body);
      return true;
    case Origin::kMissingSignature:
      if (scheme.empty()) return false;
      remove_header(request.headers, signature_header(scheme));
      return true;
    case Origin::kForgedSignature: {
      if (scheme.empty()) return false;
      const std::int64_t unix_s = core::unix_seconds(now_us);
      if (scheme == kSchemeStripe) {
        set_header(request.headers,
                   {std::string(kStripeHeader), fmt::format("t={},v1={}", unix_s, random_hex(64))});
      } else if (scheme == kSchemeStandard) {
        set_header(request.headers, {std::string(kStandardTimestamp), std::to_string(unix_s)});
        set_header(request.headers, {std::string(kStandardHeader), "v1," + random_base64(32)});
      } else {
        set_header(request.headers, {std::string(kWhatsAppHeader), "sha256=" + random_hex(64)});
      }
      return true;
    }
    case Origin::kWrongSecret:
    case Origin::kRetiredSecret: {
      if (scheme.empty() || config_.signer == nullptr) return false;
      std::string secret;
      if (inj.origin == Origin::kWrongSecret) {
        secret = random_secret(scheme);
      } else {
        const auto it = config_.retired_secrets.find(inj.source);
        if (it == config_.retired_secrets.end()) return false;
        secret = it->second;
      }
      for (const core::Header& h : config_.signer->sign(scheme, secret, now_us, request))
        set_header(request.headers, h);
      return true;
    }
  }
  return false;
}

void Attacker::tamper(std::string& body) {
  // Change one digit (an amount, an id, a timestamp) if there is one, else one character.
  std::vector<std::size_t> digits;
  for (std::size_t i = 0; i < body.size(); ++i)
    if (body[i] >= '0' && body[i] <= '9') digits.push_back(i);
  if (!digits.empty()) {
    const std::size_t at = digits[rng_.uniform(digits.size())];
    body[at] = static_cast<char>('0' + (body[at] - '0' + 1 + rng_.uniform(9)) % 10);
  } else if (!body.empty()) {
    const std::size_t at = rng_.uniform(body.size());
    body[at] = body[at] == 'x' ? 'y' : 'x';
  } else {
    body = "{}";
  }
}

std::string Attacker::random_hex(std::size_t chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(chars, '0');
  for (char& c : s) c = kHex[rng_.uniform(16)];
  return s;
}

std::string Attacker::random_base64(std::size_t bytes) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(rng_.uniform(256));
  std::string out;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    const std::uint32_t b0 = static_cast<unsigned char>(raw[i]);
    const std::uint32_t b1 = i + 1 < raw.size() ? static_cast<unsigned char>(raw[i + 1]) : 0;
    const std::uint32_t b2 = i + 2 < raw.size() ? static_cast<unsigned char>(raw[i + 2]) : 0;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < raw.size() ? kB64[(v >> 6) & 63] : '=';
    out += i + 2 < raw.size() ? kB64[v & 63] : '=';
  }
  return out;
}

std::string Attacker::random_secret(std::string_view scheme) {
  if (scheme == kSchemeStandard) return "whsec_" + random_base64(24);
  if (scheme == kSchemeStripe) return "whsec_" + random_hex(32);
  return random_hex(32);  // a WhatsApp app secret
}

}  // namespace intsim::models
