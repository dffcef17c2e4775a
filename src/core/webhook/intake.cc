#include "src/core/webhook/intake.h"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "src/core/assert.h"
#include "src/core/webhook/json_field.h"
#include "src/core/webhook/query.h"
#include "src/core/webhook/whatsapp_payload.h"

namespace intsim::core::webhook {
namespace {

using nlohmann::json;

constexpr std::string_view kStripePath = "/webhooks/stripe";
constexpr std::string_view kStandardPath = "/webhooks/standard";
constexpr std::string_view kWhatsAppPath = "/webhooks/whatsapp";
constexpr Endpoint kEndpoints[] = {Endpoint::kStripe, Endpoint::kStandard, Endpoint::kWhatsApp};
// Width of received_at_us in by-time keys: every non-negative int64 fits, so keys sort by time.
constexpr std::size_t kTimeDigits = 20;

HttpResponse respond(int status, std::string body,
                     std::string_view content_type = "application/json") {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", std::string(content_type)});
  r.body = std::move(body);
  return r;
}

std::string inbox_key(Endpoint endpoint, std::string_view id) {
  std::string key(endpoint_name(endpoint));
  key += '/';
  key += id;
  return key;
}

std::string by_time_key(Endpoint endpoint, TimeUs received_at_us, std::string_view id) {
  return fmt::format("{}/{:0{}}/{}", endpoint_name(endpoint), received_at_us, kTimeDigits, id);
}

// The body as JSON, or nullopt (the only place the intake meets parse exceptions).
std::optional<json> parse_json(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

}  // namespace

std::string_view endpoint_name(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kStripe:
      return "stripe";
    case Endpoint::kStandard:
      return "standard";
    case Endpoint::kWhatsApp:
      return "whatsapp";
  }
  return "unknown";
}

Status WebhookIntake::create(WebhookIntakeConfig config, const Ports& ports,
                             EventProcessor* processor, std::unique_ptr<WebhookIntake>* out) {
  INTSIM_ASSERT(ports.store != nullptr);
  INTSIM_ASSERT(processor != nullptr);
  for (TimeUs r :
       {config.stripe_retention_us, config.standard_retention_us, config.whatsapp_retention_us}) {
    if (r < 0) return Status::invalid_argument("inbox retention must not be negative");
  }
  std::optional<StandardWebhookVerifier> standard;
  if (Status st = StandardWebhookVerifier::create(config.standard_secrets,
                                                  config.standard_tolerance, &standard);
      !st) {
    return st;
  }
  out->reset(new WebhookIntake(std::move(config), ports, processor, std::move(*standard)));
  return Status::ok();
}

WebhookIntake::WebhookIntake(WebhookIntakeConfig config, const Ports& ports,
                             EventProcessor* processor, StandardWebhookVerifier standard)
    : config_(std::move(config)),
      ports_(ports),
      processor_(processor),
      stripe_(config_.stripe_secrets, config_.stripe_tolerance),
      standard_(std::move(standard)),
      whatsapp_(config_.whatsapp_app_secrets) {}

HttpResponse WebhookIntake::handle(const HttpRequest& request, TimeUs now_us) {
  // by-time keys are zero-padded decimals: they sort by time only for non-negative times.
  INTSIM_ASSERT(now_us >= 0);
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool post = request.method == "POST";
  const auto not_allowed = [](std::string_view allow) {
    HttpResponse r = respond(405, R"({"error":"method_not_allowed"})");
    r.headers.push_back({"Allow", std::string(allow)});
    return r;
  };
  const HttpResponse not_found = respond(404, R"({"error":"not_found"})");
  if (path == kStripePath) {
    if (config_.stripe_secrets.empty()) return not_found;
    return post ? handle_stripe(request, now_us) : not_allowed("POST");
  }
  if (path == kStandardPath) {
    if (config_.standard_secrets.empty()) return not_found;
    return post ? handle_standard(request, now_us) : not_allowed("POST");
  }
  if (path == kWhatsAppPath) {
    if (request.method == "GET") return handle_whatsapp_get(request, now_us);
    if (config_.whatsapp_app_secrets.empty()) return not_found;
    return post ? handle_whatsapp_post(request, now_us) : not_allowed("GET, POST");
  }
  return not_found;
}

HttpResponse WebhookIntake::handle_stripe(const HttpRequest& request, TimeUs now_us) {
  const Verification v = stripe_.verify(request.header("Stripe-Signature"), request.body, now_us);
  if (!v.ok()) return reject(Endpoint::kStripe, v, now_us);
  if (v.event_id.empty()) return malformed(Endpoint::kStripe, "event has no string id", now_us);
  std::vector<VerifiedEvent> events(1);
  events[0].endpoint = Endpoint::kStripe;
  events[0].id = v.event_id;
  events[0].signed_at_s = v.timestamp_s;
  return process(Endpoint::kStripe, events, &request.body, now_us);
}

HttpResponse WebhookIntake::handle_standard(const HttpRequest& request, TimeUs now_us) {
  const Verification v =
      standard_.verify(request.header("webhook-id"), request.header("webhook-timestamp"),
                       request.header("webhook-signature"), request.body, now_us);
  if (!v.ok()) return reject(Endpoint::kStandard, v, now_us);
  std::vector<VerifiedEvent> events(1);
  events[0].endpoint = Endpoint::kStandard;
  events[0].id = v.event_id;
  events[0].signed_at_s = v.timestamp_s;
  return process(Endpoint::kStandard, events, &request.body, now_us);
}

HttpResponse WebhookIntake::handle_whatsapp_post(const HttpRequest& request, TimeUs now_us) {
  const Verification v = whatsapp_.verify(request.header("X-Hub-Signature-256"), request.body);
  if (!v.ok()) return reject(Endpoint::kWhatsApp, v, now_us);
  const std::optional<json> body = parse_json(request.body);
  if (!body) return malformed(Endpoint::kWhatsApp, "body is not JSON", now_us);
  std::vector<VerifiedEvent> events;
  if (Status st = whatsapp_events(*body, &events); !st) {
    return malformed(Endpoint::kWhatsApp, st.message(), now_us);
  }
  return process(Endpoint::kWhatsApp, events, nullptr, now_us);
}

HttpResponse WebhookIntake::handle_whatsapp_get(const HttpRequest& request, TimeUs now_us) {
  const std::string_view target = request.target;
  const std::size_t q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const std::optional<std::string> mode = query_param(query, "hub.mode");
  const std::optional<std::string> token = query_param(query, "hub.verify_token");
  const std::optional<std::string> challenge = query_param(query, "hub.challenge");
  const bool accepted = !config_.whatsapp_verify_token.empty() && mode == "subscribe" && token &&
                        constant_time_equal(*token, config_.whatsapp_verify_token);
  if (!accepted) {
    count(Endpoint::kWhatsApp, "handshake_refused");
    if (ports_.log) {
      ports_.log->write(now_us, LogLevel::kWarn, "webhook.handshake_refused",
                        {{"endpoint", "whatsapp"}, {"mode", mode.value_or("")}});
    }
    return respond(403, R"({"error":"forbidden"})");
  }
  if (!challenge || challenge->empty()) {
    return malformed(Endpoint::kWhatsApp, "handshake without hub.challenge", now_us);
  }
  count(Endpoint::kWhatsApp, "handshake_ok");
  return respond(200, *challenge, "text/plain");
}

HttpResponse WebhookIntake::process(Endpoint endpoint, std::vector<VerifiedEvent>& events,
                                    const std::string* raw_body, TimeUs now_us) {
  Store& store = *ports_.store;
  // 2. Deduplicate: against the inbox, and within this request (a POST may repeat an item).
  std::vector<VerifiedEvent*> fresh;
  std::set<std::string, std::less<>> in_request;
  std::string scratch;
  for (VerifiedEvent& ev : events) {
    if (!in_request.insert(ev.id).second) continue;
    const Status st = store.get(kInboxTable, inbox_key(endpoint, ev.id), &scratch);
    if (st.is_ok()) continue;
    if (st.code() != Status::Code::kNotFound) {
      count(endpoint, "failed");
      if (ports_.log) {
        ports_.log->write(
            now_us, LogLevel::kError, "webhook.inbox_read_failed",
            {{"endpoint", std::string(endpoint_name(endpoint))}, {"error", st.to_string()}});
      }
      return respond(500, R"({"error":"inbox_unavailable"})");
    }
    fresh.push_back(&ev);
  }
  const std::size_t duplicates = events.size() - fresh.size();
  if (fresh.empty()) {
    count(endpoint, "duplicate");
    if (ports_.log) {
      ports_.log->write(now_us, LogLevel::kDebug, "webhook.duplicate",
                        {{"endpoint", std::string(endpoint_name(endpoint))},
                         {"id", events.empty() ? std::string() : events.front().id},
                         {"events", std::to_string(events.size())}});
    }
    return respond(200, R"({"status":"already_processed"})");
  }
  // Stripe and Standard Webhooks bodies are parsed only now that the event is known to be new:
  // a duplicate costs the signature check and one inbox read, nothing more.
  if (raw_body) {
    INTSIM_ASSERT(fresh.size() == 1);
    std::optional<json> parsed = parse_json(*raw_body);
    if (!parsed || !parsed->is_object()) {
      return malformed(endpoint, "body is not a JSON object", now_us);
    }
    fresh[0]->type = json_string_member(*parsed, "type");
    fresh[0]->payload = std::move(*parsed);
  }
  // 3. Process and record, in one batch.
  WriteBatch batch;
  for (VerifiedEvent* ev : fresh) {
    if (Status st = processor_->apply(*ev, batch, now_us); !st) {
      count(endpoint, "failed");
      if (ports_.log) {
        ports_.log->write(now_us, LogLevel::kError, "webhook.processing_failed",
                          {{"endpoint", std::string(endpoint_name(endpoint))},
                           {"id", ev->id},
                           {"error", st.to_string()}});
      }
      return respond(500, R"({"error":"processing_failed"})");
    }
    batch.put(kInboxTable, inbox_key(endpoint, ev->id), std::to_string(now_us));
    batch.put(kInboxByTimeTable, by_time_key(endpoint, now_us, ev->id), "");
  }
  if (Status st = store.commit(batch); !st) {
    count(endpoint, "failed");
    if (ports_.log) {
      ports_.log->write(now_us, LogLevel::kError, "webhook.commit_failed",
                        {{"endpoint", std::string(endpoint_name(endpoint))},
                         {"events", std::to_string(fresh.size())},
                         {"error", st.to_string()}});
    }
    return respond(500, R"({"error":"commit_failed"})");
  }
  count(endpoint, "processed");
  if (ports_.metrics && endpoint == Endpoint::kWhatsApp) {
    ports_.metrics->count("webhook.events", endpoint_name(endpoint), "processed",
                          static_cast<std::int64_t>(fresh.size()));
    ports_.metrics->count("webhook.events", endpoint_name(endpoint), "duplicate",
                          static_cast<std::int64_t>(duplicates));
  }
  if (ports_.log) {
    ports_.log->write(now_us, LogLevel::kInfo, "webhook.processed",
                      {{"endpoint", std::string(endpoint_name(endpoint))},
                       {"id", fresh.front()->id},
                       {"events", std::to_string(fresh.size())},
                       {"duplicates", std::to_string(duplicates)}});
  }
  if (endpoint == Endpoint::kWhatsApp) {
    return respond(200, fmt::format(R"({{"received":true,"events":{},"duplicates":{}}})",
                                    fresh.size(), duplicates));
  }
  return respond(200, R"({"received":true})");
}

HttpResponse WebhookIntake::reject(Endpoint endpoint, const Verification& v, TimeUs now_us) {
  const std::string_view reason = verify_error_name(v.error);
  count(endpoint, "rejected");
  if (ports_.metrics) ports_.metrics->count("webhook.rejected", endpoint_name(endpoint), reason);
  if (ports_.log) {
    ports_.log->write(now_us, LogLevel::kWarn, "webhook.rejected",
                      {{"endpoint", std::string(endpoint_name(endpoint))},
                       {"reason", std::string(reason)},
                       {"detail", v.detail}});
  }
  return respond(400, fmt::format(R"({{"error":"invalid_signature","reason":"{}"}})", reason));
}

HttpResponse WebhookIntake::malformed(Endpoint endpoint, std::string_view what, TimeUs now_us) {
  count(endpoint, "malformed");
  if (ports_.log) {
    ports_.log->write(
        now_us, LogLevel::kWarn, "webhook.malformed",
        {{"endpoint", std::string(endpoint_name(endpoint))}, {"what", std::string(what)}});
  }
  return respond(400, R"({"error":"malformed_event"})");
}

void WebhookIntake::count(Endpoint endpoint, std::string_view outcome, std::int64_t delta) {
  if (ports_.metrics) {
    ports_.metrics->count("webhook.requests", endpoint_name(endpoint), outcome, delta);
  }
}

TimeUs WebhookIntake::retention_us(Endpoint endpoint) const {
  switch (endpoint) {
    case Endpoint::kStripe:
      return config_.stripe_retention_us;
    case Endpoint::kStandard:
      return config_.standard_retention_us;
    case Endpoint::kWhatsApp:
      return config_.whatsapp_retention_us;
  }
  INTSIM_ASSERT(false);
  return 0;
}

Status WebhookIntake::prune(TimeUs now_us, std::size_t rows_max, std::size_t* erased) {
  WriteBatch batch;
  std::size_t rows = 0;
  for (Endpoint endpoint : kEndpoints) {
    const std::string prefix = std::string(endpoint_name(endpoint)) + "/";
    const TimeUs cutoff_us = now_us - retention_us(endpoint);
    bool corrupt = false;
    const Status st =
        ports_.store->scan(kInboxByTimeTable, prefix, [&](std::string_view key, std::string_view) {
          if (rows >= rows_max) return false;
          const std::string_view rest = key.substr(prefix.size());
          TimeUs received_at_us = 0;
          if (rest.size() <= kTimeDigits || rest[kTimeDigits] != '/') {
            corrupt = true;
            return false;
          }
          for (char c : rest.substr(0, kTimeDigits)) {
            if (c < '0' || c > '9') {
              corrupt = true;
              return false;
            }
            received_at_us = received_at_us * 10 + (c - '0');
          }
          if (received_at_us >= cutoff_us) return false;  // rows are in time order: done
          batch.erase(kInboxByTimeTable, key);
          batch.erase(kInboxTable, inbox_key(endpoint, rest.substr(kTimeDigits + 1)));
          ++rows;
          return true;
        });
    if (!st) return st;
    if (corrupt) return Status::internal("webhook_inbox_by_time holds a key not written here");
  }
  if (!batch.empty()) {
    if (Status st = ports_.store->commit(batch); !st) return st;
  }
  if (erased) *erased = rows;
  return Status::ok();
}

Status WebhookIntake::is_recorded(Endpoint endpoint, std::string_view id, bool* recorded) {
  std::string value;
  const Status st = ports_.store->get(kInboxTable, inbox_key(endpoint, id), &value);
  if (st.is_ok() || st.code() == Status::Code::kNotFound) {
    *recorded = st.is_ok();
    return Status::ok();
  }
  return st;
}

}  // namespace intsim::core::webhook
