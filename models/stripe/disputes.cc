// Disputes of the Stripe model: they open at random on succeeded charges and go through
// needs_response -> under_review -> won | lost, with charge.dispute.* events and the money
// they move in the ledger.
#include <array>

#include "models/stripe/api_util.h"
#include "models/stripe/stripe_model.h"
#include "src/core/assert.h"

namespace intsim::models::stripe {

void StripeModel::maybe_schedule_dispute(const Charge& charge, bool forced, core::TimeUs now_us) {
  // Draw for every captured charge, forced or not, so a test card never shifts later draws.
  const bool disputed = dispute_rng_.bernoulli(config_.dispute.probability);
  const core::TimeUs delay_us = dispute_rng_.uniform_range(config_.dispute.open_delay_h_min,
                                                           config_.dispute.open_delay_h_max) *
                                core::kUsPerHour;
  if (forced) {
    schedule(now_us + config_.dispute.test_card_open_delay_ms * core::kUsPerMs,
             Timer{TimerKind::kOpenDispute, charge.id, true});
  } else if (disputed) {
    schedule(now_us + delay_us, Timer{TimerKind::kOpenDispute, charge.id, true});
  }
}

void StripeModel::open_dispute(std::string_view charge_id, const RequestContext& ctx) {
  auto it = charges_.find(charge_id);
  INTSIM_ASSERT(it != charges_.end());
  Charge& ch = it->second;
  const std::int64_t amount = ch.amount_captured - ch.amount_refunded;
  // Fully refunded in the meantime, or already disputed: nothing left to dispute.
  if (amount <= 0 || !ch.dispute.empty()) return;
  static constexpr std::array<std::string_view, 4> kReasons = {
      "fraudulent", "product_not_received", "duplicate", "subscription_canceled"};
  Dispute d;
  d.id = next_id("dp");
  d.charge = ch.id;
  d.payment_intent = ch.payment_intent;
  d.currency = ch.currency;
  d.amount = amount;
  d.reason = std::string(kReasons[dispute_rng_.uniform(kReasons.size())]);
  d.status = "needs_response";
  d.created_us = ctx.now_us;
  d.evidence_due_us = ctx.now_us + config_.dispute.evidence_window_h * core::kUsPerHour;
  ch.disputed = true;
  ch.dispute = d.id;
  const PaymentRecord* record = ledger_.find(ch.payment_intent);
  INTSIM_ASSERT(record != nullptr);
  ledger_.on_move({ctx.now_us, MoneyMove::kDisputeWithdrawal, record->booking_id, ch.payment_intent,
                   d.id, d.currency, d.amount});
  const Dispute& stored = disputes_.emplace(d.id, std::move(d)).first->second;
  schedule(stored.evidence_due_us, Timer{TimerKind::kDisputeUnderReview, stored.id, true});
  emit("charge.dispute.created", render(stored), ctx);
  emit("charge.dispute.funds_withdrawn", render(stored), ctx);
}

void StripeModel::dispute_under_review(std::string_view dispute_id, const RequestContext& ctx) {
  Dispute& d = disputes_.at(std::string(dispute_id));
  INTSIM_ASSERT(d.status == "needs_response");
  d.status = "under_review";
  schedule(ctx.now_us + config_.dispute.review_h * core::kUsPerHour,
           Timer{TimerKind::kCloseDispute, d.id, true});
  emit("charge.dispute.updated", render(d), ctx, {{"status", "needs_response"}});
}

void StripeModel::close_dispute(std::string_view dispute_id, const RequestContext& ctx) {
  Dispute& d = disputes_.at(std::string(dispute_id));
  INTSIM_ASSERT(d.status == "under_review");
  const bool won = dispute_rng_.bernoulli(config_.dispute.won_probability);
  d.status = won ? "won" : "lost";
  emit("charge.dispute.closed", render(d), ctx, {{"status", "under_review"}});
  if (won) {
    const PaymentRecord* record = ledger_.find(d.payment_intent);
    INTSIM_ASSERT(record != nullptr);
    ledger_.on_move({ctx.now_us, MoneyMove::kDisputeReinstatement, record->booking_id,
                     d.payment_intent, d.id, d.currency, d.amount});
    emit("charge.dispute.funds_reinstated", render(d), ctx);
  }
}

}  // namespace intsim::models::stripe
