// The crashable store: unit tests, and a RapidCheck stateful test (rc::state) that runs random
// sequences of begin/put/erase/commit/abort/crash/restart/get/scan and injected commit failures
// against a plain model: committed tables plus the open transactions.
#include "sim/crashable_store.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace intsim::sim {
namespace {

using core::Status;

TEST(CrashableStore, CommittedSurvivesACrashUncommittedDoesNot) {
  CrashableStore store;
  const auto t1 = store.begin();
  store.put(t1, "inbox", "evt_1", "done");
  ASSERT_TRUE(store.commit(t1));
  const auto t2 = store.begin();
  store.put(t2, "inbox", "evt_2", "done");
  store.crash();
  std::string v;
  EXPECT_EQ(store.get("inbox", "evt_1", &v).code(), Status::Code::kIoError);  // down
  store.restart();
  EXPECT_TRUE(store.get("inbox", "evt_1", &v));
  EXPECT_EQ(v, "done");
  EXPECT_EQ(store.get("inbox", "evt_2", &v).code(), Status::Code::kNotFound);
  EXPECT_EQ(store.commit(t2).code(), Status::Code::kIoError);  // lost in the crash
  EXPECT_EQ(store.lost_transactions(), 1u);
  EXPECT_EQ(store.crashes(), 1u);
}

TEST(CrashableStore, DownStoreRefusesEverything) {
  CrashableStore store;
  store.crash();
  EXPECT_EQ(store.begin(), 0u);
  core::WriteBatch b;
  b.put("t", "k", "v");
  EXPECT_EQ(store.commit(b).code(), Status::Code::kIoError);
  EXPECT_EQ(store.scan("t", "", [](auto, auto) { return true; }).code(), Status::Code::kIoError);
  store.restart();
  EXPECT_TRUE(store.commit(b));
}

class FailingSource final : public StoreFaultSource {
 public:
  bool commit_fails(std::uint32_t node) override {
    last_node = node;
    if (fail_next == 0) return false;
    --fail_next;
    return true;
  }
  int fail_next = 0;
  std::uint32_t last_node = 0;
};

TEST(CrashableStore, InjectedFailureWritesNothing) {
  CrashableStore store;
  FailingSource faults;
  store.set_fault_source(&faults, 3);
  faults.fail_next = 1;
  core::WriteBatch b;
  b.put("t", "a", "1");
  b.put("t", "b", "2");
  EXPECT_EQ(store.commit(b).code(), Status::Code::kIoError);
  EXPECT_EQ(faults.last_node, 3u);
  EXPECT_EQ(store.committed().size("t"), 0u);
  EXPECT_TRUE(store.commit(b));
  EXPECT_EQ(store.committed().size("t"), 2u);
  EXPECT_EQ(store.failed_commits(), 1u);
}

// ---- The stateful test ----------------------------------------------------------------------

using Txn = CrashableStore::TxnId;
using Table = std::map<std::string, std::string>;

struct Op {
  std::string table, key;
  std::optional<std::string> value;
};

struct Model {
  std::map<std::string, Table> committed;
  std::map<Txn, std::vector<Op>> open;
  Txn next_txn = 1;
  bool up = true;
  int fail_next = 0;

  void apply_ops(const std::vector<Op>& ops) {
    for (const Op& op : ops) {
      if (op.value)
        committed[op.table][op.key] = *op.value;
      else if (committed.count(op.table))
        committed[op.table].erase(op.key);
    }
  }
};

struct Sut {
  Sut() { store.set_fault_source(&faults, 0); }
  CrashableStore store;
  FailingSource faults;
};

using Cmd = rc::state::Command<Model, Sut>;

rc::Gen<std::string> gen_table() { return rc::gen::element<std::string>("inbox", "outbox"); }
rc::Gen<std::string> gen_key() {
  return rc::gen::element<std::string>("a", "ab", "abc", "b", "ba", "c");
}
rc::Gen<std::string> gen_value() { return rc::gen::element<std::string>("", "1", "22", "333"); }

// A transaction id to act on: usually an open one, sometimes one that is not (lost or unknown).
Txn pick_txn(const Model& m) {
  if (!m.open.empty() && *rc::gen::inRange(0, 10) < 8) {
    auto it = m.open.begin();
    std::advance(it, *rc::gen::inRange<std::size_t>(0, m.open.size()));
    return it->first;
  }
  return *rc::gen::inRange<Txn>(1, m.next_txn + 2);
}

struct Begin : Cmd {
  void apply(Model& m) const override {
    if (!m.up) return;
    m.open[m.next_txn++];
  }
  void run(const Model& m, Sut& sut) const override {
    RC_ASSERT(sut.store.begin() == (m.up ? m.next_txn : 0u));
  }
  void show(std::ostream& os) const override { os << "begin"; }
};

struct Put : Cmd {
  Txn txn;
  std::string table = *gen_table(), key = *gen_key();
  std::optional<std::string> value;
  explicit Put(const Model& m) : txn(pick_txn(m)) {
    if (*rc::gen::inRange(0, 4) != 0) value = *gen_value();
  }
  void apply(Model& m) const override {
    if (const auto it = m.open.find(txn); it != m.open.end())
      it->second.push_back({table, key, value});
  }
  void run(const Model& m, Sut& sut) const override {
    const bool known = m.open.count(txn) > 0;
    const bool ok =
        value ? sut.store.put(txn, table, key, *value) : sut.store.erase(txn, table, key);
    RC_ASSERT(ok == known);
  }
  void show(std::ostream& os) const override {
    os << (value ? "put(" : "erase(") << txn << ", " << table << ", " << key;
    if (value) os << ", " << *value;
    os << ")";
  }
};

struct Commit : Cmd {
  Txn txn;
  explicit Commit(const Model& m) : txn(pick_txn(m)) {}
  void apply(Model& m) const override {
    if (!m.up) return;
    const auto it = m.open.find(txn);
    if (it == m.open.end()) return;
    if (m.fail_next > 0) {
      --m.fail_next;
    } else {
      m.apply_ops(it->second);
    }
    m.open.erase(it);
  }
  void run(const Model& m, Sut& sut) const override {
    const bool expect_ok = m.up && m.open.count(txn) > 0 && m.fail_next == 0;
    const Status s = sut.store.commit(txn);
    RC_ASSERT(s.is_ok() == expect_ok);
    if (!s) RC_ASSERT(s.code() == Status::Code::kIoError);
  }
  void show(std::ostream& os) const override { os << "commit(" << txn << ")"; }
};

struct CommitBatch : Cmd {
  std::vector<Op> ops;
  CommitBatch() {
    const int n = *rc::gen::inRange(0, 4);
    for (int i = 0; i < n; ++i) {
      Op op{*gen_table(), *gen_key(), std::nullopt};
      if (*rc::gen::inRange(0, 3) != 0) op.value = *gen_value();
      ops.push_back(op);
    }
  }
  void apply(Model& m) const override {
    if (!m.up) return;
    if (m.fail_next > 0)
      --m.fail_next;
    else
      m.apply_ops(ops);
  }
  void run(const Model& m, Sut& sut) const override {
    core::WriteBatch b;
    for (const Op& op : ops) {
      if (op.value)
        b.put(op.table, op.key, *op.value);
      else
        b.erase(op.table, op.key);
    }
    RC_ASSERT(sut.store.commit(b).is_ok() == (m.up && m.fail_next == 0));
  }
  void show(std::ostream& os) const override { os << "commit_batch(" << ops.size() << " ops)"; }
};

struct Abort : Cmd {
  Txn txn;
  explicit Abort(const Model& m) : txn(pick_txn(m)) {}
  void apply(Model& m) const override { m.open.erase(txn); }
  void run(const Model&, Sut& sut) const override { sut.store.abort(txn); }
  void show(std::ostream& os) const override { os << "abort(" << txn << ")"; }
};

struct Crash : Cmd {
  void apply(Model& m) const override {
    m.open.clear();
    m.up = false;
  }
  void run(const Model&, Sut& sut) const override {
    sut.store.crash();
    RC_ASSERT(sut.store.open_transactions() == 0u);
  }
  void show(std::ostream& os) const override { os << "crash"; }
};

struct Restart : Cmd {
  void apply(Model& m) const override { m.up = true; }
  void run(const Model&, Sut& sut) const override { sut.store.restart(); }
  void show(std::ostream& os) const override { os << "restart"; }
};

struct FailNextCommit : Cmd {
  void apply(Model& m) const override { ++m.fail_next; }
  void run(const Model&, Sut& sut) const override { ++sut.faults.fail_next; }
  void show(std::ostream& os) const override { os << "fail_next_commit"; }
};

struct Get : Cmd {
  std::string table = *gen_table(), key = *gen_key();
  void run(const Model& m, Sut& sut) const override {
    std::string v;
    const Status s = sut.store.get(table, key, &v);
    if (!m.up) {
      RC_ASSERT(s.code() == Status::Code::kIoError);
      return;
    }
    const auto t = m.committed.find(table);
    const bool present = t != m.committed.end() && t->second.count(key) > 0;
    if (!present) {
      RC_ASSERT(s.code() == Status::Code::kNotFound);
      return;
    }
    RC_ASSERT(s.is_ok());
    RC_ASSERT(v == t->second.at(key));
  }
  void show(std::ostream& os) const override { os << "get(" << table << ", " << key << ")"; }
};

struct Scan : Cmd {
  std::string table = *gen_table();
  std::string prefix = *rc::gen::element<std::string>("", "a", "ab", "b", "z");
  void run(const Model& m, Sut& sut) const override {
    std::vector<std::pair<std::string, std::string>> got;
    const Status s = sut.store.scan(table, prefix, [&](std::string_view k, std::string_view v) {
      got.emplace_back(std::string(k), std::string(v));
      return true;
    });
    if (!m.up) {
      RC_ASSERT(s.code() == Status::Code::kIoError);
      return;
    }
    RC_ASSERT(s.is_ok());
    std::vector<std::pair<std::string, std::string>> want;
    if (const auto t = m.committed.find(table); t != m.committed.end())
      for (const auto& [k, v] : t->second)
        if (k.compare(0, prefix.size(), prefix) == 0) want.emplace_back(k, v);
    RC_ASSERT(got == want);
  }
  void show(std::ostream& os) const override { os << "scan(" << table << ", " << prefix << ")"; }
};

RC_GTEST_PROP(CrashableStoreState, BehavesLikeItsModelAcrossCrashes, ()) {
  Model initial;
  Sut sut;
  rc::state::check(initial, sut,
                   rc::state::gen::execOneOfWithArgs<Begin, Begin, Put, Put, Put, Commit, Commit,
                                                     CommitBatch, Abort, Crash, Restart, Restart,
                                                     FailNextCommit, Get, Get, Scan>());
}

}  // namespace
}  // namespace intsim::sim
