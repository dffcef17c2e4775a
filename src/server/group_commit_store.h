// Group commit for real mode: many core commits, one SQLite transaction (one fsync).
//
// SqliteStore syncs the WAL on every commit, so one commit per webhook caps the server at the
// disk's fsync rate (a few hundred to a few thousand per second). The core, though, commits one
// small batch per webhook and must not know about batching (nothing in src/core changes for
// real mode). This wrapper sits between the core and the durable store:
//
//   commit(batch)  records the batch in an in-memory overlay and returns ok at once; the first
//                  pending batch of a turn calls `on_first_pending` (the driver posts a flush
//                  to the end of the event loop's current queue).
//   get / scan     read the overlay over the durable store, so the core reads its own writes
//                  (a duplicate webhook in the same turn is seen as a duplicate).
//   flush()        writes the overlay's final state in ONE durable commit.
//   discard()      forgets the overlay (after a failed flush).
//
// The core believes its batch committed before it is durable, so the driver must not let
// anything leave the process that depends on it until flush() succeeds: every HTTP response
// given while pending() is true is held until the flush, and so is every outbound request
// (core_service.h). If the flush fails, the held responses become 500 (the peers redeliver),
// the held requests are dropped, and the core object is rebuilt on the durable store with
// recover(): its memory may hold effects that never became durable.
//
// Atomicity: the core's batches are all-or-nothing each; a flush applies several of them in one
// transaction, which is stronger (all of the turn's batches, or none).
//
// Not thread-safe: one thread, like the core.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "src/core/ports.h"

namespace intsim::server {

class GroupCommitStore final : public core::Store {
 public:
  // `durable` outlives this object. `on_first_pending` runs inside the commit() that makes the
  // overlay non-empty; it must not call back into the store.
  GroupCommitStore(core::Store* durable, std::function<void()> on_first_pending);

  core::Status get(std::string_view table, std::string_view key, std::string* value) override;
  core::Status scan(
      std::string_view table, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) override;
  // Never fails: the batch goes to the overlay until flush().
  core::Status commit(const core::WriteBatch& batch) override;

  // Whether some committed batch is not durable yet.
  bool pending() const { return batches_pending_ > 0; }
  std::size_t batches_pending() const { return batches_pending_; }

  // Makes every pending batch durable in one durable commit and empties the overlay. On error
  // the overlay is kept (call discard()) and nothing of it is durable.
  core::Status flush();
  void discard();

  std::uint64_t flushes() const { return flushes_; }
  std::uint64_t batches_flushed() const { return batches_flushed_; }

 private:
  using Rows = std::map<std::string, std::optional<std::string>, std::less<>>;  // nullopt: erased

  core::Store* durable_;
  std::function<void()> on_first_pending_;
  std::map<std::string, Rows, std::less<>> overlay_;  // table -> key -> final value
  std::size_t batches_pending_ = 0;
  std::uint64_t flushes_ = 0;
  std::uint64_t batches_flushed_ = 0;
};

}  // namespace intsim::server
