#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "store/detail/backend.hpp"
#include "store/detail/timed_backend.hpp"
#include "store/sqlite/sqlite_migrations.hpp"
#include "store/sqlite/wal_syncer.hpp"

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
    syncer_.reset();  // the last commits synced and reported first
    for (sqlite3_stmt* st : stmts_) {
      sqlite3_finalize(st);
    }
    sqlite3_close_v2(db_);
  }
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  Status Exec(Q q, std::initializer_list<Param> params, RowFn on_row, int64_t* changed) override {
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
        case Param::Kind::kText: {
          std::string repaired;
          const std::string_view text = detail::StorableParam(p.s, repaired);
          // Static: the text outlives the statement's use, which ends with Reset above;
          // repaired text is local, so SQLite copies it.
          rc =
              sqlite3_bind_text64(st, index, text.data(), text.size(),
                                  repaired.empty() ? SQLITE_STATIC : SQLITE_TRANSIENT, SQLITE_UTF8);
          break;
        }
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

  Status Send(Q q, std::initializer_list<Param> params, Status no_rows, RowFn on_row) override {
    int64_t changed = 0;
    PARLEY_RETURN_IF_ERROR(Run(q, params, on_row, &changed));
    if (!no_rows.ok() && changed == 0) {
      return no_rows;
    }
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  bool pipelined() const override { return false; }

  Status ExecScript(std::string_view sql) override {
    const std::string text(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      sqlite3_free(error);
      return SqliteError(rc, db_, "script");
    }
    return Status::Ok();
  }

  // One transaction at a time (the backend's lock). Batching many events into one commit is
  // the event pipeline's job (Store::BeginBatch: one BEGIN ... COMMIT, events in savepoints).
  Status Begin(Durability durability) override {
    durable_ = durability == Durability::kFull;
    return Run(Q::kBegin, {});
  }
  Status Commit() override {
    PARLEY_RETURN_IF_ERROR(CommitNow());
    if (syncer_ && durable_) {
      return syncer_->WaitDurable(syncer_->Committed());
    }
    return Status::Ok();
  }
  Status CommitVisible(std::function<void(Status)> on_durable) override {
    PARLEY_RETURN_IF_ERROR(CommitNow());
    if (syncer_ && durable_) {
      syncer_->OnDurable(syncer_->Committed(), std::move(on_durable));
    } else {
      on_durable(Status::Ok());
    }
    return Status::Ok();
  }
  void Rollback() override {
    if (sqlite3_get_autocommit(db_) == 0) {
      (void)Run(Q::kRollback, {});
    }
  }

  // Null unless commits are made durable by the syncer (synchronous=FULL asked of a WAL
  // database).
  detail::WalSyncer* syncer() const { return syncer_.get(); }

  // The connection's lock: one user at a time, in this process.
  Status Lock(Duration timeout) {
    if (!mu_.try_lock_for(timeout)) {
      return Status::Unavailable("sqlite: the database is busy (waited " +
                                 std::to_string(timeout.count()) + " ms)");
    }
    return Status::Ok();
  }
  void Unlock() { mu_.unlock(); }

  sqlite3* db() const { return db_; }

  Status Configure(const ConnectOptions& options) {
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    sqlite3_extended_result_codes(db_, 1);
    // WAL: readers never block the writer. SQLite checkpoints inline, in the commit that
    // crosses 1000 WAL pages. (A checkpoint on a thread of its own was tried: cheaper on
    // average, but it stalled writers for over 100 ms now and then, which put the webhook
    // p99 above 100 ms at 1,000 messages/s.)
    std::string mode;
    PARLEY_RETURN_IF_ERROR(PragmaText("PRAGMA journal_mode = WAL", &mode));
    // Durable commits (the default, PARLEY_SQLITE_SYNC=full) on a WAL database: the
    // connection runs synchronous=NORMAL (a commit writes the WAL without an fsync) and the
    // syncer fsyncs the WAL for many commits at once, off the writer's path
    // (store/sqlite/wal_syncer.hpp). A database without a WAL (in memory) keeps
    // synchronous=FULL when asked; `normal` skips the fsync altogether (durable against a
    // process crash only).
    const bool wal = mode == "wal";
    if (options.sqlite_full_sync && wal) {
      const char* wal_path = sqlite3_filename_wal(sqlite3_db_filename(db_, "main"));
      syncer_ = std::make_unique<detail::WalSyncer>(wal_path != nullptr ? wal_path : "");
    }
    return ExecScript(std::string("PRAGMA synchronous = ") +
                      (options.sqlite_full_sync && !wal ? "FULL" : "NORMAL") +
                      "; PRAGMA foreign_keys = ON;");
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

  sqlite3* db_;
  std::array<sqlite3_stmt*, detail::kQueryCount> stmts_{};

  Status CommitNow() {
    Status s = Run(Q::kCommit, {});
    if (!s.ok()) {
      Rollback();
    }
    return s;
  }

  // Runs a pragma and reads its one text result.
  Status PragmaText(const char* sql, std::string* out) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &st, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        *out = text != nullptr ? text : "";
        rc = SQLITE_OK;
      }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK || rc == SQLITE_DONE ? Status::Ok() : SqliteError(rc, db_, sql);
  }

  std::timed_mutex mu_;
  std::unique_ptr<detail::WalSyncer> syncer_;
  bool durable_ = true;  // the open transaction asked for Durability::kFull
};

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
  Status AwaitDurable() override {
    detail::WalSyncer* syncer = conn_->syncer();
    return syncer != nullptr ? syncer->WaitDurable(syncer->LastCommitted()) : Status::Ok();
  }

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
  return detail::MakeStore(
      detail::WithCallMetrics(std::make_unique<SqliteBackend>(std::move(conn), options), options));
}

}  // namespace parley::store
