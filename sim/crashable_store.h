// The simulator's durable store: core::Store with transactions that commit atomically and a
// crash that loses exactly what was not committed.
//
// Committed state is a core::MemoryStore and survives crash()/restart(). Open transactions
// (begin/put/erase, not yet committed) live in the store's volatile memory and die with a crash;
// committing one afterwards fails with kIoError. core::Store::commit(batch) is a transaction
// begun and committed in one step. While the store is down (between crash and restart) every
// operation fails with kIoError.
//
// A StoreFaultSource, when attached, may fail a commit (kIoError, nothing written): the
// network's "store_failure" fault. The interface stays small so that the SQLite store of real
// mode (BEGIN / INSERT OR REPLACE / DELETE / COMMIT on one kv table) implements the same calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "src/core/memory_store.h"
#include "src/core/ports.h"

namespace intsim::sim {

class StoreFaultSource {
 public:
  virtual ~StoreFaultSource() = default;
  // True when this commit must fail; the source records the fault.
  virtual bool commit_fails(std::uint32_t node) = 0;
};

class CrashableStore final : public core::Store {
 public:
  using TxnId = std::uint64_t;

  CrashableStore() = default;

  // core::Store. Reads see committed state only.
  core::Status get(std::string_view table, std::string_view key, std::string* value) override;
  core::Status scan(
      std::string_view table, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) override;
  core::Status commit(const core::WriteBatch& batch) override;

  // Transactions. begin() fails (returns 0) while the store is down.
  TxnId begin();
  // Buffered in the transaction; false for an unknown or lost transaction.
  bool put(TxnId txn, std::string_view table, std::string_view key, std::string_view value);
  bool erase(TxnId txn, std::string_view table, std::string_view key);
  // All of the transaction's writes or none. kIoError when the transaction was lost in a crash,
  // the store is down, or an injected failure hit (the transaction is gone in every case).
  core::Status commit(TxnId txn);
  void abort(TxnId txn);

  // The process died: open transactions are gone, the store refuses work until restart().
  void crash();
  void restart();
  bool up() const { return up_; }

  void set_fault_source(StoreFaultSource* source, std::uint32_t node) {
    fault_source_ = source;
    node_ = node;
  }

  const core::MemoryStore& committed() const { return committed_; }
  std::size_t open_transactions() const { return open_.size(); }
  std::uint64_t commits() const { return commits_; }
  std::uint64_t failed_commits() const { return failed_commits_; }
  std::uint64_t lost_transactions() const { return lost_transactions_; }
  std::uint64_t crashes() const { return crashes_; }

 private:
  core::Status commit_ops(const core::WriteBatch& batch);

  core::MemoryStore committed_;
  std::map<TxnId, core::WriteBatch> open_;
  TxnId next_txn_ = 1;
  bool up_ = true;
  StoreFaultSource* fault_source_ = nullptr;
  std::uint32_t node_ = 0;
  std::uint64_t commits_ = 0, failed_commits_ = 0, lost_transactions_ = 0, crashes_ = 0;
};

}  // namespace intsim::sim
