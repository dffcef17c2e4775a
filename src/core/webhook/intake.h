// Webhook intake: the three endpoints the peers deliver to, in the order the user's document
// prescribes (seed/integration-patterns-mastery.txt, "Webhook Handler Seguro"):
//
//   1. verify the signature           -> 400 on failure, nothing else happens
//   2. deduplicate on the event id    -> 200 {"status":"already_processed"}
//   3. process, and record the id     -> 200 {"received":true}
//      in the same store transaction  -> 500 when processing or the commit fails, so the
//                                        peer retries and nothing is recorded
//
// Sans-I/O: handle() takes a request and the time and returns the response; its only side
// effect is one Store::commit per request (plus reads). The inbox row and the event's effects
// commit together, so an effect happens once under redelivery, crash and restart: a crash
// before the commit loses both (the peer redelivers), a crash after keeps both (the redelivery
// is a duplicate).
//
// Endpoints:
//   POST /webhooks/stripe     Stripe-Signature; dedupe key: the event's "id"
//   POST /webhooks/standard   webhook-id/-timestamp/-signature; dedupe key: webhook-id
//   POST /webhooks/whatsapp   X-Hub-Signature-256; one POST carries many entries, each its own
//                             event with the dedupe key (WhatsApp has no event id):
//                               message:<wamid>               an entry in value.messages
//                               status:<wamid>:<status>       an entry in value.statuses (a
//                                                             message goes sent, delivered, read
//                                                             or failed: each once)
//                               change:<entry id>:<field>:<sha256 hex of the value's JSON>
//                                                             a change with neither (errors,
//                                                             other fields)
//   GET  /webhooks/whatsapp   the hub.challenge handshake: echoes hub.challenge when
//                             hub.mode=subscribe and hub.verify_token matches, else 403
//
// Inbox tables: "webhook_inbox" key "<endpoint>/<id>" -> received_at_us, and
// "webhook_inbox_by_time" key "<endpoint>/<received_at_us, 20 digits>/<id>" so prune() reads
// only the expired rows, oldest first.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "src/core/http.h"
#include "src/core/ports.h"
#include "src/core/status.h"
#include "src/core/time.h"
#include "src/core/webhook/signature.h"

namespace intsim::core::webhook {

enum class Endpoint { kStripe, kStandard, kWhatsApp };
// "stripe", "standard", "whatsapp": the endpoint's part of inbox keys, logs and metrics.
std::string_view endpoint_name(Endpoint endpoint);

inline constexpr std::string_view kInboxTable = "webhook_inbox";
inline constexpr std::string_view kInboxByTimeTable = "webhook_inbox_by_time";

// One authentic event, handed to the processor once (unless processing or the commit fails, in
// which case the peer's redelivery hands it over again).
struct VerifiedEvent {
  Endpoint endpoint = Endpoint::kStripe;
  std::string id;                // the dedupe key (see the table above)
  std::string type;              // Stripe and Standard Webhooks: the body's "type" ("" if absent);
                                 // WhatsApp: "message", "status" or "change"
  std::int64_t signed_at_s = 0;  // the signed timestamp; 0 for WhatsApp, which signs none
  // Stripe and Standard Webhooks: the whole body. WhatsApp: the message or status object, or
  // for a "change" the change's value; the entry id and metadata are in `context`.
  nlohmann::json payload;
  // WhatsApp only: {"entry_id": ..., "field": ..., "metadata": value.metadata}.
  nlohmann::json context;
};

// Implemented by the domain code (payments, bookings, notifications).
class EventProcessor {
 public:
  virtual ~EventProcessor() = default;
  // Adds the event's effects to `effects` and returns OK, or returns an error to have the peer
  // redeliver (the intake answers 500 and records nothing). Must not commit to the store
  // itself: the effects are only safe because they commit with the inbox row. It may read the
  // store; several events of one WhatsApp POST share one batch and do not see each other's
  // writes before the commit.
  virtual Status apply(const VerifiedEvent& event, WriteBatch& effects, TimeUs now_us) = 0;
};

struct WebhookIntakeConfig {
  // Active secrets per endpoint, several while one is rotated. An endpoint with none answers
  // 404: it is not served.
  std::vector<std::string> stripe_secrets;        // "whsec_..." exactly as Stripe shows it
  std::vector<std::string> standard_secrets;      // "whsec_<base64>"
  std::vector<std::string> whatsapp_app_secrets;  // the Meta app secret
  std::string whatsapp_verify_token;              // GET handshake; empty refuses every handshake
  Tolerance stripe_tolerance;
  Tolerance standard_tolerance;
  // How long an inbox row is kept: at least the peer's redelivery window, or a late redelivery
  // would be processed again.
  TimeUs stripe_retention_us = 3 * kUsPerDay;    // Stripe retries for up to three days
  TimeUs standard_retention_us = 3 * kUsPerDay;  // Svix retries for about 28 hours
  TimeUs whatsapp_retention_us = 7 * kUsPerDay;  // Meta retries for up to seven days
};

class WebhookIntake {
 public:
  // Uses ports.store (required), ports.log and ports.metrics (optional). kInvalidArgument for a
  // malformed Standard Webhooks secret or a negative retention. `processor` outlives the intake.
  static Status create(WebhookIntakeConfig config, const Ports& ports, EventProcessor* processor,
                       std::unique_ptr<WebhookIntake>* out);

  HttpResponse handle(const HttpRequest& request, TimeUs now_us);

  // Erases up to rows_max inbox rows older than their endpoint's retention, oldest first, in one
  // commit; `erased` (optional) gets how many. Call again while it erases rows_max.
  Status prune(TimeUs now_us, std::size_t rows_max = 10'000, std::size_t* erased = nullptr);

  // Whether the inbox holds `id` for `endpoint` (for oracles and tests).
  Status is_recorded(Endpoint endpoint, std::string_view id, bool* recorded);

 private:
  WebhookIntake(WebhookIntakeConfig config, const Ports& ports, EventProcessor* processor,
                StandardWebhookVerifier standard);

  HttpResponse handle_stripe(const HttpRequest& request, TimeUs now_us);
  HttpResponse handle_standard(const HttpRequest& request, TimeUs now_us);
  HttpResponse handle_whatsapp_post(const HttpRequest& request, TimeUs now_us);
  HttpResponse handle_whatsapp_get(const HttpRequest& request, TimeUs now_us);
  // Dedupe, process and commit events: one for Stripe and Standard Webhooks, whose payload is
  // parsed from `raw_body` once the event is known to be new; many for WhatsApp (raw_body null,
  // payloads already filled in).
  HttpResponse process(Endpoint endpoint, std::vector<VerifiedEvent>& events,
                       const std::string* raw_body, TimeUs now_us);
  HttpResponse reject(Endpoint endpoint, const Verification& v, TimeUs now_us);
  HttpResponse malformed(Endpoint endpoint, std::string_view what, TimeUs now_us);
  void count(Endpoint endpoint, std::string_view outcome, std::int64_t delta = 1);
  TimeUs retention_us(Endpoint endpoint) const;

  WebhookIntakeConfig config_;
  Ports ports_;
  EventProcessor* processor_;
  StripeVerifier stripe_;
  StandardWebhookVerifier standard_;
  WhatsAppVerifier whatsapp_;
};

}  // namespace intsim::core::webhook
