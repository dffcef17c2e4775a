#include "src/server/group_commit_store.h"

#include <utility>

#include "src/core/assert.h"

namespace intsim::server {

GroupCommitStore::GroupCommitStore(core::Store* durable, std::function<void()> on_first_pending)
    : durable_(durable), on_first_pending_(std::move(on_first_pending)) {
  INTSIM_ASSERT(durable_ != nullptr);
}

core::Status GroupCommitStore::get(std::string_view table, std::string_view key,
                                   std::string* value) {
  if (const auto t = overlay_.find(table); t != overlay_.end()) {
    if (const auto row = t->second.find(key); row != t->second.end()) {
      if (!row->second) return core::Status::not_found(std::string(key));
      *value = *row->second;
      return core::Status::ok();
    }
  }
  return durable_->get(table, key, value);
}

core::Status GroupCommitStore::scan(
    std::string_view table, std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) {
  const auto t = overlay_.find(table);
  if (t == overlay_.end()) return durable_->scan(table, prefix, visit);
  // A merge of two sorted sequences: the overlay's rows under the prefix and the durable ones.
  // An overlay row replaces (or, erased, hides) the durable row with the same key.
  const Rows& rows = t->second;
  auto it = rows.lower_bound(prefix);
  const auto in_prefix = [&] { return it != rows.end() && it->first.starts_with(prefix); };
  bool stopped = false;
  core::Status st =
      durable_->scan(table, prefix, [&](std::string_view key, std::string_view value) {
        for (; in_prefix() && std::string_view(it->first) < key; ++it) {
          if (it->second && !visit(it->first, *it->second)) {
            stopped = true;
            return false;
          }
        }
        if (in_prefix() && it->first == key) {
          const std::optional<std::string>& mine = it->second;
          ++it;
          if (mine && !visit(key, *mine)) stopped = true;
          return !stopped;
        }
        if (!visit(key, value)) stopped = true;
        return !stopped;
      });
  if (!st.is_ok()) return st;
  for (; !stopped && in_prefix(); ++it) {
    if (it->second && !visit(it->first, *it->second)) stopped = true;
  }
  return core::Status::ok();
}

core::Status GroupCommitStore::commit(const core::WriteBatch& batch) {
  if (batch.empty()) return core::Status::ok();
  for (const core::WriteBatch::Op& op : batch.ops()) {
    overlay_[op.table].insert_or_assign(op.key, op.value);
  }
  ++batches_pending_;
  if (batches_pending_ == 1 && on_first_pending_) on_first_pending_();
  return core::Status::ok();
}

core::Status GroupCommitStore::flush() {
  if (!pending()) return core::Status::ok();
  core::WriteBatch all;
  for (const auto& [table, rows] : overlay_) {
    for (const auto& [key, value] : rows) {
      if (value) {
        all.put(table, key, *value);
      } else {
        all.erase(table, key);
      }
    }
  }
  if (core::Status st = durable_->commit(all); !st.is_ok()) return st;
  ++flushes_;
  batches_flushed_ += batches_pending_;
  discard();
  return core::Status::ok();
}

void GroupCommitStore::discard() {
  overlay_.clear();
  batches_pending_ = 0;
}

}  // namespace intsim::server
