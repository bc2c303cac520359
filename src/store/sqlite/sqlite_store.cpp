#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/detail/backend.hpp"
#include "store/sqlite/sqlite_migrations.hpp"

namespace parley::store {
namespace {

using detail::Conn;
using detail::ConnPtr;
using detail::Param;
using detail::Q;
using detail::RowFn;

// WAL size (pages) at which the background thread checkpoints, and at which a committing
// writer gives up waiting for it and checkpoints itself (SQLite's default is 1000, inline).
constexpr int kCheckpointPages = 1000;
constexpr int kInlineCheckpointPages = 20000;

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
    const std::string text(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      sqlite3_free(error);
      return SqliteError(rc, db_, "script");
    }
    return Status::Ok();
  }

  Status Begin() override { return Exec(Q::kBegin, {}, {}, nullptr); }
  Status Commit() override { return Exec(Q::kCommit, {}, {}, nullptr); }
  void Rollback() override {
    if (sqlite3_get_autocommit(db_) == 0) {
      // Fails only when there is nothing to roll back; the connection stays usable.
      (void)Exec(Q::kRollback, {}, {}, nullptr);
    }
  }

  sqlite3* db() const { return db_; }

  Status Configure(const ConnectOptions& options) {
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    sqlite3_extended_result_codes(db_, 1);
    // WAL: readers never block the writer; synchronous=NORMAL: a commit is durable against
    // process crashes, and against power loss up to the last checkpoint, with no fsync.
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

  sqlite3* db_;
  std::array<sqlite3_stmt*, detail::kQueryCount> stmts_{};
};

// Copies the WAL into the database file on a thread and connection of its own. The
// checkpoint's fsyncs (the only ones under synchronous=NORMAL) then cost a writer nothing;
// SQLite's own checkpoint would run inside whichever commit crosses the threshold.
class Checkpointer {
 public:
  // Null when the second connection cannot be opened: writers then checkpoint inline.
  static std::unique_ptr<Checkpointer> Start(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(db);
      return nullptr;
    }
    return std::unique_ptr<Checkpointer>(new Checkpointer(db));
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
    sqlite3_close_v2(db_);
  }

  // Installed with sqlite3_wal_hook on the writer's connection: runs after each commit,
  // inside the writer's lock, with the WAL's size in pages.
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    if (pages >= kInlineCheckpointPages) {
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    // Pages written since the last checkpoint; fewer pages than then means the WAL restarted.
    int base = c->checkpointed_pages_.load(std::memory_order_relaxed);
    if (pages < base) {
      base = 0;
    }
    if (pages - base >= kCheckpointPages && !c->pending_.exchange(true)) {
      {
        std::lock_guard lock(c->mu_);
        c->wanted_ = true;
      }
      c->cv_.notify_one();
    }
    return SQLITE_OK;
  }

 private:
  explicit Checkpointer(sqlite3* db) : db_(db), thread_([this] { Run(); }) {}

  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || wanted_; });
      if (stop_) {
        return;
      }
      wanted_ = false;
      lock.unlock();
      // PASSIVE: copies what it can without waiting for or blocking readers and writers.
      int log_pages = 0;
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, nullptr);
      checkpointed_pages_.store(std::max(log_pages, 0), std::memory_order_relaxed);
      pending_.store(false);
      lock.lock();
    }
  }

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::atomic<bool> pending_{false};        // a checkpoint is asked for or running
  std::atomic<int> checkpointed_pages_{0};  // WAL size at the last checkpoint
  std::thread thread_;                      // last: starts after the members it uses
};

class SqliteBackend final : public detail::Backend {
 public:
  SqliteBackend(std::unique_ptr<SqliteConn> conn, std::unique_ptr<Checkpointer> checkpointer,
                const ConnectOptions& options)
      : checkpointer_(std::move(checkpointer)), conn_(std::move(conn)), options_(options) {}

  std::string_view dialect() const override { return "sqlite"; }

  Result<ConnPtr> Acquire() override {
    if (!mu_.try_lock_for(options_.busy_timeout)) {
      return Status::Unavailable("sqlite: the database is busy (waited " +
                                 std::to_string(options_.busy_timeout.count()) + " ms)");
    }
    return ConnPtr(conn_.get(), detail::ConnReleaser{this});
  }

  std::span<const detail::Migration> migrations() const override {
    return detail::SqliteMigrations();
  }
  std::string_view migration_lock_sql() const override { return {}; }

 protected:
  void Release(Conn* /*conn*/) override { mu_.unlock(); }

 private:
  // Declared first, destroyed last: the writer's connection still points its WAL hook at it.
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<SqliteConn> conn_;
  ConnectOptions options_;
  std::timed_mutex mu_;
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
  std::unique_ptr<Checkpointer> checkpointer;
  if (file != ":memory:") {
    checkpointer = Checkpointer::Start(file);
  }
  if (checkpointer) {
    // Replaces SQLite's automatic checkpoint (itself a WAL hook).
    sqlite3_wal_hook(conn->db(), &Checkpointer::OnCommit, checkpointer.get());
  }
  return detail::MakeStore(
      std::make_unique<SqliteBackend>(std::move(conn), std::move(checkpointer), options));
}

}  // namespace parley::store
