// Issue 12 items 11, 14, 15 and 16: the built `parley` binary as an operator runs it —
// `parley healthcheck` against a real `parley serve` on port 0, `serve` migrating an empty or
// older SQLite database by itself, the CLI's suggestions, help and errors, startup warnings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "http/testing/client.hpp"
#include "store/store.hpp"
#include "test/support/serve_process.hpp"
#include "test/support/status_testing.hpp"

namespace parley::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kHello =
    R"({"flow": "hello", "states": [{"name": "HI", "enter": {"send": "hi"}}]})";

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

class DeployCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley-deploy-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "flows");
    std::ofstream(dir_ / "flows/hello.json") << kHello;
    url_ = "sqlite:" + (dir_ / "parley.db").string();
    env_ = {{"DATABASE_URL", url_}, {"PARLEY_FLOWS", "flows"}, {"TWILIO_AUTH_TOKEN", "t"}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `ENV parley ARGS` in the test's folder, with no .env and nothing else from the caller's
  // environment that parley reads.
  Outcome Parley(const std::string& args, const std::string& env = "") const {
    return Shell("cd '" + dir_.string() + "' && env -i PATH=/usr/bin:/bin " + env + " " +
                 PARLEY_BINARY + " " + args);
  }
  // `command` in a shell, stdout and stderr together.
  static Outcome Shell(const std::string& command) {
    const std::string cmd = "(" + command + ") 2>&1";
    Outcome r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
      r.out.append(buf.data(), n);
    }
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  Result<std::unique_ptr<testing::ServeProcess>> Serve(const std::string& name = "serve") {
    return testing::ServeProcess::Start(PARLEY_BINARY, dir_.string(), env_, name);
  }
  void Migrate() {
    auto store = store::OpenStore(url_);
    ASSERT_OK(store);
    ASSERT_OK((*store)->Migrate());
  }
  // The schema version the store reports for the test's database.
  int SchemaVersion() const {
    auto store = store::OpenStore(url_);
    EXPECT_TRUE(store.ok());
    auto v = (*store)->SchemaVersion();
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : -1;
  }

  fs::path dir_;
  std::string url_;
  std::map<std::string, std::string> env_;
};

// Item 11: the Dockerfile's HEALTHCHECK runs `parley healthcheck`; it must say "healthy"
// only when /readyz answers 200.
TEST_F(DeployCliTest, HealthcheckIsZeroOnlyWhenTheServerIsReady) {
  // Without --url: PARLEY_LISTEN says where (0.0.0.0 is asked on loopback), and the Host
  // header is one ALLOWED_HOSTS accepts even when it names only the public domain.
  env_["ALLOWED_HOSTS"] = ".example.com";
  ASSERT_OK_AND_ASSIGN(auto server, Serve());
  const std::string port = std::to_string(server->port());
  const Outcome ready =
      Parley("healthcheck", "PARLEY_LISTEN=0.0.0.0:" + port + " ALLOWED_HOSTS=.example.com");
  EXPECT_EQ(ready.code, 0) << ready.out;
  EXPECT_THAT(ready.out, HasSubstr("http://example.com:" + port + "/readyz: ready"));
  // --url is asked as written, Host header included.
  const Outcome by_url = Parley("healthcheck --url http://127.0.0.1:" + port + "/readyz");
  EXPECT_EQ(by_url.code, 1) << by_url.out;
  EXPECT_THAT(by_url.out, HasSubstr("answered 400"));
  server.reset();

  env_.erase("ALLOWED_HOSTS");
  fs::remove(dir_ / "flows/hello.json");  // no flows: up but not ready (503)
  ASSERT_OK_AND_ASSIGN(server, Serve("no-flows"));
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/readyz";
  const Outcome not_ready = Parley("healthcheck --url " + url);
  EXPECT_EQ(not_ready.code, 1) << not_ready.out;
  EXPECT_THAT(not_ready.out, HasSubstr("answered 503: no flows loaded"));
  std::ofstream(dir_ / "flows/hello.json") << kHello;
  ::kill(server->pid(), SIGHUP);  // reload: now ready
  Outcome reloaded;
  for (int i = 0; i < 100 && reloaded.code != 0; ++i) {
    reloaded = Parley("healthcheck --url " + url);
  }
  EXPECT_EQ(reloaded.code, 0) << reloaded.out;
  server.reset();

  const Outcome down = Parley("healthcheck --url " + url);
  EXPECT_EQ(down.code, 1) << down.out;
  EXPECT_THAT(down.out, HasSubstr("Connection refused"));
  EXPECT_EQ(Parley("healthcheck --url ftp://127.0.0.1/").code, 2);
}

// Item 14: the embedded defaults must just start: an empty database is migrated by `serve`.
TEST_F(DeployCliTest, ServeMigratesAnEmptyDatabaseUnlessToldNotTo) {
  const Outcome refused = Parley("serve --no-migrate --listen 127.0.0.1:0",
                                 "DATABASE_URL=" + url_ + " PARLEY_FLOWS=flows");
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("run `parley migrate` first"));
  EXPECT_EQ(SchemaVersion(), 0);

  ASSERT_OK_AND_ASSIGN(auto server, Serve());
  EXPECT_THAT(server->Log(), HasSubstr("migrated the database schema from version 0 to"));
  auto store = store::OpenStore(url_);
  ASSERT_OK(store);
  EXPECT_EQ(SchemaVersion(), (*store)->LatestSchemaVersion());
}

// Item 14: a database a newer parley migrated is refused, with or without --no-migrate.
TEST_F(DeployCliTest, ServeRefusesANewerSchema) {
  Migrate();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "parley.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string env = "DATABASE_URL=" + url_ + " PARLEY_FLOWS=flows";
  for (const char* flags : {"", " --no-migrate"}) {
    const Outcome r = Parley(std::string("serve --listen 127.0.0.1:0") + flags, env);
    EXPECT_EQ(r.code, 1) << flags << r.out;
    EXPECT_THAT(r.out, HasSubstr("schema is version 9999")) << flags;
  }
}

// Item 15: did you mean, for commands, flow ids and PARLEY_ keys.
TEST_F(DeployCliTest, SuggestsCommandsFlowsAndKeys) {
  Migrate();
  const Outcome command = Parley("chekc flows/hello.json");
  EXPECT_EQ(command.code, 2);
  EXPECT_THAT(command.out, HasSubstr("parley: unknown command 'chekc' (did you mean 'check'?)"));

  const Outcome key = Parley("migrate", "DATABASE_URL=" + url_ + " PARLEY_LISTN=0.0.0.0:8000");
  EXPECT_EQ(key.code, 1);
  EXPECT_THAT(key.out, HasSubstr("unknown key PARLEY_LISTN (did you mean PARLEY_LISTEN?)"));

  const Outcome flow =
      Parley("start +14155550100 --flow helo", "DATABASE_URL=" + url_ + " PARLEY_FLOWS=flows");
  EXPECT_EQ(flow.code, 1) << flow.out;
  EXPECT_THAT(flow.out, HasSubstr("no flow with id 'helo' is loaded (did you mean 'hello'?)"));
  const Outcome start_flow =
      Parley("start +14155550100 --flow hello",
             "DATABASE_URL=" + url_ + " PARLEY_FLOWS=flows PARLEY_START_FLOW=hellp");
  EXPECT_THAT(start_flow.out, HasSubstr("no flow 'hellp' in flows (did you mean 'hello'?)"));
}

// Item 15: help with examples, serve's keys, usage naming `parley` however it was run.
TEST_F(DeployCliTest, HelpHasExamplesAndServeHelpListsTheKeys) {
  const Outcome help = Parley("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: parley [OPTIONS] SUBCOMMAND"));
  EXPECT_THAT(help.out, Not(HasSubstr(PARLEY_BINARY)));
  EXPECT_THAT(help.out, HasSubstr("Examples:\n  parley check flows/checkin.json"));
  EXPECT_THAT(help.out, HasSubstr("healthcheck"));
  const Outcome serve = Parley("serve --help");
  EXPECT_EQ(serve.code, 0);
  EXPECT_THAT(serve.out, HasSubstr("Usage: parley serve"));
  for (const char* key : {"DATABASE_URL", "PUBLIC_URL", "ALLOWED_HOSTS", "TWILIO_AUTH_TOKEN",
                          "PARLEY_LISTEN", "PARLEY_FLOWS", "PARLEY_LOG_LEVEL"}) {
    EXPECT_THAT(serve.out, HasSubstr(key));
  }
  EXPECT_THAT(serve.out, HasSubstr("--no-migrate"));
}

// Item 15: --log-level wins over PARLEY_LOG_LEVEL, before or after the command.
TEST_F(DeployCliTest, LogLevelFlag) {
  const std::string env = "DATABASE_URL=" + url_ + " PARLEY_LOG_LEVEL=info";
  const Outcome info = Parley("migrate", env);
  EXPECT_EQ(info.code, 0) << info.out;
  EXPECT_THAT(info.out, HasSubstr("INFO migrated the database schema"));
  const Outcome warn_after = Parley("migrate --log-level warn", env);
  EXPECT_EQ(warn_after.code, 0) << warn_after.out;
  EXPECT_THAT(warn_after.out, Not(HasSubstr("INFO")));
  const Outcome warn_before = Parley("--log-level error migrate", env);
  EXPECT_EQ(warn_before.code, 0) << warn_before.out;
  EXPECT_THAT(warn_before.out, Not(HasSubstr("INFO")));
  EXPECT_EQ(Parley("--log-level loud migrate", env).code, 2);
}

// Item 15: an error about what the user typed shows it as typed (masking is for logs).
TEST_F(DeployCliTest, ErrorsShowTheUsersInputUnmasked) {
  const Outcome r = Parley("start 555-1234 --flow hello", "DATABASE_URL=" + url_);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("parley start: '555-1234': looks like a short code"));
  EXPECT_THAT(r.out, Not(HasSubstr("***")));
}

// Item 16: a set TWILIO_AUTH_TOKEN with PUBLIC_URL still local means every real webhook
// fails its signature check: the start says so, and is quiet once PUBLIC_URL is public.
TEST_F(DeployCliTest, StartupWarnsWhenSignaturesCannotMatch) {
  ASSERT_OK_AND_ASSIGN(auto server, Serve());
  EXPECT_THAT(server->Log(), HasSubstr("PUBLIC_URL is http://127.0.0.1:8000, a local address, "
                                       "but TWILIO_AUTH_TOKEN is set"));
  server.reset();
  env_["PUBLIC_URL"] = "https://parley.example.com";
  ASSERT_OK_AND_ASSIGN(server, Serve("public"));
  EXPECT_THAT(server->Log(), Not(HasSubstr("a local address")));
}

// Item 18: /metrics has the process_* metrics, the build, database call latency, and the
// inbound webhook failures under a name that says what they count.
TEST_F(DeployCliTest, MetricsShowTheProcessTheBuildAndTheDatabase) {
  ASSERT_OK_AND_ASSIGN(auto server, Serve());
  ASSERT_OK_AND_ASSIGN(auto answer,
                       http::testing::Send("127.0.0.1", server->port(), "GET", "/metrics"));
  EXPECT_EQ(answer.status, 200);
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
        "\nprocess_resident_memory_bytes ", "\nprocess_virtual_memory_bytes ",
        "\nprocess_open_fds ", "\nprocess_max_fds ", "\nprocess_start_time_seconds ",
        "\nprocess_threads ", "\nparley_build_info{version=\"0.1.0\",compiler=\"",
        "\nparley_db_call_duration_seconds_count{call=\"commit\"} ",
        "\nparley_db_call_duration_seconds_bucket{call=\"exec\",le=\"+Inf\"} ",
        "\nparley_db_queries_total{query=\"", "\nparley_db_query_nanoseconds_total{query=\"",
        "\nparley_inbound_webhooks_failed_total 0\n"}) {
    EXPECT_THAT(answer.body, HasSubstr(line));
  }
  EXPECT_THAT(answer.body, Not(HasSubstr("parley_errors_total")));
  // The start time is this process's: within the last minute.
  const std::string key = "\nprocess_start_time_seconds ";
  const double started = std::stod(answer.body.substr(answer.body.find(key) + key.size()));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(started, now, 60);
}

// The source tree (ctest sets TEST_SOURCE_DIR), for the deployment files.
fs::path SourceDir() {
  const char* dir = std::getenv("TEST_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}

bool Installed(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Item 11: the command the Dockerfile's HEALTHCHECK runs, taken from the Dockerfile itself,
// passes against a ready server with the image's environment and fails against none.
TEST_F(DeployCliTest, TheDockerfilesHealthcheckPassesOnlyWhenReady) {
  std::ifstream in(SourceDir() / "Dockerfile");
  std::string line, healthcheck;
  while (std::getline(in, line)) {
    if (line.starts_with("HEALTHCHECK")) {
      healthcheck = line;
    }
  }
  ASSERT_THAT(healthcheck, HasSubstr(R"(CMD ["parley", "healthcheck"])"));
  ASSERT_OK_AND_ASSIGN(auto server, Serve());
  const std::string listen = "PARLEY_LISTEN=0.0.0.0:" + std::to_string(server->port());
  EXPECT_EQ(Parley("healthcheck", listen).code, 0);
  server.reset();
  EXPECT_EQ(Parley("healthcheck", listen).code, 1);
}

// Item 12: both compose files are valid without a .env; unset settings stay unset (so
// ALLOWED_HOSTS keeps its default with PUBLIC_URL's host); flows come from the host.
TEST_F(DeployCliTest, ComposeFilesAreValidWithoutADotEnv) {
  if (!Installed("docker-compose")) {
    GTEST_SKIP() << "docker-compose is not installed (scripts/install-deps.sh --test)";
  }
  const fs::path project = dir_ / "project";
  fs::create_directories(project);
  for (const char* file : {"docker-compose.yml", "docker-compose.production.yml"}) {
    fs::copy_file(SourceDir() / file, project / file);
  }
  fs::create_directories(project / "deploy/proxy");
  const auto config = [&](const std::string& env, const std::string& file) {
    return Shell("cd '" + project.string() + "' && env -i PATH=/usr/bin:/bin " + env +
                 " docker-compose -f " + file + " config");
  };
  const Outcome sqlite = config("", "docker-compose.yml");
  EXPECT_EQ(sqlite.code, 0) << sqlite.out;
  EXPECT_THAT(sqlite.out, HasSubstr("ALLOWED_HOSTS: null"));
  EXPECT_THAT(sqlite.out, HasSubstr("PUBLIC_URL: null"));
  EXPECT_THAT(sqlite.out, HasSubstr((project / "flows").string() + ":/usr/share/parley/flows:ro"));

  const Outcome production =
      config("PARLEY_DOMAIN=p.example.com POSTGRES_PASSWORD=pw", "docker-compose.production.yml");
  EXPECT_EQ(production.code, 0) << production.out;
  for (const char* expected :
       {"parley-1:", "parley-2:", "proxy:", "db:", "PUBLIC_URL: https://p.example.com",
        "ALLOWED_HOSTS: p.example.com,localhost,127.0.0.1", "PARLEY_SEND_INSTANCES: '2'",
        "published: 443"}) {
    EXPECT_THAT(production.out, HasSubstr(expected));
  }
  // Without the domain and the database password it refuses, naming them.
  const Outcome missing = config("", "docker-compose.production.yml");
  EXPECT_NE(missing.code, 0);
  EXPECT_THAT(missing.out, HasSubstr("set POSTGRES_PASSWORD"));
}

// Item 12: the proxy's Caddyfile is valid for Debian's Caddy.
TEST_F(DeployCliTest, TheProxysCaddyfileIsValid) {
  if (!Installed("caddy")) {
    GTEST_SKIP() << "caddy is not installed (scripts/install-deps.sh --test)";
  }
  const Outcome r = Shell("env -i PATH=/usr/bin:/bin HOME='" + dir_.string() +
                          "' PARLEY_DOMAIN=p.example.com caddy validate --adapter caddyfile "
                          "--config '" +
                          (SourceDir() / "deploy/proxy/Caddyfile").string() + "'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Valid configuration"));
}

}  // namespace
}  // namespace parley::app
