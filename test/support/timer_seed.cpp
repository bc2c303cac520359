#include "test/support/timer_seed.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <memory>

namespace parley::testing {
namespace {

bool IsSqlite(std::string_view url) { return url.starts_with("sqlite:"); }

// The seeding script: {N} rows from index {F}; due = {D} + i * {S} (i from 0). The series
// is `n` (1..N) on both dialects.
std::string Script(const TimerSeed& s, bool sqlite) {
  const std::string first = std::to_string(s.first - 1);
  const std::string n = std::to_string(s.count);
  const std::string due0 = std::to_string(ToUnixMillis(s.first_due));
  const std::string spacing = std::to_string(s.spacing.count());
  const std::string series =
      sqlite
          ? "WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series WHERE n < " +
                n + ") "
          : "";
  const std::string from = sqlite ? " FROM series" : " FROM generate_series(1, " + n + ") AS n";
  const std::string idx = "(" + first + " + n)";
  const std::string digits =
      sqlite ? "printf('%08d', " + idx + ")" : "lpad(" + idx + "::text, 8, '0')";
  std::string sql = sqlite ? "BEGIN;" : "BEGIN;";
  sql += series + "INSERT INTO contacts (id, address, channel, phone, created_at) SELECT " + idx +
         ", '+1555' || " + digits + ", 'sms', '+1555' || " + digits + ", " + due0 + from + ";";
  sql += series +
         "INSERT INTO sessions (id, contact_id, flow_id, flow_revision, state, variables, step, "
         "status, started_at, updated_at) SELECT " +
         idx + ", " + idx + ", '" + s.flow_id + "', 'seed', '" + s.state +
         "', '{}', 1, 'active', " + due0 + ", " + due0 + from + ";";
  sql += series + "INSERT INTO timers (session_id, contact_id, name, due, step, keep) SELECT " +
         idx + ", " + idx + ", '" + s.timer + "', " + due0 + " + (n - 1) * " + spacing + ", 1, 0" +
         from + ";";
  if (!sqlite) {
    // Explicit ids leave the identity sequences behind: move them past the seeded rows.
    sql +=
        "SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts));"
        "SELECT setval(pg_get_serial_sequence('sessions', 'id'), (SELECT max(id) FROM sessions));";
  }
  sql += "COMMIT;";
  return sql;
}

struct PgCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};

Result<std::unique_ptr<PGconn, PgCloser>> PgConnect(std::string_view url) {
  std::unique_ptr<PGconn, PgCloser> conn(PQconnectdb(std::string(url).c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable(std::string("seed: ") + PQerrorMessage(conn.get()));
  }
  return conn;
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

Result<std::unique_ptr<sqlite3, SqliteCloser>> SqliteOpen(std::string_view url) {
  sqlite3* db = nullptr;
  const std::string path(url.substr(7));
  const int rc = sqlite3_open(path.c_str(), &db);
  std::unique_ptr<sqlite3, SqliteCloser> owned(db);
  if (rc != SQLITE_OK) {
    return Status::Unavailable("seed: cannot open " + path);
  }
  sqlite3_busy_timeout(db, 10'000);
  return owned;
}

}  // namespace

Status SeedTimers(std::string_view url, const TimerSeed& seed) {
  const std::string sql = Script(seed, IsSqlite(url));
  if (IsSqlite(url)) {
    auto db = SqliteOpen(url);
    if (!db.ok()) {
      return db.status();
    }
    char* error = nullptr;
    if (sqlite3_exec(db->get(), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = std::string("seed: ") + (error != nullptr ? error : "?");
      sqlite3_free(error);
      return Status::Internal(message);
    }
    return Status::Ok();
  }
  auto conn = PgConnect(url);
  if (!conn.ok()) {
    return conn.status();
  }
  PGresult* r = PQexec(conn->get(), sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  return ok ? Status::Ok() : Status::Internal(std::string("seed: ") + PQerrorMessage(conn->get()));
}

Result<int64_t> QueryInt(std::string_view url, const std::string& sql) {
  int64_t sum = 0;
  if (IsSqlite(url)) {
    auto db = SqliteOpen(url);
    if (!db.ok()) {
      return db.status();
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db->get(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Status::Internal(std::string("query: ") + sqlite3_errmsg(db->get()));
    }
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      sum += sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      return Status::Internal(std::string("query: ") + sqlite3_errmsg(db->get()));
    }
    return sum;
  }
  auto conn = PgConnect(url);
  if (!conn.ok()) {
    return conn.status();
  }
  PGresult* r = PQexec(conn->get(), sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    Status s = Status::Internal(std::string("query: ") + PQerrorMessage(conn->get()));
    PQclear(r);
    return s;
  }
  for (int i = 0; i < PQntuples(r); ++i) {
    sum += std::stoll(PQgetvalue(r, i, 0));
  }
  PQclear(r);
  return sum;
}

}  // namespace parley::testing
