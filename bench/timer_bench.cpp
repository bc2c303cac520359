// parley_timer_bench: the timer scheduler under load (issue 10, "Performance"), on SQLite or
// a private PostgreSQL cluster, through the real composition root (app::Runtime: pipeline,
// scheduler, dry-run sender), with one million pending timers in the database:
//   burst   100,000 of them fall due at once: the time until all have fired (target < 30 s)
//   steady  then 1,000 timers/s fall due for --steady-seconds: how late each fires (from its
//           due time to its message's commit; target p99 < 1 s)
//   idle    then nothing is due for --idle-seconds: the process's CPU time (the scheduler's
//           safety poll and the notification connection, no tight polling)
// Results go to stdout, one line per measure; docs/benchmarks.md records them.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "app/runtime.hpp"
#include "common/time.hpp"
#include "scheduler/timer_notices.hpp"
#include "store/notifications.hpp"
#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/timer_seed.hpp"

namespace parley::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kNudgeFlow[] = R"({
  "flow": "nudge",
  "triggers": ["NUDGE"],
  "states": [
    {"name": "WAIT", "enter": {"send": "Waiting"},
     "states": [{"name": "NUDGED", "condition": {"timer": "nudge"}, "enter": {"send": "Nudge!"}}]}
  ]
})";

struct Options {
  std::string db = "sqlite";
  int64_t pending = 1'000'000;  // timers in the database, the burst included
  int64_t burst = 100'000;
  int steady_rate = 1'000;  // timers/s
  int steady_seconds = 20;
  int idle_seconds = 10;
  bool pg_durable = true;
  std::string sqlite_sync = "full";
  int lanes = 0;  // PARLEY_PIPELINE_LANES: 0 is the runtime's default
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

TimePoint Now() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }

int64_t Fired(app::Runtime& rt) {
  const std::string text = rt.registry().RenderText();
  const std::string key = "parley_timers_total{outcome=\"fired\"} ";
  const size_t at = text.find(key);
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + key.size()));
}

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

int Run(const Options& o) {
  const fs::path dir =
      fs::temp_directory_path() / ("parley-timer-bench-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  std::ofstream(dir / "flows/nudge.json") << kNudgeFlow;
  std::unique_ptr<testing::PgCluster> cluster;
  std::string url = "sqlite:" + (dir / "timers.db").string();
  if (o.db == "postgres") {
    auto c = testing::PgCluster::Start(o.pg_durable);
    if (!c.ok()) {
      std::cerr << c.status().ToString() << "\n";
      return 1;
    }
    cluster = std::move(*c);
    url = cluster->url();
    std::cout << "  cluster: " << url << std::endl;  // for psql while it runs
  }
  {
    auto store = store::OpenStore(url);
    if (!store.ok() || !(*store)->Migrate().ok()) {
      std::cerr << "cannot migrate " << url << "\n";
      return 1;
    }
  }
  std::cout << "timer_bench db=" << o.db
            << (o.db == "postgres" ? (o.pg_durable ? " (durable)" : " (fsync off)")
                                   : " (sync=" + o.sqlite_sync + ")")
            << " pending=" << o.pending << " burst=" << o.burst << " lanes=" << o.lanes << "\n";

  // The burst is due now; the rest of the million a day ahead, spread over the day; the
  // steady timers are seeded later, before they fall due.
  const TimePoint t0 = Now();
  const int64_t future = o.pending - o.burst;
  const int64_t steady = static_cast<int64_t>(o.steady_rate) * o.steady_seconds;
  auto seed_start = Steady::now();
  Status seeded = testing::SeedTimers(
      url, {1, o.burst, "nudge", "WAIT", "nudge", t0 - milliseconds(1), Duration(0)});
  if (seeded.ok()) {
    seeded = testing::SeedTimers(url, {o.burst + 1, future, "nudge", "WAIT", "nudge",
                                       t0 + std::chrono::hours(24), milliseconds(86)});
  }
  if (!seeded.ok()) {
    std::cerr << seeded.ToString() << "\n";
    return 1;
  }
  std::cout << "  seeded " << o.pending << " timers in " << Seconds(Steady::now() - seed_start)
            << " s\n";

  app::Config config;
  config.database_url = url;
  config.flows_dir = (dir / "flows").string();
  config.twilio_phone_number = "+15005550006";
  config.sqlite_full_sync = o.sqlite_sync == "full";
  config.pipeline_lanes = o.lanes;
  SystemClock clock;
  auto runtime = app::Runtime::Open(config, clock);
  if (!runtime.ok()) {
    std::cerr << runtime.status().ToString() << "\n";
    return 1;
  }
  app::Runtime& rt = **runtime;

  // Burst: from Start until every one of the 100,000 has fired.
  const auto burst_start = Steady::now();
  const double cpu0 = CpuSeconds();
  rt.Start();
  while (Fired(rt) < o.burst && Steady::now() - burst_start < seconds(300)) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const double burst_s = Seconds(Steady::now() - burst_start);
  std::cout << "  burst: " << Fired(rt) << " of " << o.burst << " due timers fired in " << burst_s
            << " s (" << static_cast<int64_t>(static_cast<double>(o.burst) / burst_s)
            << " timers/s; process CPU " << CpuSeconds() - cpu0 << " s)\n";

  // Steady: timers due from 2 s ahead, one every 1/rate s, seeded while the server runs.
  const TimePoint steady_due0 = Now() + seconds(2);
  const int64_t steady_first = o.pending + 1;
  seeded =
      testing::SeedTimers(url, {steady_first, steady, "nudge", "WAIT", "nudge", steady_due0,
                                Duration(std::max<int64_t>(1, 1000 / std::max(1, o.steady_rate)))});
  if (!seeded.ok()) {
    std::cerr << seeded.ToString() << "\n";
    return 1;
  }
  // As another instance would: announce them (NOTIFY on PostgreSQL; on SQLite the scheduler
  // finds them at its 1 s poll). Without it the scheduler sleeps its 30 s safety poll.
  {
    auto notices = store::OpenNotifications(url);
    if (notices.ok()) {
      (*notices)->Notify(scheduler::kTimerChannel, scheduler::EncodeTimerNotice(steady_due0));
      (*notices)->Stop();
    }
  }
  const int64_t before = Fired(rt);
  const auto steady_deadline = Steady::now() + seconds(o.steady_seconds + 30);
  while (Fired(rt) < before + steady && Steady::now() < steady_deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  // Lateness: the message's commit time (created_at) minus the timer's due time.
  const int64_t spacing = std::max<int64_t>(1, 1000 / std::max(1, o.steady_rate));
  std::vector<int64_t> late;
  {
    auto store = store::OpenStore(url);
    for (int64_t sid = steady_first; sid < steady_first + steady; ++sid) {
      auto messages = (*store)->Messages(sid);  // contact id == session id in the seed
      if (!messages.ok()) {
        continue;
      }
      for (const store::MessageRecord& m : *messages) {
        if (m.body == "Nudge!") {
          const TimePoint due = steady_due0 + milliseconds((sid - steady_first) * spacing);
          late.push_back(std::chrono::duration_cast<milliseconds>(m.created_at - due).count());
        }
      }
    }
  }
  std::sort(late.begin(), late.end());
  const auto pct = [&](double p) {
    return late.empty() ? -1
                        : late[std::min(late.size() - 1, static_cast<size_t>(p * late.size()))];
  };
  std::cout << "  steady: " << late.size() << " of " << steady << " timers at " << o.steady_rate
            << "/s fired; lateness p50 " << pct(0.5) << " ms, p99 " << pct(0.99) << " ms, max "
            << (late.empty() ? -1 : late.back()) << " ms\n";

  // Idle: nothing due for a day; the process's CPU while it waits.
  std::this_thread::sleep_for(seconds(2));  // the sender finishes the steady messages
  const double idle_cpu0 = CpuSeconds();
  const auto idle_start = Steady::now();
  std::this_thread::sleep_for(seconds(o.idle_seconds));
  const double idle_cpu = CpuSeconds() - idle_cpu0;
  const double idle_wall = Seconds(Steady::now() - idle_start);
  std::cout << "  idle: process CPU " << idle_cpu * 1000 << " ms over " << idle_wall << " s ("
            << 100.0 * idle_cpu / idle_wall << "% of a core), "
            << rt.notifications().counts().connects << " notification connection(s)\n";
  rt.Stop();
  runtime->reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  parley::bench::Options o;
  CLI::App app{"parley_timer_bench: the timer scheduler under load"};
  app.add_option("--db", o.db, "sqlite or postgres (a private cluster is started)")
      ->check(CLI::IsMember({"sqlite", "postgres"}));
  app.add_option("--pending", o.pending, "timers in the database");
  app.add_option("--burst", o.burst, "of which due at once");
  app.add_option("--steady-rate", o.steady_rate, "timers/s falling due in the steady run");
  app.add_option("--steady-seconds", o.steady_seconds, "length of the steady run");
  app.add_option("--idle-seconds", o.idle_seconds, "length of the idle measurement");
  app.add_option("--pg-durable", o.pg_durable, "PostgreSQL fsync and synchronous_commit on");
  app.add_option("--sqlite-sync", o.sqlite_sync, "full (fsync per commit) or normal")
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--lanes", o.lanes, "event pipeline lanes (PostgreSQL; 0: the default)");
  CLI11_PARSE(app, argc, argv);
  return parley::bench::Run(o);
}
