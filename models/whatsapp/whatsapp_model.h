// The simulated WhatsApp Cloud API (DESIGN.md section 4), sans-I/O: handle(request, now) answers
// a send, advance(now) moves time (status changes, guests writing in), and the webhook payloads
// it produces wait in take_webhooks() for the driver's WebhookQueue.
//
// POST /<version>/<phone-number-id>/messages, checked in this order:
//   wrong path 404 (Graph code 100) / wrong bearer token 401 (190) / malformed body 400 (100)
//   more than throughput_per_sec sends in the last second     400, code 130429
//   the last accepted message to this user < pair_interval ago 400, code 131056
//   a number that cannot receive WhatsApp                      400, code 131026
//   free-form text outside the user's 24 h window              400, code 131047
//   accepted: 200 {"messaging_product", "contacts", "messages": [{"id": "wamid..."}]}; with
//   ambiguous_error_probability the message goes out but the answer is a 500.
// An accepted message then goes sent, delivered and (maybe) read, each a status webhook carrying
// the send's biz_opaque_callback_data; guests write in at random, opening their window.
//
// Ground truth: every message each user received (the model never loses an accepted message),
// every error it answered, and every send attempt, for the oracles.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "models/whatsapp/webhook_queue.h"
#include "sim/rng.h"
#include "src/core/http.h"
#include "src/core/time.h"

namespace intsim::models::whatsapp {

struct WhatsAppConfig {
  std::string phone_number_id = "106540352242922";
  std::string business_account_id = "102290129340398";
  std::string display_phone_number = "15550783881";
  std::string access_token = "intsim_wa_access_token";
  core::TimeUs window_us = 24 * core::kUsPerHour;
  core::TimeUs pair_interval_us = 6 * core::kUsPerSec;
  std::int64_t throughput_per_sec = 80;
  double undeliverable_probability = 0.0;    // per number, drawn when first messaged
  double ambiguous_error_probability = 0.0;  // sent, but the answer is a 500
  double server_error_probability = 0.0;     // a 500 before anything was sent
  // Statuses after acceptance: sent within sent_us_max, delivered within delivered_us_max (a
  // phone that is offline, with offline_probability, only after up to offline_us_max), read with
  // read_probability within read_us_max of delivery.
  core::TimeUs sent_us_max = 2 * core::kUsPerSec;
  core::TimeUs delivered_us_max = 20 * core::kUsPerSec;
  double offline_probability = 0.1;
  core::TimeUs offline_us_max = 2 * core::kUsPerHour;
  double read_probability = 0.6;
  core::TimeUs read_us_max = 30 * core::kUsPerMin;
  // Users (wa_ids) who write in, each as a Poisson process.
  std::vector<std::string> users;
  double inbound_per_user_per_day = 0.5;
};

// One message a user received.
struct Received {
  std::string wamid;
  std::string callback;  // biz_opaque_callback_data ("" when none)
  bool is_template = false;
  std::string template_name;
  core::TimeUs at_us = 0;
};

// One send request, whatever became of it.
struct SendAttempt {
  core::TimeUs at_us = 0;
  std::string to;
  std::string callback;
  int error_code = 0;            // 0: accepted
  std::uint64_t client_tag = 0;  // the driver's mark of who sent it (the sender's incarnation)
};

struct StatusEvent {
  core::TimeUs at_us = 0;
  std::string wamid;
  std::string status;
};

class WhatsAppModel {
 public:
  WhatsAppModel(WhatsAppConfig config, sim::Rng rng);

  // Guests start writing in (each user's first message is drawn from now_us); stop_inbound()
  // ends that (the liveness phase), leaving status changes to run out.
  void start(core::TimeUs now_us);
  void stop_inbound();

  core::HttpResponse handle(const core::HttpRequest& request, core::TimeUs now_us,
                            std::uint64_t client_tag = 0);
  // Runs every status change and inbound message due at or before now_us.
  void advance(core::TimeUs now_us);
  core::TimeUs next_wakeup_us() const;
  // Webhook bodies produced since the last call, in order.
  std::vector<std::string> take_webhooks();

  const WhatsAppConfig& config() const { return config_; }

  // Ground truth.
  const std::map<std::string, std::vector<Received>>& received() const { return received_; }
  const std::vector<SendAttempt>& attempts() const { return attempts_; }
  // The highest status each accepted message reached, by wamid ("sent", "delivered", "read").
  const std::map<std::string, std::string>& statuses() const { return statuses_; }
  // The callback of each accepted message, by wamid.
  const std::map<std::string, std::string>& callbacks() const { return callbacks_; }
  std::map<int, std::uint64_t> errors_by_code() const;
  std::uint64_t inbound_messages() const { return inbound_; }
  // Messages accepted for the same callback more than once (each extra copy counts).
  std::uint64_t duplicates() const;
  // Status changes still to come (inbound messages not counted).
  bool pending_statuses() const;

 private:
  struct Scheduled {
    enum class Kind { kStatus, kInbound } kind = Kind::kStatus;
    std::string wamid;  // kStatus
    std::string status;
    std::string user;  // kInbound
  };
  core::HttpResponse graph_error(int http_status, int code, std::string message) const;
  void schedule(core::TimeUs at_us, Scheduled s);
  void emit_status(const std::string& wamid, const std::string& status, core::TimeUs now_us);
  void emit_inbound(const std::string& user, core::TimeUs now_us);
  void plan_statuses(const std::string& wamid, core::TimeUs now_us);
  // The whole webhook body around one change value.
  std::string value_envelope(nlohmann::ordered_json value) const;
  bool deliverable(const std::string& to);

  WhatsAppConfig config_;
  sim::Rng rng_;
  std::map<std::pair<core::TimeUs, std::uint64_t>, Scheduled> scheduled_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_wamid_ = 1;
  std::deque<core::TimeUs> recent_sends_;  // the last second's requests (throughput limit)
  std::map<std::string, core::TimeUs> last_accepted_us_;
  std::map<std::string, core::TimeUs> last_inbound_us_;
  std::map<std::string, bool> deliverable_;
  std::map<std::string, std::vector<Received>> received_;
  std::map<std::string, std::string> statuses_;
  std::map<std::string, std::string> callbacks_;
  std::map<std::string, std::string> recipient_of_;
  std::vector<SendAttempt> attempts_;
  std::vector<std::string> webhooks_;
  std::uint64_t inbound_ = 0;
};

}  // namespace intsim::models::whatsapp
