// /readyz: Readiness over a real SQLite file (made full with max_page_count, the same
// SQLITE_FULL path as a full disk) and a private PostgreSQL cluster (made read-only, then
// stopped), and `parley serve` started with no flows or an unreadable flows folder.
#include "app/readiness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "http/testing/client.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/status_testing.hpp"

namespace parley::app {
namespace {

namespace fs = std::filesystem;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
constexpr auto kSecond = std::chrono::seconds(1);

// The connection the store under test opened last, caught by an auto-extension, so the
// test can set its max_page_count (a per-connection setting) while the store is idle.
sqlite3* g_last_sqlite = nullptr;
int CatchConnection(sqlite3* db, char**, const sqlite3_api_routines*) {
  g_last_sqlite = db;
  return SQLITE_OK;
}

int64_t PageCount(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, nullptr);
  int64_t pages = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return pages;
}

// The file may not grow beyond `pages`: writes that need a new page fail with SQLITE_FULL.
void LimitPages(sqlite3* db, int64_t pages) {
  const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("parley-readiness-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Issue 8 item 13: /readyz said "ready" while the SQLite disk was full. A write probe, at
// most once a second, now says "database not writable" — and "ready" again once there is room.
TEST(ReadinessTest, AFullSqliteDiskIsNotReadyWithinASecond) {
  TempDir dir;
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(CatchConnection));
  ASSERT_OK_AND_ASSIGN(auto store, store::OpenStore("sqlite:" + (dir.path() / "p.db").string()));
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(CatchConnection));
  sqlite3* db = g_last_sqlite;
  ASSERT_NE(db, nullptr);
  ASSERT_OK(store->Migrate());
  ManualClock clock(kT0);
  std::vector<std::string> logged;
  ReadinessOptions options;
  options.log = [&](std::string_view m) { logged.emplace_back(m); };
  Readiness readiness(
      *store, [] { return size_t{1}; }, clock, options);
  EXPECT_EQ(readiness.Check().reason, "ready");

  // Fill the disk: rows of shrinking sizes until not even a small one fits.
  LimitPages(db, PageCount(db));
  Status write;
  int saved = 0;
  for (const size_t size : {3000, 300, 30}) {
    do {
      write = store->SaveFlow({"filler", std::to_string(saved), std::string(size, 'x'), kT0});
    } while (write.ok() && ++saved < 1000);
  }
  ASSERT_FALSE(write.ok()) << "the database never filled up";
  EXPECT_EQ(write.code(), StatusCode::kUnavailable);
  EXPECT_THAT(write.message(), HasSubstr("full"));
  EXPECT_THAT(store->ProbeWrite().message(), HasSubstr("full"));

  // The verdict is cached for a second of the injected clock, then the probe sees it.
  clock.Advance(kSecond - std::chrono::milliseconds(1));
  EXPECT_TRUE(readiness.Check().ready);
  clock.Advance(std::chrono::milliseconds(1));
  const Readiness::Verdict full = readiness.Check();
  EXPECT_FALSE(full.ready);
  EXPECT_EQ(full.reason, "database not writable");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_THAT(logged[0], HasSubstr("readiness: database not writable: sqlite"));

  // Room again: ready at the next probe.
  LimitPages(db, PageCount(db) + 1000);
  clock.Advance(kSecond);
  EXPECT_TRUE(readiness.Check().ready);
  // The probes left nothing behind: the flows table holds the filler only.
  EXPECT_THAT(store->RowCounts().value_or(""), EndsWith(" flows=" + std::to_string(saved)));
}

// Runs each statement, in order on one connection, as the cluster's superuser.
void Superuser(const testing::PgCluster& cluster, std::initializer_list<std::string> sql) {
  PGconn* conn = PQconnectdb(cluster.url().c_str());
  for (const std::string& statement : sql) {
    PGresult* r = PQexec(conn, statement.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << statement << ": " << PQerrorMessage(conn);
    PQclear(r);
  }
  PQfinish(conn);
}

// Checks, a second apart on `clock`, until the verdict's reason is `reason` (a config
// reload reaches the server's backends a moment after pg_reload_conf returns).
Readiness::Verdict AwaitReason(Readiness& readiness, ManualClock& clock,
                               const std::string& reason) {
  Readiness::Verdict v;
  for (int i = 0; i < 250; ++i) {
    clock.Advance(kSecond);
    v = readiness.Check();
    if (v.reason == reason) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return v;
}

// Issue 8 item 13 on PostgreSQL: a database that answers but refuses writes (read-only, as a
// standby or a full disk makes it) is not ready; neither is a stopped one.
TEST(ReadinessTest, AReadOnlyOrStoppedPostgresIsNotReady) {
  auto cluster = testing::PgCluster::Start();
  if (!cluster.ok() && cluster.status().code() == StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << cluster.status().message();
  }
  ASSERT_OK(cluster);
  ASSERT_OK_AND_ASSIGN(auto store, store::OpenStore((*cluster)->url()));
  ASSERT_OK(store->Migrate());
  ManualClock clock(kT0);
  Readiness readiness(
      *store, [] { return size_t{1}; }, clock);
  EXPECT_EQ(readiness.Check().reason, "ready");

  Superuser(**cluster,
            {"ALTER SYSTEM SET default_transaction_read_only = on", "SELECT pg_reload_conf()"});
  EXPECT_EQ(AwaitReason(readiness, clock, "database not writable").reason, "database not writable");
  EXPECT_OK(store->Ping());  // reachable: only the write probe sees it

  Superuser(**cluster,
            {"SET default_transaction_read_only = off",
             "ALTER SYSTEM RESET default_transaction_read_only", "SELECT pg_reload_conf()"});
  EXPECT_EQ(AwaitReason(readiness, clock, "ready").reason, "ready");

  ASSERT_OK((*cluster)->Stop());
  clock.Advance(kSecond);
  EXPECT_EQ(readiness.Check().reason, "database unreachable");
}

// Issue 8 item 10, end to end: `parley serve` with a flows folder that has no flows starts,
// warns, and is not ready; with one it cannot read, it does not start and says why.
class ServeStartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "flows");
    const std::string url = "sqlite:" + (dir_.path() / "parley.db").string();
    auto store = store::OpenStore(url);
    ASSERT_OK(store);
    ASSERT_OK((*store)->Migrate());
    env_ = {{"DATABASE_URL", url}, {"PARLEY_FLOWS", "flows"}, {"TWILIO_AUTH_TOKEN", "t"}};
  }
  Result<http::testing::ClientResponse> Readyz(const testing::ServeProcess& server) {
    return http::testing::Send("127.0.0.1", server.port(), "GET", "/readyz");
  }
  TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ServeStartupTest, NoFlowsWarnsAtStartupAndIsNotReady) {
  std::ofstream(dir_.path() / "flows/checkin.json.disabled") << "{}";
  ASSERT_OK_AND_ASSIGN(auto server,
                       testing::ServeProcess::Start(PARLEY_BINARY, dir_.path().string(), env_));
  EXPECT_THAT(server->Log(), HasSubstr("no flows loaded: the flows folder 'flows' "
                                       "(PARLEY_FLOWS) has no *.json flow files"));
  ASSERT_OK_AND_ASSIGN(auto answer, Readyz(*server));
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body, "no flows loaded\n");
  server.reset();

  std::ofstream(dir_.path() / "flows/hello.json")
      << R"({"flow": "hello", "states": [{"name": "HI", "enter": {"send": "hi"}}]})";
  ASSERT_OK_AND_ASSIGN(server, testing::ServeProcess::Start(PARLEY_BINARY, dir_.path().string(),
                                                            env_, "with-a-flow"));
  ASSERT_OK_AND_ASSIGN(answer, Readyz(*server));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ready\n");
  EXPECT_THAT(server->Log(), Not(HasSubstr("no flows loaded")));
}

TEST_F(ServeStartupTest, AFlowsFolderThatCannotBeReadStopsTheStart) {
  fs::create_directory_symlink(dir_.path() / "loop2", dir_.path() / "loop1");
  fs::create_directory_symlink(dir_.path() / "loop1", dir_.path() / "loop2");
  env_["PARLEY_FLOWS"] = "loop1";
  auto server = testing::ServeProcess::Start(PARLEY_BINARY, dir_.path().string(), env_);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(),
              HasSubstr("parley serve: cannot read the flows folder 'loop1' (PARLEY_FLOWS): "
                        "Too many levels of symbolic links"));
}

}  // namespace
}  // namespace parley::app
