// Conformance, continued: the per-contact lock, concurrent migrations, an unreachable or
// vanishing PostgreSQL, and (disabled by default) the cost of a typical event.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/json.hpp"
#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::steady_clock;

// Begin, lock the contact, read the counter of its session, write counter + 1, commit.
Status Increment(Store& store, const std::string& address) {
  auto txn = store.Begin();
  if (!txn.ok()) {
    return txn.status();
  }
  ContactRecord init;
  init.address = address;
  init.phone = address;
  auto contact = (*txn)->LockContact(init);
  if (!contact.ok()) {
    return contact.status();
  }
  auto session = (*txn)->ActiveSession(contact->id);
  if (!session.ok()) {
    return session.status();
  }
  if (!session->has_value()) {
    return Status::Internal("no active session");
  }
  SessionRecord& s = **session;
  const json::Value* counter = s.session.vars.Find("counter");
  s.session.vars.Set("counter", json::Value(counter->as_number() + 1));
  ++s.session.step;
  PARLEY_RETURN_IF_ERROR((*txn)->SaveSession(s));
  return (*txn)->Commit();
}

}  // namespace

TEST_P(StoreTest, PerContactLockSerializesTransactions) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 25;
  const std::string address = "+15551230020";
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, address));
  {
    SessionRecord s = NewSession(c.id, flow::SessionStatus::kActive);
    s.session.vars.Set("counter", json::Value(0));
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->Commit());
  }
  ConnectOptions options;
  options.pool_size = kThreads;
  ASSERT_OK_AND_ASSIGN(auto store, Open(options));
  std::vector<std::thread> threads;
  std::vector<Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        Status s = Increment(*store, address);
        if (!s.ok()) {
          failures[t] = s;
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (const Status& s : failures) {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_OK_AND_ASSIGN(auto latest, store_->LatestSession(c.id));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->session.vars.Find("counter")->as_number(), kThreads * kIncrements);
  EXPECT_EQ(latest->session.step, static_cast<uint64_t>(kThreads * kIncrements));
}

TEST_P(StoreTest, NewContactCreatedOnceUnderConcurrency) {
  constexpr int kThreads = 4;
  ConnectOptions options;
  options.pool_size = kThreads;
  ASSERT_OK_AND_ASSIGN(auto store, Open(options));
  std::vector<std::thread> threads;
  std::vector<Result<ContactRecord>> got(kThreads, Status::Internal("not run"));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { got[t] = MakeContact(*store, "+15551230021"); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (const auto& r : got) {
    ASSERT_OK(r);
    EXPECT_EQ(r->id, got[0]->id);
  }
}

TEST_P(StoreTest, ConcurrentMigrateOnFreshDatabase) {
  if (postgres()) {
    std::string error;
    ASSERT_OK_AND_ASSIGN(url_, SharedCluster(&error)->CreateDatabase("concurrent_migrate"));
  } else {
    url_ = "sqlite:" + sqlite_dir_ + "/concurrent.db";
  }
  ASSERT_OK_AND_ASSIGN(auto a, Open());
  ASSERT_OK_AND_ASSIGN(auto b, Open());
  Status sa, sb;
  std::thread ta([&] { sa = a->Migrate(); });
  std::thread tb([&] { sb = b->Migrate(); });
  ta.join();
  tb.join();
  EXPECT_OK(sa);
  EXPECT_OK(sb);
  ASSERT_OK_AND_ASSIGN(int version, a->SchemaVersion());
  EXPECT_EQ(version, a->LatestSchemaVersion());
}

// The cost of one typical webhook event's transaction. Run with
// --gtest_also_run_disabled_tests; prints microseconds per event.
TEST_P(StoreTest, DISABLED_TypicalEventCost) {
  constexpr int kContacts = 200;
  constexpr int kEvents = 5000;
  std::vector<SessionRecord> sessions(kContacts);
  const auto start = steady_clock::now();
  for (int i = 0; i < kEvents; ++i) {
    const std::string address = "+1555" + std::to_string(1000000 + i % kContacts);
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ContactRecord init;
    init.address = address;
    init.phone = address;
    ASSERT_OK_AND_ASSIGN(ContactRecord c, txn->LockContact(init));
    MessageRecord in;
    in.contact_id = c.id;
    in.provider_sid = "SM" + std::to_string(i);
    in.from = address;
    in.to = "+15557654321";
    in.body = "yes";
    in.status = MessageStatus::kReceived;
    ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(in));
    ASSERT_TRUE(inserted);
    ASSERT_OK_AND_ASSIGN(auto active, txn->ActiveSession(c.id));
    SessionRecord s = active ? *active : NewSession(c.id, flow::SessionStatus::kActive);
    s.session.vars.Set("answer", json::Value("yes"));
    ++s.session.step;
    ASSERT_OK(txn->SaveSession(s));
    MessageRecord out;
    out.contact_id = c.id;
    out.session_id = s.id;
    out.from = "+15557654321";
    out.to = address;
    out.body = "Thanks! See you tomorrow.";
    ASSERT_OK(txn->EnqueueOutbound(out));
    ASSERT_OK(txn->Commit());
  }
  const double us = std::chrono::duration<double, std::micro>(steady_clock::now() - start).count();
  std::printf("%s: %.1f us per event transaction (%d events)\n", GetParam().c_str(), us / kEvents,
              kEvents);
}

// --- PostgreSQL unreachable ----------------------------------------------------------------

TEST(PgStoreTest, NoServerIsUnavailablePromptly) {
  char templ[] = "/tmp/parley-nopg-XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  const std::string url = std::string("postgresql:///parley?host=") + templ + "&user=postgres";
  ConnectOptions options;
  options.busy_timeout = std::chrono::seconds(1);
  const auto start = steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(url, options));  // lazy: no connection yet
  EXPECT_EQ(store->Ping().code(), StatusCode::kUnavailable);
  auto txn = store->Begin();
  EXPECT_EQ(txn.status().code(), StatusCode::kUnavailable) << txn.status().ToString();
  EXPECT_EQ(store->Migrate().code(), StatusCode::kUnavailable);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(3));
  rmdir(templ);
}

TEST(PgStoreTest, StoppedServerIsUnavailable) {
  auto cluster = parley::testing::PgCluster::Start();
  if (!cluster.ok() && cluster.status().code() == StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << cluster.status().ToString();
  }
  ASSERT_OK(cluster);
  ConnectOptions options;
  options.busy_timeout = std::chrono::seconds(1);
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore((*cluster)->url(), options));
  ASSERT_OK(store->Migrate());
  ASSERT_OK(MakeContact(*store, "+15551230030").status());
  ASSERT_OK_AND_ASSIGN(auto open_txn, store->Begin());
  ContactRecord init;
  init.address = "+15551230030";
  ASSERT_OK(open_txn->LockContact(init).status());

  ASSERT_OK((*cluster)->Stop());
  const auto start = steady_clock::now();
  const Status commit = open_txn->Commit();
  EXPECT_EQ(commit.code(), StatusCode::kUnavailable) << commit.ToString();
  open_txn.reset();
  EXPECT_EQ(store->Ping().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Begin().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->FindContact("+15551230030").status().code(), StatusCode::kUnavailable);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace parley::store::testing
