#include "src/server/sqlite_store.h"

#include <sqlite3.h>

#include <exception>

namespace intsim::server {
namespace {

// Resets a statement and clears its bindings when a call leaves, on every path, so a reused
// statement never holds a read transaction open or a stale bound value.
class StmtGuard {
 public:
  explicit StmtGuard(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtGuard() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtGuard(const StmtGuard&) = delete;
  StmtGuard& operator=(const StmtGuard&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Keys and table names are bound as TEXT with an explicit length: SQLite stores the bytes as
// given and the default BINARY collation compares them with memcmp, which is the same order as
// std::string (and MemoryStore). SQLITE_TRANSIENT copies, since the views may not outlive us.
int bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT);
}

int bind_blob(sqlite3_stmt* stmt, int index, std::string_view bytes) {
  // A null pointer would bind SQL NULL rather than an empty blob.
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  return sqlite3_bind_blob(stmt, index, data, static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

std::string_view column_bytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

}  // namespace

std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xFF) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

core::Status SqliteStore::open(const std::string& path, const Options& options,
                               std::unique_ptr<SqliteStore>* out) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(path));
  if (auto st = store->init(options); !st) return st;
  *out = std::move(store);
  return core::Status::ok();
}

core::Status SqliteStore::error(std::string_view what) const {
  std::string msg = "sqlite store '" + path_ + "': " + std::string(what) + ": ";
  msg += db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  return core::Status::io_error(std::move(msg));
}

core::Status SqliteStore::exec(const char* sql, std::string_view what) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(what);
  return core::Status::ok();
}

core::Status SqliteStore::step_done(sqlite3_stmt* stmt, std::string_view what) {
  StmtGuard guard(stmt);
  if (sqlite3_step(stmt) != SQLITE_DONE) return error(what);
  return core::Status::ok();
}

core::Status SqliteStore::init(const Options& options) {
  // NOMUTEX: one thread uses the connection, so SQLite's per-call locking is wasted work.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr) != SQLITE_OK) return error("open");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  options_ = options;
  hold_read_snapshot_ = options.hold_read_snapshot;
  after_commit_ = options.after_commit;
  fault_ = options.fault_for_test;
  checkpoint_first_ = options.checkpoint_first;

  // journal_mode answers the mode it ended up in; a file system without shared memory support
  // silently stays in another mode, which must not pass unnoticed.
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr) != SQLITE_OK) {
      return error("set journal_mode=WAL");
    }
    std::string mode;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) mode = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    if (mode != "wal") {
      return core::Status::io_error("sqlite store '" + path_ +
                                    "': could not enable WAL journal mode (got '" + mode + "')");
    }
  }
  if (auto st = exec("PRAGMA synchronous=FULL", "set synchronous=FULL"); !st) return st;
  if (auto st = exec("CREATE TABLE IF NOT EXISTS kv(tbl TEXT NOT NULL, key TEXT NOT NULL, "
                     "value BLOB NOT NULL, PRIMARY KEY(tbl, key)) WITHOUT ROWID",
                     "create table kv");
      !st) {
    return st;
  }

  // Replaces the automatic checkpoint's own hook (sqlite3_wal_autocheckpoint is a wal hook).
  if (after_commit_) sqlite3_wal_hook(db_, &SqliteStore::on_wal_commit, this);

  const struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } statements[] = {
      {&get_, "SELECT value FROM kv WHERE tbl=?1 AND key=?2"},
      {&scan_range_, "SELECT key, value FROM kv WHERE tbl=?1 AND key>=?2 AND key<?3 ORDER BY key"},
      {&scan_from_, "SELECT key, value FROM kv WHERE tbl=?1 AND key>=?2 ORDER BY key"},
      {&put_,
       "INSERT INTO kv(tbl, key, value) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(tbl, key) DO UPDATE SET value=excluded.value"},
      {&erase_, "DELETE FROM kv WHERE tbl=?1 AND key=?2"},
      // IMMEDIATE takes the write lock up front, so a busy database fails the commit at BEGIN
      // rather than halfway through the batch.
      {&begin_, "BEGIN IMMEDIATE"},
      {&begin_read_, "BEGIN DEFERRED"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
  };
  for (const auto& s : statements) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) !=
        SQLITE_OK) {
      return error(std::string("prepare '") + s.sql + "'");
    }
  }
  return core::Status::ok();
}

SqliteStore::~SqliteStore() {
  release_snapshot();  // so that closing can checkpoint
  close();
}

void SqliteStore::close() {
  for (sqlite3_stmt** stmt : {&get_, &scan_range_, &scan_from_, &put_, &erase_, &begin_,
                              &begin_read_, &commit_, &rollback_}) {
    sqlite3_finalize(*stmt);  // a no-op on null
    *stmt = nullptr;
  }
  // Closing the last connection checkpoints the WAL into the main file; closing one inside a
  // write transaction rolls it back.
  sqlite3_close(db_);
  db_ = nullptr;
  in_read_ = false;
}

core::Status SqliteStore::reopen() {
  close();
  if (auto st = init(options_); !st) {
    close();
    return st;
  }
  return core::Status::ok();
}

int SqliteStore::on_wal_commit(void* self, sqlite3*, const char*, int wal_frames) {
  // Called from inside SQLite's C code, which an exception must never cross.
  auto* store = static_cast<SqliteStore*>(self);
  try {
    store->after_commit_(wal_frames);
  } catch (const std::exception& e) {
    try {
      store->hook_error_ = std::string("after_commit threw: ") + e.what();
    } catch (...) {
      store->hook_error_ = "hook threw";
    }
  } catch (...) {
    store->hook_error_ = "hook threw";
  }
  return SQLITE_OK;
}

core::Status SqliteStore::checkpoint() {
  if (auto st = release_snapshot(); !st) return st;
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) !=
      SQLITE_OK) {
    return error("checkpoint");
  }
  return core::Status::ok();
}

core::Status SqliteStore::set_hold_read_snapshot(bool hold) {
  hold_read_snapshot_ = hold;
  options_.hold_read_snapshot = hold;  // what a reopen() keeps
  return hold ? core::Status::ok() : release_snapshot();
}

core::Status SqliteStore::before_read() {
  if (db_ == nullptr) return core::Status::io_error("sqlite store '" + path_ + "': closed");
  if (!hold_read_snapshot_ || in_read_) return core::Status::ok();
  if (auto st = step_done(begin_read_, "begin read"); !st) return st;
  in_read_ = true;
  return core::Status::ok();
}

core::Status SqliteStore::release_snapshot() {
  if (!in_read_) return core::Status::ok();
  in_read_ = false;
  // COMMIT of a read-only transaction only drops its lock; should it fail, the connection is
  // left in autocommit anyway or the next BEGIN reports the problem.
  if (auto st = step_done(commit_, "end read"); !st) {
    if (sqlite3_get_autocommit(db_) == 0) {
      StmtGuard guard(rollback_);
      sqlite3_step(rollback_);
    }
    return st;
  }
  return core::Status::ok();
}

core::Status SqliteStore::get(std::string_view table, std::string_view key, std::string* value) {
  if (auto st = before_read(); !st) return st;
  StmtGuard guard(get_);
  if (bind_text(get_, 1, table) != SQLITE_OK || bind_text(get_, 2, key) != SQLITE_OK) {
    return error("get: bind");
  }
  switch (sqlite3_step(get_)) {
    case SQLITE_ROW:
      value->assign(column_bytes(get_, 0));
      return core::Status::ok();
    case SQLITE_DONE:
      return core::Status::not_found(std::string(table) + "/" + std::string(key));
    default:
      return error("get");
  }
}

core::Status SqliteStore::scan(
    std::string_view table, std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) {
  if (auto st = before_read(); !st) return st;
  const std::optional<std::string> end = prefix_successor(prefix);
  sqlite3_stmt* stmt = end ? scan_range_ : scan_from_;
  StmtGuard guard(stmt);
  if (bind_text(stmt, 1, table) != SQLITE_OK || bind_text(stmt, 2, prefix) != SQLITE_OK ||
      (end && bind_text(stmt, 3, *end) != SQLITE_OK)) {
    return error("scan: bind");
  }
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return core::Status::ok();
    if (rc != SQLITE_ROW) return error("scan");
    if (!visit(column_bytes(stmt, 0), column_bytes(stmt, 1))) return core::Status::ok();
  }
}

core::Status SqliteStore::commit(const core::WriteBatch& batch) {
  if (batch.ops().empty()) return core::Status::ok();
  if (db_ == nullptr) {  // an earlier reopen() failed
    if (auto st = reopen(); !st) return st;
  }
  // A write transaction cannot start inside the held read one (and its snapshot may be stale).
  if (auto st = release_snapshot(); !st) return st;
  if (checkpoint_first_ && checkpoint_first_()) {
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  if (auto st = step_done(begin_, "commit: begin"); !st) return st;
  core::Status failed;
  for (const core::WriteBatch::Op& op : batch.ops()) {
    sqlite3_stmt* stmt = op.value ? put_ : erase_;
    StmtGuard guard(stmt);
    if (bind_text(stmt, 1, op.table) != SQLITE_OK || bind_text(stmt, 2, op.key) != SQLITE_OK ||
        (op.value && bind_blob(stmt, 3, *op.value) != SQLITE_OK)) {
      failed = error("commit: bind");
      break;
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
      failed = error(op.value ? "commit: put" : "commit: erase");
      break;
    }
  }
  if (failed.is_ok()) {
    hook_error_.clear();
    failed = fault("commit")
                 ? core::Status::io_error("sqlite store '" + path_ + "': commit: injected fault")
                 : step_done(commit_, "commit");
    if (failed.is_ok() && !hook_error_.empty()) {
      // The rows are durable; the caller learns of a failure and treats the batch as lost,
      // which its redelivery then finds already done.
      failed = core::Status::internal("sqlite store '" + path_ + "': commit: " + hook_error_);
    }
    if (failed.is_ok() || sqlite3_get_autocommit(db_) != 0) return failed;
  }
  // The error message is taken before ROLLBACK, which would overwrite sqlite3_errmsg. If even
  // ROLLBACK fails SQLite has usually rolled back already; if it has not, the connection is
  // still inside the transaction and every later BEGIN would fail: closing it rolls back.
  if (sqlite3_get_autocommit(db_) == 0 && !fault("rollback")) {
    StmtGuard guard(rollback_);
    sqlite3_step(rollback_);
  }
  if (sqlite3_get_autocommit(db_) == 0) {
    const core::Status reopened = reopen();
    return core::Status::io_error(
        failed.message() + (reopened.is_ok() ? "; the rollback failed too and the connection "
                                               "was reopened"
                                             : "; the rollback failed too and reopening the "
                                               "connection failed: " +
                                                   reopened.message()));
  }
  return failed;
}

}  // namespace intsim::server
