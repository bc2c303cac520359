#include "app/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace parley::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string WriteEnv(const std::string& text) {
    const std::string path = (dir_ / ".env").string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsNeedNoConfiguration) {
  auto c = LoadConfig({}, (dir_ / "missing.env").string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->database_url, "sqlite:parley.db");
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8000);
  EXPECT_EQ(c->public_url, "http://127.0.0.1:8000");
  EXPECT_EQ(c->flows_dir, "flows");
  EXPECT_EQ(c->reply_mode, ReplyMode::kRest);
  EXPECT_TRUE(c->validate_signature);
  EXPECT_FALSE(c->has_twilio_credentials());
  EXPECT_THAT(c->allowed_hosts, ElementsAre("localhost", "127.0.0.1", "[::1]"));
}

// Issue 8 item 11: a .env file named with --env must exist; the default one may be absent.
TEST_F(ConfigTest, ARequiredDotenvThatIsMissingIsAnError) {
  const std::string missing = (dir_ / "typo.env").string();
  auto c = LoadConfig({}, missing, Dotenv::kRequired);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("--env " + missing + ": No such file"));
  EXPECT_TRUE(LoadConfig({}, missing, Dotenv::kIfPresent).ok());
  auto present = LoadConfig({}, WriteEnv("PARLEY_REPLY_MODE=twiml\n"), Dotenv::kRequired);
  ASSERT_TRUE(present.ok()) << present.status().ToString();
  EXPECT_EQ(present->reply_mode, ReplyMode::kTwiml);
}

TEST_F(ConfigTest, EnvironmentWinsOverDotenvAndLimaKeysWork) {
  const std::string env_file = WriteEnv(
      "TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\n"
      "TWILIO_AUTH_TOKEN=from-file\nDEBUG=True\n"
      "PUBLIC_URL=https://Parley.Example.com/\nPARLEY_REPLY_MODE=twiml\n");
  auto c =
      LoadConfig({{"TWILIO_AUTH_TOKEN", "from-env"}, {"PARLEY_LISTEN", "0.0.0.0:9000"}}, env_file);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->twilio_auth_token, "from-env");
  EXPECT_TRUE(c->has_twilio_credentials());
  EXPECT_EQ(c->public_url, "https://Parley.Example.com");
  EXPECT_EQ(c->listen_host, "0.0.0.0");
  EXPECT_EQ(c->listen_port, 9000);
  EXPECT_EQ(c->reply_mode, ReplyMode::kTwiml);
  // The public host is allowed by default: Twilio's requests carry it.
  EXPECT_THAT(c->allowed_hosts,
              ElementsAre("localhost", "127.0.0.1", "[::1]", "parley.example.com"));
}

TEST_F(ConfigTest, BadValuesNameTheKeyAndWhy) {
  const auto error = [](std::map<std::string, std::string> env) {
    auto c = LoadConfig(env, "");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_THAT(error({{"PARLEY_REPLY_MODE", "xml"}}),
              HasSubstr("PARLEY_REPLY_MODE: expected 'rest' or 'twiml', got 'xml'"));
  EXPECT_THAT(error({{"PARLEY_LISTEN", "8000"}}), HasSubstr("PARLEY_LISTEN: expected host:port"));
  EXPECT_THAT(error({{"PARLEY_LISTEN", "localhost:99999"}}), HasSubstr("PARLEY_LISTEN"));
  EXPECT_THAT(error({{"DATABASE_URL", "mysql://x"}}), HasSubstr("DATABASE_URL: expected sqlite:"));
  EXPECT_THAT(error({{"PUBLIC_URL", "parley.example.com"}}), HasSubstr("PUBLIC_URL"));
  EXPECT_THAT(error({{"PARLEY_VALIDATE_SIGNATURE", "maybe"}}),
              HasSubstr("PARLEY_VALIDATE_SIGNATURE: expected true or false"));
  EXPECT_THAT(error({{"PARLEY_WORKERS", "-1"}}), HasSubstr("PARLEY_WORKERS"));
  EXPECT_THAT(error({{"PARLEY_PIPELINE_LANES", "65"}}),
              HasSubstr("PARLEY_PIPELINE_LANES: expected a number of lanes from 0"));
  EXPECT_THAT(error({{"PARLEY_SQLITE_SYNC", "off"}}),
              HasSubstr("PARLEY_SQLITE_SYNC: expected 'full' or 'normal', got 'off'"));
  EXPECT_THAT(error({{"PARLEY_MAX_BODY_BYTES", "12"}}), HasSubstr("PARLEY_MAX_BODY_BYTES"));
  EXPECT_THAT(error({{"PARLEY_DEFAULT_REGION", "usa"}}), HasSubstr("PARLEY_DEFAULT_REGION"));
  // Issue 8 item 12: two letters are not enough; the region must be one libphonenumber knows.
  EXPECT_THAT(error({{"PARLEY_DEFAULT_REGION", "XX"}}),
              HasSubstr("PARLEY_DEFAULT_REGION: expected a region code libphonenumber knows, "
                        "such as US or GB, got 'XX'"));
  EXPECT_EQ(error({{"PARLEY_DEFAULT_REGION", "GB"}}), "ok");
  // Issue 8 item 1: webhooks are checked against it, so a malformed one stops the start.
  EXPECT_THAT(error({{"TWILIO_ACCOUNT_SID", "AC1"}}),
              HasSubstr("TWILIO_ACCOUNT_SID: expected AC followed by 32 lower-case hex digits"));
  for (const char* bad : {"", "10m", "-1s", "50ms", "121s", "0.05s", "s"}) {
    EXPECT_THAT(error({{"PARLEY_EVENT_TIMEOUT", bad}}),
                HasSubstr("PARLEY_EVENT_TIMEOUT: expected a duration from 100ms to 120s"))
        << bad;
  }
  EXPECT_THAT(error({{"PARLEY_FLOW", "checkin"}}), HasSubstr("unknown key PARLEY_FLOW"));
  // Issue 8 item 15: the log format and level are checked like every other key.
  EXPECT_THAT(error({{"PARLEY_LOG_FORMAT", "JSON"}}),
              HasSubstr("PARLEY_LOG_FORMAT: expected 'text' or 'json', got 'JSON'"));
  EXPECT_THAT(error({{"PARLEY_LOG_LEVEL", "trace"}}),
              HasSubstr("PARLEY_LOG_LEVEL: expected 'debug', 'info', 'warn' or 'error', got "
                        "'trace'"));
  EXPECT_EQ(error({{"SOME_OTHER_APP_KEY", "x"}}), "ok");
}

TEST_F(ConfigTest, PipelineAndSqliteDurability) {
  auto defaults = LoadConfig({}, "");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->pipeline_lanes, 0);
  EXPECT_TRUE(defaults->sqlite_full_sync);
  EXPECT_THAT(defaults->Describe(), HasSubstr("sqlite_sync=full"));
  auto c = LoadConfig({{"PARLEY_PIPELINE_LANES", "3"}, {"PARLEY_SQLITE_SYNC", "normal"}}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pipeline_lanes, 3);
  EXPECT_FALSE(c->sqlite_full_sync);
}

// Issue 8 item 5: the server's handler deadline.
TEST_F(ConfigTest, ScriptTimeout) {
  auto defaults = LoadConfig({}, "");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->script_timeout, std::chrono::milliseconds(100));
  EXPECT_THAT(defaults->Describe(), HasSubstr("script_timeout=100ms"));
  for (const auto& [text, ms] : std::vector<std::pair<std::string, int>>{
           {"250ms", 250}, {"0.5s", 500}, {"2s", 2000}, {"1ms", 1}, {"10s", 10000}}) {
    auto c = LoadConfig({{"PARLEY_SCRIPT_TIMEOUT", text}}, "");
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    EXPECT_EQ(c->script_timeout, std::chrono::milliseconds(ms)) << text;
  }
  for (const char* bad : {"100", "0ms", "0.5ms", "11s", "-1s", "abc", "ms", "12.5", "1e3ms x"}) {
    auto c = LoadConfig({{"PARLEY_SCRIPT_TIMEOUT", bad}}, "");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_SCRIPT_TIMEOUT: expected a duration"));
  }
}

// Issue 8 item 15.
TEST_F(ConfigTest, LogFormatAndLevel) {
  auto defaults = LoadConfig({}, "");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->log_format, LogFormat::kText);
  EXPECT_EQ(defaults->log_level, LogLevel::kInfo);
  EXPECT_THAT(defaults->Describe(), HasSubstr("log=text/info"));
  auto c = LoadConfig({{"PARLEY_LOG_FORMAT", "json"}, {"PARLEY_LOG_LEVEL", "debug"}}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_format, LogFormat::kJson);
  EXPECT_EQ(c->log_level, LogLevel::kDebug);
  EXPECT_THAT(c->Describe(), HasSubstr("log=json/debug"));
}

// Issue 8 item 8: the event budget, from PARLEY_EVENT_TIMEOUT.
TEST_F(ConfigTest, EventTimeout) {
  auto defaults = LoadConfig({}, "");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->event_timeout, std::chrono::seconds(10));
  EXPECT_THAT(defaults->Describe(), HasSubstr("event_timeout=10000ms"));
  for (const auto& [text, ms] : std::vector<std::pair<std::string, int>>{
           {"5s", 5000}, {"2500ms", 2500}, {"3", 3000}, {"100ms", 100}, {"120s", 120000}}) {
    auto c = LoadConfig({{"PARLEY_EVENT_TIMEOUT", text}}, "");
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    EXPECT_EQ(c->event_timeout, std::chrono::milliseconds(ms)) << text;
  }
}

TEST_F(ConfigTest, DotenvErrorsPointAtTheLine) {
  const std::string env_file = WriteEnv("DATABASE_URL=sqlite:x.db\nPARLEY_WORKRS=4\n");
  auto c = LoadConfig({}, env_file);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr(env_file + ":2: "));
  EXPECT_THAT(c.status().message(), HasSubstr("unknown key PARLEY_WORKRS"));
}

TEST_F(ConfigTest, DescribeNeverShowsSecrets) {
  auto c = LoadConfig({{"TWILIO_AUTH_TOKEN", "tok-secret"},
                       {"SECRET_KEY", "django-secret"},
                       {"DATABASE_URL", "postgres://parley:pw-secret@db:5432/parley"}},
                      "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string d = c->Describe();
  EXPECT_THAT(d, Not(HasSubstr("tok-secret")));
  EXPECT_THAT(d, Not(HasSubstr("django-secret")));
  EXPECT_THAT(d, Not(HasSubstr("pw-secret")));
  EXPECT_THAT(d, HasSubstr("database=postgres://***@db:5432/parley"));
  EXPECT_THAT(d, HasSubstr("auth_token=(set)"));
}

// Issue 9 (delivery): an API key is a credential for sending; Twilio timeouts are settable.
TEST_F(ConfigTest, TwilioApiKeyAndTimeouts) {
  auto c = LoadConfig({{"TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"},
                       {"TWILIO_API_KEY", "SK1"},
                       {"TWILIO_API_SECRET", "key-secret"}},
                      (dir_ / "missing.env").string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->has_twilio_credentials());
  EXPECT_EQ(c->twilio_connect_timeout_ms, 5000);
  EXPECT_EQ(c->twilio_timeout_ms, 10000);
  EXPECT_THAT(c->Describe(), HasSubstr("api_secret=(set)"));
  EXPECT_THAT(c->Describe(), ::testing::Not(HasSubstr("key-secret")));
  // A key without its secret is not a credential.
  c = LoadConfig(
      {{"TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"}, {"TWILIO_API_KEY", "SK1"}},
      (dir_ / "missing.env").string());
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_twilio_credentials());

  c = LoadConfig(
      {{"PARLEY_TWILIO_CONNECT_TIMEOUT_MS", "1500"}, {"PARLEY_TWILIO_TIMEOUT_MS", "4000"}},
      (dir_ / "missing.env").string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->twilio_connect_timeout_ms, 1500);
  EXPECT_EQ(c->twilio_timeout_ms, 4000);
  for (const char* bad : {"0", "99", "120001", "5s", ""}) {
    c = LoadConfig({{"PARLEY_TWILIO_TIMEOUT_MS", bad}}, (dir_ / "missing.env").string());
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_TWILIO_TIMEOUT_MS")) << bad;
  }
}

// Issue 10: PARLEY_TIMER_GRACE, in the flows' duration syntax; unset, overdue timers fire.
TEST_F(ConfigTest, TimerGrace) {
  auto c = LoadConfig({}, (dir_ / "missing.env").string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->timer_grace.has_value());
  EXPECT_THAT(c->Describe(), HasSubstr("timer_grace=(none)"));
  c = LoadConfig({{"PARLEY_TIMER_GRACE", "2h"}}, (dir_ / "missing.env").string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->timer_grace, std::optional<Duration>(std::chrono::hours(2)));
  EXPECT_THAT(c->Describe(), HasSubstr("timer_grace=7200s"));
  for (const char* bad : {"2x", "0s", "", "-1h"}) {
    c = LoadConfig({{"PARLEY_TIMER_GRACE", bad}}, (dir_ / "missing.env").string());
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_TIMER_GRACE")) << bad;
  }
}

// Issue 11: PARLEY_HISTORY_DAYS, the transitions' retention: 365 by default, 0 keeps them.
TEST_F(ConfigTest, HistoryDays) {
  const std::string none = (dir_ / "missing.env").string();
  auto c = LoadConfig({}, none);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->history_days, 365);
  EXPECT_THAT(c->Describe(), HasSubstr("history_days=365"));
  c = LoadConfig({{"PARLEY_HISTORY_DAYS", "0"}}, none);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->history_days, 0);
  EXPECT_THAT(c->Describe(), HasSubstr("history_days=forever"));
  c = LoadConfig({{"PARLEY_HISTORY_DAYS", "30"}}, none);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->history_days, 30);
  for (const char* bad : {"-1", "36501", "30d", "", "x"}) {
    c = LoadConfig({{"PARLEY_HISTORY_DAYS", bad}}, none);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_HISTORY_DAYS")) << bad;
  }
}

// Issue 10 (multi-instance timers): PARLEY_TIMER_POLL (the scheduler's safety poll; unset,
// the runtime picks per database) and PARLEY_TIMER_LEASE, which must outlive an event.
TEST_F(ConfigTest, TimerPollAndLease) {
  const std::string none = (dir_ / "missing.env").string();
  auto c = LoadConfig({}, none);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->timer_poll.has_value());
  EXPECT_EQ(c->timer_lease, std::chrono::seconds(30));
  EXPECT_THAT(c->Describe(), HasSubstr("timer_poll=(default) timer_lease=30000ms"));
  c = LoadConfig({{"PARLEY_TIMER_POLL", "5m"}, {"PARLEY_TIMER_LEASE", "12s"}}, none);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->timer_poll, std::optional<Duration>(std::chrono::minutes(5)));
  EXPECT_EQ(c->timer_lease, std::chrono::seconds(12));
  // Unset, the lease follows a long event budget.
  c = LoadConfig({{"PARLEY_EVENT_TIMEOUT", "60s"}}, none);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->timer_lease, std::chrono::seconds(120));
  for (const char* bad : {"0", "50ms", "2h", "x", ""}) {
    c = LoadConfig({{"PARLEY_TIMER_POLL", bad}}, none);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_TIMER_POLL")) << bad;
  }
  for (const char* bad : {"500ms", "2h", "x"}) {
    c = LoadConfig({{"PARLEY_TIMER_LEASE", bad}}, none);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_TIMER_LEASE")) << bad;
  }
  c = LoadConfig({{"PARLEY_TIMER_LEASE", "5s"}, {"PARLEY_EVENT_TIMEOUT", "5s"}}, none);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("must be longer than PARLEY_EVENT_TIMEOUT"));
}

// Issue 9, the sender: its keys, defaults and bad values.
TEST_F(ConfigTest, SenderThreadsRatesInstancesAndMaxAge) {
  auto c = LoadConfig({}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sender_threads, 4);
  EXPECT_EQ(c->send_max_age, std::chrono::hours(10));
  EXPECT_EQ(c->send_rate, "");
  EXPECT_EQ(c->send_instances, 1);
  EXPECT_THAT(c->Describe(), HasSubstr("sender_threads=4 send_max_age=36000s"));

  c = LoadConfig({{"PARLEY_SENDER_THREADS", "16"},
                  {"PARLEY_SEND_MAX_AGE", "30m"},
                  {"PARLEY_SEND_RATE", "+15551234567=10,default=2"},
                  {"PARLEY_SEND_INSTANCES", "3"}},
                 "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sender_threads, 16);
  EXPECT_EQ(c->send_max_age, std::chrono::minutes(30));
  EXPECT_EQ(c->send_rate, "+15551234567=10,default=2");
  EXPECT_EQ(c->send_instances, 3);
  for (const auto& [text, age] :
       std::vector<std::pair<std::string, Duration>>{{"2h", std::chrono::hours(2)},
                                                     {"90s", std::chrono::seconds(90)},
                                                     {"1500ms", std::chrono::milliseconds(1500)}}) {
    c = LoadConfig({{"PARLEY_SEND_MAX_AGE", text}}, "");
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    EXPECT_EQ(c->send_max_age, age) << text;
  }
  for (const auto& [key, bad] :
       std::vector<std::pair<std::string, std::string>>{{"PARLEY_SENDER_THREADS", "0"},
                                                        {"PARLEY_SENDER_THREADS", "257"},
                                                        {"PARLEY_SEND_MAX_AGE", "0h"},
                                                        {"PARLEY_SEND_MAX_AGE", "10d"},
                                                        {"PARLEY_SEND_MAX_AGE", "500ms"},
                                                        {"PARLEY_SEND_RATE", "+15551234567"},
                                                        {"PARLEY_SEND_RATE", "default=fast"},
                                                        {"PARLEY_SEND_INSTANCES", "0"}}) {
    c = LoadConfig({{key, bad}}, "");
    ASSERT_FALSE(c.ok()) << key << "=" << bad;
    EXPECT_THAT(c.status().message(), HasSubstr(key)) << bad;
  }
}

// Issue 9: the sender's backoff is configurable (tests use milliseconds to stay fast).
TEST_F(ConfigTest, SendRetryBoundsAreDurationsAndTheFirstIsNotAboveTheLast) {
  auto c = LoadConfig({}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->send_retry_min, std::chrono::seconds(2));
  EXPECT_EQ(c->send_retry_max, std::chrono::minutes(10));
  c = LoadConfig({{"PARLEY_SEND_RETRY_MIN", "20ms"}, {"PARLEY_SEND_RETRY_MAX", "1m"}}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->send_retry_min, std::chrono::milliseconds(20));
  EXPECT_EQ(c->send_retry_max, std::chrono::minutes(1));
  EXPECT_THAT(c->Describe(), HasSubstr("send_retry=20ms..60000ms"));
  for (const auto& [key, bad] :
       std::vector<std::pair<std::string, std::string>>{{"PARLEY_SEND_RETRY_MIN", "5ms"},
                                                        {"PARLEY_SEND_RETRY_MIN", "soon"},
                                                        {"PARLEY_SEND_RETRY_MAX", "25h"}}) {
    c = LoadConfig({{key, bad}}, "");
    ASSERT_FALSE(c.ok()) << key << "=" << bad;
    EXPECT_THAT(c.status().message(), HasSubstr(key)) << bad;
  }
  c = LoadConfig({{"PARLEY_SEND_RETRY_MIN", "2m"}, {"PARLEY_SEND_RETRY_MAX", "1m"}}, "");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("PARLEY_SEND_RETRY_MIN"));
}

}  // namespace
}  // namespace parley::app

namespace parley::app {
namespace {

// Issue 11: the admin console's address and session lifetimes.
TEST(AdminConfigTest, ListenAndSessionLifetimes) {
  auto c = LoadConfig({}, "/nonexistent/admin.env");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->admin_listen.has_value());
  EXPECT_EQ(c->admin_session_idle, Duration(std::chrono::minutes(30)));
  EXPECT_EQ(c->admin_session_max, Duration(std::chrono::hours(12)));
  c = LoadConfig({{"PARLEY_ADMIN_LISTEN", "10.0.0.5:8001"},
                  {"PARLEY_ADMIN_SESSION_IDLE", "15m"},
                  {"PARLEY_ADMIN_SESSION_MAX", "2d"}},
                 "/nonexistent/admin.env");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->admin_listen.has_value());
  EXPECT_EQ(c->admin_listen->host, "10.0.0.5");
  EXPECT_EQ(c->admin_listen->port, 8001);
  EXPECT_EQ(c->admin_session_idle, Duration(std::chrono::minutes(15)));
  EXPECT_EQ(c->admin_session_max, Duration(std::chrono::hours(48)));
  EXPECT_THAT(c->Describe(), ::testing::HasSubstr("admin_listen=10.0.0.5:8001"));
  for (const auto& [key, bad] :
       std::vector<std::pair<std::string, std::string>>{{"PARLEY_ADMIN_LISTEN", "nowhere"},
                                                        {"PARLEY_ADMIN_SESSION_IDLE", "10s"},
                                                        {"PARLEY_ADMIN_SESSION_IDLE", "2d"},
                                                        {"PARLEY_ADMIN_SESSION_MAX", "1m"},
                                                        {"PARLEY_ADMIN_SESSION_MAX", "soon"}}) {
    c = LoadConfig({{key, bad}}, "/nonexistent/admin.env");
    ASSERT_FALSE(c.ok()) << key << "=" << bad;
    EXPECT_THAT(c.status().message(), ::testing::HasSubstr(key)) << bad;
  }
}

}  // namespace
}  // namespace parley::app
