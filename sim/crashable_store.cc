#include "sim/crashable_store.h"

#include <fmt/format.h>

namespace intsim::sim {

using core::Status;

namespace {
Status down_error() { return Status::io_error("store is down (its node crashed)"); }
}  // namespace

Status CrashableStore::get(std::string_view table, std::string_view key, std::string* value) {
  if (!up_) return down_error();
  return committed_.get(table, key, value);
}

Status CrashableStore::scan(
    std::string_view table, std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) {
  if (!up_) return down_error();
  return committed_.scan(table, prefix, visit);
}

Status CrashableStore::commit(const core::WriteBatch& batch) {
  if (!up_) return down_error();
  return commit_ops(batch);
}

Status CrashableStore::commit_ops(const core::WriteBatch& batch) {
  if (fault_source_ != nullptr && fault_source_->commit_fails(node_)) {
    ++failed_commits_;
    return Status::io_error("injected commit failure (store_failure)");
  }
  const Status s = committed_.commit(batch);
  if (s) ++commits_;
  return s;
}

CrashableStore::TxnId CrashableStore::begin() {
  if (!up_) return 0;
  const TxnId id = next_txn_++;
  open_.emplace(id, core::WriteBatch{});
  return id;
}

bool CrashableStore::put(TxnId txn, std::string_view table, std::string_view key,
                         std::string_view value) {
  const auto it = open_.find(txn);
  if (it == open_.end()) return false;
  it->second.put(table, key, value);
  return true;
}

bool CrashableStore::erase(TxnId txn, std::string_view table, std::string_view key) {
  const auto it = open_.find(txn);
  if (it == open_.end()) return false;
  it->second.erase(table, key);
  return true;
}

Status CrashableStore::commit(TxnId txn) {
  if (!up_) return down_error();
  const auto it = open_.find(txn);
  if (it == open_.end())
    return Status::io_error(fmt::format("transaction {} is unknown or was lost in a crash", txn));
  const core::WriteBatch batch = std::move(it->second);
  open_.erase(it);
  return commit_ops(batch);
}

void CrashableStore::abort(TxnId txn) { open_.erase(txn); }

void CrashableStore::crash() {
  lost_transactions_ += open_.size();
  open_.clear();
  up_ = false;
  ++crashes_;
}

void CrashableStore::restart() { up_ = true; }

}  // namespace intsim::sim
