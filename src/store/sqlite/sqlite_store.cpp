#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "store/detail/backend.hpp"
#include "store/sqlite/sqlite_migrations.hpp"

namespace parley::store {
namespace {

using detail::Conn;
using detail::ConnPtr;
using detail::Param;
using detail::Q;
using detail::RowFn;

Status SqliteError(int rc, sqlite3* db, std::string_view what) {
  std::string message = "sqlite " + std::string(what) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::FailedPrecondition(std::move(message));
    // Another process holds the lock, or the file or disk is (for now) unusable: a retry
    // later may work.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// "$12" -> "?12": one SQL text for both dialects; SQLite would take "$12" as a *named*
// parameter numbered by first appearance.
std::string ToSqliteParams(std::string_view sql) {
  std::string out(sql);
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') {
      out[i] = '?';
    }
  }
  return out;
}

class SqliteRow final : public detail::Row {
 public:
  explicit SqliteRow(sqlite3_stmt* st) : st_(st) {}
  bool IsNull(int col) const override { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(st_, col); }
  std::string_view Text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    if (p == nullptr) {
      return {};
    }
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col))};
  }

 private:
  sqlite3_stmt* st_;
};

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    for (sqlite3_stmt* st : stmts_) {
      sqlite3_finalize(st);
    }
    sqlite3_close_v2(db_);
  }
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  Status Exec(Q q, std::initializer_list<Param> params, RowFn on_row, int64_t* changed) override {
    if (batch_open_ && !in_event_) {
      // A statement outside any event (a read, the outbox) must not see, or act on, writes
      // that are not durable yet: commit the batch first.
      PARLEY_RETURN_IF_ERROR(CommitBatch());
    }
    return Run(q, params, on_row, changed);
  }

  Status Run(Q q, std::initializer_list<Param> params, RowFn on_row = {},
             int64_t* changed = nullptr) {
    sqlite3_stmt* st = nullptr;
    PARLEY_RETURN_IF_ERROR(Prepared(q, &st));
    // Resets the statement (releasing its read snapshot) on every way out.
    struct Reset {
      sqlite3_stmt* st;
      ~Reset() { sqlite3_reset(st); }
    } reset{st};
    int index = 1;
    for (const Param& p : params) {
      int rc = SQLITE_OK;
      switch (p.kind) {
        case Param::Kind::kNull:
          rc = sqlite3_bind_null(st, index);
          break;
        case Param::Kind::kInt:
          rc = sqlite3_bind_int64(st, index, p.i);
          break;
        case Param::Kind::kText:
          // Static: the text outlives the statement's use, which ends with Reset above.
          rc = sqlite3_bind_text64(st, index, p.s.data(), p.s.size(), SQLITE_STATIC, SQLITE_UTF8);
          break;
      }
      if (rc != SQLITE_OK) {
        return SqliteError(rc, db_, detail::QueryName(q));
      }
      ++index;
    }
    SqliteRow row(st);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (on_row) {
        PARLEY_RETURN_IF_ERROR(on_row(row));
      }
    }
    if (rc != SQLITE_DONE) {
      return SqliteError(rc, db_, detail::QueryName(q));
    }
    if (changed != nullptr) {
      *changed = sqlite3_changes64(db_);
    }
    return Status::Ok();
  }

  Status ExecScript(std::string_view sql) override {
    if (batch_open_ && !in_event_) {
      PARLEY_RETURN_IF_ERROR(CommitBatch());
    }
    const std::string text(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      sqlite3_free(error);
      return SqliteError(rc, db_, "script");
    }
    return Status::Ok();
  }

  // Group commit. Transactions run one at a time (the backend's write lock), each inside a
  // SAVEPOINT of one shared SQLite transaction, the batch. A transaction's Commit releases
  // its savepoint and, when another is waiting for the lock, hands the lock on and waits
  // for the batch's real COMMIT, done by the last transaction of the batch (no one waiting,
  // or kMaxBatch reached). So Commit still returns only once the writes are durable, and
  // rolling one transaction back (ROLLBACK TO) leaves the others of its batch alone; but
  // one WAL commit serves many events, which is most of an event's cost on a file.
  Status Begin() override {
    if (!batch_open_) {
      PARLEY_RETURN_IF_ERROR(Run(Q::kBegin, {}));
      batch_open_ = true;
    }
    PARLEY_RETURN_IF_ERROR(Script("SAVEPOINT event"));
    in_event_ = true;
    return Status::Ok();
  }
  Status Commit() override {
    Status s = Script("RELEASE event");
    in_event_ = false;
    if (!s.ok()) {
      return s;
    }
    return JoinBatch();
  }
  void Rollback() override {
    if (!in_event_) {
      return;
    }
    in_event_ = false;
    if (sqlite3_get_autocommit(db_) != 0 || !Script("ROLLBACK TO event; RELEASE event").ok()) {
      // SQLite rolled the whole batch back itself (an I/O error, a full disk): the
      // transactions waiting on it learn that from FinishBatch.
      FinishBatch(Status::Unavailable("sqlite: the transaction batch was rolled back"));
    }
  }

  // The write lock, and the batch bookkeeping behind it (see Begin).
  Status Lock(Duration timeout) {
    std::unique_lock lock(mu_);
    ++lock_waiters_;
    const bool got = lock_cv_.wait_for(lock, timeout, [this] { return !held_; });
    --lock_waiters_;
    if (!got) {
      return Status::Unavailable("sqlite: the database is busy (waited " +
                                 std::to_string(timeout.count()) + " ms)");
    }
    held_ = true;
    return Status::Ok();
  }
  void Unlock() {
    std::unique_lock lock(mu_);
    if (handed_off_) {
      handed_off_ = false;  // JoinBatch gave the lock on already
      return;
    }
    if (batch_open_ && lock_waiters_ == 0) {
      (void)CommitBatchLocked();
    }
    held_ = false;
    lock_cv_.notify_one();
  }

  sqlite3* db() const { return db_; }

  Status Configure(const ConnectOptions& options) {
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    sqlite3_extended_result_codes(db_, 1);
    // WAL: readers never block the writer; synchronous=NORMAL: a commit is durable against
    // process crashes, and against power loss up to the last checkpoint, with no fsync.
    // SQLite checkpoints inline, in the commit that crosses 1000 WAL pages. (A checkpoint on
    // a thread of its own was tried: cheaper on average, but it stalled writers for over
    // 100 ms now and then, which put the webhook p99 above 100 ms at 1,000 messages/s.)
    return ExecScript(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  }

 private:
  Status Prepared(Q q, sqlite3_stmt** out) {
    sqlite3_stmt*& st = stmts_[static_cast<std::size_t>(q)];
    if (st == nullptr) {
      const std::string sql = ToSqliteParams(detail::QuerySql(detail::Dialect::kSqlite, q));
      const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &st, nullptr);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        st = nullptr;
        return SqliteError(rc, db_, detail::QueryName(q));
      }
    }
    *out = st;
    return Status::Ok();
  }

  static constexpr int kMaxBatch = 64;

  Status Script(const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    sqlite3_free(error);
    return rc == SQLITE_OK ? Status::Ok() : SqliteError(rc, db_, sql);
  }

  // Called by the lock holder after its savepoint is released.
  Status JoinBatch() {
    std::unique_lock lock(mu_);
    const uint64_t mine = batch_;
    ++members_;
    if (lock_waiters_ == 0 || members_ >= kMaxBatch) {
      return CommitBatchLocked();
    }
    held_ = false;
    handed_off_ = true;  // thread-local: this thread's Unlock is now a no-op
    lock_cv_.notify_one();
    batch_cv_.wait(lock, [&] { return done_batch_ >= mine; });
    return failed_batches_.count(mine) != 0
               ? Status::Unavailable("sqlite: the transaction batch could not be committed")
               : Status::Ok();
  }

  Status CommitBatch() {
    std::unique_lock lock(mu_);
    return CommitBatchLocked();
  }

  Status CommitBatchLocked() {
    if (!batch_open_) {
      return Status::Ok();
    }
    Status s = Run(Q::kCommit, {});
    if (!s.ok() && sqlite3_get_autocommit(db_) == 0) {
      (void)Run(Q::kRollback, {});
    }
    FinishBatchLocked(s);
    return s;
  }

  void FinishBatch(const Status& s) {
    std::unique_lock lock(mu_);
    FinishBatchLocked(s);
  }

  void FinishBatchLocked(const Status& s) {
    if (!s.ok() && members_ > 0) {
      failed_batches_.insert(batch_);
    }
    batch_open_ = false;
    members_ = 0;
    done_batch_ = batch_++;
    batch_cv_.notify_all();
  }

  sqlite3* db_;
  std::array<sqlite3_stmt*, detail::kQueryCount> stmts_{};

  // Touched only by the write lock's holder:
  bool batch_open_ = false;  // BEGIN done, COMMIT pending
  bool in_event_ = false;    // inside the "event" savepoint
  // Guarded by mu_:
  std::mutex mu_;
  // One waiter at a time is woken for the lock (a waiter whose wait times out takes a free
  // lock anyway: wait_for rechecks), all of a batch's members when it ends.
  std::condition_variable lock_cv_;
  std::condition_variable batch_cv_;
  bool held_ = false;
  int lock_waiters_ = 0;
  int members_ = 0;          // committed transactions in the open batch
  uint64_t batch_ = 1;       // id of the batch being filled
  uint64_t done_batch_ = 0;  // id of the last batch ended (committed or failed)
  std::set<uint64_t> failed_batches_;
  static thread_local bool handed_off_;
};

thread_local bool SqliteConn::handed_off_ = false;

class SqliteBackend final : public detail::Backend {
 public:
  SqliteBackend(std::unique_ptr<SqliteConn> conn, const ConnectOptions& options)
      : conn_(std::move(conn)), options_(options) {}

  std::string_view dialect() const override { return "sqlite"; }

  Result<ConnPtr> Acquire() override {
    PARLEY_RETURN_IF_ERROR(conn_->Lock(options_.busy_timeout));
    return ConnPtr(conn_.get(), detail::ConnReleaser{this});
  }

  std::span<const detail::Migration> migrations() const override {
    return detail::SqliteMigrations();
  }
  std::string_view migration_lock_sql() const override { return {}; }

 protected:
  void Release(Conn* /*conn*/) override { conn_->Unlock(); }

 private:
  std::unique_ptr<SqliteConn> conn_;
  ConnectOptions options_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(std::string_view path,
                                               const ConnectOptions& options) {
  const std::string file(path);
  sqlite3* db = nullptr;
  // NOMUTEX: SqliteBackend serializes all use of the connection itself.
  const int rc = sqlite3_open_v2(
      file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto conn = std::make_unique<SqliteConn>(db);  // closes db, even a failed one
  if (rc != SQLITE_OK) {
    return SqliteError(rc, db, "open " + file);
  }
  PARLEY_RETURN_IF_ERROR(conn->Configure(options));
  return detail::MakeStore(std::make_unique<SqliteBackend>(std::move(conn), options));
}

}  // namespace parley::store
