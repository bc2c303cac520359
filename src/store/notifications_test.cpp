// Notifications between instances (store/notifications.hpp), against a private PostgreSQL
// cluster: LISTEN/NOTIFY on the facility's own connection, its own notices not echoed, and
// reconnection after the connection drops, with a back-off rather than a busy loop.
#include "store/notifications.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test/support/pg_cluster.hpp"

namespace parley::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// What a listener heard, "channel:payload" or "channel:(missed)".
class Heard {
 public:
  Notifications::Handler Handler() {
    return [this](const Notice& n) {
      std::lock_guard lock(mu_);
      heard_.push_back(std::string(n.channel) + ":" +
                       (n.missed ? std::string("(missed)") : std::string(n.payload)));
    };
  }
  std::vector<std::string> Get() {
    std::lock_guard lock(mu_);
    return heard_;
  }
  int Count(const std::string& what) {
    const auto all = Get();
    return static_cast<int>(std::count(all.begin(), all.end(), what));
  }

 private:
  std::mutex mu_;
  std::vector<std::string> heard_;
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// Runs one SQL statement on a connection of the test's own.
void Sql(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
      << PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
}

// Issue 10 (LISTEN/NOTIFY): a notice reaches the other listeners of its channel, not the
// sender's own handlers nor another channel's; a notice after the listener's connection was
// cut (pg_terminate_backend, as a server restart does) arrives again once it has reconnected,
// and the reconnection is announced as `missed`.
TEST(NotificationsTest, PostgresDeliversToOthersAndReconnects) {
  std::string error;
  auto* cluster = parley::testing::PgCluster::Shared(&error);
  ASSERT_NE(cluster, nullptr) << error;
  auto url = cluster->CreateDatabase("notify1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto a = OpenNotifications(*url).value();
  auto b = OpenNotifications(*url).value();
  Heard heard_a;
  Heard heard_b;
  Heard other_b;
  ASSERT_TRUE(a->Listen("test_chan", heard_a.Handler()).ok());
  ASSERT_TRUE(b->Listen("test_chan", heard_b.Handler()).ok());
  ASSERT_TRUE(b->Listen("other_chan", other_b.Handler()).ok());
  EXPECT_EQ(b->Listen("Bad-Name", heard_b.Handler()).code(), StatusCode::kInvalidArgument);
  a->Start();
  b->Start();
  ASSERT_TRUE(WaitFor([&] { return a->counts().connects == 1 && b->counts().connects == 1; }));
  EXPECT_EQ(heard_b.Get(), std::vector<std::string>{"test_chan:(missed)"});

  a->Notify("test_chan", "1700000000000");
  ASSERT_TRUE(WaitFor([&] { return heard_b.Count("test_chan:1700000000000") == 1; }));
  EXPECT_EQ(heard_a.Count("test_chan:1700000000000"), 0);  // not echoed to the sender
  EXPECT_TRUE(other_b.Get() == std::vector<std::string>{"other_chan:(missed)"});

  // Cut b's connection: it reconnects by itself and hears the next notice.
  Sql(*url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name = 'parley-notify' AND pid <> pg_backend_pid()");
  ASSERT_TRUE(WaitFor([&] { return b->counts().connects >= 2 && a->counts().connects >= 2; }));
  EXPECT_GE(heard_b.Count("test_chan:(missed)"), 2);
  a->Notify("test_chan", "1700000000001");
  ASSERT_TRUE(WaitFor([&] { return heard_b.Count("test_chan:1700000000001") == 1; }));
  a->Stop();

  // A one-shot command (`parley start`) notifies and stops at once, before its thread has
  // even connected: the notice still goes out.
  auto once = OpenNotifications(*url).value();
  once->Notify("test_chan", "1700000000002");
  once->Stop();
  EXPECT_EQ(once->counts().sent, 1);
  ASSERT_TRUE(WaitFor([&] { return heard_b.Count("test_chan:1700000000002") == 1; }));
  b->Stop();
}

// Issue 10 (LISTEN/NOTIFY): while the server is down the listener retries with a growing
// back-off (0.1 s doubling to 5 s), not in a busy loop; Stop returns promptly meanwhile.
TEST(NotificationsTest, PostgresDownIsRetriedWithBackoff) {
  auto cluster = parley::testing::PgCluster::Start();
  if (!cluster.ok() && cluster.status().code() == StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << cluster.status().ToString();
  }
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto n = OpenNotifications((*cluster)->url()).value();
  Heard heard;
  ASSERT_TRUE(n->Listen("test_chan", heard.Handler()).ok());
  n->Start();
  ASSERT_TRUE(WaitFor([&] { return n->counts().connects == 1; }));
  ASSERT_TRUE((*cluster)->Stop().ok());
  std::this_thread::sleep_for(milliseconds(2'000));
  // 0.1 + 0.2 + 0.4 + 0.8 s of back-off fit in 2 s: about 4 attempts, never hundreds.
  const long attempts = n->counts().failed_connects;
  EXPECT_GE(attempts, 2);
  EXPECT_LE(attempts, 6);
  const auto before = std::chrono::steady_clock::now();
  n->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(3));
}

// Issue 10: SQLite has no other instance to tell; its notifications accept and do nothing.
TEST(NotificationsTest, SqliteIsANoOp) {
  auto n = OpenNotifications("sqlite::memory:").value();
  Heard heard;
  ASSERT_TRUE(n->Listen("test_chan", heard.Handler()).ok());
  n->Start();
  n->Notify("test_chan", "x");
  n->Stop();
  EXPECT_TRUE(heard.Get().empty());
  EXPECT_EQ(OpenNotifications("mysql://x").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::store
