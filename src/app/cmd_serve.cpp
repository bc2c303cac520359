// parley serve [--listen HOST:PORT] [--env FILE] [--no-migrate]
//
// Brings the database schema up to date first (an empty database gets every migration; the
// PostgreSQL migrator holds an advisory lock, so instances starting together take turns)
// unless --no-migrate, which refuses an older schema instead. A schema newer than this
// binary knows is refused either way.
//
// Runs the server until SIGTERM or SIGINT, then stops gracefully (no new connections,
// in-flight requests answered, the message in hand delivered) and exits 0. SIGHUP reloads
// the flows folder (docs/operations.md, "Reloading flows") and the server runs on. A startup
// problem is printed with what to fix, and the exit code is 1.
#include <malloc.h>

#include <csignal>
#include <iostream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/runtime.hpp"
#include "app/server_app.hpp"
#include "app/test_clock.hpp"
#include "common/log.hpp"

namespace parley::app {

namespace {

constexpr int kMallocTrimThreshold = 32 << 20;

struct ServeOptions {
  std::string listen;
  std::string env_file;  // --env; empty: .env if present
  bool no_migrate = false;
  bool migrate = false;  // --migrate: the default now, accepted for older scripts
};

int Serve(const ServeOptions& o) {
  auto config = LoadCommandConfig(o.env_file);
  if (!config.ok()) {
    std::cerr << "parley serve: " << config.status().message() << "\n";
    return kExitFailure;
  }
  // Before anything logs: the first line already has the operator's format.
  SetLogFormat(config->log_format);
  SetLogLevel(config->log_level);
  if (!o.listen.empty()) {
    if (Status s = ApplyListen(*config, o.listen, "--listen"); !s.ok()) {
      std::cerr << "parley serve: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  if (!o.no_migrate) {
    if (Status s = MigrateDatabase(config->database_url); !s.ok()) {
      std::cerr << "parley serve: migrate: " << s.message() << "\n";
      return kExitFailure;
    }
  }
  // Block the stop and reload signals before any thread starts, so every thread inherits
  // the mask and only sigwait below receives them (SIGHUP's default would kill the server).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // glibc returns the top of each thread's heap to the kernel (madvise) as soon as it exceeds
  // 128 KiB free; with a request's buffers freed on one thread and allocated on another that
  // was 5% of the server's CPU under load. Keep up to 32 MiB per heap instead.
  mallopt(M_TRIM_THRESHOLD, kMallocTrimThreshold);
  SystemClock system_clock;
  std::unique_ptr<TestOffsetClock> test_clock;
  if (!config->test_clock_file.empty()) {
    auto opened = TestOffsetClock::Open(config->test_clock_file);
    if (!opened.ok()) {
      std::cerr << "parley serve: " << opened.status().message() << "\n";
      return kExitUsage;
    }
    test_clock = std::move(*opened);
    std::cerr << "parley serve: WARNING: PARLEY_TEST_CLOCK_FILE is set: the clock is offset by "
              << test_clock->offset().count() << " s (tests only)\n";
  }
  const Clock& clock = test_clock ? static_cast<const Clock&>(*test_clock) : system_clock;
  ServerApp app(std::move(*config), clock);
  if (Status s = app.Start(); !s.ok()) {
    std::cerr << "parley serve: " << s.message() << "\n";
    return kExitFailure;
  }
  int signal = 0;
  // The reload runs on this thread, so reloads never overlap and a stop waits for one to
  // finish; the reloader logs what it did.
  while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
    Log(LogLevel::kInfo, "SIGHUP: reloading the flows folder");
    app.ReloadFlows();
  }
  std::cerr << "parley serve: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": stopping gracefully\n";
  app.Stop();
  return kExitOk;
}

// `serve --help` lists the configuration keys (what they mean: docs/configuration.md), so a
// first deployment need not hunt for them.
std::string ServeHelpFooter() {
  std::string text =
      "Configuration: the environment, then .env (or --env FILE). The keys\n"
      "(docs/configuration.md says what each means):";
  size_t column = 80;
  for (const std::string& key : ConfigKeys()) {
    if (column + key.size() + 1 > 78) {
      text += "\n ";
      column = 1;
    }
    text += " " + key;
    column += key.size() + 1;
  }
  text +=
      "\n\nExamples:\n"
      "  parley serve                                  # flows/, sqlite:parley.db, 127.0.0.1:8000\n"
      "  PARLEY_LISTEN=0.0.0.0:8000 parley serve --env prod.env\n"
      "  DATABASE_URL=postgres://parley@db/parley parley serve --log-level debug\n"
      "  kill -HUP $(pidof parley)                     # reload the flows folder";
  return text;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the server: Twilio webhooks drive sessions");
  cmd->add_option("--listen", options->listen, "HOST:PORT to listen on (PARLEY_LISTEN)");
  cmd->add_option("--env", options->env_file,
                  "the .env file to read; it must exist (default: .env, if present)");
  cmd->add_flag("--no-migrate", options->no_migrate,
                "refuse an older database schema instead of migrating it (`parley migrate`)");
  cmd->add_flag("--migrate", options->migrate, "(the default; kept for older scripts)")->group("");
  cmd->footer(ServeHelpFooter());
  cmd->callback([options, &exit_code] { exit_code = Serve(*options); });
}

void AddMigrateCommand(CLI::App& app, int& exit_code) {
  auto env_file = std::make_shared<std::string>();  // empty: .env if present
  CLI::App* cmd = app.add_subcommand("migrate", "Apply the database migrations (DATABASE_URL)");
  cmd->add_option("--env", *env_file,
                  "the .env file to read; it must exist (default: .env, if present)");
  cmd->callback([env_file, &exit_code] {
    auto config = LoadCommandConfig(*env_file);
    if (!config.ok()) {
      std::cerr << "parley migrate: " << config.status().message() << "\n";
      exit_code = kExitFailure;
      return;
    }
    if (Status s = MigrateDatabase(config->database_url); !s.ok()) {
      std::cerr << "parley migrate: " << s.message() << "\n";
      exit_code = kExitFailure;
    }
  });
}

}  // namespace parley::app
