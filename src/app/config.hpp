// The server's configuration, from the environment and a `.env` file. Every
// key, its default and meaning are listed in docs/configuration.md; keep the two in step.
//
// Precedence: a variable set in the process environment wins over the same key in `.env`
// (as python-dotenv does), and `--listen` on the command line wins over both.
// Strictness: an unknown PARLEY_* key or a bad value is an error naming the key and why.
// Other unknown keys are ignored: a LIMA `.env` carries Django's own settings.
// Secrets (TWILIO_AUTH_TOKEN, TWILIO_API_SECRET, SECRET_KEY, passwords in DATABASE_URL) never
// appear in an error message or in Describe().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::app {

enum class ReplyMode { kRest, kTwiml };

// Where the admin console listens when not on the main address (PARLEY_ADMIN_LISTEN).
struct AdminListen {
  std::string host;
  uint16_t port = 0;
};

struct Config {
  std::string database_url = "sqlite:parley.db";
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8000;
  // The base URL Twilio signs ("https://parley.example.com"); default http://LISTEN.
  std::string public_url;
  std::vector<std::string> allowed_hosts;  // default: localhost names + PUBLIC_URL's host
  std::string twilio_account_sid;
  std::string twilio_auth_token;
  std::string twilio_phone_number;
  std::string twilio_whatsapp_number;
  std::string twilio_messaging_service_sid;
  std::string twilio_api_base = "https://api.twilio.com";
  // An API key (SID "SK…" and secret) sends instead of the auth token when both are set.
  std::string twilio_api_key;
  std::string twilio_api_secret;
  int twilio_connect_timeout_ms = 5000;  // TCP + TLS handshake with Twilio's API
  int twilio_timeout_ms = 10000;         // one whole create-Message request
  // The outbox sender (docs/delivery.md, "The sender").
  int sender_threads = 4;                          // PARLEY_SENDER_THREADS
  Duration send_max_age = std::chrono::hours(10);  // PARLEY_SEND_MAX_AGE
  // Backoff between tries of a message Twilio did not take: the first delay, doubling up to
  // the last (PARLEY_SEND_RETRY_MIN, PARLEY_SEND_RETRY_MAX).
  Duration send_retry_min = std::chrono::seconds(2);
  Duration send_retry_max = std::chrono::minutes(10);
  std::string send_rate;   // PARLEY_SEND_RATE (parsed)
  int send_instances = 1;  // PARLEY_SEND_INSTANCES
  std::string secret_key;
  std::string flows_dir = "flows";
  std::string start_flow;  // flow started for a contact with no session; empty: none
  ReplyMode reply_mode = ReplyMode::kRest;
  bool validate_signature = true;  // only PARLEY_VALIDATE_SIGNATURE=false turns it off
  std::string help_text =
      "Reply STOP to unsubscribe, START to resubscribe. Msg&data rates may apply.";
  std::string default_region = "US";  // for numbers written without a country code
  int workers = 0;                    // HTTP workers; 0: sized to the machine
  int pipeline_lanes = 0;             // PostgreSQL event lanes; 0: sized to the machine
  bool sqlite_full_sync = true;       // PARLEY_SQLITE_SYNC=full (default) or normal
  size_t max_body_bytes = 64 * 1024;
  // Wall-clock deadline of each Lua handler call in the server (PARLEY_SCRIPT_TIMEOUT); a
  // flow's limits.script_timeout_ms wins.
  Duration script_timeout = std::chrono::milliseconds(100);
  LogFormat log_format = LogFormat::kText;  // PARLEY_LOG_FORMAT: text or json
  LogLevel log_level = LogLevel::kInfo;     // PARLEY_LOG_LEVEL: debug, info, warn, error
  // The event budget (PARLEY_EVENT_TIMEOUT): a webhook whose event is not queued, applied and
  // committed within it answers 503 (Twilio gives up at 15 s).
  std::chrono::milliseconds event_timeout{10'000};
  // PARLEY_TIMER_GRACE: a timer overdue by more (parley was down) is recorded as missed
  // instead of firing; unset: overdue timers always fire.
  std::optional<Duration> timer_grace;
  // The admin console (docs/admin.md). PARLEY_ADMIN_LISTEN: its own address; unset: the
  // main server's. Sessions end after PARLEY_ADMIN_SESSION_IDLE unused and at the latest
  // PARLEY_ADMIN_SESSION_MAX after login.
  std::optional<AdminListen> admin_listen;
  Duration admin_session_idle = std::chrono::minutes(30);
  Duration admin_session_max = std::chrono::hours(12);
  // PARLEY_HISTORY_DAYS: recorded transitions older than this many days are removed by serve's
  // history job (docs/admin.md, "History"); 0 keeps them forever.
  int history_days = 365;
  // PARLEY_TEST_CLOCK_FILE: tests only (app/test_clock.hpp): `parley serve` reads its clock
  // offset from this file. Empty: the system clock.
  std::string test_clock_file;
  // PARLEY_TIMER_POLL: the scheduler's safety poll, the longest it sleeps without looking at
  // the database. Unset: 30 s on PostgreSQL (other instances' timers arrive by NOTIFY), 1 s on
  // SQLite (no NOTIFY: a timer another process wrote, `parley start`, is seen within it).
  std::optional<Duration> timer_poll;
  // PARLEY_TIMER_LEASE: how long a claimed timer stays claimed; a crashed instance's claims
  // come back after it. Longer than the event budget (PARLEY_EVENT_TIMEOUT); unset: 30 s, or
  // twice the event budget if that is longer.
  Duration timer_lease = std::chrono::seconds(30);

  // What REST delivery needs: the Account SID with the auth token or an API key and secret.
  bool has_twilio_credentials() const {
    return !twilio_account_sid.empty() &&
           (!twilio_auth_token.empty() || (!twilio_api_key.empty() && !twilio_api_secret.empty()));
  }
  // "key=value" lines for the startup log, secrets shown as "(set)".
  std::string Describe() const;
};

// Whether the .env file must exist: the default `.env` may be absent; a file named with
// `--env FILE` must be there (a typo must not start a server on defaults).
enum class Dotenv { kIfPresent, kRequired };

// Builds the configuration from `env` (the process environment) and, when `dotenv_path`
// names a file that exists, that file. A missing file is NotFound naming it when `dotenv`
// is kRequired, and is skipped otherwise.
Result<Config> LoadConfig(const std::map<std::string, std::string>& env,
                          const std::string& dotenv_path = ".env",
                          Dotenv dotenv = Dotenv::kIfPresent);

// The configuration of a command with an `--env FILE` flag (serve, migrate, start): the
// process environment, plus FILE (required) when the flag was given, else `.env` if present.
Result<Config> LoadCommandConfig(const std::string& env_flag);

// The process environment as a map.
std::map<std::string, std::string> ProcessEnvironment();

// Every key LoadConfig reads, sorted (`serve --help`, "did you mean" for PARLEY_* typos).
std::vector<std::string> ConfigKeys();

// Applies "host:port" (the --listen flag or PARLEY_LISTEN) to `config`.
Status ApplyListen(Config& config, const std::string& listen, const std::string& key);

}  // namespace parley::app
