#include "src/core/alerting_store.h"

#include <gtest/gtest.h>

#include "src/core/memory_store.h"
#include "src/core/observability/recorders.h"

namespace intsim::core {
namespace {

// Fails every commit while `failing` is set.
class FlakyStore final : public ForwardingStore {
 public:
  FlakyStore() : ForwardingStore(&inner) {}
  bool failing = false;
  Status commit(const WriteBatch& batch) override {
    return failing ? Status::io_error("disk gone") : inner.commit(batch);
  }
  MemoryStore inner;
};

TEST(AlertingStore, ABatchsAlertsLeaveOnlyWithItsCommit) {
  FlakyStore flaky;
  observability::RecordingAlerts alerts;
  AlertingStore store(&flaky, &alerts);
  WriteBatch batch;
  batch.put("payments", "bk_1", "abandoned");
  batch.alert({7, "payment_abandoned", "bk_1", "no PaymentIntent could be created"});
  flaky.failing = true;
  EXPECT_FALSE(store.commit(batch).is_ok());
  EXPECT_TRUE(alerts.alerts().empty());  // the change did not happen: nobody is told
  flaky.failing = false;
  ASSERT_TRUE(store.commit(batch).is_ok());  // the work done over
  ASSERT_EQ(alerts.alerts().size(), 1u);
  EXPECT_EQ(alerts.alerts()[0].kind, "payment_abandoned");
  std::string row;
  EXPECT_TRUE(store.get("payments", "bk_1", &row).is_ok());
}

TEST(AlertingStore, AnAlertAloneIsStillABatchToCommit) {
  MemoryStore memory;
  observability::RecordingAlerts alerts;
  AlertingStore store(&memory, &alerts);
  WriteBatch batch;
  batch.alert({1, "duplicate_payment", "bk_2", "two PaymentIntents"});
  EXPECT_FALSE(batch.empty());
  ASSERT_TRUE(store.commit(batch).is_ok());
  EXPECT_EQ(alerts.count("duplicate_payment", "bk_2"), 1u);
}

}  // namespace
}  // namespace intsim::core
