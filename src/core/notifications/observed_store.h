// A Store that shows every batch to an observer just before it commits, so the observer can add
// rows that must commit atomically with it (a database trigger, in spirit).
//
// Why: a guest notification must be written in the same transaction as the state change it
// reports (the outbox pattern), and stays change in many places — the booking API, hold
// expiry, payment outcomes inside the dispatcher's and the webhook intake's batches, conflict
// resolution. Deriving notifications from the committed rows themselves catches every path,
// present and future, without each one having to remember to notify.
#pragma once

#include "src/core/forwarding_store.h"

namespace intsim::core::notifications {

class CommitObserver {
 public:
  virtual ~CommitObserver() = default;
  // `batch` is about to commit as `out` (a copy of it): add rows to `out`. Must not commit.
  virtual void on_commit(const WriteBatch& batch, WriteBatch& out, TimeUs now_us) = 0;
};

class ObservedStore final : public ForwardingStore {
 public:
  // `inner` and `clock` outlive this store.
  ObservedStore(Store* inner, Clock* clock) : ForwardingStore(inner), clock_(clock) {}
  // Null: commit batches as they are.
  void set_observer(CommitObserver* observer) { observer_ = observer; }
  Status commit(const WriteBatch& batch) override;

 private:
  Clock* clock_;
  CommitObserver* observer_ = nullptr;
};

}  // namespace intsim::core::notifications
