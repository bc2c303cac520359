// flow_page_bench: the admin's flow page (issue 11, "Performance": a flow page with per-state
// numbers for a 500-state flow in < 200 ms), on SQLite or a private PostgreSQL cluster.
//
// Seeds a 500-state flow (a chain with a back edge from every state: 999 edges), --sessions
// active sessions spread over its states and --transitions recorded transitions spread over
// the last 30 days (through the Store's own batch writes), rolls them up as `parley serve`'s
// job would have (up to two minutes ago), then renders the whole page (admin/web FlowPage:
// live sessions per state, the 7-day per-state numbers, revisions, the
// SVG graph, the table, the layout) --runs times, and prints the median and the slowest.
// docs/benchmarks.md records the figures.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "admin/web/pages.hpp"
#include "conversation/flow_catalog.hpp"
#include "flow/loader.hpp"
#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"

namespace parley::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

struct Options {
  std::string db = "sqlite";
  int states = 500;
  int sessions = 50'000;
  int64_t transitions = 1'000'000;
  int runs = 20;
  int days = 7;  // the page's period: today and the days - 1 before
};

std::string State(int i) { return "STATE_" + std::to_string(i); }

// A chain STATE_0 → STATE_1 → ... with, from every state, a back edge to an earlier one.
std::string BigFlow(int n) {
  std::string states;
  for (int i = 0; i < n; ++i) {
    std::string edges;
    if (i + 1 < n) {
      edges = "{\"name\": \"@" + State(i + 1) + "\", \"condition\": \"yes\"}";
      edges += ", {\"name\": \"@" + State(i / 2) + "\", \"condition\": \"no\"}";
    }
    states += std::string(i ? ",\n" : "") + "{\"name\": \"" + State(i) +
              "\", \"enter\": {\"send\": \"q" + std::to_string(i) + "\"}, \"states\": [" + edges +
              "]}";
  }
  return "{\"flow\": \"big\", \"states\": [" + states + "]}";
}

TimePoint Now() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }

Status Seed(store::Store& store, const Options& o, TimePoint now) {
  PARLEY_RETURN_IF_ERROR(store.SaveFlow({"big", "rev-1", "{}", now}));
  // One contact per session; sessions and their transitions through batches of events.
  constexpr int kPerBatch = 5'000;
  int64_t written = 0;
  for (int c = 0; c < o.sessions; c += kPerBatch) {
    auto batch = store.BeginBatch();
    if (!batch.ok()) return batch.status();
    std::vector<store::ContactRecord> inits;
    for (int i = c; i < std::min(o.sessions, c + kPerBatch); ++i) {
      store::ContactRecord r;
      r.address = "+1555" + std::to_string(1'000'000 + i);
      r.phone = r.address;
      r.created_at = now;
      inits.push_back(r);
    }
    PARLEY_RETURN_IF_ERROR((*batch)->LockContacts(inits));
    auto event = (*batch)->BeginEvent();
    if (!event.ok()) return event.status();
    const int64_t per_session = o.transitions / o.sessions;
    for (const store::ContactRecord& init : inits) {
      auto contact = (*event)->LockContact(init);
      if (!contact.ok()) return contact.status();
      const int i = static_cast<int>(contact->id);
      store::SessionRecord s;
      s.contact_id = contact->id;
      s.flow_revision = "rev-1";
      s.session.flow_id = "big";
      s.session.state = State(i % o.states);
      s.session.status = flow::SessionStatus::kActive;
      s.started_at = now;
      s.updated_at = now;
      PARLEY_RETURN_IF_ERROR((*event)->SaveSession(s));
      for (int64_t k = 0; k < per_session; ++k, ++written) {
        store::TransitionRecord t;
        t.session_id = s.id;
        t.contact_id = s.contact_id;
        t.flow_id = "big";
        t.flow_revision = "rev-1";
        const int from = static_cast<int>((written * 7) % o.states);
        t.from_state = State(from);
        t.to_state = State((from + 1) % o.states);
        t.edge_index = 0;
        t.edge_label = "yes";
        t.event = "inbound";
        t.at = now - std::chrono::seconds(written * 30 * 86'400 / o.transitions);
        PARLEY_RETURN_IF_ERROR((*event)->RecordTransition(t));
      }
    }
    PARLEY_RETURN_IF_ERROR((*event)->Commit());
    PARLEY_RETURN_IF_ERROR((*batch)->Commit());
  }
  std::cout << "  seeded " << o.sessions << " sessions, " << written << " transitions\n";
  // What the rollup job (app/transition_rollup.hpp) has done by now in a running server:
  // everything up to its lag rolled up, so the page sees the steady state.
  const auto start = Steady::now();
  int steps = 0;
  for (;;) {
    auto step =
        store.admin().RollUpTransitions(now - std::chrono::minutes(2), std::chrono::hours(6));
    if (!step.ok()) return step.status();
    ++steps;
    if (step->caught_up) break;
  }
  std::cout << "  rolled up in " << steps << " steps, "
            << std::chrono::duration<double>(Steady::now() - start).count() << " s\n";
  return Status::Ok();
}

int Run(const Options& o) {
  const fs::path dir =
      fs::temp_directory_path() / ("parley-flow-page-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::unique_ptr<testing::PgCluster> cluster;
  std::string url = "sqlite:" + (dir / "flows.db").string();
  if (o.db == "postgres") {
    auto c = testing::PgCluster::Start(true);
    if (!c.ok()) {
      std::cerr << c.status().ToString() << "\n";
      return 1;
    }
    cluster = std::move(*c);
    url = cluster->url();
  }
  auto store = store::OpenStore(url);
  if (!store.ok() || !(*store)->Migrate().ok()) {
    std::cerr << "cannot open or migrate " << url << "\n";
    return 1;
  }
  flow::CompileOptions compile;
  compile.revision = "rev-1";
  const flow::CompileResult compiled = flow::Compile(BigFlow(o.states), compile);
  if (!compiled.flow) {
    std::cerr << "the generated flow does not compile\n";
    return 1;
  }
  auto catalog = conversation::FlowCatalog::Build({compiled.flow});
  if (!catalog.ok()) return 1;
  const TimePoint now = Now();
  std::cout << "flow_page_bench db=" << o.db << " states=" << o.states
            << " edges=" << compiled.flow->EdgeCount() << "\n";
  if (Status s = Seed(**store, o, now); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  const ManualClock clock(now);
  http::Request request;
  request.method = "GET";
  request.path = "/admin/flows/big";
  request.query = "days=" + std::to_string(o.days);
  request.path_params = {{"id", "big"}};
  admin::Principal who;
  who.email = "bench@example.org";
  who.role = admin::Role::kAdmin;
  who.csrf_token = std::string(64, 'a');
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < o.runs; ++i) {
    const auto start = Steady::now();
    auto page = admin::web::FlowPage(**store, clock, catalog->get(), request, who);
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
    if (!page.ok() || page->status != 200) {
      std::cerr << "the page failed\n";
      return 1;
    }
    bytes = page->body.size();
  }
  std::sort(ms.begin(), ms.end());
  std::cout << "  flow page (" << o.days << " days): median " << ms[ms.size() / 2]
            << " ms, slowest " << ms.back() << " ms, " << bytes / 1024 << " KiB\n";
  // The page's two per-state queries alone: the period's numbers (rollup + the transitions
  // since its watermark) and the live sessions.
  const TimePoint since =
      std::chrono::floor<std::chrono::days>(now) - std::chrono::days(o.days - 1);
  const auto median_of = [&](const auto& call) {
    std::vector<double> t;
    for (int i = 0; i < o.runs; ++i) {
      const auto start = Steady::now();
      call();
      t.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  };
  std::cout << "  of which the period's numbers: median "
            << median_of([&] { (void)(*store)->admin().FlowStateStats("big", since); })
            << " ms; the live sessions: median "
            << median_of([&] { (void)(*store)->ActiveSessionStates("big"); }) << " ms\n";
  store->reset();
  cluster.reset();
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  parley::bench::Options o;
  CLI::App app("The admin's flow page over a 500-state flow (issue 11)");
  app.add_option("--db", o.db, "sqlite or postgres")->check(CLI::IsMember({"sqlite", "postgres"}));
  app.add_option("--states", o.states, "States of the generated flow");
  app.add_option("--sessions", o.sessions, "Active sessions");
  app.add_option("--transitions", o.transitions, "Recorded transitions over 30 days");
  app.add_option("--runs", o.runs, "Page renders measured");
  app.add_option("--days", o.days, "The page's period in days (1 to 365)")
      ->check(CLI::Range(1, 365));
  CLI11_PARSE(app, argc, argv);
  return parley::bench::Run(o);
}
