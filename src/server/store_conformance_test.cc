// One suite for every core::Store implementation: the in-memory store the simulator builds on
// and the SQLite store of real mode must be indistinguishable through the port. Then the SQLite
// store alone: reopening, error reporting, rollback, and a kill -9 crash test.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "src/core/memory_store.h"
#include "src/server/sqlite_store.h"
#include "src/server/temp_dir_for_test.h"

namespace intsim::server {
namespace {

using core::Status;
using core::Store;
using core::WriteBatch;
using Rows = std::vector<std::pair<std::string, std::string>>;

struct MemoryStoreMaker {
  std::unique_ptr<Store> make() { return std::make_unique<core::MemoryStore>(); }
};

struct SqliteStoreMaker {
  TempDir dir{TempDir::Where::kMemory};
  int opened = 0;
  std::unique_ptr<Store> make() {
    std::unique_ptr<SqliteStore> store;
    const Status st = SqliteStore::open(dir.file(fmt::format("s{}.db", opened++)), &store);
    INTSIM_ASSERT_MSG(st.is_ok(), st.to_string().c_str());
    return store;
  }
};

// The reader of real mode: reads share a held snapshot (commits on the same connection end it).
struct SqliteSnapshotStoreMaker {
  TempDir dir{TempDir::Where::kMemory};
  int opened = 0;
  std::unique_ptr<Store> make() {
    std::unique_ptr<SqliteStore> store;
    SqliteStore::Options options;
    options.hold_read_snapshot = true;
    const Status st = SqliteStore::open(dir.file(fmt::format("s{}.db", opened++)), options, &store);
    INTSIM_ASSERT_MSG(st.is_ok(), st.to_string().c_str());
    return store;
  }
};

Rows scan_all(Store& store, std::string_view table, std::string_view prefix) {
  Rows rows;
  const Status st = store.scan(table, prefix, [&](std::string_view k, std::string_view v) {
    rows.emplace_back(k, v);
    return true;
  });
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return rows;
}

template <typename Maker>
class StoreConformance : public ::testing::Test {
 protected:
  Maker maker_;
  std::unique_ptr<Store> store_ = maker_.make();
};

using Makers = ::testing::Types<MemoryStoreMaker, SqliteStoreMaker, SqliteSnapshotStoreMaker>;
class MakerNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryStoreMaker>) return "Memory";
    return std::is_same_v<T, SqliteStoreMaker> ? "Sqlite" : "SqliteSnapshot";
  }
};
TYPED_TEST_SUITE(StoreConformance, Makers, MakerNames);

TYPED_TEST(StoreConformance, GetOfAbsentKeyIsNotFound) {
  std::string v = "untouched";
  EXPECT_EQ(this->store_->get("inbox", "evt_1", &v).code(), Status::Code::kNotFound);
  WriteBatch b;
  b.put("inbox", "evt_2", "x");
  ASSERT_TRUE(this->store_->commit(b));
  EXPECT_EQ(this->store_->get("inbox", "evt_1", &v).code(), Status::Code::kNotFound);
  EXPECT_EQ(this->store_->get("outbox", "evt_2", &v).code(), Status::Code::kNotFound);
  EXPECT_EQ(v, "untouched");
}

TYPED_TEST(StoreConformance, PutOverwriteAndErase) {
  Store& store = *this->store_;
  WriteBatch b;
  b.put("inbox", "evt_1", "a");
  b.put("inbox", "evt_2", "b");
  ASSERT_TRUE(store.commit(b));
  WriteBatch c;
  c.put("inbox", "evt_1", "a2");
  c.erase("inbox", "evt_2");
  c.erase("inbox", "never_written");  // erasing an absent row is not an error
  ASSERT_TRUE(store.commit(c));
  std::string v;
  ASSERT_TRUE(store.get("inbox", "evt_1", &v));
  EXPECT_EQ(v, "a2");
  EXPECT_EQ(store.get("inbox", "evt_2", &v).code(), Status::Code::kNotFound);
}

TYPED_TEST(StoreConformance, OpsOfOneBatchApplyInOrder) {
  Store& store = *this->store_;
  WriteBatch b;
  b.put("t", "k", "1");
  b.erase("t", "k");
  b.put("t", "j", "1");
  b.put("t", "j", "2");
  b.erase("t", "i");
  b.put("t", "i", "3");
  ASSERT_TRUE(store.commit(b));
  EXPECT_EQ(scan_all(store, "t", ""), (Rows{{"i", "3"}, {"j", "2"}}));
}

TYPED_TEST(StoreConformance, EmptyBatchCommitsNothing) {
  ASSERT_TRUE(this->store_->commit(WriteBatch{}));
  EXPECT_TRUE(scan_all(*this->store_, "t", "").empty());
}

TYPED_TEST(StoreConformance, TablesAreSeparateEvenWhenNamesSharePrefixes) {
  Store& store = *this->store_;
  WriteBatch b;
  b.put("a", "k1", "in a");
  b.put("ab", "k1", "in ab");
  b.put("ab", "k2", "in ab");
  b.put("", "k1", "in the empty-named table");
  ASSERT_TRUE(store.commit(b));
  EXPECT_EQ(scan_all(store, "a", ""), (Rows{{"k1", "in a"}}));
  EXPECT_EQ(scan_all(store, "ab", "k"), (Rows{{"k1", "in ab"}, {"k2", "in ab"}}));
  EXPECT_EQ(scan_all(store, "", ""), (Rows{{"k1", "in the empty-named table"}}));
  EXPECT_TRUE(scan_all(store, "b", "").empty());
}

TYPED_TEST(StoreConformance, ScanVisitsPrefixInKeyOrderAndStopsWhenAsked) {
  Store& store = *this->store_;
  WriteBatch b;
  for (const char* k : {"job/3", "job/1", "dlq/1", "job/2", "jobx", "job", "job0"}) {
    b.put("t", k, std::string("v") + k);
  }
  ASSERT_TRUE(store.commit(b));
  EXPECT_EQ(scan_all(store, "t", "job/"),
            (Rows{{"job/1", "vjob/1"}, {"job/2", "vjob/2"}, {"job/3", "vjob/3"}}));
  const Rows all = scan_all(store, "t", "");
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all.front().first, "dlq/1");
  EXPECT_EQ(all.back().first, "jobx");
  std::vector<std::string> seen;
  ASSERT_TRUE(store.scan("t", "job", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 2;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"job", "job/1"}));
}

TYPED_TEST(StoreConformance, KeysOrderBytewiseUnsignedAndPrefixesEndingIn0xFFWork) {
  Store& store = *this->store_;
  const std::vector<std::string> keys = {"a",
                                         std::string("a\x7f"),
                                         std::string("a\x80"),
                                         std::string("a\xff"),
                                         std::string("a\xff\xff"),
                                         std::string("a\xff"
                                                     "b"),
                                         std::string("b"),
                                         std::string("\xff"),
                                         std::string("\xff\xff"),
                                         std::string("\xff\x01")};
  WriteBatch b;
  for (const std::string& k : keys) b.put("t", k, "v");
  ASSERT_TRUE(store.commit(b));
  auto scanned_keys = [&](std::string_view prefix) {
    std::vector<std::string> out;
    for (auto& [k, v] : scan_all(store, "t", prefix)) out.push_back(k);
    return out;
  };
  EXPECT_EQ(scanned_keys(std::string("a\xff")), (std::vector<std::string>{"a\xff",
                                                                          std::string("a\xff"
                                                                                      "b"),
                                                                          "a\xff\xff"}));
  EXPECT_EQ(scanned_keys("\xff"), (std::vector<std::string>{"\xff", "\xff\x01", "\xff\xff"}));
  EXPECT_EQ(scanned_keys("a"), (std::vector<std::string>{"a", "a\x7f", "a\x80", "a\xff",
                                                         std::string("a\xff"
                                                                     "b"),
                                                         "a\xff\xff"}));
}

TYPED_TEST(StoreConformance, ValuesAreBytesIncludingNulAndEmpty) {
  Store& store = *this->store_;
  const std::string binary("\0\x01\xff\0tail", 8);
  const std::string key_with_nul("k\0z", 3);
  WriteBatch b;
  b.put("t", "bin", binary);
  b.put("t", "empty", "");
  b.put("t", key_with_nul, "nul in key");
  ASSERT_TRUE(store.commit(b));
  std::string v = "x";
  ASSERT_TRUE(store.get("t", "bin", &v));
  EXPECT_EQ(v, binary);
  ASSERT_TRUE(store.get("t", "empty", &v));
  EXPECT_EQ(v, "");
  ASSERT_TRUE(store.get("t", key_with_nul, &v));
  EXPECT_EQ(v, "nul in key");
  EXPECT_EQ(scan_all(store, "t", std::string("k\0", 2)), (Rows{{key_with_nul, "nul in key"}}));
}

// Random batches against an ordered map as the model: after each batch every prefix scan of
// every table agrees with the model. Keys and table names come from small alphabets (with a
// 0xFF byte) so that overwrites, erases and shared prefixes are common.
TYPED_TEST(StoreConformance, RandomBatchesMatchAnOrderedMapModel) {
  Store& store = *this->store_;
  int round = 0;
  const bool passed = rc::check([&] {
    // Each case works in tables of its own, so one store serves every case.
    const std::string tag = fmt::format("r{}.", round++);
    std::map<std::string, std::map<std::string, std::string>> model;
    const auto key_gen = rc::gen::resize(
        4, rc::gen::container<std::string>(rc::gen::element('a', 'b', '/', '\xff')));
    const auto batches = *rc::gen::resize(
        20, rc::gen::container<std::vector<std::vector<std::tuple<int, std::string, bool>>>>(
                rc::gen::container<std::vector<std::tuple<int, std::string, bool>>>(
                    rc::gen::tuple(rc::gen::inRange(0, 2), key_gen, rc::gen::arbitrary<bool>()))));
    int value_counter = 0;
    for (const auto& ops : batches) {
      WriteBatch b;
      for (const auto& [table_index, key, is_put] : ops) {
        const std::string table = tag + std::to_string(table_index);
        if (is_put) {
          const std::string value = fmt::format("v{}", value_counter++);
          b.put(table, key, value);
          model[table][key] = value;
        } else {
          b.erase(table, key);
          model[table].erase(key);
        }
      }
      RC_ASSERT(store.commit(b).is_ok());
      for (int t = 0; t < 2; ++t) {
        const std::string table = tag + std::to_string(t);
        for (const std::string prefix : {"", "a", "b/", "\xff", "a\xff"}) {
          Rows expected;
          for (const auto& [k, v] : model[table]) {
            if (k.compare(0, prefix.size(), prefix) == 0) expected.emplace_back(k, v);
          }
          RC_ASSERT(scan_all(store, table, prefix) == expected);
        }
      }
    }
  });
  EXPECT_TRUE(passed);
}

// ---- SQLite only --------------------------------------------------------------------------

TEST(PrefixSuccessor, IncrementsTheLastByteThatIsNot0xFF) {
  EXPECT_EQ(prefix_successor("job/"), std::optional<std::string>("job0"));
  EXPECT_EQ(prefix_successor("a\xff\xff"), std::optional<std::string>("b"));
  EXPECT_EQ(prefix_successor("a\x7f"), std::optional<std::string>("a\x80"));
  EXPECT_EQ(prefix_successor(""), std::nullopt);
  EXPECT_EQ(prefix_successor("\xff\xff"), std::nullopt);
}

TEST(SqliteStore, CommittedRowsSurviveReopenAndTheFileIsInWalMode) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  {
    std::unique_ptr<SqliteStore> store;
    ASSERT_TRUE(SqliteStore::open(path, &store));
    WriteBatch b;
    b.put("inbox", "evt_1", "payload");
    ASSERT_TRUE(store->commit(b));
  }
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::open(path, &store));
  std::string v;
  ASSERT_TRUE(store->get("inbox", "evt_1", &v));
  EXPECT_EQ(v, "payload");

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

// Real mode's two connections: the writer's commits reach a reader that holds its snapshot only
// once it lets the snapshot go; one without a held snapshot sees them at once.
TEST(SqliteStore, AHeldSnapshotSeesOtherConnectionsCommitsOnlyAfterRelease) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  std::unique_ptr<SqliteStore> writer;
  ASSERT_TRUE(SqliteStore::open(path, &writer));
  SqliteStore::Options held;
  held.hold_read_snapshot = true;
  std::unique_ptr<SqliteStore> reader;
  std::unique_ptr<SqliteStore> plain;
  ASSERT_TRUE(SqliteStore::open(path, held, &reader));
  ASSERT_TRUE(SqliteStore::open(path, &plain));
  std::string v;
  EXPECT_EQ(reader->get("inbox", "evt_1", &v).code(), Status::Code::kNotFound);
  EXPECT_TRUE(reader->snapshot_held());
  WriteBatch b;
  b.put("inbox", "evt_1", "1");
  ASSERT_TRUE(writer->commit(b));  // WAL: the writer is not blocked by the held snapshot
  EXPECT_EQ(reader->get("inbox", "evt_1", &v).code(), Status::Code::kNotFound);
  EXPECT_TRUE(scan_all(*reader, "inbox", "").empty());
  EXPECT_TRUE(plain->get("inbox", "evt_1", &v));
  ASSERT_TRUE(reader->release_snapshot());
  EXPECT_FALSE(reader->snapshot_held());
  EXPECT_TRUE(reader->get("inbox", "evt_1", &v));
  EXPECT_EQ(scan_all(*reader, "inbox", "").size(), 1u);
  // A commit on the reader's own connection ends its snapshot first.
  WriteBatch c;
  c.put("inbox", "evt_2", "2");
  ASSERT_TRUE(reader->commit(c));
  EXPECT_FALSE(reader->snapshot_held());
  EXPECT_TRUE(writer->get("inbox", "evt_2", &v));
}

TEST(SqliteStore, OpenErrorNamesThePath) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/store.db");
  std::unique_ptr<SqliteStore> store;
  const Status st = SqliteStore::open(path, &store);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("unable to open"), std::string::npos) << st.message();
  EXPECT_EQ(store, nullptr);
}

// A trigger installed behind the store's back makes the second write of a batch fail: the
// first write of the same batch must not be visible afterwards, and the store stays usable.
TEST(SqliteStore, AFailingWriteRollsBackTheWholeBatch) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::open(path, &store));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TRIGGER poison BEFORE INSERT ON kv WHEN NEW.key='poison' "
                         "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);

  WriteBatch b;
  b.put("t", "first", "1");
  b.put("t", "poison", "2");
  const Status st = store->commit(b);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("poisoned row"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  std::string v;
  EXPECT_EQ(store->get("t", "first", &v).code(), Status::Code::kNotFound);

  WriteBatch ok;
  ok.put("t", "second", "3");
  ASSERT_TRUE(store->commit(ok));
  EXPECT_EQ(scan_all(*store, "t", ""), (Rows{{"second", "3"}}));
}

TEST(SqliteStore, ALockedDatabaseFailsTheCommitAndWritesNothing) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  std::unique_ptr<SqliteStore> store;
  SqliteStore::Options options;
  options.busy_timeout_ms = 10;
  ASSERT_TRUE(SqliteStore::open(path, options, &store));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  WriteBatch b;
  b.put("t", "k", "v");
  const Status st = store->commit(b);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("locked"), std::string::npos) << st.message();
  ASSERT_EQ(sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  std::string v;
  EXPECT_EQ(store->get("t", "k", &v).code(), Status::Code::kNotFound);
  ASSERT_TRUE(store->commit(b));
}

// ---- kill -9 ------------------------------------------------------------------------------

constexpr int kRowsPerBatch = 40;

std::string batch_key(int batch, int row) { return fmt::format("b{}/{}", 1000000 + batch, row); }

// The child: commits batches forever, telling the parent through `ack_fd` the number of each
// batch whose commit() returned ok. Each batch writes kRowsPerBatch rows of its own, moves a
// "last" marker and erases the previous batch's "tmp" row, so puts and erases both must be
// atomic.
[[noreturn]] void commit_until_killed(const std::string& path, int ack_fd) {
  std::unique_ptr<SqliteStore> store;
  if (!SqliteStore::open(path, &store)) _exit(3);
  for (int batch = 0;; ++batch) {
    WriteBatch b;
    for (int row = 0; row < kRowsPerBatch; ++row) {
      b.put("data", batch_key(batch, row), std::string(64, static_cast<char>('a' + batch % 26)));
    }
    b.put("meta", "last", std::to_string(batch));
    if (batch > 0) b.erase("tmp", std::to_string(batch - 1));
    b.put("tmp", std::to_string(batch), "x");
    if (!store->commit(b)) _exit(4);
    if (write(ack_fd, &batch, sizeof batch) != sizeof batch) _exit(5);
  }
}

TEST(SqliteStoreCrash, KillDuringCommitsLeavesEachBatchWholeOrAbsent) {
  // The kill points vary per run; the seed is printed so a failure can be replayed.
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  std::mt19937 kill_point(seed);
  for (int round = 0; round < 4; ++round) {
    TempDir dir;
    const std::string path = dir.file("crash.db");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      commit_until_killed(path, fds[1]);
    }
    close(fds[1]);
    // The kill comes at a random point after the first acknowledged batch (waiting for it keeps
    // the test meaningful on a loaded machine, where opening the store can take a while).
    int acked_max = -1;
    ASSERT_EQ(read(fds[0], &acked_max, sizeof acked_max), static_cast<ssize_t>(sizeof acked_max))
        << "the child failed before its first commit";
    ASSERT_EQ(acked_max, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(kill_point() % 100000));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited on its own with " << wstatus;
    for (int n; read(fds[0], &n, sizeof n) == sizeof n;) {
      EXPECT_EQ(n, acked_max + 1);
      acked_max = n;
    }
    close(fds[0]);

    std::unique_ptr<SqliteStore> store;
    ASSERT_TRUE(SqliteStore::open(path, &store));
    std::string last_text;
    ASSERT_TRUE(store->get("meta", "last", &last_text));
    const int last = std::stoi(last_text);
    EXPECT_GE(last, acked_max) << "an acknowledged batch was lost";
    EXPECT_LE(last, acked_max + 1) << "a batch appeared that was never attempted";
    for (int batch = 0; batch <= last + 1; ++batch) {
      const auto rows = scan_all(*store, "data", batch_key(batch, 0).substr(0, 8) + "/");
      const int expected = batch <= last ? kRowsPerBatch : 0;
      EXPECT_EQ(static_cast<int>(rows.size()), expected) << "batch " << batch;
    }
    EXPECT_EQ(scan_all(*store, "tmp", ""), (Rows{{std::to_string(last), "x"}}));
  }
}

}  // namespace
}  // namespace intsim::server
