#include "src/core/alerting_store.h"

namespace intsim::core {

Status AlertingStore::commit(const WriteBatch& batch) {
  Status s = inner()->commit(batch);
  if (s.is_ok()) {
    for (const Alert& alert : batch.alerts()) alerts_->raise(alert);
  }
  return s;
}

}  // namespace intsim::core
