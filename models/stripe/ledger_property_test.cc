// Property: whatever sequence of API calls a client makes, with idempotency keys reused or not,
// at arbitrary times (including inside another request's in-flight window), the ledger never
// holds two succeeded PaymentIntents created by requests carrying the same key while that key
// was live (a key pruned after 24 h legitimately makes a new request), and never more money
// refunded than captured.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>

#include "models/stripe/stripe_model.h"
#include "models/stripe/test_client.h"

namespace intsim::models::stripe {
namespace {

using testing::Client;

struct Call;
void showValue(const Call& call, std::ostream& os);

struct Call {
  int kind = 0;  // 0 create+confirm, 1 create only, 2 confirm, 3 capture, 4 refund, 5 cancel
  int key = 0;   // 0: no key, else "k<key>"
  int booking = 0;
  int amount = 0;        // index into a few amounts
  int card = 0;          // index into a few payment methods
  int target = 0;        // which earlier PaymentIntent a follow-up call names
  int wait_ms = 0;       // time before the call
  bool advance = false;  // let async work run before the call
};

void showValue(const Call& c, std::ostream& os) {
  os << "{kind=" << c.kind << " key=" << c.key << " booking=" << c.booking << " amount=" << c.amount
     << " card=" << c.card << " target=" << c.target << " wait_ms=" << c.wait_ms
     << " advance=" << c.advance << "}";
}

}  // namespace
}  // namespace intsim::models::stripe

namespace rc {
template <>
struct Arbitrary<intsim::models::stripe::Call> {
  static Gen<intsim::models::stripe::Call> arbitrary() {
    return gen::build<intsim::models::stripe::Call>(
        gen::set(&intsim::models::stripe::Call::kind, gen::inRange(0, 6)),
        gen::set(&intsim::models::stripe::Call::key, gen::inRange(0, 5)),
        gen::set(&intsim::models::stripe::Call::booking, gen::inRange(0, 3)),
        gen::set(&intsim::models::stripe::Call::amount, gen::inRange(0, 3)),
        gen::set(&intsim::models::stripe::Call::card, gen::inRange(0, 6)),
        gen::set(&intsim::models::stripe::Call::target, gen::inRange(0, 8)),
        gen::set(&intsim::models::stripe::Call::wait_ms,
                 gen::element(0, 50, 400, 5'000, 3'600'000, 25 * 3'600'000)),
        gen::set(&intsim::models::stripe::Call::advance, gen::arbitrary<bool>()));
  }
};
}  // namespace rc

namespace intsim::models::stripe {
namespace {

RC_GTEST_PROP(StripeLedgerProperty, OneSucceededPaymentPerIdempotencyKey,
              (const std::vector<Call>& calls, std::uint64_t seed)) {
  static const char* kCards[] = {"pm_card_visa",
                                 "pm_card_chargeDeclined",
                                 "pm_card_threeDSecure2Required",
                                 "pm_card_intsim_processingSucceeds",
                                 "pm_random",
                                 "pm_other"};
  static const char* kAmounts[] = {"5000", "7000", "10", "12345"};
  StripeConfig config;
  config.api_error_probability = 0.1;
  StripeModel model(config, sim::Rng(seed));
  Client c(&model);
  std::vector<std::string> created;
  for (const Call& call : calls) {
    c.now_us += call.wait_ms * core::kUsPerMs;
    if (call.advance) c.run_until(c.now_us);
    const std::string key = call.key == 0 ? "" : "k" + std::to_string(call.key);
    const std::string target =
        created.empty() ? "pi_none"
                        : created[static_cast<std::size_t>(call.target) % created.size()];
    ApiResult r;
    switch (call.kind) {
      case 0:
      case 1: {
        core::payments::FormFields f = {
            {"amount", kAmounts[call.amount]},
            {"currency", "usd"},
            {"payment_method", kCards[call.card]},
            {"metadata[booking_id]", "b" + std::to_string(call.booking)}};
        if (call.kind == 0) f.emplace_back("confirm", "true");
        r = c.post("/v1/payment_intents", f, key);
        break;
      }
      case 2:
        r = c.post("/v1/payment_intents/" + target + "/confirm",
                   {{"payment_method", kCards[call.card]}}, key);
        break;
      case 3:
        r = c.post("/v1/payment_intents/" + target + "/capture", {}, key);
        break;
      case 4:
        r = c.post("/v1/refunds", {{"payment_intent", target}, {"amount", "1000"}}, key);
        break;
      default:
        r = c.post("/v1/payment_intents/" + target + "/cancel", {}, key);
        break;
    }
    if (r.response.status == 200 || r.response.status == 402) {
      const nlohmann::json body = Client::body(r);
      const nlohmann::json& pi = body.contains("error") ? body["error"]["payment_intent"] : body;
      if (pi.is_object() && pi.value("object", "") == "payment_intent") {
        const std::string id = pi["id"];
        if (std::find(created.begin(), created.end(), id) == created.end()) created.push_back(id);
      }
    }
  }
  c.run_until(c.now_us + 3 * core::kUsPerDay);
  const core::TimeUs ttl_us = config.idempotency_key_ttl_h * core::kUsPerHour;
  std::map<std::string, std::vector<core::TimeUs>> succeeded_by_key;
  for (const auto& [id, p] : model.ledger().payments()) {
    if (!p.idempotency_key.empty() && p.succeeded_us >= 0) {
      succeeded_by_key[p.idempotency_key].push_back(p.created_us);
    }
  }
  for (auto& [key, created_us] : succeeded_by_key) {
    std::sort(created_us.begin(), created_us.end());
    for (std::size_t i = 1; i < created_us.size(); ++i) {
      RC_ASSERT(created_us[i] - created_us[i - 1] >= ttl_us);
    }
    if (created_us.size() == 1) RC_ASSERT(model.ledger().succeeded_count_for_key(key) == 1);
  }
  for (const auto& [id, p] : model.ledger().payments()) {
    RC_ASSERT(p.refunded <= p.captured);
    RC_ASSERT(p.captured <= p.amount);
  }
}

// The property's guard works: without idempotency keys, a retried create does charge twice.
TEST(StripeLedgerProperty, RetriesWithoutKeysDoChargeTwice) {
  StripeModel model({}, sim::Rng(1));
  Client c(&model);
  (void)c.pay(5000, "pm_card_visa", "b_1");
  (void)c.pay(5000, "pm_card_visa", "b_1");
  EXPECT_EQ(model.ledger().succeeded_count("b_1"), 2);
  EXPECT_EQ(model.ledger().succeeded_count_for_key(""), 0);
}

}  // namespace
}  // namespace intsim::models::stripe
