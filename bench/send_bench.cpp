// Issue 9's delivery benchmark (docs/benchmarks.md, "Delivery"): the outbox sender over the
// real Twilio REST client (libcurl, keep-alive) to the Twilio REST stand-in on loopback.
//
//   throughput: a prefilled outbox (--messages rows across --contacts contacts, no rate
//               limit) drained by OutboxSender; messages per second from Start() until the
//               outbox is empty (every result recorded). Goal: >= 5,000/s.
//   rate:       one sender number limited to --rate messages per second, a backlog well
//               beyond what it may send in --seconds (default 10; 60 for the full minute);
//               the rate the stand-in received them at, from its receive timestamps.
//               Goal: within 1% of the limit.
//
// SQLite (a file in a temp dir) by default, or a private PostgreSQL cluster (--db postgres).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "channel/outbox_sender.hpp"
#include "channel/send_rate.hpp"
#include "channel/twilio/twilio_channel.hpp"
#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/twilio_rest_standin.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;

constexpr char kOurNumber[] = "+15005550006";  // owned by the stand-in's account

struct Options {
  std::string mode = "both";
  std::string db = "sqlite";
  int messages = 50'000;
  int contacts = 10'000;
  int threads = 4;
  int batch = channel::OutboxSenderOptions{}.batch;  // the sender's default (256)
  double rate = 100;
  int seconds = 10;
};

// A fresh database: a SQLite file in `dir`, or a database of a private cluster.
struct Database {
  std::unique_ptr<testing::PgCluster> cluster;
  std::unique_ptr<store::Store> store;
};

Result<Database> OpenDatabase(const Options& o, const fs::path& dir, const std::string& name) {
  Database db;
  std::string url = "sqlite:" + (dir / (name + ".db")).string();
  if (o.db == "postgres") {
    auto cluster = testing::PgCluster::Start();
    if (!cluster.ok()) {
      return cluster.status();
    }
    db.cluster = std::move(*cluster);
    url = db.cluster->url();
  }
  auto store = store::OpenStore(url);
  if (!store.ok()) {
    return store.status();
  }
  db.store = std::move(*store);
  PARLEY_RETURN_IF_ERROR(db.store->Migrate());
  return db;
}

// Queues `messages` outbound rows from our number, round-robin over `contacts` contacts.
Status Prefill(store::Store& store, const Clock& clock, int messages, int contacts) {
  auto tx = store.Begin();
  if (!tx.ok()) {
    return tx.status();
  }
  std::vector<int64_t> ids;
  for (int c = 0; c < contacts; ++c) {
    store::ContactRecord init;
    init.address = "+1415" + std::to_string(2'000'000 + c);
    init.phone = init.address;
    init.channel = "sms";
    auto contact = (*tx)->LockContact(init);
    if (!contact.ok()) {
      return contact.status();
    }
    ids.push_back(contact->id);
  }
  for (int i = 0; i < messages; ++i) {
    const int c = i % contacts;
    store::MessageRecord m;
    m.contact_id = ids[c];
    m.direction = store::MessageRecord::Direction::kOutbound;
    m.from = kOurNumber;
    m.to = "+1415" + std::to_string(2'000'000 + c);
    m.body = "Thanks! We will check in again at 9:00. (" + std::to_string(i) + ")";
    m.status = store::MessageStatus::kQueued;
    m.created_at = clock.Now();
    PARLEY_RETURN_IF_ERROR((*tx)->EnqueueOutbound(m));
  }
  return (*tx)->Commit();
}

Result<std::unique_ptr<channel::TwilioChannel>> ChannelTo(const testing::TwilioRestStandin& s) {
  channel::TwilioChannelOptions o;
  o.api_base = s.base_url();
  o.account_sid = s.options().account_sid;
  o.auth_token = s.options().auth_token;
  o.senders.sms_from = kOurNumber;
  // No StatusCallback: the stand-in would post one per message to nobody.
  return channel::TwilioChannel::Create(std::move(o));
}

int Throughput(const Options& o, const fs::path& dir) {
  SystemClock clock;
  auto db = OpenDatabase(o, dir, "throughput");
  if (!db.ok()) {
    std::fprintf(stderr, "database: %s\n", db.status().ToString().c_str());
    return 1;
  }
  if (Status s = Prefill(*db->store, clock, o.messages, o.contacts); !s.ok()) {
    std::fprintf(stderr, "prefill: %s\n", s.ToString().c_str());
    return 1;
  }
  auto standin = testing::TwilioRestStandin::Start();
  auto channel = standin.ok() ? ChannelTo(**standin) : standin.status();
  if (!channel.ok()) {
    std::fprintf(stderr, "stand-in: %s\n", channel.status().ToString().c_str());
    return 1;
  }
  channel::OutboxSenderOptions so;
  so.threads = o.threads;
  so.batch = o.batch;
  so.rates = channel::SendRates::Parse("default=0").value();
  channel::OutboxSender sender(*db->store, **channel, clock, so);
  const auto start = std::chrono::steady_clock::now();
  sender.Start();
  sender.Wake();
  int64_t depth = o.messages;
  while (depth > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto stats = db->store->ReadOutboxStats();
    if (stats.ok()) {
      depth = stats->depth;
    }
    if (std::chrono::steady_clock::now() - start > std::chrono::minutes(5)) {
      std::fprintf(stderr, "gave up: %lld rows left\n", static_cast<long long>(depth));
      return 1;
    }
  }
  const double elapsed = Seconds(std::chrono::steady_clock::now() - start).count();
  sender.Stop();
  const size_t created = (*standin)->created().size();
  std::printf(
      "throughput (%s, %d sending threads): %d messages to %d contacts in %.2f s = %.0f "
      "messages/s; stand-in created %zu over %d connections (%llu opened by the client)\n",
      o.db.c_str(), o.threads, o.messages, o.contacts, elapsed, o.messages / elapsed, created,
      (*standin)->connections(), static_cast<unsigned long long>((*channel)->connections_opened()));
  return created == static_cast<size_t>(o.messages) ? 0 : 1;
}

int Rate(const Options& o, const fs::path& dir) {
  SystemClock clock;
  auto db = OpenDatabase(o, dir, "rate");
  if (!db.ok()) {
    std::fprintf(stderr, "database: %s\n", db.status().ToString().c_str());
    return 1;
  }
  // More than the window can take, over enough contacts that order never holds one back.
  const int backlog = static_cast<int>(o.rate * o.seconds * 1.2) + 100;
  if (Status s = Prefill(*db->store, clock, backlog, std::min(backlog, 2'000)); !s.ok()) {
    std::fprintf(stderr, "prefill: %s\n", s.ToString().c_str());
    return 1;
  }
  auto standin = testing::TwilioRestStandin::Start();
  auto channel = standin.ok() ? ChannelTo(**standin) : standin.status();
  if (!channel.ok()) {
    std::fprintf(stderr, "stand-in: %s\n", channel.status().ToString().c_str());
    return 1;
  }
  channel::OutboxSenderOptions so;
  so.threads = o.threads;
  so.rates =
      channel::SendRates::Parse(std::string(kOurNumber) + "=" + std::to_string(o.rate)).value();
  channel::OutboxSender sender(*db->store, **channel, clock, so);
  sender.Start();
  sender.Wake();
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  sender.Stop();
  std::vector<std::chrono::steady_clock::time_point> at;
  for (const auto& r : (*standin)->created()) {
    at.push_back(r.received_at);
  }
  std::sort(at.begin(), at.end());
  if (at.size() < 2) {
    std::fprintf(stderr, "only %zu messages sent\n", at.size());
    return 1;
  }
  // n messages span n - 1 intervals of 1/rate.
  const double span = Seconds(at.back() - at.front()).count();
  const double measured = static_cast<double>(at.size() - 1) / span;
  const double error = (measured - o.rate) / o.rate * 100;
  std::printf("rate (%s): limit %.0f/s, %zu messages in %.2f s = %.2f/s (%+.2f%%)\n", o.db.c_str(),
              o.rate, at.size(), span, measured, error);
  return std::abs(error) <= 1.0 ? 0 : 1;
}

}  // namespace
}  // namespace parley

int main(int argc, char** argv) {
  parley::Options o;
  CLI::App app(
      "parley delivery benchmark: the outbox sender over the REST client to the "
      "Twilio stand-in");
  app.add_option("--mode", o.mode, "throughput, rate or both")
      ->check(CLI::IsMember({"throughput", "rate", "both"}));
  app.add_option("--db", o.db, "sqlite or postgres")->check(CLI::IsMember({"sqlite", "postgres"}));
  app.add_option("--messages", o.messages, "throughput: outbox rows to drain");
  app.add_option("--contacts", o.contacts, "throughput: contacts they go to");
  app.add_option("--threads", o.threads, "sending threads (PARLEY_SENDER_THREADS)");
  app.add_option("--batch", o.batch, "most messages in hand, and so the largest claim");
  app.add_option("--rate", o.rate, "rate: the sender's limit, messages per second");
  app.add_option("--seconds", o.seconds, "rate: the window (60 for the full minute)");
  CLI11_PARSE(app, argc, argv);

  char templ[] = "/tmp/parley-send-bench-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    return 1;
  }
  const std::filesystem::path dir(templ);
  int rc = 0;
  if (o.mode != "rate") {
    rc |= parley::Throughput(o, dir);
  }
  if (o.mode != "throughput") {
    rc |= parley::Rate(o, dir);
  }
  std::filesystem::remove_all(dir);
  return rc;
}
