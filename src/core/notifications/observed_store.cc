#include "src/core/notifications/observed_store.h"

namespace intsim::core::notifications {

Status ObservedStore::commit(const WriteBatch& batch) {
  if (!observer_ || batch.ops().empty()) return inner()->commit(batch);
  WriteBatch out = batch;
  observer_->on_commit(batch, out, clock_->now_us());
  return inner()->commit(out);
}

}  // namespace intsim::core::notifications
