// End to end (issue 10, many instances on one PostgreSQL): three `parley serve` processes
// fire 10,000 due timers between them, each exactly once and none lost, while one of them is
// killed with SIGKILL halfway (its leased claims come back when the lease runs out and the
// others fire them). Under ASan the size is cut to 2,000 to stay within the test budget.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/timer_seed.hpp"
#include "test/support/twilio_driver.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

#if defined(__SANITIZE_ADDRESS__)
constexpr int kTimers = 2'000;
#else
constexpr int kTimers = 10'000;
#endif

constexpr char kNudgeFlow[] = R"({
  "flow": "nudge",
  "triggers": ["NUDGE"],
  "states": [
    {"name": "WAIT", "enter": {"send": "Waiting"},
     "states": [{"name": "NUDGED", "condition": {"timer": "nudge"}, "enter": {"send": "Nudge!"}}]}
  ]
})";

int64_t Count(const std::string& url, const std::string& sql) {
  auto n = testing::QueryInt(url, sql);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : -1;
}

// parley_scheduler_claimed_total from the instance's /metrics; -1 if unreachable.
int64_t Claimed(uint16_t port) {
  testing::TwilioDriverOptions o;
  o.public_url = "http://127.0.0.1";
  o.connect_port = port;
  testing::TwilioDriver driver(o);
  testing::PostOptions get;
  get.use_get = true;
  auto r = driver.Post("/metrics", {}, get);
  if (!r.ok() || r->status != 200) {
    return -1;
  }
  const std::string key = "\nparley_scheduler_claimed_total ";
  const size_t at = r->body.find(key);
  return at == std::string::npos ? -1 : std::stoll(r->body.substr(at + key.size()));
}

// Issue 10: three instances on one PostgreSQL fire 10,000 due timers, each exactly once (one
// "Nudge!" per session, every session moved on, no timer left), none lost although one
// instance is killed with SIGKILL once about a third have fired.
TEST(TimerInstancesE2eTest, ThreeInstancesFireEachTimerOnceThroughAKill) {
  std::string error;
  auto* cluster = testing::PgCluster::Shared(&error);
  ASSERT_NE(cluster, nullptr) << error;
  auto url = cluster->CreateDatabase("timers3");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  {
    auto store = store::OpenStore(*url);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  const fs::path dir =
      fs::temp_directory_path() / ("parley-timers3-e2e-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  std::ofstream(dir / "flows/nudge.json") << kNudgeFlow;

  // Due a moment after all three are up, so that they compete for them from the start.
  const auto due =
      std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()) + seconds(3);
  testing::TimerSeed seed{
      1, kTimers, "nudge", "WAIT", "nudge", TimePoint(due.time_since_epoch()), Duration(0)};
  ASSERT_TRUE(testing::SeedTimers(*url, seed).ok());

  const std::map<std::string, std::string> env = {
      {"DATABASE_URL", *url},
      {"PARLEY_FLOWS", "flows"},
      {"TWILIO_AUTH_TOKEN", "e2e-auth-token"},
      {"TWILIO_PHONE_NUMBER", "+15005550006"},
      {"PARLEY_REPLY_MODE", "rest"},
      // A short lease so the killed instance's claims come back within the test.
      {"PARLEY_EVENT_TIMEOUT", "2s"},
      {"PARLEY_TIMER_LEASE", "3s"}};
  std::vector<std::unique_ptr<testing::ServeProcess>> servers;
  for (const char* name : {"timers-a", "timers-b", "timers-c"}) {
    auto s = testing::ServeProcess::Start(PARLEY_BINARY, dir.string(), env, name);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    servers.push_back(std::move(*s));
  }
  const std::string fired_sql = "SELECT count(*) FROM messages WHERE body = 'Nudge!'";
  const auto wait_fired = [&](int64_t n, seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    int64_t fired = 0;
    while ((fired = Count(*url, fired_sql)) < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return fired;
  };
  ASSERT_GE(wait_fired(kTimers / 3, seconds(30)), kTimers / 3);
  const int64_t c_claimed = Claimed(servers[2]->port());
  auto killed = servers[2]->Stop(SIGKILL);
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  EXPECT_EQ(*killed, 128 + SIGKILL);
  EXPECT_GT(c_claimed, 0) << "the killed instance never claimed a timer";

  EXPECT_EQ(wait_fired(kTimers, seconds(40)), kTimers) << servers[0]->Log() << servers[1]->Log();
  // Give a duplicate, if there were one, a moment to show.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(Count(*url, fired_sql), kTimers);
  EXPECT_EQ(Count(*url, "SELECT count(DISTINCT session_id) FROM messages WHERE body = 'Nudge!'"),
            kTimers);
  EXPECT_EQ(Count(*url, "SELECT count(*) FROM sessions WHERE state = 'NUDGED'"), kTimers);
  EXPECT_EQ(Count(*url, "SELECT count(*) FROM timers"), 0);
  EXPECT_GT(Claimed(servers[0]->port()), 0);
  EXPECT_GT(Claimed(servers[1]->port()), 0);
  for (size_t i = 0; i < 2; ++i) {
    auto exit = servers[i]->Stop(SIGTERM);
    ASSERT_TRUE(exit.ok()) << exit.status().ToString();
    EXPECT_EQ(*exit, 0) << servers[i]->Log();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parley
