// parley_admin_bench: the admin console's contact pages under a big database (issue 11,
// "Performance"), on SQLite or a private PostgreSQL cluster: 1,000,000 contacts and
// 10,000,000 messages (bench/admin_seed.hpp), the real `parley serve`, an admin logged in
// over HTTP, then each page timed (median and p95 after a warm-up; one keep-alive
// connection, so the figures are the server's time plus a loopback round trip):
//   list        /admin/contacts, its first page and a keyset page half-way down
//   search      a full number, a partial number, a name that few contacts have, a name
//               fragment that many have, a two-letter fragment, a name nobody has
//   contact     the page of the contact with 1,000 messages: its newest transcript page
//               and one half-way back
// Targets: list and search < 50 ms, the contact page < 100 ms. Results go to stdout, one
// line per measure; docs/benchmarks.md records them.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "admin/accounts.hpp"
#include "bench/admin_seed.hpp"
#include "common/time.hpp"
#include "http/testing/client.hpp"
#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/serve_process.hpp"
#include "twilio/form.hpp"

namespace parley::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using http::testing::ClientResponse;

constexpr char kEmail[] = "bench@example.org";
constexpr char kPassword[] = "bench-password-1";

struct Options {
  std::string db = "sqlite";
  AdminSeed seed;
  int requests = 30;
  int warmup = 5;
  std::string sqlite_file;  // reused when it exists (a seeded database of the same size)
};

std::string CookieFrom(const ClientResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == "Set-Cookie" && v.starts_with(name + "=")) {
      return v.substr(0, v.find(';'));
    }
  }
  return "";
}

// Logs in through the form, as a browser does; the session cookie.
Result<std::string> Login(http::testing::Connection& c) {
  auto form = c.Send("GET", "/admin/login");
  if (!form.ok()) {
    return form.status();
  }
  std::smatch m;
  const std::regex re("name=\"csrf\" value=\"([0-9a-f]{64})\"");
  if (!std::regex_search(form->body, m, re)) {
    return Status::Internal("no CSRF token on the login page");
  }
  twilio::Form f;
  f.Add("csrf", m[1].str());
  f.Add("email", kEmail);
  f.Add("password", kPassword);
  auto r = c.Send("POST", "/admin/login",
                  {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Cookie", CookieFrom(*form, "parley_admin_login")}},
                  twilio::EncodeForm(f));
  if (!r.ok()) {
    return r.status();
  }
  const std::string cookie = CookieFrom(*r, "parley_admin");
  if (cookie.empty()) {
    return Status::Internal("login refused (" + std::to_string(r->status) + ")");
  }
  return cookie;
}

// Times `target`: warm-up requests, then `requests` timed ones. One output line.
bool Measure(http::testing::Connection& c, const std::string& cookie, const Options& o,
             const std::string& label, const std::string& target, double target_ms) {
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < o.warmup + o.requests; ++i) {
    const auto start = Steady::now();
    auto r = c.Send("GET", target, {{"Cookie", cookie}});
    const double took = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    if (!r.ok() || r->status != 200) {
      std::cerr << label << ": " << (r.ok() ? std::to_string(r->status) : r.status().ToString())
                << "\n";
      return false;
    }
    bytes = r->body.size();
    if (i >= o.warmup) {
      ms.push_back(took);
    }
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const double p95 = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  std::printf("  %-34s median %7.2f ms  p95 %7.2f ms  (target < %.0f ms%s; %zu bytes) %s\n",
              label.c_str(), median, p95, target_ms, median < target_ms ? "" : ": MISSED", bytes,
              target.c_str());
  std::fflush(stdout);
  return true;
}

std::string Encoded(const std::string& q) {
  twilio::Form f;
  f.Add("q", q);
  return twilio::EncodeForm(f);
}

int Run(const Options& o) {
  const fs::path dir =
      fs::temp_directory_path() / ("parley-admin-bench-" + std::to_string(getpid()));
  fs::create_directories(dir / "flows");
  fs::copy_file(fs::path(TEST_SOURCE_DIR) / "examples/checkin/checkin.json",
                dir / "flows/checkin.json");
  std::unique_ptr<testing::PgCluster> cluster;
  const std::string file =
      o.sqlite_file.empty() ? (dir / "admin.db").string() : fs::absolute(o.sqlite_file).string();
  const bool reuse = o.db == "sqlite" && !o.sqlite_file.empty() && fs::exists(file);
  std::string url = "sqlite:" + file;
  if (o.db == "postgres") {
    auto c = testing::PgCluster::Start(/*durable=*/false);
    if (!c.ok()) {
      std::cerr << c.status().ToString() << "\n";
      return 1;
    }
    cluster = std::move(*c);
    url = cluster->url();
    std::cout << "  cluster: " << url << std::endl;  // for psql while it runs
  }
  std::cout << "admin_bench db=" << o.db << " contacts=" << o.seed.contacts
            << " messages=" << o.seed.messages << (reuse ? " (reused)" : "") << std::endl;
  {
    auto store = store::OpenStore(url);
    if (!store.ok() || !(*store)->Migrate().ok()) {
      std::cerr << "cannot migrate " << url << "\n";
      return 1;
    }
    if (!reuse) {
      const auto start = Steady::now();
      Status seeded = SeedAdmin(url, o.seed, [&](const std::string& step) {
        std::cout << "  seeded " << step << " ("
                  << std::chrono::duration<double>(Steady::now() - start).count() << " s)"
                  << std::endl;
      });
      if (!seeded.ok()) {
        std::cerr << seeded.ToString() << "\n";
        return 1;
      }
    }
    SystemClock clock;
    admin::Accounts accounts((*store)->admin(), clock, admin::PasswordCost::Minimum());
    auto user = accounts.CreateUser(kEmail, admin::Role::kAdmin, kPassword, {"cli", ""});
    if (!user.ok() && user.status().code() != StatusCode::kFailedPrecondition) {
      std::cerr << user.status().ToString() << "\n";
      return 1;
    }
  }
  auto server = testing::ServeProcess::Start(PARLEY_BINARY, dir.string(),
                                             {{"DATABASE_URL", url}, {"PARLEY_FLOWS", "flows"}});
  if (!server.ok()) {
    std::cerr << server.status().ToString() << "\n";
    return 1;
  }
  auto conn =
      http::testing::Connection::Open("127.0.0.1", (*server)->port(), std::chrono::seconds(60));
  if (!conn.ok()) {
    std::cerr << conn.status().ToString() << "\n";
    return 1;
  }
  auto cookie = Login(*conn);
  if (!cookie.ok()) {
    std::cerr << cookie.status().ToString() << "\n";
    return 1;
  }
  const int64_t probe = o.seed.contacts * 3 / 10 + 7;  // any contact: its number is searched
  const std::string number = AdminSeedPhone(probe);
  const int64_t heavy = HeavyContact(o.seed);
  const int64_t stride = o.seed.messages / 1000;  // the heavy contact's message ids
  struct Case {
    std::string label;
    std::string target;
    double target_ms;
  };
  const std::vector<Case> cases = {
      {"list: first page", "/admin/contacts", 50},
      {"list: keyset page half-way",
       "/admin/contacts?before=" + std::to_string(o.seed.contacts / 2), 50},
      {"search: full number", "/admin/contacts?" + Encoded(number), 50},
      {"search: partial number (7 digits)", "/admin/contacts?" + Encoded(number.substr(5)), 50},
      {"search: name, few (Quarterm)", "/admin/contacts?" + Encoded("Quarterm"), 50},
      {"search: name, many (mar)", "/admin/contacts?" + Encoded("mar"), 50},
      {"search: two letters (an)", "/admin/contacts?" + Encoded("an"), 50},
      {"search: nobody (Xylophone)", "/admin/contacts?" + Encoded("Xylophone"), 50},
      {"contact page (1,000 messages)", "/admin/contacts/" + std::to_string(heavy), 100},
      {"contact page, transcript half-way",
       "/admin/contacts/" + std::to_string(heavy) + "?before=" + std::to_string(stride * 500), 100},
  };
  for (const Case& c : cases) {
    if (!Measure(*conn, *cookie, o, c.label, c.target, c.target_ms)) {
      return 1;
    }
  }
  (void)(*server)->Stop(SIGTERM);
  if (o.sqlite_file.empty()) {
    fs::remove_all(dir);
  } else {
    fs::remove_all(dir / "flows");
  }
  return 0;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  parley::bench::Options o;
  CLI::App app{"parley_admin_bench: the admin's contact pages over a big database"};
  app.add_option("--db", o.db, "sqlite or postgres")->check(CLI::IsMember({"sqlite", "postgres"}));
  app.add_option("--contacts", o.seed.contacts, "contacts to seed");
  app.add_option("--messages", o.seed.messages, "messages to seed (a multiple of 1,000)");
  app.add_option("--requests", o.requests, "timed requests per measure");
  app.add_option("--warmup", o.warmup, "untimed requests first");
  app.add_option("--sqlite-file", o.sqlite_file,
                 "SQLite: keep the database here and reuse it on the next run (same sizes)");
  CLI11_PARSE(app, argc, argv);
  return parley::bench::Run(o);
}
