// The Store port on SQLite: the embedded durable store of real mode.
//
// One table `kv(tbl TEXT, key TEXT, value BLOB, PRIMARY KEY(tbl, key)) WITHOUT ROWID`, so rows
// are clustered by (table, key) and a prefix scan is one range walk of the primary key.
//
// Durability: WAL journal with synchronous=FULL. With FULL, SQLite syncs the WAL on every
// COMMIT, so once commit() returns ok the batch survives a process crash *and* a power loss;
// NORMAL would be faster but could lose the last acknowledged batches on power loss, and the
// server answers a webhook 2xx only after its inbox row is committed, so "acknowledged" must
// mean "durable". The cost is one fsync per commit(): callers that need throughput batch
// several writes into one WriteBatch (group commit) rather than weakening this.
//
// Reads: by default every get() and scan() is its own read transaction, and in WAL mode each one
// takes and drops a lock on the shared-memory index (two fcntl calls and an index check). A
// server reads several rows per request, so with Options::hold_read_snapshot the reads share
// one read transaction (one snapshot) until release_snapshot(): the owner releases it whenever
// another connection's commits must become visible (real mode: when a flush on the writer
// connection completes, group_commit_store.h). A held snapshot also holds back the WAL
// checkpoint, so it must not be held for long: real mode releases it at least once per flush.
//
// Not thread-safe: like the core it serves, one SqliteStore is used from one thread at a time.
// Real mode opens two on the same file: a reader on the event loop's thread and a writer on the
// commit thread (WAL lets a reader and a writer run at once).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "src/core/ports.h"

struct sqlite3;
struct sqlite3_stmt;

namespace intsim::server {

class SqliteStore final : public core::Store {
 public:
  struct Options {
    // How long a commit waits for a lock another connection holds before failing.
    int busy_timeout_ms = 5000;
    // Reads share one read transaction until release_snapshot() or commit() (see above).
    bool hold_read_snapshot = false;
    // Runs inside every commit of this connection once its WAL frames are written (and synced),
    // with the number of frames now in the WAL, on the committing thread. Setting it turns off
    // SQLite's automatic checkpoint, which would otherwise run inside the commit that crosses
    // 1,000 frames and make that commit (and every webhook waiting for it) pay for copying the
    // WAL into the database and syncing it: the owner checkpoints elsewhere instead
    // (wal_checkpointer.h).
    std::function<void(int wal_frames)> after_commit;
    // Asked before each write transaction, on the committing thread; true runs a PASSIVE
    // checkpoint on this connection first. With nothing writing meanwhile it copies the whole
    // WAL unless a reader's snapshot is older, so the BEGIN that follows can rewind the WAL to
    // its start: under back-to-back commits nothing else ever finds the WAL fully copied
    // (wal_checkpointer.h). A failure (another checkpoint running) only means no rewind yet.
    std::function<bool()> checkpoint_first;
    // Tests only: asked before the COMMIT and the ROLLBACK of a write transaction ("commit",
    // "rollback"); true skips that statement and fails it as SQLite would, leaving the
    // transaction open. Empty in production (one test per commit, none per row).
    std::function<bool(std::string_view step)> fault_for_test;
  };

  // Opens (creating if needed) the database at `path`. Errors name the path and SQLite's
  // message.
  static core::Status open(const std::string& path, const Options& options,
                           std::unique_ptr<SqliteStore>* out);
  static core::Status open(const std::string& path, std::unique_ptr<SqliteStore>* out) {
    return open(path, Options{}, out);
  }

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  core::Status get(std::string_view table, std::string_view key, std::string* value) override;
  core::Status scan(
      std::string_view table, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) override;
  // One transaction (BEGIN IMMEDIATE ... COMMIT); rolled back on any error. If even the ROLLBACK
  // fails and leaves the connection inside the transaction (every later BEGIN would fail), the
  // connection is closed, which rolls back, and opened again; the error says so. An exception
  // from after_commit fails the commit (whose rows are durable by then: the caller treats it as
  // an ambiguous commit, like a lost answer) and never crosses SQLite's C frames.
  core::Status commit(const core::WriteBatch& batch) override;

  // A PASSIVE checkpoint: copies what it can of the WAL into the database without waiting for
  // readers or writers (other connections may go on committing meanwhile).
  core::Status checkpoint();

  // Ends the read transaction that hold_read_snapshot keeps open, so the next read sees every
  // commit made so far (by any connection). A no-op when none is open.
  core::Status release_snapshot();
  bool snapshot_held() const { return in_read_; }
  // Turns hold_read_snapshot on or off from now on (off releases the snapshot held).
  core::Status set_hold_read_snapshot(bool hold);

  const std::string& path() const { return path_; }

 private:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  core::Status init(const Options& options);
  void close();
  // Closes the connection and opens it again with the same options; on failure the store is
  // closed and the next commit tries again.
  core::Status reopen();
  bool fault(std::string_view step) const { return fault_ && fault_(step); }
  core::Status error(std::string_view what) const;
  core::Status exec(const char* sql, std::string_view what);
  core::Status step_done(sqlite3_stmt* stmt, std::string_view what);
  core::Status before_read();

  static int on_wal_commit(void* self, sqlite3* db, const char* name, int wal_frames);

  Options options_;  // kept for reopen()
  bool hold_read_snapshot_ = false;
  std::function<void(int)> after_commit_;
  std::function<bool(std::string_view)> fault_;
  std::function<bool()> checkpoint_first_;
  std::string hook_error_;  // what after_commit threw in the commit under way; empty: nothing
  bool in_read_ = false;    // a held read transaction is open
  std::string path_;
  sqlite3* db_ = nullptr;
  // Prepared once and reused: preparing per call would dominate small transactions.
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_range_ = nullptr;  // key >= prefix AND key < successor(prefix)
  sqlite3_stmt* scan_from_ = nullptr;   // key >= prefix (prefix has no successor)
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* begin_read_ = nullptr;  // BEGIN DEFERRED: the snapshot starts at the first read
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
};

// The smallest string greater than every string that starts with `prefix`, in bytewise order;
// nullopt when there is none (empty prefix, or only 0xFF bytes). Exposed for tests.
std::optional<std::string> prefix_successor(std::string_view prefix);

}  // namespace intsim::server
