// A guest club membership: the core's durable record of one guest's Stripe subscription, and
// the merge that keeps old news from overwriting newer.
//
// The plan sold is the "guest club": a recurring membership (member rates, late check-out)
// billed every interval (a month by default; scenarios use days so that renewals and a whole
// dunning cycle fit in a few virtual days). One membership is one Stripe customer and one
// Stripe subscription, both tagged metadata[membership_id].
//
// Table "memberships", key = membership id ("ms_" and 16 hex digits), value = encode_membership
// (JSON, fixed field order). Table "memberships_by_sub", key = subscription id, and table
// "memberships_by_customer", key = customer id, value = membership id (Stripe's answers and
// invoices name only its own ids). Table "membership_checks", key = "<check_due_us, 20 digits>/
// <membership id>": when the reconciler must look at each non-final membership next, so a pass
// reads only those due.
//
// Status: Stripe's subscription status, plus two of ours before and instead of one:
//   creating             the customer or subscription create is queued or in flight
//   incomplete           the first invoice is not paid (Stripe: incomplete)
//   active, past_due, unpaid
//   canceled             by the member's request or at the end of dunning (the membership lapsed)
//   incomplete_expired   the first invoice was never paid
//   failed               no subscription exists and none will be made (Stripe refused the
//                        create, or every attempt died and a search found nothing)
// canceled, incomplete_expired and failed are final: nothing moves a membership out of them.
// Between the others Stripe moves back and forth (active -> past_due -> active), so no rank
// orders them; what decides is when Stripe said it (merge_news below).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::core::payments {

inline constexpr std::string_view kMembershipsTable = "memberships";
inline constexpr std::string_view kMembershipsBySubTable = "memberships_by_sub";
inline constexpr std::string_view kMembershipsByCustomerTable = "memberships_by_customer";
inline constexpr std::string_view kMembershipChecksTable = "membership_checks";

enum class MemberStatus : std::uint8_t {
  kCreating,
  kIncomplete,
  kActive,
  kPastDue,
  kUnpaid,
  kCanceled,
  kIncompleteExpired,
  kFailed,
};
std::string_view member_status_name(MemberStatus status);  // Stripe's names, "creating", "failed"
bool parse_member_status(std::string_view name, MemberStatus* out);
// A subscription status Stripe reports ("trialing" and "paused" never happen here: false).
bool member_status_from_stripe(std::string_view stripe_status, MemberStatus* out);
inline bool is_final(MemberStatus s) {
  return s == MemberStatus::kCanceled || s == MemberStatus::kIncompleteExpired ||
         s == MemberStatus::kFailed;
}

struct Membership {
  std::string id;
  std::string guest;
  std::string plan;  // the product ("guest_club")
  std::string currency;
  std::int64_t amount = 0;  // per interval, smallest unit
  std::string interval;     // day, week, month, year
  std::string payment_method;
  MemberStatus status = MemberStatus::kCreating;
  std::string customer;      // cus_... once known
  std::string subscription;  // sub_... once known
  // The create jobs and their keys: a key is made once and kept across retries, restarts and a
  // create made again while Stripe still keeps it; *_dead says the job ended in the DLQ, so
  // nothing is created again before a read says none exists.
  std::string customer_job_id;
  std::string customer_key;
  TimeUs customer_key_at_us = 0;
  bool customer_dead = false;
  std::string subscription_job_id;
  std::string subscription_key;
  TimeUs subscription_key_at_us = 0;
  bool subscription_dead = false;
  int creates = 0;          // create jobs made (customers and subscriptions)
  std::string read_job_id;  // a retrieve, search or list in the outbox ("" when none)
  bool cancel_requested = false;
  std::string cancel_job_id;  // the DELETE in the outbox ("" when none)
  bool lapsed = false;        // ended by dunning, not by the member
  // Stripe's time (seconds) of the newest news taken: an event's `created`, or the Date of a
  // response that showed the subscription.
  std::int64_t last_news_s = 0;
  // Dunning: invoice id -> "failed" | "paid", and the invoices whose failure the member was told.
  std::map<std::string, std::string> invoices;
  std::set<std::string> dunned;
  TimeUs created_at_us = 0;
  TimeUs updated_at_us = 0;  // Stripe's last news about it (events and reads)
  TimeUs checked_at_us = 0;  // when the reconciler last looked at it
  // When Stripe should next have news (the period's end: a renewal; an invoice's next payment
  // attempt), as of the last news; 0 when unknown.
  TimeUs news_expected_us = 0;
  TimeUs check_due_us = 0;  // its key in "membership_checks" (0: none, it is final)

  bool operator==(const Membership&) const = default;
};

std::string encode_membership(const Membership& m);
// The "membership_checks" key of a membership due at at_us.
std::string membership_check_key(TimeUs at_us, std::string_view membership_id);
Status decode_membership(std::string_view row, Membership* out);

// What to do with Stripe's word on a membership's status.
enum class Merge : std::uint8_t {
  kApply,   // take it
  kIgnore,  // older than what we know, or nothing new
  kRead,    // in doubt: read the subscription and take what it says
};
// Stripe said `incoming` at at_s (its clock, seconds): an event's `created`, or the Date header
// of an answer that rendered the subscription (a create, a cancel, a retrieve). Final statuses
// are always taken (Stripe never leaves them, so such news cannot be stale). Otherwise newer
// news is taken, older ignored, and news of the same second as the newest taken is in doubt
// (several changes share a second, in any order).
Merge merge_news(const Membership& m, MemberStatus incoming, std::int64_t at_s);

// An HTTP Date (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") as Unix seconds; false
// when it is not one.
bool parse_http_date(std::string_view text, std::int64_t* unix_s);

}  // namespace intsim::core::payments
