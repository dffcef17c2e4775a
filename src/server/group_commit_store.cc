#include "src/server/group_commit_store.h"

#include <utility>
#include <vector>

#include "src/core/assert.h"

namespace intsim::server {
namespace {

using Rows = std::map<std::string, std::optional<std::string>, std::less<>>;

// Walks the rows under a prefix of several layers' copies of one table as one sorted sequence:
// the smallest key first and, where layers share a key, the newest layer's value.
class MergedRows {
 public:
  explicit MergedRows(std::string_view prefix) : prefix_(prefix) {}
  // Layers newest first.
  void add(const Rows& rows) { cursors_.push_back({rows.lower_bound(prefix_), rows.end()}); }
  bool empty() const { return cursors_.empty(); }

  bool valid() {
    find_least();
    return least_ != nullptr;
  }
  const std::string& key() const { return least_->it->first; }
  const std::optional<std::string>& value() const { return least_->it->second; }
  void next() {
    const std::string& k = key();
    for (Cursor& c : cursors_) {
      if (&c != least_ && in_prefix(c) && c.it->first == k) ++c.it;
    }
    ++least_->it;  // last: `k` refers into it
    least_ = nullptr;
  }

 private:
  struct Cursor {
    Rows::const_iterator it;
    Rows::const_iterator end;
  };
  bool in_prefix(const Cursor& c) const {
    return c.it != c.end && c.it->first.starts_with(prefix_);
  }
  void find_least() {
    if (least_ != nullptr) return;
    for (Cursor& c : cursors_) {
      // Strictly less: on a tie the earlier (newer) layer wins.
      if (in_prefix(c) && (least_ == nullptr || c.it->first < least_->it->first)) least_ = &c;
    }
  }

  std::string_view prefix_;
  std::vector<Cursor> cursors_;
  Cursor* least_ = nullptr;  // the cursor at the smallest key, once found
};

}  // namespace

GroupCommitStore::GroupCommitStore(core::Store* durable, std::function<void()> on_first_pending)
    : durable_(durable), on_first_pending_(std::move(on_first_pending)) {
  INTSIM_ASSERT(durable_ != nullptr);
}

std::size_t GroupCommitStore::batches_pending() const {
  std::size_t n = 0;
  for (const Layer& l : layers_) n += l.batches;
  return n;
}

std::size_t GroupCommitStore::batches_open() const {
  return !layers_.empty() && !layers_.back().sealed ? layers_.back().batches : 0;
}

std::size_t GroupCommitStore::layers_sealed() const {
  std::size_t n = 0;
  for (const Layer& l : layers_) n += l.sealed ? 1 : 0;
  return n;
}

core::Status GroupCommitStore::get(std::string_view table, std::string_view key,
                                   std::string* value) {
  for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer) {
    const auto t = layer->tables.find(table);
    if (t == layer->tables.end()) continue;
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
  MergedRows mine(prefix);
  for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer) {
    if (const auto t = layer->tables.find(table); t != layer->tables.end()) mine.add(t->second);
  }
  if (mine.empty()) return durable_->scan(table, prefix, visit);
  // A merge of two sorted sequences: the layers' rows under the prefix and the durable ones.
  // A layer's row replaces (or, erased, hides) the durable row with the same key.
  bool stopped = false;
  core::Status st =
      durable_->scan(table, prefix, [&](std::string_view key, std::string_view value) {
        for (; mine.valid() && std::string_view(mine.key()) < key; mine.next()) {
          if (mine.value() && !visit(mine.key(), *mine.value())) {
            stopped = true;
            return false;
          }
        }
        if (mine.valid() && mine.key() == key) {
          if (mine.value() && !visit(key, *mine.value())) stopped = true;
          mine.next();
          return !stopped;
        }
        if (!visit(key, value)) stopped = true;
        return !stopped;
      });
  if (!st.is_ok()) return st;
  for (; !stopped && mine.valid(); mine.next()) {
    if (mine.value() && !visit(mine.key(), *mine.value())) stopped = true;
  }
  return core::Status::ok();
}

core::Status GroupCommitStore::commit(const core::WriteBatch& batch) {
  if (batch.ops().empty()) return core::Status::ok();
  const bool opens = layers_.empty() || layers_.back().sealed;
  if (opens) layers_.push_back(Layer{layer_id_next_++, false, 0, {}});
  Layer& open = layers_.back();
  for (const core::WriteBatch::Op& op : batch.ops()) {
    open.tables[op.table].insert_or_assign(op.key, op.value);
  }
  ++open.batches;
  if (opens && on_first_pending_) on_first_pending_();
  return core::Status::ok();
}

std::uint64_t GroupCommitStore::seal(core::WriteBatch* out) {
  INTSIM_ASSERT(batches_open() > 0);
  INTSIM_ASSERT(out->empty());
  Layer& layer = layers_.back();
  for (const auto& [table, rows] : layer.tables) {
    for (const auto& [key, value] : rows) {
      if (value) {
        out->put(table, key, *value);
      } else {
        out->erase(table, key);
      }
    }
  }
  layer.sealed = true;
  return layer.id;
}

void GroupCommitStore::retire(std::uint64_t id) {
  INTSIM_ASSERT(!layers_.empty() && layers_.front().sealed && layers_.front().id == id);
  ++flushes_;
  batches_flushed_ += layers_.front().batches;
  layers_.pop_front();
}

void GroupCommitStore::discard() { layers_.clear(); }

core::Status GroupCommitStore::flush() {
  INTSIM_ASSERT(layers_sealed() == 0);
  if (!pending()) return core::Status::ok();
  core::WriteBatch all;
  const std::uint64_t id = seal(&all);
  if (core::Status st = durable_->commit(all); !st.is_ok()) return st;
  retire(id);
  return core::Status::ok();
}

}  // namespace intsim::server
