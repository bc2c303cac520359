#include "store/postgres/pg_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <bitset>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "store/detail/backend.hpp"
#include "store/detail/timed_backend.hpp"
#include "store/postgres/pg_migrations.hpp"

namespace parley::store {
namespace {

using detail::Conn;
using detail::ConnPtr;
using detail::Param;
using detail::Q;
using detail::RowFn;

// TCP keepalives and tcp_user_timeout: a server that vanished without closing the
// connection (a host down, a network partition) is noticed in about this many seconds
// instead of the kernel's default of minutes to hours. Unix-socket connections ignore them;
// a server that is alive but stuck (SIGSTOP) still acknowledges TCP, which is why the event
// pipeline has its own budget (docs/architecture.md, "Event budget").
constexpr int kKeepalivesIdleS = 10;
constexpr int kKeepalivesIntervalS = 5;
constexpr int kKeepalivesCount = 3;
constexpr int kTcpUserTimeoutMs = 30'000;
// The server ends a transaction left open this long (a stuck or leaked Transaction).
constexpr int kIdleInTransactionTimeoutMs = 60'000;
// libpq treats connect_timeout below 2 s as 2 s.
constexpr int kMinConnectTimeoutS = 2;
constexpr int kMaxParams = 16;
// The key of the advisory lock that serializes migrators ("parley" in ASCII).
constexpr std::string_view kMigrationLockSql =
    "SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = '10min'; "
    "SELECT pg_advisory_xact_lock(112568963508601)";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

class PgRow final : public detail::Row {
 public:
  PgRow(const PGresult* r, int row) : r_(r), row_(row) {}
  bool IsNull(int col) const override { return PQgetisnull(r_, row_, col) != 0; }
  int64_t Int(int col) const override {
    const std::string_view text = Text(col);
    int64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
  }
  std::string_view Text(int col) const override {
    return {PQgetvalue(r_, row_, col), static_cast<std::size_t>(PQgetlength(r_, row_, col))};
  }

 private:
  const PGresult* r_;
  int row_;
};

// One connection, always in libpq's pipeline mode: Send queues a statement without waiting;
// Exec, Flush and Commit send what is queued together with a sync and read every result in
// order, so a batch event's writes cost no round trip of their own (docs/architecture.md).
// Statements are prepared on first use (PQsendPrepare, pipelined too).
class PgConn final : public Conn {
 public:
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  ~PgConn() override { PQfinish(conn_); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url,
                                                 const ConnectOptions& options) {
    const auto busy_ms = std::max<int64_t>(options.busy_timeout.count(), 1);
    const std::string connect_timeout =
        std::to_string(std::max<int64_t>(kMinConnectTimeoutS, (busy_ms + 999) / 1000));
    const auto statement_ms = std::max<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options.statement_timeout).count(),
        1);
    const std::string server_options =
        "-c statement_timeout=" + std::to_string(statement_ms) +
        " -c lock_timeout=" + std::to_string(busy_ms) +
        " -c idle_in_transaction_session_timeout=" + std::to_string(kIdleInTransactionTimeoutMs);
    const std::string keepalives_idle = std::to_string(kKeepalivesIdleS);
    const std::string keepalives_interval = std::to_string(kKeepalivesIntervalS);
    const std::string keepalives_count = std::to_string(kKeepalivesCount);
    const std::string tcp_user_timeout = std::to_string(kTcpUserTimeoutMs);
    // Keywords before "dbname" are defaults: whatever the URL sets wins.
    const char* keys[] = {"connect_timeout",
                          "options",
                          "client_encoding",
                          "application_name",
                          "keepalives",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "tcp_user_timeout",
                          "dbname",
                          nullptr};
    const char* values[] = {connect_timeout.c_str(),
                            server_options.c_str(),
                            "UTF8",
                            "parley",
                            "1",
                            keepalives_idle.c_str(),
                            keepalives_interval.c_str(),
                            keepalives_count.c_str(),
                            tcp_user_timeout.c_str(),
                            url.c_str(),
                            nullptr};
    auto conn = std::make_unique<PgConn>(PQconnectdbParams(keys, values, 1));
    if (conn->conn_ == nullptr) {
      return Status::Unavailable("postgres connect: out of memory");
    }
    if (PQstatus(conn->conn_) != CONNECTION_OK) {
      return Status::Unavailable("postgres connect: " + Trimmed(PQerrorMessage(conn->conn_)));
    }
    // Server notices (e.g. "terminating connection due to shutdown") would go to stderr;
    // the errors that matter come back as Status.
    PQsetNoticeProcessor(
        conn->conn_, [](void*, const char*) {}, nullptr);
    if (PQenterPipelineMode(conn->conn_) != 1) {
      return Status::Unavailable("postgres: cannot enter pipeline mode: " +
                                 Trimmed(PQerrorMessage(conn->conn_)));
    }
    return conn;
  }

  // Fit to hand to the next user: connected, nothing pending, outside any transaction.
  bool reusable() const {
    return !broken_ && pending_.empty() && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  Status Send(Q q, std::initializer_list<Param> params, Status no_rows, RowFn on_row) override {
    PARLEY_RETURN_IF_ERROR(SendQuery(q, params));
    pending_.push_back({q, Pending::kQuery, std::move(no_rows), on_row});
    return Status::Ok();
  }

  bool pipelined() const override { return true; }

  Status Flush() override {
    if (pending_.empty()) {
      return Status::Ok();
    }
    PARLEY_RETURN_IF_ERROR(Sync());
    Status first = ReadPending();
    Status sync = ReadSync();
    return first.ok() ? sync : first;
  }

  Status Exec(Q q, std::initializer_list<Param> params, RowFn on_row, int64_t* changed) override {
    PARLEY_RETURN_IF_ERROR(SendQuery(q, params));
    PARLEY_RETURN_IF_ERROR(Sync());
    Status first = ReadPending();
    Status mine = ReadResult(q, first.ok() ? on_row : RowFn(), changed, {});
    Status sync = ReadSync();
    if (!first.ok()) {
      return first;
    }
    return mine.ok() ? sync : mine;
  }

  Status ExecScript(std::string_view sql) override {
    if (sql.empty()) {
      return Status::Ok();
    }
    // Several statements in one string need the simple query protocol, which pipeline mode
    // does not allow: leave it for the script (migrations only).
    PARLEY_RETURN_IF_ERROR(Flush());
    if (PQexitPipelineMode(conn_) != 1) {
      return Broken("script: cannot leave pipeline mode");
    }
    const std::string text(sql);
    PgResult r(PQexec(conn_, text.c_str()));
    const ExecStatusType st = PQresultStatus(r.get());
    Status s =
        (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? Status::Ok() : Fail(r.get(), "script");
    r.reset();
    if (PQenterPipelineMode(conn_) != 1) {
      return Broken("script: cannot enter pipeline mode");
    }
    return s;
  }

  Status Begin(Durability durability) override {
    PARLEY_RETURN_IF_ERROR(Send(Q::kBegin, {}, {}, {}));
    if (durability == Durability::kRelaxed) {
      return Send(Q::kRelaxCommit, {}, {}, {});
    }
    return Status::Ok();
  }

  Status Commit() override {
    std::string command;
    PARLEY_RETURN_IF_ERROR(SendQuery(Q::kCommit, {}));
    PARLEY_RETURN_IF_ERROR(Sync());
    Status first = ReadPending();
    Status mine = ReadResult(Q::kCommit, {}, nullptr, &command);
    Status sync = ReadSync();
    if (!first.ok()) {
      return first;
    }
    PARLEY_RETURN_IF_ERROR(mine);
    PARLEY_RETURN_IF_ERROR(sync);
    // COMMIT of a failed transaction "succeeds" as ROLLBACK.
    if (command != "COMMIT") {
      return Status::Internal("postgres Commit: the transaction was rolled back");
    }
    return Status::Ok();
  }

  void Rollback() override {
    if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
      return;
    }
    (void)Flush();  // whatever was pipelined, and its errors, end with the transaction
    switch (PQtransactionStatus(conn_)) {
      case PQTRANS_IDLE:
        return;
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR:
        if (!Exec(Q::kRollback, {}, {}, nullptr).ok()) {
          broken_ = true;
        }
        return;
      default:  // a query still running, or the connection is gone
        broken_ = true;
        return;
    }
  }

 private:
  struct Pending {
    enum Kind { kPrepare, kQuery };
    Q q;
    Kind kind;
    Status no_rows;  // not ok: the query must change a row, else this is its error
    RowFn on_row;    // the caller's, for the result rows
  };

  static void Name(Q q, char (&name)[16]) {
    std::snprintf(name, sizeof name, "parley%zu", static_cast<std::size_t>(q));
  }

  // Queues `q` (and its PREPARE, the first time) in the pipeline.
  Status SendQuery(Q q, std::initializer_list<Param> params) {
    if (broken_) {
      return Status::Unavailable("postgres: the connection is broken");
    }
    const auto index = static_cast<std::size_t>(q);
    char name[16];
    Name(q, name);
    const bool planned_per_call = detail::PlannedPerCall(q);
    if (!planned_per_call && !prepared_[index]) {
      const std::string sql(detail::QuerySql(detail::Dialect::kPostgres, q));
      if (PQsendPrepare(conn_, name, sql.c_str(), 0, nullptr) != 1) {
        return Broken(detail::QueryName(q));
      }
      prepared_.set(index);  // unset again if the PREPARE fails
      pending_.push_back({q, Pending::kPrepare, {}, {}});
    }
    if (params.size() > kMaxParams) {
      return Status::Internal("postgres: too many parameters");
    }
    const char* values[kMaxParams];
    int lengths[kMaxParams];
    int formats[kMaxParams];
    char ints[kMaxParams][24];
    std::string repaired[kMaxParams];  // storable copies of texts that were not
    int n = 0;
    for (const Param& p : params) {
      values[n] = nullptr;
      lengths[n] = 0;
      formats[n] = 0;
      if (p.kind == Param::Kind::kInt) {
        auto [end, ec] = std::to_chars(ints[n], ints[n] + sizeof ints[n] - 1, p.i);
        *end = '\0';
        values[n] = ints[n];
      } else if (p.kind == Param::Kind::kText) {
        // Binary format: the text goes as its bytes with a length, no NUL needed.
        const std::string_view text = detail::StorableParam(p.s, repaired[n]);
        values[n] = text.empty() ? "" : text.data();
        lengths[n] = static_cast<int>(text.size());
        formats[n] = 1;
      }
      ++n;
    }
    // libpq copies the values into its output buffer here.
    if (planned_per_call) {
      // The unnamed statement: planned for these values, never from the plan cache.
      const std::string sql(detail::QuerySql(detail::Dialect::kPostgres, q));
      if (PQsendQueryParams(conn_, sql.c_str(), n, nullptr, values, lengths, formats, 0) != 1) {
        return Broken(detail::QueryName(q));
      }
      return Status::Ok();
    }
    if (PQsendQueryPrepared(conn_, name, n, values, lengths, formats, 0) != 1) {
      return Broken(detail::QueryName(q));
    }
    return Status::Ok();
  }

  Status Sync() {
    if (PQpipelineSync(conn_) != 1) {
      return Broken("sync");
    }
    return Status::Ok();
  }

  // Reads the results of everything in pending_, in order; the first failure.
  Status ReadPending() {
    Status first;
    while (!pending_.empty()) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      Status s = p.kind == Pending::kPrepare
                     ? ReadPrepare(p.q)
                     : ReadResult(p.q, first.ok() ? p.on_row : RowFn(), nullptr, {}, &p.no_rows);
      if (first.ok() && !s.ok()) {
        first = std::move(s);
      }
    }
    return first;
  }

  Status ReadPrepare(Q q) {
    PgResult r(PQgetResult(conn_));
    EndOfResult();
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK) {
      return Status::Ok();
    }
    prepared_.reset(static_cast<std::size_t>(q));
    if (st == PGRES_PIPELINE_ABORTED) {
      return Status::Internal("postgres " + std::string(detail::QueryName(q)) +
                              ": not prepared (an earlier statement failed)");
    }
    return Fail(r.get(), detail::QueryName(q));
  }

  // Reads one query's result. `command` receives its command tag ("COMMIT", "ROLLBACK").
  Status ReadResult(Q q, RowFn on_row, int64_t* changed, std::string* command,
                    const Status* no_rows = nullptr) {
    PgResult r(PQgetResult(conn_));
    EndOfResult();
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_PIPELINE_ABORTED) {
      return Status::Internal("postgres " + std::string(detail::QueryName(q)) +
                              ": not run (an earlier statement of the pipeline failed)");
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Fail(r.get(), detail::QueryName(q));
    }
    if (on_row) {
      const int rows = PQntuples(r.get());
      for (int i = 0; i < rows; ++i) {
        PARLEY_RETURN_IF_ERROR(on_row(PgRow(r.get(), i)));
      }
    }
    if (command != nullptr) {
      *command = PQcmdStatus(r.get());
    }
    if (changed != nullptr || (no_rows != nullptr && !no_rows->ok())) {
      const char* tuples = PQcmdTuples(r.get());
      int64_t n = 0;
      std::from_chars(tuples, tuples + std::strlen(tuples), n);
      if (changed != nullptr) {
        *changed = n;
      }
      if (no_rows != nullptr && !no_rows->ok() && n == 0) {
        return *no_rows;
      }
    }
    return Status::Ok();
  }

  // After a query's result comes a null that ends it.
  void EndOfResult() {
    while (PGresult* extra = PQgetResult(conn_)) {
      PQclear(extra);
    }
  }

  Status ReadSync() {
    PgResult r(PQgetResult(conn_));
    if (PQresultStatus(r.get()) != PGRES_PIPELINE_SYNC) {
      return Broken("sync");
    }
    return Status::Ok();
  }

  // The connection is unusable (it dropped, or the pipeline lost its place).
  Status Broken(std::string_view what) {
    broken_ = true;
    pending_.clear();
    return Status::Unavailable("postgres " + std::string(what) + ": " +
                               Trimmed(PQerrorMessage(conn_)));
  }

  // Maps a failed result (or a null one: out of memory or no connection) to a Status.
  Status Fail(const PGresult* r, std::string_view what) {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string text =
        Trimmed(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    const std::string_view code = state != nullptr ? state : "";
    std::string message = "postgres " + std::string(what) + ": ";
    if (!code.empty()) {
      message += "SQLSTATE " + std::string(code) + ": ";
    }
    message += text;
    // No SQLSTATE: libpq itself failed (the server vanished mid-request, out of memory).
    if (code.empty() || PQstatus(conn_) != CONNECTION_OK || code.starts_with("08") ||
        code.starts_with("57P0")) {
      broken_ = true;
      return Status::Unavailable(std::move(message));
    }
    if (code.starts_with("23")) {
      return Status::FailedPrecondition(std::move(message));
    }
    if (code.starts_with("40") || code == "55P03" || code == "57014" || code.starts_with("53")) {
      return Status::Unavailable(std::move(message));
    }
    return Status::Internal(std::move(message));
  }

  PGconn* conn_;
  std::bitset<detail::kQueryCount> prepared_;
  std::deque<Pending> pending_;  // sent, results not read yet
  bool broken_ = false;
};

class PgBackend final : public detail::Backend {
 public:
  PgBackend(std::string url, const ConnectOptions& options)
      : url_(std::move(url)), options_(options) {
    options_.pool_size = std::max(options_.pool_size, 1);
  }

  std::string_view dialect() const override { return "postgres"; }

  Result<ConnPtr> Acquire() override {
    const auto deadline = std::chrono::steady_clock::now() + options_.busy_timeout;
    std::unique_lock lock(mu_);
    while (true) {
      while (!idle_.empty()) {
        std::unique_ptr<PgConn> conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->reusable()) {
          return ConnPtr(conn.release(), detail::ConnReleaser{this});
        }
        --open_;
      }
      if (open_ < options_.pool_size) {
        ++open_;
        lock.unlock();
        auto conn = PgConn::Connect(url_, options_);
        if (!conn.ok()) {
          lock.lock();
          --open_;
          cv_.notify_one();
          return conn.status();
        }
        return ConnPtr(conn->release(), detail::ConnReleaser{this});
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.pool_size) {
        return Status::Unavailable("postgres: no free connection within " +
                                   std::to_string(options_.busy_timeout.count()) +
                                   " ms (pool_size " + std::to_string(options_.pool_size) + ")");
      }
    }
  }

  std::span<const detail::Migration> migrations() const override { return detail::PgMigrations(); }
  std::string_view migration_lock_sql() const override { return kMigrationLockSql; }

 protected:
  void Release(Conn* c) override {
    std::unique_ptr<PgConn> conn(static_cast<PgConn*>(c));
    {
      std::lock_guard lock(mu_);
      if (conn->reusable()) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    cv_.notify_one();
    // A discarded connection closes here, outside the lock.
  }

 private:
  const std::string url_;
  ConnectOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> idle_;  // most recently used last
  int open_ = 0;                               // idle + leased
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPgStore(std::string_view url, const ConnectOptions& options) {
  std::string text(url);
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = Trimmed(error != nullptr ? error : "out of memory");
    PQfreemem(error);
    return Status::InvalidArgument("postgres URL: " + message);
  }
  PQconninfoFree(parsed);
  return detail::MakeStore(
      detail::WithCallMetrics(std::make_unique<PgBackend>(std::move(text), options), options));
}

}  // namespace parley::store
