// A Store that raises the alerts a batch carries (WriteBatch::alert) once the batch committed.
//
// Why: an alert reports a change (a payment abandoned, a renewal failed). Raised while the batch
// holding the change is being built, it would reach a human even when that commit fails, and
// again when the failed work is done over. Carried by the batch, it leaves exactly when the
// change is made: the outbox pattern, for alerts. (Real mode holds what this raises until the
// change is durable too: server/core_service.h.)
#pragma once

#include "src/core/forwarding_store.h"

namespace intsim::core {

class AlertingStore final : public ForwardingStore {
 public:
  // `inner` and `alerts` outlive this store.
  AlertingStore(Store* inner, Alerts* alerts) : ForwardingStore(inner), alerts_(alerts) {}
  Status commit(const WriteBatch& batch) override;

 private:
  Alerts* alerts_;
};

}  // namespace intsim::core
