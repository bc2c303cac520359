#include "app/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>

#include "app/flow_files.hpp"
#include "channel/send_rate.hpp"
#include "common/dotenv.hpp"
#include "common/strings.hpp"
#include "conversation/address.hpp"
#include "flow/text.hpp"
#include "twilio/inbound_params.hpp"

extern char** environ;  // NOLINT: POSIX

namespace parley::app {

namespace {

constexpr size_t kMinBodyBytes = 1024;
constexpr size_t kMaxBodyBytes = size_t{16} << 20;
constexpr int kMaxHistoryDays = 36500;  // 100 years: longer is "forever", which is 0
constexpr int kMaxWorkers = 1024;
constexpr int kMaxSenderThreads = 256;
constexpr int kMaxLanes = 64;
constexpr Duration kMaxScriptTimeout = std::chrono::seconds(10);  // a whole event's budget
constexpr std::chrono::milliseconds kMinEventTimeout{100};
constexpr std::chrono::milliseconds kMaxEventTimeout{120'000};
constexpr std::chrono::milliseconds kMinTimerPoll{100};
constexpr std::chrono::milliseconds kMaxTimerPoll{3'600'000};
constexpr std::chrono::milliseconds kMinTimerLease{1'000};
constexpr std::chrono::milliseconds kMaxTimerLease{3'600'000};
constexpr int kMinTwilioTimeoutMs = 100;
constexpr int kMaxTwilioTimeoutMs = 120'000;

Status Bad(const std::string& key, const std::string& why) {
  return Status::InvalidArgument("configuration: " + key + ": " + why);
}

bool ParseBool(std::string_view v, bool& out) {
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "1" || s == "true" || s == "yes" || s == "on") {
    out = true;
    return true;
  }
  if (s == "0" || s == "false" || s == "no" || s == "off") {
    out = false;
    return true;
  }
  return false;
}

template <typename T>
bool ParseInt(std::string_view v, T& out) {
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size();
}

std::vector<std::string> SplitList(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.remove_suffix(1);
    }
    if (!item.empty()) {
      out.emplace_back(item);
    }
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
  }
  return out;
}

// "https://user:pw@Host.example:8443/x" -> "host.example". Empty if not a URL.
std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return "";
  }
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  if (!rest.empty() && rest.front() == '[') {
    return std::string(rest.substr(0, rest.find(']') + 1));
  }
  std::string host(rest.substr(0, rest.find(':')));
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return host;
}

// "100ms", "0.5s", "2s", or a bare number of seconds ("10"): a duration of at least a
// millisecond, in whole milliseconds.
bool ParseMillis(std::string_view v, Duration& out) {
  double scale = 1000;
  if (v.ends_with("ms")) {
    scale = 1;
    v.remove_suffix(2);
  } else if (v.ends_with("s")) {
    v.remove_suffix(1);
  }
  double amount = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), amount);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !(amount >= 0)) {
    return false;
  }
  const double ms = amount * scale;
  if (ms < 1 || ms > 1e9 || ms != static_cast<double>(static_cast<int64_t>(ms))) {
    return false;
  }
  out = Duration(static_cast<int64_t>(ms));
  return true;
}

using Setter = std::function<Status(Config&, const std::string& key, const std::string& value)>;

Setter Text(std::string Config::*field) {
  return [field](Config& c, const std::string&, const std::string& v) {
    c.*field = v;
    return Status::Ok();
  };
}

Setter TimeoutMs(int Config::*field) {
  return [field](Config& c, const std::string& key, const std::string& v) {
    int ms = 0;
    if (!ParseInt(v, ms) || ms < kMinTwilioTimeoutMs || ms > kMaxTwilioTimeoutMs) {
      return Bad(key, "expected milliseconds from " + std::to_string(kMinTwilioTimeoutMs) + " to " +
                          std::to_string(kMaxTwilioTimeoutMs) + ", got '" + v + "'");
    }
    c.*field = ms;
    return Status::Ok();
  };
}

// PARLEY_SEND_MAX_AGE: "10h", "30m", or what ParseMillis takes ("90s", "500ms").
bool ParseAge(std::string_view v, Duration& out) {
  int64_t per_unit = 0;
  if (v.ends_with("h")) {
    per_unit = 3600;
  } else if (v.ends_with("m") && !v.ends_with("ms")) {
    per_unit = 60;
  } else {
    return ParseMillis(v, out);
  }
  v.remove_suffix(1);
  int64_t amount = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), amount);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || amount <= 0 ||
      amount > 24 * 365) {
    return false;
  }
  out = std::chrono::seconds(amount * per_unit);
  return true;
}

// A duration in the flows' syntax ("30m", "12h", "7d") from `min` to `max`.
Setter AdminDuration(Duration Config::*field, Duration min, Duration max) {
  return [field, min, max](Config& c, const std::string& key, const std::string& v) {
    auto d = flow::ParseDuration(v);
    if (!d.ok() || std::chrono::duration_cast<Duration>(*d) < min ||
        std::chrono::duration_cast<Duration>(*d) > max) {
      return Bad(key, "expected a duration from " + std::to_string(min.count() / 60000) + "m to " +
                          std::to_string(max.count() / 3600000) + "h such as 30m or 12h, got '" +
                          v + "'");
    }
    c.*field = std::chrono::duration_cast<Duration>(*d);
    return Status::Ok();
  };
}

// PARLEY_SEND_RETRY_MIN / _MAX: a duration from 10ms to 24h.
Setter Backoff(Duration Config::*field) {
  return [field](Config& c, const std::string& key, const std::string& v) {
    Duration d{};
    if (!ParseAge(v, d) || d < std::chrono::milliseconds(10) || d > std::chrono::hours(24)) {
      return Bad(key,
                 "expected a duration from 10ms to 24h such as 2s, 500ms or 10m, got '" + v + "'");
    }
    c.*field = d;
    return Status::Ok();
  };
}

const std::map<std::string, Setter>& Keys() {
  static const auto* keys = new std::map<std::string, Setter>{
      {"DATABASE_URL",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!v.starts_with("sqlite:") && !v.starts_with("postgres://") &&
             !v.starts_with("postgresql://")) {
           return Bad(key, "expected sqlite:PATH, postgres://... or postgresql://...");
         }
         c.database_url = v;
         return Status::Ok();
       }},
      {"PUBLIC_URL",
       [](Config& c, const std::string& key, const std::string& v) {
         if ((!v.starts_with("http://") && !v.starts_with("https://")) || HostOf(v).empty()) {
           return Bad(key, "expected an http:// or https:// URL with a host");
         }
         if (v.find_first_of("?#") != std::string::npos) {
           return Bad(key, "the base URL must not carry a query or fragment");
         }
         c.public_url = v;
         while (c.public_url.ends_with('/')) {
           c.public_url.pop_back();
         }
         return Status::Ok();
       }},
      {"ALLOWED_HOSTS",
       [](Config& c, const std::string&, const std::string& v) {
         c.allowed_hosts = SplitList(v);
         return Status::Ok();
       }},
      // Webhooks must carry this AccountSid (twilio/inbound_params.hpp): a malformed value
      // would refuse every one of them, so it stops the start instead.
      {"TWILIO_ACCOUNT_SID",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!v.empty() && !twilio::IsAccountSid(v)) {
           return Bad(key, "expected AC followed by 32 lower-case hex digits");
         }
         c.twilio_account_sid = v;
         return Status::Ok();
       }},
      {"TWILIO_AUTH_TOKEN", Text(&Config::twilio_auth_token)},
      {"TWILIO_PHONE_NUMBER", Text(&Config::twilio_phone_number)},
      {"TWILIO_WHATSAPP_NUMBER", Text(&Config::twilio_whatsapp_number)},
      {"TWILIO_MESSAGING_SERVICE_SID", Text(&Config::twilio_messaging_service_sid)},
      {"TWILIO_API_BASE", Text(&Config::twilio_api_base)},
      {"TWILIO_API_KEY", Text(&Config::twilio_api_key)},
      {"TWILIO_API_SECRET", Text(&Config::twilio_api_secret)},
      {"PARLEY_TWILIO_CONNECT_TIMEOUT_MS", TimeoutMs(&Config::twilio_connect_timeout_ms)},
      {"PARLEY_TWILIO_TIMEOUT_MS", TimeoutMs(&Config::twilio_timeout_ms)},
      {"PARLEY_SENDER_THREADS",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseInt(v, c.sender_threads) || c.sender_threads < 1 ||
             c.sender_threads > kMaxSenderThreads) {
           return Bad(key, "expected a number of threads from 1 to " +
                               std::to_string(kMaxSenderThreads) + ", got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_SEND_MAX_AGE",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseAge(v, c.send_max_age) || c.send_max_age < std::chrono::seconds(1)) {
           return Bad(key, "expected a duration of at least 1s such as 10h, 30m or 90s, got '" +
                               v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_SEND_RETRY_MIN", Backoff(&Config::send_retry_min)},
      {"PARLEY_SEND_RETRY_MAX", Backoff(&Config::send_retry_max)},
      {"PARLEY_SEND_RATE",
       [](Config& c, const std::string& key, const std::string& v) {
         auto rates = channel::SendRates::Parse(v);
         if (!rates.ok()) {
           return Bad(key, rates.status().message() +
                               " (expected SENDER=RATE, KIND=RATE or default=RATE, comma-separated)");
         }
         c.send_rate = v;
         return Status::Ok();
       }},
      {"PARLEY_SEND_INSTANCES",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseInt(v, c.send_instances) || c.send_instances < 1 || c.send_instances > 1000) {
           return Bad(key, "expected the number of instances sharing the database, 1 to 1000, "
                           "got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"SECRET_KEY", Text(&Config::secret_key)},
      {"PARLEY_FLOWS", Text(&Config::flows_dir)},
      {"PARLEY_START_FLOW", Text(&Config::start_flow)},
      {"PARLEY_HELP_TEXT", Text(&Config::help_text)},
      {"PARLEY_LISTEN", [](Config& c, const std::string& key,
                           const std::string& v) { return ApplyListen(c, v, key); }},
      {"PARLEY_REPLY_MODE",
       [](Config& c, const std::string& key, const std::string& v) {
         if (v == "rest") {
           c.reply_mode = ReplyMode::kRest;
         } else if (v == "twiml") {
           c.reply_mode = ReplyMode::kTwiml;
         } else {
           return Bad(key, "expected 'rest' or 'twiml', got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_VALIDATE_SIGNATURE",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseBool(v, c.validate_signature)) {
           return Bad(key, "expected true or false, got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_DEFAULT_REGION",
       [](Config& c, const std::string& key, const std::string& v) {
         // Any two letters used to pass ("XX"), and then no national number parsed.
         if (!conversation::IsSupportedRegion(v)) {
           return Bad(key, "expected a region code libphonenumber knows, such as US or GB, got '" +
                               v + "'");
         }
         c.default_region = v;
         return Status::Ok();
       }},
      {"PARLEY_WORKERS",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseInt(v, c.workers) || c.workers < 0 || c.workers > kMaxWorkers) {
           return Bad(key, "expected a number of threads from 0 (automatic) to " +
                               std::to_string(kMaxWorkers) + ", got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_PIPELINE_LANES",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseInt(v, c.pipeline_lanes) || c.pipeline_lanes < 0 ||
             c.pipeline_lanes > kMaxLanes) {
           return Bad(key, "expected a number of lanes from 0 (automatic) to " +
                               std::to_string(kMaxLanes) + ", got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_SQLITE_SYNC",
       [](Config& c, const std::string& key, const std::string& v) {
         if (v == "full") {
           c.sqlite_full_sync = true;
         } else if (v == "normal") {
           c.sqlite_full_sync = false;
         } else {
           return Bad(key, "expected 'full' or 'normal', got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_SCRIPT_TIMEOUT",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseMillis(v, c.script_timeout) || c.script_timeout > kMaxScriptTimeout) {
           return Bad(key,
                      "expected a duration from 1ms to 10s such as 100ms or 0.5s, got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_MAX_BODY_BYTES",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseInt(v, c.max_body_bytes) || c.max_body_bytes < kMinBodyBytes ||
             c.max_body_bytes > kMaxBodyBytes) {
           return Bad(key, "expected a byte count from " + std::to_string(kMinBodyBytes) + " to " +
                               std::to_string(kMaxBodyBytes) + ", got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_LOG_FORMAT",
       [](Config& c, const std::string& key, const std::string& v) {
         const auto format = ParseLogFormat(v);
         if (!format) {
           return Bad(key, "expected 'text' or 'json', got '" + v + "'");
         }
         c.log_format = *format;
         return Status::Ok();
       }},
      {"PARLEY_LOG_LEVEL",
       [](Config& c, const std::string& key, const std::string& v) {
         const auto level = ParseLogLevel(v);
         if (!level) {
           return Bad(key, "expected 'debug', 'info', 'warn' or 'error', got '" + v + "'");
         }
         c.log_level = *level;
         return Status::Ok();
       }},
      {"PARLEY_EVENT_TIMEOUT",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseMillis(v, c.event_timeout) || c.event_timeout < kMinEventTimeout ||
             c.event_timeout > kMaxEventTimeout) {
           return Bad(key, "expected a duration from 100ms to 120s (\"10s\", \"2500ms\"), got '" +
                               v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_TEST_CLOCK_FILE",
       [](Config& c, const std::string&, const std::string& v) {
         c.test_clock_file = v;  // checked when serve opens it (a marked file only)
         return Status::Ok();
       }},
      {"PARLEY_TIMER_GRACE",
       [](Config& c, const std::string& key, const std::string& v) {
         auto grace = flow::ParseDuration(v);  // the flows' `after` syntax: "90s", "2h", "1d"
         if (!grace.ok()) {
           return Bad(key,
                      "expected a duration such as 30m, 2h or 1d: " + grace.status().message());
         }
         c.timer_grace = std::chrono::duration_cast<Duration>(*grace);
         return Status::Ok();
       }},
      // The admin console (docs/admin.md).
      {"PARLEY_ADMIN_LISTEN",
       [](Config& c, const std::string& key, const std::string& v) {
         if (v.empty()) {
           c.admin_listen.reset();
           return Status::Ok();
         }
         Config where;
         PARLEY_RETURN_IF_ERROR(ApplyListen(where, v, key));
         c.admin_listen = AdminListen{where.listen_host, where.listen_port};
         return Status::Ok();
       }},
      {"PARLEY_ADMIN_SESSION_IDLE", AdminDuration(&Config::admin_session_idle,
                                                  std::chrono::minutes(1), std::chrono::hours(24))},
      {"PARLEY_ADMIN_SESSION_MAX", AdminDuration(&Config::admin_session_max,
                                                 std::chrono::minutes(5), std::chrono::days(30))},
      {"PARLEY_HISTORY_DAYS",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseInt(v, c.history_days) || c.history_days < 0 ||
             c.history_days > kMaxHistoryDays) {
           return Bad(key, "expected a number of days from 0 (keep forever) to " +
                               std::to_string(kMaxHistoryDays) + ", got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"PARLEY_TIMER_POLL",
       [](Config& c, const std::string& key, const std::string& v) {
         Duration poll{};
         if (!ParseAge(v, poll) || poll < kMinTimerPoll || poll > kMaxTimerPoll) {
           return Bad(key, "expected a duration from 100ms to 1h (\"30s\", \"5m\"), got '" + v +
                               "'");
         }
         c.timer_poll = poll;
         return Status::Ok();
       }},
      {"PARLEY_TIMER_LEASE",
       [](Config& c, const std::string& key, const std::string& v) {
         if (!ParseAge(v, c.timer_lease) || c.timer_lease < kMinTimerLease ||
             c.timer_lease > kMaxTimerLease) {
           return Bad(key, "expected a duration from 1s to 1h (\"30s\", \"2m\"), got '" + v + "'");
         }
         return Status::Ok();
       }},
  };
  return *keys;
}

}  // namespace

Status ApplyListen(Config& config, const std::string& listen, const std::string& key) {
  const size_t colon = listen.rfind(':');
  uint16_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !ParseInt(std::string_view(listen).substr(colon + 1), port)) {
    return Bad(key,
               "expected host:port such as 127.0.0.1:8000 or 0.0.0.0:8000, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  config.listen_host = host;
  config.listen_port = port;
  return Status::Ok();
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> keys;
  for (const auto& [key, setter] : Keys()) {
    keys.push_back(key);
  }
  return keys;
}

Result<Config> LoadConfig(const std::map<std::string, std::string>& env,
                          const std::string& dotenv_path, Dotenv dotenv) {
  std::map<std::string, std::string> values;  // key -> value, .env first, env overrides
  std::map<std::string, std::string> origin;  // key -> where it came from, for messages
  std::error_code ec;
  if (dotenv == Dotenv::kRequired && !std::filesystem::exists(dotenv_path, ec)) {
    return Status::NotFound("--env " + dotenv_path + ": " +
                            (ec ? ec.message() : std::string("No such file or directory")));
  }
  if (!dotenv_path.empty() && std::filesystem::exists(dotenv_path, ec)) {
    auto text = ReadFile(dotenv_path);
    if (!text.ok()) {
      return text.status();
    }
    auto entries = ParseDotenv(*text, dotenv_path);
    if (!entries.ok()) {
      return entries.status();
    }
    for (auto& e : *entries) {
      origin[e.key] = dotenv_path + ":" + std::to_string(e.line) + ": ";
      values[e.key] = std::move(e.value);
    }
  }
  for (const auto& [key, value] : env) {
    origin[key] = "";
    values[key] = value;
  }

  Config config;
  for (const auto& [key, value] : values) {
    const auto it = Keys().find(key);
    if (it == Keys().end()) {
      if (key.starts_with("PARLEY_")) {
        const std::string closest = ClosestMatch(key, ConfigKeys());
        return Status::InvalidArgument(origin[key] + "configuration: unknown key " + key +
                                       (closest.empty() ? "" : " (did you mean " + closest + "?)") +
                                       " (see docs/configuration.md for the PARLEY_* keys)");
      }
      continue;
    }
    if (Status s = it->second(config, key, value); !s.ok()) {
      return Status::InvalidArgument(origin[key] + s.message());
    }
  }
  if (config.send_retry_min > config.send_retry_max) {
    return Status::InvalidArgument(
        "configuration: PARLEY_SEND_RETRY_MIN must not exceed PARLEY_SEND_RETRY_MAX");
  }
  // A claim must outlive its event (the pipeline answers every event within the budget), or
  // a second instance would claim a timer whose event is still queued here.
  if (!values.contains("PARLEY_TIMER_LEASE")) {
    config.timer_lease = std::max<Duration>(config.timer_lease, 2 * config.event_timeout);
  } else if (config.timer_lease <= config.event_timeout) {
    return Status::InvalidArgument(origin["PARLEY_TIMER_LEASE"] +
                                   "configuration: PARLEY_TIMER_LEASE (" +
                                   std::to_string(config.timer_lease.count()) +
                                   "ms) must be longer than PARLEY_EVENT_TIMEOUT (" +
                                   std::to_string(config.event_timeout.count()) + "ms)");
  }
  if (config.public_url.empty()) {
    config.public_url = "http://" + config.listen_host + ":" + std::to_string(config.listen_port);
  }
  if (config.allowed_hosts.empty()) {
    config.allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
    if (const std::string host = HostOf(config.public_url);
        std::find(config.allowed_hosts.begin(), config.allowed_hosts.end(), host) ==
        config.allowed_hosts.end()) {
      config.allowed_hosts.push_back(host);
    }
  }
  return config;
}

Result<Config> LoadCommandConfig(const std::string& env_flag) {
  return env_flag.empty() ? LoadConfig(ProcessEnvironment(), ".env", Dotenv::kIfPresent)
                          : LoadConfig(ProcessEnvironment(), env_flag, Dotenv::kRequired);
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

std::string Config::Describe() const {
  // A database URL may carry a password: show only the scheme and what follows the '@'.
  std::string db = database_url;
  if (const size_t at = db.rfind('@'); at != std::string::npos) {
    db = db.substr(0, db.find("://") + 3) + "***@" + db.substr(at + 1);
  }
  std::ostringstream out;
  out << "database=" << db << " listen=" << listen_host << ":" << listen_port
      << " public_url=" << public_url << " flows=" << flows_dir
      << " start_flow=" << (start_flow.empty() ? "(none)" : start_flow)
      << " reply_mode=" << (reply_mode == ReplyMode::kTwiml ? "twiml" : "rest")
      << " sqlite_sync=" << (sqlite_full_sync ? "full" : "normal")
      << " script_timeout=" << script_timeout.count() << "ms"
      << " log=" << (log_format == LogFormat::kJson ? "json" : "text") << "/"
      << (log_level == LogLevel::kDebug     ? "debug"
          : log_level == LogLevel::kInfo    ? "info"
          : log_level == LogLevel::kWarning ? "warn"
                                            : "error")
      << " event_timeout=" << event_timeout.count() << "ms"
      << " timer_grace="
      << (timer_grace ? std::to_string(timer_grace->count() / 1000) + "s" : "(none)")
      << (test_clock_file.empty() ? "" : " test_clock_file=" + test_clock_file)
      << " timer_poll=" << (timer_poll ? std::to_string(timer_poll->count()) + "ms" : "(default)")
      << " timer_lease=" << timer_lease.count() << "ms"
      << " sender_threads=" << sender_threads
      << " send_max_age=" << std::chrono::duration_cast<std::chrono::seconds>(send_max_age).count()
      << "s"
      << " send_retry="
      << std::chrono::duration_cast<std::chrono::milliseconds>(send_retry_min).count() << "ms.."
      << std::chrono::duration_cast<std::chrono::milliseconds>(send_retry_max).count() << "ms"
      << " send_rate=" << (send_rate.empty() ? "(defaults)" : send_rate)
      << " send_instances=" << send_instances
      << " signature_check=" << (validate_signature ? "on" : "OFF")
      << " twilio=" << (has_twilio_credentials() ? "credentials set" : "dry-run")
      << " auth_token=" << (twilio_auth_token.empty() ? "(unset)" : "(set)")
      << " api_secret=" << (twilio_api_secret.empty() ? "(unset)" : "(set)")
      << " secret_key=" << (secret_key.empty() ? "(unset)" : "(set)") << " admin_listen="
      << (admin_listen ? admin_listen->host + ":" + std::to_string(admin_listen->port)
                       : std::string("(same)"))
      << " admin_session=" << admin_session_idle.count() / 60000 << "m/"
      << admin_session_max.count() / 60000 << "m"
      << " history_days="
      << (history_days == 0 ? std::string("forever") : std::to_string(history_days));
  return out.str();
}

}  // namespace parley::app
