#include "src/core/resilience/job.h"

#include <nlohmann/json.hpp>

namespace intsim::core::resilience {
namespace {

// nlohmann::ordered_json keeps insertion order, which is what makes the bytes stable.
using Json = nlohmann::ordered_json;

Json job_json(const Job& j) {
  Json headers = Json::array();
  for (const Header& h : j.headers) headers.push_back(Json::array({h.name, h.value}));
  Json o;
  o["id"] = j.id;
  o["kind"] = j.kind;
  o["peer"] = j.peer;
  o["method"] = j.method;
  o["target"] = j.target;
  o["headers"] = std::move(headers);
  o["body"] = j.body;
  o["idempotency_key"] = j.idempotency_key;
  o["idempotency_key_created_at_us"] = j.idempotency_key_created_at_us;
  o["recipient"] = j.recipient;
  o["created_at_us"] = j.created_at_us;
  o["attempts"] = j.attempts;
  o["next_attempt_at_us"] = j.next_attempt_at_us;
  o["deadline_us"] = j.deadline_us;
  o["last_delay_us"] = j.last_delay_us;
  o["first_error_at_us"] = j.first_error_at_us;
  o["first_error"] = j.first_error;
  o["last_error_at_us"] = j.last_error_at_us;
  o["last_error"] = j.last_error;
  return o;
}

void job_from(const Json& o, Job* j) {
  j->id = o.at("id").get<std::string>();
  j->kind = o.at("kind").get<std::string>();
  j->peer = o.at("peer").get<std::string>();
  j->method = o.at("method").get<std::string>();
  j->target = o.at("target").get<std::string>();
  j->headers.clear();
  for (const Json& h : o.at("headers")) {
    j->headers.push_back({h.at(0).get<std::string>(), h.at(1).get<std::string>()});
  }
  j->body = o.at("body").get<std::string>();
  j->idempotency_key = o.at("idempotency_key").get<std::string>();
  j->idempotency_key_created_at_us = o.at("idempotency_key_created_at_us").get<TimeUs>();
  j->recipient = o.at("recipient").get<std::string>();
  j->created_at_us = o.at("created_at_us").get<TimeUs>();
  j->attempts = o.at("attempts").get<int>();
  j->next_attempt_at_us = o.at("next_attempt_at_us").get<TimeUs>();
  j->deadline_us = o.at("deadline_us").get<TimeUs>();
  j->last_delay_us = o.at("last_delay_us").get<TimeUs>();
  j->first_error_at_us = o.at("first_error_at_us").get<TimeUs>();
  j->first_error = o.at("first_error").get<std::string>();
  j->last_error_at_us = o.at("last_error_at_us").get<TimeUs>();
  j->last_error = o.at("last_error").get<std::string>();
}

constexpr DeadReason kDeadReasons[] = {
    DeadReason::kPermanent,       DeadReason::kAttemptsExhausted, DeadReason::kDeadlineExceeded,
    DeadReason::kKeyPastPruneAge, DeadReason::kNoHandler,         DeadReason::kAmbiguous};

}  // namespace

std::string job_to_json(const Job& job) { return job_json(job).dump(); }

// Parsing is a boundary (rows written by an older version, a damaged store): exceptions from
// nlohmann stop here and become a Status.
Status job_from_json(std::string_view text, Job* job) {
  try {
    job_from(Json::parse(text), job);
  } catch (const Json::exception& e) {
    return Status::invalid_argument(std::string("outbox row: ") + e.what());
  }
  return Status::ok();
}

std::string_view dead_reason_name(DeadReason reason) {
  switch (reason) {
    case DeadReason::kPermanent:
      return "permanent";
    case DeadReason::kAttemptsExhausted:
      return "attempts_exhausted";
    case DeadReason::kDeadlineExceeded:
      return "deadline_exceeded";
    case DeadReason::kKeyPastPruneAge:
      return "idempotency_key_past_prune_age";
    case DeadReason::kNoHandler:
      return "no_handler";
    case DeadReason::kAmbiguous:
      return "ambiguous_outcome";
  }
  return "unknown";
}

std::string dlq_entry_to_json(const DlqEntry& entry) {
  Json o;
  o["id"] = entry.id;
  o["reason"] = dead_reason_name(entry.reason);
  o["detail"] = entry.detail;
  o["dead_at_us"] = entry.dead_at_us;
  o["job"] = job_json(entry.job);
  return o.dump();
}

Status dlq_entry_from_json(std::string_view text, DlqEntry* entry) {
  try {
    const Json o = Json::parse(text);
    entry->id = o.at("id").get<std::string>();
    const auto reason = o.at("reason").get<std::string>();
    bool known = false;
    for (const DeadReason r : kDeadReasons) {
      if (dead_reason_name(r) == reason) {
        entry->reason = r;
        known = true;
      }
    }
    if (!known) return Status::invalid_argument("dlq row: unknown reason " + reason);
    entry->detail = o.at("detail").get<std::string>();
    entry->dead_at_us = o.at("dead_at_us").get<TimeUs>();
    job_from(o.at("job"), &entry->job);
  } catch (const Json::exception& e) {
    return Status::invalid_argument(std::string("dlq row: ") + e.what());
  }
  return Status::ok();
}

}  // namespace intsim::core::resilience
