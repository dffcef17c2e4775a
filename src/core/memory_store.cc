#include "src/core/memory_store.h"

namespace intsim::core {

Status MemoryStore::get(std::string_view table, std::string_view key, std::string* value) {
  const auto t = tables_.find(table);
  if (t == tables_.end()) return Status::not_found(std::string(key));
  const auto row = t->second.find(key);
  if (row == t->second.end()) return Status::not_found(std::string(key));
  *value = row->second;
  return Status::ok();
}

Status MemoryStore::scan(std::string_view table, std::string_view prefix,
                         const std::function<bool(std::string_view, std::string_view)>& visit) {
  const auto t = tables_.find(table);
  if (t == tables_.end()) return Status::ok();
  for (auto it = t->second.lower_bound(prefix); it != t->second.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (!visit(it->first, it->second)) break;
  }
  return Status::ok();
}

Status MemoryStore::commit(const WriteBatch& batch) {
  // Applying a batch in memory cannot fail halfway, so atomicity is just applying all of it.
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.value) {
      auto t = tables_.find(op.table);
      if (t == tables_.end()) t = tables_.emplace(op.table, Table{}).first;
      t->second.insert_or_assign(op.key, *op.value);
    } else if (auto t = tables_.find(op.table); t != tables_.end()) {
      if (auto row = t->second.find(op.key); row != t->second.end()) t->second.erase(row);
    }
  }
  ++commits_;
  return Status::ok();
}

std::size_t MemoryStore::size(std::string_view table) const {
  const auto t = tables_.find(table);
  return t == tables_.end() ? 0 : t->second.size();
}

}  // namespace intsim::core
