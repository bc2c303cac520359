// parley_load: the webhook load harness (docs/benchmarks.md has the figures and the command).
//
// Drives many contacts through the check-in flow with signed, unique Twilio webhooks and
// reports throughput and latency percentiles. In one run, on one database backend:
//   full     the `parley serve` binary (a child process) over HTTP, closed loop: each
//            connection sends its next webhook as soon as the last is answered
//   paced    the same server at a fixed offered rate (open loop; latency is measured from
//            each request's scheduled time, so a stall is not hidden)
//   noop     ceiling 1: the same HTTP server code in-process answering a signed no-op
//            (decode the form, check the signature, answer <Response/>), no database
//   direct   ceiling 2: the same writes without HTTP, through the same Runtime (pipeline and
//            as many threads as connections
// plus the server's resident memory when idle (after startup, before any load).
//
// The generator runs on the same machine as the server, as the targets ask; it uses plain
// blocking sockets and pre-sized buffers so that it costs the server as little CPU as can be.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "app/runtime.hpp"
#include "conversation/event.hpp"
#include "http/server.hpp"
#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/serve_process.hpp"
#include "twilio/form.hpp"
#include "twilio/signature.hpp"
#include "twilio/twiml.hpp"

namespace parley::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "load-auth-token";
constexpr char kPublicUrl[] = "https://parley.example.com";
constexpr char kPath[] = "/twilio/messages";
constexpr char kOurNumber[] = "+15005550006";

struct Options {
  std::string db = "sqlite";
  int connections = 32;
  int contacts_per_connection = 50;
  double seconds = 10;
  double paced_rate = 2000;
  int workers = 0;  // PARLEY_WORKERS of the server; 0: its default
  std::string reply_mode = "rest";
  std::string sqlite_sync = "full";  // PARLEY_SQLITE_SYNC of the server and the direct run
  bool pg_durable = true;            // the cluster's fsync and synchronous_commit
  int lanes = 0;                     // PARLEY_PIPELINE_LANES; 0: the server's default
  std::string binary = PARLEY_BINARY;
  // The flow the load drives; an older build may need the flow file of its own release.
  std::string flow = std::string(TEST_SOURCE_DIR) + "/examples/checkin/checkin.json";
};

// The check-in conversation each contact goes through, then small talk in WAITING (each
// message still takes the whole path: lock, dedupe, step, otherwise reply, commit).
const std::vector<std::string>& Script() {
  static const std::vector<std::string> script = {"JOIN", "yes", "Ana", "hello", "how are you"};
  return script;
}

std::string Phone(int connection, int contact) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+1555%03d%04d", connection, contact);
  return buf;
}

// One webhook: the form body and its signature.
struct Webhook {
  std::string body;
  std::string signature;
};

Webhook MakeWebhook(const std::string& from, const std::string& text, uint64_t sid) {
  twilio::Form form;
  char sid_text[40];
  std::snprintf(sid_text, sizeof sid_text, "SM%032" PRIx64, sid);
  form.Add("ToCountry", "US");
  form.Add("SmsMessageSid", sid_text);
  form.Add("NumMedia", "0");
  form.Add("SmsSid", sid_text);
  form.Add("SmsStatus", "received");
  form.Add("Body", text);
  form.Add("FromCountry", "US");
  form.Add("To", kOurNumber);
  form.Add("NumSegments", "1");
  form.Add("MessageSid", sid_text);
  form.Add("AccountSid", "AC0123456789abcdef0123456789abcdef");
  form.Add("From", from);
  form.Add("ApiVersion", "2010-04-01");
  return {twilio::EncodeForm(form),
          twilio::ComputeSignature(kToken, std::string(kPublicUrl) + kPath, form)};
}

std::atomic<uint64_t> next_sid{1};

struct Latencies {
  std::vector<double> ms;
  uint64_t errors = 0;
};

// A keep-alive connection with a minimal HTTP/1.1 exchange (the harness's own CPU matters).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect failed");
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() { close(fd_); }

  // Sends the webhook; returns the HTTP status, or 0 on a transport error.
  int Post(const Webhook& w) {
    request_.clear();
    request_ += "POST ";
    request_ += kPath;
    request_ +=
        " HTTP/1.1\r\nHost: parley.example.com\r\nContent-Type: "
        "application/x-www-form-urlencoded\r\nUser-Agent: TwilioProxy/1.1\r\nX-Twilio-Signature: ";
    request_ += w.signature;
    request_ += "\r\nContent-Length: ";
    request_ += std::to_string(w.body.size());
    request_ += "\r\n\r\n";
    request_ += w.body;
    for (size_t sent = 0; sent < request_.size();) {
      const ssize_t n = send(fd_, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return 0;
      }
      sent += static_cast<size_t>(n);
    }
    response_.clear();
    size_t header_end = std::string::npos;
    size_t want = 0;
    char buf[4096];
    while (true) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        return 0;
      }
      response_.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos) {
        header_end = response_.find("\r\n\r\n");
        if (header_end == std::string::npos) {
          continue;
        }
        const size_t cl = response_.find("Content-Length: ");
        want = header_end + 4 +
               (cl < header_end ? std::strtoul(response_.c_str() + cl + 16, nullptr, 10) : 0);
      }
      if (response_.size() >= want) {
        return std::atoi(response_.c_str() + 9);
      }
    }
  }

 private:
  int fd_ = -1;
  std::string request_;
  std::string response_;
};

struct Result {
  std::string name;
  double seconds = 0;
  uint64_t requests = 0;
  Latencies latencies;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

void Print(Result& r) {
  auto& v = r.latencies.ms;
  const double p50 = Percentile(v, 0.50);
  const double p99 = Percentile(v, 0.99);
  const double p999 = Percentile(v, 0.999);
  std::printf("| %-34s | %9.0f | %8.2f | %8.2f | %8.2f | %6" PRIu64 " |\n", r.name.c_str(),
              static_cast<double>(r.requests) / r.seconds, p50, p99, p999, r.latencies.errors);
  std::fflush(stdout);
}

// Each of `connections` threads owns its contacts and walks them through the script, one
// webhook at a time per contact. `interval` > 0: open loop, one request per interval per
// thread, latency from the scheduled send time.
Result DriveHttp(const std::string& name, uint16_t port, int connections, int contacts,
                 double seconds, int generation, Clock::duration interval = {}) {
  std::vector<Latencies> per_thread(static_cast<size_t>(connections));
  std::vector<uint64_t> counts(static_cast<size_t>(connections));
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      RawConnection conn(port);
      std::vector<size_t> step(static_cast<size_t>(contacts), 0);
      auto& lat = per_thread[static_cast<size_t>(t)];
      auto scheduled = start + interval * t / std::max(1, connections);
      for (uint64_t i = 0;; ++i) {
        if (interval.count() > 0) {
          std::this_thread::sleep_until(scheduled);
        }
        const auto sent_at = interval.count() > 0 ? scheduled : Clock::now();
        if (sent_at >= end) {
          break;
        }
        const int c = static_cast<int>(i % static_cast<uint64_t>(contacts));
        auto& s = step[static_cast<size_t>(c)];
        const auto& script = Script();
        const std::string& text = script[std::min(s, script.size() - 1) + 0];
        s = s + 1 < script.size() ? s + 1 : 3;  // after the opening, alternate small talk
        const Webhook w = MakeWebhook(Phone(t + 100 * generation, c), text, next_sid++);
        const int status = conn.Post(w);
        const auto done = Clock::now();
        if (status != 200) {
          ++lat.errors;
        }
        lat.ms.push_back(std::chrono::duration<double, std::milli>(done - sent_at).count());
        ++counts[static_cast<size_t>(t)];
        scheduled += interval;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  Result r{name, std::chrono::duration<double>(Clock::now() - start).count(), 0, {}};
  for (size_t t = 0; t < per_thread.size(); ++t) {
    r.requests += counts[t];
    r.latencies.errors += per_thread[t].errors;
    r.latencies.ms.insert(r.latencies.ms.end(), per_thread[t].ms.begin(), per_thread[t].ms.end());
  }
  return r;
}

// Ceiling 2: the same events through the same Runtime (pipeline, sender), no HTTP: each
// thread submits its next event when the last one is durable.
Result DriveDirect(const app::Config& config, int threads_n, int contacts, double seconds) {
  SystemClock clock;
  auto runtime = app::Runtime::Open(config, clock);
  if (!runtime.ok()) {
    throw std::runtime_error(runtime.status().ToString());
  }
  app::Runtime& rt = **runtime;
  rt.Start();
  std::vector<Latencies> per_thread(static_cast<size_t>(threads_n));
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      std::vector<size_t> step(static_cast<size_t>(contacts), 0);
      auto& lat = per_thread[static_cast<size_t>(t)];
      for (uint64_t i = 0; Clock::now() < end; ++i) {
        const int c = static_cast<int>(i % static_cast<uint64_t>(contacts));
        auto& s = step[static_cast<size_t>(c)];
        conversation::InboundMessage m;
        m.to = kOurNumber;
        char sid[40];
        std::snprintf(sid, sizeof sid, "SM%032" PRIx64, next_sid++);
        m.message_sid = sid;
        m.body = Script()[s];
        s = s + 1 < Script().size() ? s + 1 : 3;
        const auto t0 = Clock::now();
        auto outcome = rt.pipeline().Run({{"sms", Phone(t + 900, c), Phone(t + 900, c)},
                                          std::move(m),
                                          conversation::ReplyMode::kQueued});
        if (!outcome.ok()) {
          ++lat.errors;
        }
        lat.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  Result r{"direct: same writes, no HTTP",
           std::chrono::duration<double>(Clock::now() - start).count(),
           0,
           {}};
  for (auto& l : per_thread) {
    r.requests += l.ms.size();
    r.latencies.errors += l.errors;
    r.latencies.ms.insert(r.latencies.ms.end(), l.ms.begin(), l.ms.end());
  }
  return r;
}

// Ceiling 1: parley's HTTP server in-process, answering a signed no-op.
Result DriveNoop(int connections, int contacts, double seconds) {
  http::Router router;
  router.Add("POST", kPath, [](const http::Request& req) {
    auto form = twilio::DecodeForm(req.body);
    const bool ok =
        form.ok() && twilio::VerifySignature(kToken, std::string(kPublicUrl) + req.target, *form,
                                             req.Header("X-Twilio-Signature"));
    http::Response r;
    r.status = ok ? 200 : 403;
    r.content_type = "text/xml";
    r.body = twilio::RenderTwiml({});
    return r;
  });
  http::ServerOptions o;
  o.port = 0;
  o.allowed_hosts = {"parley.example.com"};
  http::Server server(o, std::move(router));
  if (!server.Start().ok()) {
    throw std::runtime_error("cannot start the no-op server");
  }
  Result r = DriveHttp("noop: HTTP + signature, no database", server.port(), connections, contacts,
                       seconds, 50);
  server.Stop();
  return r;
}

// The server's /metrics text (a plain GET on a fresh connection), or "" on failure.
std::string ScrapeMetrics(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: parley.example.com\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[8192];
      ssize_t n = 0;
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        out.append(buf, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  return out;
}

// The value of the first metric line starting with `name ` in `metrics`, or -1.
double MetricValue(const std::string& metrics, const std::string& name) {
  const size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1
                                 : std::strtod(metrics.c_str() + at + name.size() + 2, nullptr);
}

// Every `name{label="value"} number` line of `metrics`: value -> number.
std::map<std::string, double> LabelledValues(const std::string& metrics, const std::string& name,
                                             const std::string& label) {
  std::map<std::string, double> out;
  const std::string prefix = "\n" + name + "{" + label + "=\"";
  for (size_t at = metrics.find(prefix); at != std::string::npos;
       at = metrics.find(prefix, at + 1)) {
    const size_t value_at = at + prefix.size();
    const size_t quote = metrics.find('"', value_at);
    const size_t space = metrics.find("} ", quote);
    if (quote == std::string::npos || space == std::string::npos) {
      break;
    }
    out[metrics.substr(value_at, quote - value_at)] =
        std::strtod(metrics.c_str() + space + 2, nullptr);
  }
  return out;
}

// What a message cost the database in the full run, statement by statement: the server's
// per-query counters divided by the messages it took (docs/operations.md, metrics).
void PrintQueryCosts(const std::string& metrics) {
  const double messages = MetricValue(metrics, "parley_inbound_messages_total");
  if (messages <= 0) {
    return;
  }
  auto calls = LabelledValues(metrics, "parley_db_queries_total", "query");
  auto nanos = LabelledValues(metrics, "parley_db_query_nanoseconds_total", "query");
  // BEGIN and COMMIT are calls of their own kind (parley_db_call_duration_seconds).
  const std::string h = "parley_db_call_duration_seconds";
  const auto sums = LabelledValues(metrics, h + "_sum", "call");
  const auto counts = LabelledValues(metrics, h + "_count", "call");
  for (const char* kind : {"begin", "commit"}) {
    if (sums.contains(kind) && counts.contains(kind)) {
      const std::string name = std::string("(") + kind + ")";
      nanos[name] = sums.at(kind) * 1e9;
      calls[name] = counts.at(kind);
    }
  }
  std::vector<std::pair<double, std::string>> rows;
  double total = 0;
  for (const auto& [query, ns] : nanos) {
    rows.emplace_back(ns / messages / 1000, query);
    total += ns / messages / 1000;
  }
  std::sort(rows.rbegin(), rows.rend());
  std::printf(
      "\ndatabase time per message, full run (wall time on the connections, all threads; %.0f "
      "messages):\n\n",
      messages);
  std::printf("| %-28s | %10s | %9s | %9s |\n", "statement", "us/message", "calls/msg", "us/call");
  std::printf("|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(12, '-').c_str(),
              std::string(11, '-').c_str(), std::string(11, '-').c_str());
  for (const auto& [us, query] : rows) {
    if (us < 0.5) {
      continue;
    }
    const auto c = calls.find(query);
    const double per_message = c != calls.end() ? c->second / messages : 0;
    std::printf("| %-28s | %10.1f | %9.2f | %9.1f |\n", query.c_str(), us, per_message,
                per_message > 0 ? us / per_message : 0.0);
  }
  std::printf("| %-28s | %10.1f | %9s | %9s |\n", "total", total, "", "");
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

int Run(const Options& o) {
  const fs::path dir = fs::temp_directory_path() / ("parley-load-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  fs::copy_file(o.flow, dir / "flows/checkin.json");
  std::unique_ptr<testing::PgCluster> cluster;
  std::string url = "sqlite:" + (dir / "load.db").string();
  std::string direct_url = "sqlite:" + (dir / "direct.db").string();
  if (o.db == "postgres") {
    auto c = testing::PgCluster::Start(o.pg_durable);
    if (!c.ok()) {
      std::cerr << c.status().ToString() << "\n";
      return 1;
    }
    cluster = std::move(*c);
    url = cluster->url();
    direct_url = *cluster->CreateDatabase("direct");
  }
  // The server migrates its own database as it starts (so `--binary` may be an older build
  // with an older schema); the direct run's is migrated here.
  {
    auto store = store::OpenStore(direct_url);
    if (!store.ok() || !(*store)->Migrate().ok()) {
      std::cerr << "cannot migrate " << direct_url << "\n";
      return 1;
    }
  }
  auto server = testing::ServeProcess::Start(o.binary, dir.string(),
                                             {{"DATABASE_URL", url},
                                              {"PARLEY_FLOWS", "flows"},
                                              {"TWILIO_AUTH_TOKEN", kToken},
                                              {"PUBLIC_URL", kPublicUrl},
                                              {"ALLOWED_HOSTS", "parley.example.com"},
                                              {"PARLEY_WORKERS", std::to_string(o.workers)},
                                              {"PARLEY_REPLY_MODE", o.reply_mode},
                                              {"PARLEY_SQLITE_SYNC", o.sqlite_sync},
                                              {"PARLEY_PIPELINE_LANES", std::to_string(o.lanes)}});
  if (!server.ok()) {
    std::cerr << server.status().ToString() << "\n";
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long idle_kb = RssKb((*server)->pid());

  std::printf("\nparley_load: %s (%s), %d connections x %d contacts, %.0f s per run, %u cores\n\n",
              o.db.c_str(),
              o.db == "sqlite" ? ("synchronous=" + o.sqlite_sync).c_str()
                               : (o.pg_durable ? "fsync=on, synchronous_commit=on" : "fsync=off"),
              o.connections, o.contacts_per_connection, o.seconds,
              std::thread::hardware_concurrency());
  std::printf("| %-34s | %9s | %8s | %8s | %8s | %6s |\n", "run", "msg/s", "p50 ms", "p99 ms",
              "p99.9 ms", "errors");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(11, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(),
              std::string(10, '-').c_str(), std::string(8, '-').c_str());
  Result full = DriveHttp("full: parley serve, closed loop", (*server)->port(), o.connections,
                          o.contacts_per_connection, o.seconds, 0);
  Print(full);
  const std::string metrics = ScrapeMetrics((*server)->port());
  const double batches = MetricValue(metrics, "parley_pipeline_batch_size_count");
  const double batched = MetricValue(metrics, "parley_pipeline_batch_size_sum");
  // Every commit on the database, the pipeline's batches among them; on SQLite the rest
  // (the sender's bookkeeping, mostly) share the one connection with the batches.
  const double commits =
      MetricValue(metrics, "parley_db_call_duration_seconds_count{call=\"commit\"}");
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(o.connections / o.paced_rate));
  char paced_name[64];
  std::snprintf(paced_name, sizeof paced_name, "paced: parley serve at %.0f msg/s", o.paced_rate);
  Result paced = DriveHttp(paced_name, (*server)->port(), o.connections, o.contacts_per_connection,
                           o.seconds, 1, interval);
  Print(paced);
  const long loaded_kb = RssKb((*server)->pid());
  (void)(*server)->Stop(SIGTERM);
  Result noop = DriveNoop(o.connections, o.contacts_per_connection, o.seconds);
  Print(noop);
  app::Config direct_config;
  direct_config.database_url = direct_url;
  direct_config.flows_dir = (dir / "flows").string();
  direct_config.sqlite_full_sync = o.sqlite_sync == "full";
  direct_config.pipeline_lanes = o.lanes;
  Result direct = DriveDirect(direct_config, o.connections, o.contacts_per_connection, o.seconds);
  Print(direct);
  std::printf("\nserver memory: idle %.1f MB, after load %.1f MB (VmRSS)\n", idle_kb / 1024.0,
              loaded_kb / 1024.0);
  if (batches > 0) {
    std::printf("pipeline, full run: %.0f batches, %.1f events per batch on average\n", batches,
                batched / batches);
    if (commits > 0) {
      std::printf(
          "database commits, full run: %.0f (%.0f besides the batches: the sender's, "
          "%.3f per message)\n",
          commits, commits - batches, (commits - batches) / batched);
    }
  }
  PrintQueryCosts(metrics);
  cluster.reset();
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  parley::bench::Options o;
  CLI::App app{"parley_load: webhook load harness"};
  app.add_option("--db", o.db, "sqlite or postgres (a private cluster is started)")
      ->check(CLI::IsMember({"sqlite", "postgres"}));
  app.add_option("--connections", o.connections, "concurrent keep-alive connections");
  app.add_option("--contacts", o.contacts_per_connection, "contacts per connection");
  app.add_option("--seconds", o.seconds, "duration of each run");
  app.add_option("--rate", o.paced_rate, "offered rate of the paced run, messages/s");
  app.add_option("--binary", o.binary, "the parley binary");
  app.add_option("--flow", o.flow, "the flow file (its triggers must include JOIN)")
      ->check(CLI::ExistingFile);
  app.add_option("--workers", o.workers, "the server's PARLEY_WORKERS (0: its default)");
  app.add_option("--reply-mode", o.reply_mode, "rest (outbox + dry-run sender) or twiml")
      ->check(CLI::IsMember({"rest", "twiml"}));
  app.add_option("--sqlite-sync", o.sqlite_sync, "full (fsync per commit) or normal")
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--pg-durable", o.pg_durable,
                 "PostgreSQL fsync and synchronous_commit on (true) or off (false)");
  app.add_option("--lanes", o.lanes, "the server's PARLEY_PIPELINE_LANES (0: its default)");
  CLI11_PARSE(app, argc, argv);
  return parley::bench::Run(o);
}
