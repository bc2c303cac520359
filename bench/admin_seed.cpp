#include "bench/admin_seed.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <array>
#include <memory>

namespace parley::bench {
namespace {

// Everything happens at offsets from 2023-11-14T22:13:20Z.
constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kChunk = 1'000'000;  // messages per statement (one progress line each)

constexpr std::array kFirstNames = {
    "Maria", "James",   "Ana",   "John",   "Mohammed", "Wei",   "Fatima", "Carlos",
    "Priya", "David",   "Olga",  "Kwame",  "Sofia",    "Luis",  "Mei",    "Ahmed",
    "Elena", "Michael", "Aisha", "Juan",   "Chloe",    "Omar",  "Ingrid", "Hiroshi",
    "Lucia", "Pedro",   "Amara", "Daniel", "Yuki",     "Marco", "Nadia",  "Samuel",
    "Grace", "Ivan",    "Leila", "Tomas",  "Rosa"};
constexpr std::array kLastNames = {
    "Silva",    "Smith",   "Okafor",   "Garcia",  "Chen",   "Khan",    "Novak",  "Mensah", "Rossi",
    "Kim",      "Nguyen",  "Muller",   "Haddad",  "Santos", "Ivanova", "Tanaka", "Lopez",  "Brown",
    "Mwangi",   "Patel",   "Dubois",   "Jensen",  "Costa",  "Ali",     "Moreno", "Wilson", "Sato",
    "Kowalski", "Ortiz",   "Ferreira", "Lee",     "Abebe",  "Romero",  "Taylor", "Yilmaz", "Cohen",
    "Nielsen",  "Pereira", "Diaz",     "Walker",  "Hansen", "Ibrahim", "Castro", "Young",  "Petrov",
    "Reyes",    "Alves",   "Clark",    "Schmidt", "Banda",  "Martins", "Hughes", "Gomez"};
constexpr std::array kCities = {"Lisbon", "Nairobi", "Chicago", "Manila", "Lagos", "Lima",
                                "Delhi",  "Austin",  "Accra",   "Quito",  "Porto", "Cebu"};
static_assert(kFirstNames.size() == 37 && kLastNames.size() == 53);

class Sql {
 public:
  explicit Sql(bool sqlite) : sqlite_(sqlite) {}

  // Rows n = first..last (an integer column named n).
  std::string With(int64_t first, int64_t last) const {
    return sqlite_
               ? "WITH RECURSIVE series(n) AS (SELECT " + std::to_string(first) +
                     " UNION ALL SELECT n + 1 FROM series WHERE n < " + std::to_string(last) + ") "
               : "";
  }
  std::string From(int64_t first, int64_t last) const {
    return sqlite_ ? " FROM series"
                   : " FROM generate_series(" + std::to_string(first) + "::bigint, " +
                         std::to_string(last) + ") AS n";
  }
  std::string Text(const std::string& e) const {
    return sqlite_ ? "CAST(" + e + " AS TEXT)" : "(" + e + ")::text";
  }
  std::string Pad(const std::string& e, int width) const {
    return sqlite_ ? "printf('%0" + std::to_string(width) + "d', " + e + ")"
                   : "lpad((" + e + ")::text, " + std::to_string(width) + ", '0')";
  }
  // AdminSeedPhone in SQL.
  std::string Phone(const std::string& i) const {
    return "'+1' || " + Text("200 + " + i + " % 800") + " || " + Pad(i + " % 10000000", 7);
  }
  std::string Address(const std::string& i) const {
    return "CASE WHEN " + i + " % 10 = 0 THEN 'whatsapp:' ELSE '' END || " + Phone(i);
  }

 private:
  bool sqlite_;
};

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string NameTables() {
  std::string sql =
      "CREATE TEMP TABLE seed_first (i INTEGER PRIMARY KEY, name TEXT NOT NULL);"
      "CREATE TEMP TABLE seed_last (i INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT "
      "NULL);INSERT INTO seed_first VALUES ";
  for (size_t i = 0; i < kFirstNames.size(); ++i) {
    sql += (i > 0 ? ", (" : "(") + std::to_string(i) + ", " + Quoted(kFirstNames[i]) + ")";
  }
  sql += ";INSERT INTO seed_last VALUES ";
  for (size_t i = 0; i < kLastNames.size(); ++i) {
    sql += (i > 0 ? ", (" : "(") + std::to_string(i) + ", " + Quoted(kLastNames[i]) + ", " +
           Quoted(kCities[i % kCities.size()]) + ")";
  }
  return sql + ";";
}

std::string Contacts(const Sql& q, int64_t count) {
  const std::string t = std::to_string(kT0);
  return q.With(1, count) +
         "INSERT INTO contacts (id, address, channel, phone, name, status, language, fields, "
         "last_inbound_at, created_at) SELECT n, " +
         q.Address("n") + ", CASE WHEN n % 10 = 0 THEN 'whatsapp' ELSE 'sms' END, " + q.Phone("n") +
         ", CASE WHEN n % 100000 = 77 THEN 'Zebulon Quartermaine' WHEN n % 10 = 3 THEN '' "
         "ELSE f.name || ' ' || l.name END, CASE WHEN n % 50 = 0 THEN 'opted_out' ELSE "
         "'active' END, 'en', '{\"city\":\"' || l.city || '\",\"plan\":\"' || CASE WHEN n % 3 = "
         "0 THEN 'pro' ELSE 'basic' END || '\"}', " +
         t + " + n * 1000, " + t + " + n * 1000" + q.From(1, count) +
         " JOIN seed_first f ON f.i = n % 37 JOIN seed_last l ON l.i = (n / 37) % 53;";
}

std::string Messages(const Sql& q, const AdminSeed& s, int64_t first, int64_t last) {
  const std::string c = std::to_string(s.contacts);
  const std::string heavy = std::to_string(HeavyContact(s));
  const std::string stride = std::to_string(s.messages / 1000);
  const std::string spread = "(1 + (n * 7919) % " + c + ")";
  const std::string in = "n % 2 = 0";
  return q.With(first, last) +
         "INSERT INTO messages (id, contact_id, direction, provider_sid, from_addr, to_addr, "
         "body, status, error_code, created_at) SELECT n, cid, CASE WHEN " +
         in + " THEN 'inbound' ELSE 'outbound' END, 'SM' || " + q.Pad("n", 32) + ", CASE WHEN " +
         in + " THEN " + q.Address("cid") + " ELSE '+15005550006' END, CASE WHEN " + in +
         " THEN '+15005550006' ELSE " + q.Address("cid") +
         " END, CASE n % 5 WHEN 0 THEN 'Yes please' WHEN 1 THEN 'Hi! Your appointment is "
         "confirmed for tomorrow at 10:00.' WHEN 2 THEN 'What time works for you?' WHEN 3 THEN "
         "'Reply STOP to unsubscribe.' ELSE 'Thanks, see you then' END || ' #' || " +
         q.Text("n") + ", CASE WHEN " + in +
         " THEN 'received' WHEN n % 97 = 1 THEN 'failed' ELSE 'delivered' END, CASE WHEN n % 2 "
         "= 1 AND n % 97 = 1 THEN '30003' ELSE '' END, " +
         std::to_string(kT0) + " + n * 100 FROM (SELECT n, CASE WHEN n % " + stride + " = 0 THEN " +
         heavy + " WHEN " + spread + " = " + heavy + " THEN " + heavy + " % " + c + " + 1 ELSE " +
         spread + " END AS cid" + q.From(first, last) + ") AS m;";
}

std::string Sessions(const Sql& q, int64_t count) {
  const std::string t = std::to_string(kT0);
  return q.With(1, count) +
         "INSERT INTO sessions (contact_id, flow_id, flow_revision, state, variables, step, "
         "status, started_at, updated_at, ended_at, end_reason) SELECT n, 'checkin', 'seed', "
         "'DONE', '{\"answer\":\"yes\"}', 4, 'completed', " +
         t + ", " + t + " + 1000, " + t + " + 1000, 'completed'" + q.From(1, count) +
         " WHERE n % 5 = 0;" + q.With(1, count) +
         "INSERT INTO sessions (contact_id, flow_id, flow_revision, state, variables, step, "
         "status, started_at, updated_at) SELECT n, 'checkin', 'seed', 'ASK_NAME', '{}', 1, "
         "'active', " +
         t + ", " + t + " + 2000" + q.From(1, count) + " WHERE n % 20 = 0;";
}

struct PgCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

}  // namespace

std::string AdminSeedPhone(int64_t i) {
  std::string local = std::to_string(i % 10'000'000);
  local.insert(0, 7 - local.size(), '0');
  return "+1" + std::to_string(200 + i % 800) + local;
}

int64_t HeavyContact(const AdminSeed& seed) { return seed.contacts / 2 / 20 * 20 + 20; }

Status SeedAdmin(std::string_view url, const AdminSeed& seed,
                 const std::function<void(const std::string&)>& progress) {
  if (seed.messages < 1000 || seed.messages % 1000 != 0 || seed.contacts < 40) {
    return Status::InvalidArgument("seed: messages must be a multiple of 1,000; contacts >= 40");
  }
  const bool sqlite = url.starts_with("sqlite:");
  const Sql q(sqlite);
  std::unique_ptr<sqlite3, SqliteCloser> db;
  std::unique_ptr<PGconn, PgCloser> pg;
  if (sqlite) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open(std::string(url.substr(7)).c_str(), &raw);
    db.reset(raw);
    if (rc != SQLITE_OK) {
      return Status::Unavailable("seed: cannot open " + std::string(url));
    }
    sqlite3_busy_timeout(raw, 10'000);
  } else {
    pg.reset(PQconnectdb(std::string(url).c_str()));
    if (PQstatus(pg.get()) != CONNECTION_OK) {
      return Status::Unavailable(std::string("seed: ") + PQerrorMessage(pg.get()));
    }
  }
  const auto exec = [&](const std::string& sql) -> Status {
    if (sqlite) {
      char* error = nullptr;
      if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = std::string("seed: ") + (error != nullptr ? error : "?");
        sqlite3_free(error);
        return Status::Internal(message);
      }
      return Status::Ok();
    }
    PGresult* r = PQexec(pg.get(), sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok ? Status::Ok() : Status::Internal(std::string("seed: ") + PQerrorMessage(pg.get()));
  };
  // The seed is rebuilt on failure, so it need not survive a crash.
  PARLEY_RETURN_IF_ERROR(exec(sqlite ? "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;"
                                     : "SET synchronous_commit = off;"));
  PARLEY_RETURN_IF_ERROR(exec(NameTables()));
  PARLEY_RETURN_IF_ERROR(exec("BEGIN;" + Contacts(q, seed.contacts) + "COMMIT;"));
  progress(std::to_string(seed.contacts) + " contacts");
  PARLEY_RETURN_IF_ERROR(exec("BEGIN;" + Sessions(q, seed.contacts) + "COMMIT;"));
  progress("sessions");
  for (int64_t first = 1; first <= seed.messages; first += kChunk) {
    const int64_t last = std::min(seed.messages, first + kChunk - 1);
    PARLEY_RETURN_IF_ERROR(exec("BEGIN;" + Messages(q, seed, first, last) + "COMMIT;"));
    progress(std::to_string(last) + " messages");
  }
  if (!sqlite) {
    // Explicit ids leave the identity sequences behind; fresh statistics, as autovacuum
    // would gather them on a database this size.
    PARLEY_RETURN_IF_ERROR(exec(
        "SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts));"
        "SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM "
        "messages));"));
    // One statement each: VACUUM cannot run in the implicit transaction of a script.
    for (const char* table : {"contacts", "messages", "sessions"}) {
      PARLEY_RETURN_IF_ERROR(exec(std::string("VACUUM ANALYZE ") + table));
    }
    progress("statistics (VACUUM ANALYZE)");
  }
  return Status::Ok();
}

}  // namespace parley::bench
