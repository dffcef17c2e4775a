// A unit of outbound work as the outbox stores it, and a dead-letter entry.
//
// Rows are JSON objects with their fields in a fixed order (the order written below), so the
// same job always serializes to the same bytes and a store dump diffs cleanly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/http.h"
#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core::resilience {

inline constexpr std::string_view kOutboxTable = "outbox";
inline constexpr std::string_view kDlqTable = "dlq";

struct Job {
  std::string id;    // the outbox row key; unique
  std::string kind;  // selects the handler: "stripe.create_payment_intent"
  std::string peer;  // the logical peer: "stripe", "whatsapp", "ota.airbnb"
  std::string method;
  std::string target;
  std::vector<Header> headers;
  std::string body;
  // Generated before the first attempt, reused by every retry, across restarts and (unless the
  // caller asks otherwise) across a DLQ replay. Sent only to peers that honour one.
  std::string idempotency_key;
  TimeUs idempotency_key_created_at_us = 0;  // the key's age counts from here
  // Limits sends to one recipient (a WhatsApp phone number); empty: no per-recipient limit.
  std::string recipient;
  TimeUs created_at_us = 0;
  int attempts = 0;  // attempts whose result came back
  TimeUs next_attempt_at_us = 0;
  TimeUs deadline_us = 0;        // no attempt starts at or after it
  TimeUs last_delay_us = 0;      // the previous backoff delay (decorrelated jitter grows from it)
  TimeUs first_error_at_us = 0;  // 0: no error yet
  std::string first_error;
  TimeUs last_error_at_us = 0;
  std::string last_error;

  friend bool operator==(const Job&, const Job&) = default;
};

std::string job_to_json(const Job& job);
Status job_from_json(std::string_view text, Job* job);

// Why a job ended in the dead-letter queue.
enum class DeadReason {
  kPermanent,          // the peer refused the request (4xx)
  kAttemptsExhausted,  // attempts_max attempts failed
  kDeadlineExceeded,   // the job's deadline passed
  kKeyPastPruneAge,    // the idempotency key is older than the peer keeps keys: reconcile first
  kNoHandler,          // no handler is registered for the job's kind
  kAmbiguous,          // the peer may have done the work and a retry could do it again
};
std::string_view dead_reason_name(DeadReason reason);

struct DlqEntry {
  std::string id;  // the job's id (unique, since a replay gives the job a new id)
  Job job;         // payload, attempts, first and last error, times
  DeadReason reason = DeadReason::kPermanent;
  std::string detail;  // what the last result was: "status 400", "timeout"
  TimeUs dead_at_us = 0;

  friend bool operator==(const DlqEntry&, const DlqEntry&) = default;
};

std::string dlq_entry_to_json(const DlqEntry& entry);
Status dlq_entry_from_json(std::string_view text, DlqEntry* entry);

}  // namespace intsim::core::resilience
