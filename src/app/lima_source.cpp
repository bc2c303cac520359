#include "app/lima_source.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <memory>

namespace parley::app {

namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// One line: libpq's messages end with a newline and may span lines.
std::string OneLine(const char* message) {
  std::string s = message == nullptr ? "" : message;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  for (char& c : s) {
    if (c == '\n') {
      c = ' ';
    }
  }
  return s;
}

Result<PgResult> Exec(PGconn* conn, const char* sql, const char* what) {
  PgResult r(PQexec(conn, sql));
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    if (PQstatus(conn) != CONNECTION_OK) {
      return Status::Unavailable("LIMA database: " + OneLine(PQerrorMessage(conn)));
    }
    return Status::InvalidArgument(
        std::string("LIMA database: cannot read ") + what +
        " (is this LIMA's database?): " + OneLine(PQresultErrorMessage(r.get())));
  }
  return r;
}

int64_t Int(PGresult* r, int row, int col) {
  const char* v = PQgetvalue(r, row, col);
  int64_t out = 0;
  std::from_chars(v, v + std::char_traits<char>::length(v), out);
  return out;
}

std::optional<int64_t> OptionalInt(PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) {
    return std::nullopt;
  }
  return Int(r, row, col);
}

std::string Text(PGresult* r, int row, int col) {
  return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// encode(state, 'hex'): lower-case pairs.
std::string FromHex(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]);
    const int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      break;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

Result<LimaData> ReadLimaDatabase(const std::string& url) {
  Conn conn(PQconnectdb(url.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable("cannot connect to the LIMA database: " +
                               OneLine(conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  // One snapshot for both tables, and no way to write by mistake.
  auto begin = Exec(conn.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "a snapshot");
  if (!begin.ok()) {
    return begin.status();
  }
  LimaData data;
  auto users = Exec(conn.get(),
                    "SELECT id, phone_number, chat_type, name, is_active FROM core_user "
                    "ORDER BY id",
                    "core_user");
  if (!users.ok()) {
    return users.status();
  }
  PGresult* u = users->get();
  for (int row = 0; row < PQntuples(u); ++row) {
    data.users.push_back({Int(u, row, 0), Text(u, row, 1), Text(u, row, 2), Text(u, row, 3),
                          Text(u, row, 4) == "t"});
  }
  const std::string sessions_sql =
      "SELECT id, user_id, (extract(epoch FROM created) * 1000)::bigint, "
      "CASE WHEN octet_length(state) <= " +
      std::to_string(kMaxLimaStateBytes) +
      " THEN encode(state, 'hex') END, octet_length(state), "
      "last_user_bgcheck_value, stop_session_flag FROM core_session WHERE active "
      "ORDER BY user_id, created DESC, id DESC";
  auto sessions = Exec(conn.get(), sessions_sql.c_str(), "core_session");
  if (!sessions.ok()) {
    return sessions.status();
  }
  PGresult* s = sessions->get();
  for (int row = 0; row < PQntuples(s); ++row) {
    LimaSession session;
    session.id = Int(s, row, 0);
    session.user_id = Int(s, row, 1);
    session.created = TimePoint(std::chrono::milliseconds(Int(s, row, 2)));
    if (!PQgetisnull(s, row, 3)) {
      session.state = FromHex(PQgetvalue(s, row, 3));
    }
    session.state_bytes = OptionalInt(s, row, 4).value_or(0);
    session.last_user_bgcheck_value = OptionalInt(s, row, 5);
    session.stop_session_flag = OptionalInt(s, row, 6);
    data.sessions.push_back(std::move(session));
  }
  return data;
}

}  // namespace parley::app
