// The Stripe objects the model keeps, as plain structs; render.cc turns them into Stripe's JSON.
// Only the fields the model's behaviour or the core's integration needs are kept.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/core/time.h"

namespace intsim::models::stripe {

using Metadata = std::map<std::string, std::string>;

struct Customer {
  std::string id;
  std::string email;
  std::string name;
  std::string default_payment_method;  // invoice_settings.default_payment_method
  Metadata metadata;
  core::TimeUs created_us = 0;
};

struct PaymentError {
  std::string type;  // "card_error"
  std::string code;  // "card_declined", "expired_card", "payment_intent_authentication_failure"
  std::string decline_code;
  std::string message;
  std::string payment_method;
};

struct PaymentIntent {
  std::string id;
  std::string customer;
  std::string payment_method;
  std::string currency;
  std::string description;
  std::string capture_method = "automatic";  // or "manual"
  std::string status;
  std::int64_t amount = 0;
  std::int64_t amount_capturable = 0;
  std::int64_t amount_received = 0;
  Metadata metadata;
  std::optional<PaymentError> last_payment_error;
  bool next_action_sdk = false;  // next_action.type "use_stripe_sdk" while requires_action
  std::string latest_charge;
  std::string cancellation_reason;
  std::string invoice;  // set when the PaymentIntent pays an invoice
  core::TimeUs created_us = 0;
  core::TimeUs canceled_us = -1;
};

struct Charge {
  std::string id;
  std::string payment_intent;
  std::string customer;
  std::string payment_method;
  std::string currency;
  std::string status;  // "pending", "succeeded", "failed"
  std::int64_t amount = 0;
  std::int64_t amount_captured = 0;
  std::int64_t amount_refunded = 0;
  bool captured = false;
  bool disputed = false;
  std::string failure_code;
  std::string failure_message;
  std::string dispute;  // the open or closed dispute, if any
  Metadata metadata;
  core::TimeUs created_us = 0;
};

struct Refund {
  std::string id;
  std::string charge;
  std::string payment_intent;
  std::string currency;
  std::string status = "succeeded";
  std::string reason;
  std::int64_t amount = 0;
  Metadata metadata;
  core::TimeUs created_us = 0;
};

struct Dispute {
  std::string id;
  std::string charge;
  std::string payment_intent;
  std::string currency;
  std::string reason;  // "fraudulent", "product_not_received", ...
  std::string status;  // needs_response, under_review, won, lost
  std::int64_t amount = 0;
  core::TimeUs created_us = 0;
  core::TimeUs evidence_due_us = 0;
};

struct Price {
  std::string currency;
  std::int64_t unit_amount = 0;
  std::string product;
  std::string interval = "month";  // day, week, month, year
  std::int64_t interval_count = 1;
};

struct Subscription {
  std::string id;
  std::string customer;
  std::string status;  // incomplete, incomplete_expired, active, past_due, unpaid, canceled
  std::string default_payment_method;
  std::string latest_invoice;
  Price price;
  Metadata metadata;
  core::TimeUs created_us = 0;
  core::TimeUs current_period_start_us = 0;
  core::TimeUs current_period_end_us = 0;
  core::TimeUs canceled_us = -1;
};

struct Invoice {
  std::string id;
  std::string customer;
  std::string subscription;
  Metadata subscription_metadata;  // subscription_details.metadata: the subscription's, as of
                                   // the invoice's finalization
  std::string payment_intent;
  std::string currency;
  std::string status;          // draft, open, paid, uncollectible, void
  std::string billing_reason;  // subscription_create, subscription_cycle
  std::int64_t amount_due = 0;
  std::int64_t amount_paid = 0;
  int attempt_count = 0;
  core::TimeUs next_payment_attempt_us = -1;  // -1: none scheduled
  core::TimeUs first_failure_us = -1;
  core::TimeUs created_us = 0;
  core::TimeUs period_start_us = 0;
  core::TimeUs period_end_us = 0;
};

}  // namespace intsim::models::stripe
