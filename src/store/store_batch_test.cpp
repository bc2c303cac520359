// Conformance, continued: Batch (many events in one database transaction, each in a
// savepoint; contacts locked up front in address order), on both backends.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using flow::SessionStatus;

ContactRecord Init(const std::string& address) {
  ContactRecord c;
  c.address = address;
  c.phone = address;
  c.created_at = kT0;
  return c;
}

// The name as a number (0 when empty): the tests count updates in it.
int NameCount(const ContactRecord& c) { return c.name.empty() ? 0 : std::stoi(c.name); }

class BatchTest : public StoreTest {
 protected:
  // PostgreSQL: waits (at most 10 s) until `n` sessions of the test's database wait for a
  // lock; false on timeout.
  bool WaitForLockWaiters(int n) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    PGconn* conn = PQconnectdb(url_.c_str());
    bool reached = false;
    while (!reached && std::chrono::steady_clock::now() < deadline) {
      PGresult* r = PQexec(conn,
                           "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()");
      reached = PQresultStatus(r) == PGRES_TUPLES_OK && std::atoi(PQgetvalue(r, 0, 0)) >= n;
      PQclear(r);
      if (!reached) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    PQfinish(conn);
    return reached;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, BatchTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(BatchTest, ARolledBackEventLeavesTheOtherEventsOfTheBatch) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551240001"));
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init(ana.address), Init("+15551240002")}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    EXPECT_EQ(c.id, ana.id);
    MessageRecord in = Inbound(c.id, "SM-batch-1", "first");
    ASSERT_OK_AND_ASSIGN(bool inserted, event->InsertInbound(in));
    EXPECT_TRUE(inserted);
    SessionRecord s = NewSession(c.id, SessionStatus::kActive);
    ASSERT_OK(event->SaveSession(s));
    ASSERT_OK(event->Commit());
  }
  {
    // Every kind of write, then no commit: this event alone is rolled back.
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord bob, event->LockContact(Init("+15551240002")));
    MessageRecord in = Inbound(bob.id, "SM-batch-2", "second");
    ASSERT_OK(event->InsertInbound(in).status());
    SessionRecord s = NewSession(bob.id, SessionStatus::kActive);
    ASSERT_OK(event->SaveSession(s));
    MessageRecord out = Inbound(bob.id, "", "reply");
    out.session_id = s.id;
    ASSERT_OK(event->EnqueueOutbound(out));
    ASSERT_OK(event->SetTimer({s.id, "remind", kT0, 1, false}));
    bob.name = "rolled back";
    ASSERT_OK(event->UpdateContact(bob));
  }
  {
    // A statement that fails (a second active session) aborts its event only.
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    MessageRecord in = Inbound(c.id, "SM-batch-3", "third");
    ASSERT_OK(event->InsertInbound(in).status());
    SessionRecord second = NewSession(c.id, SessionStatus::kActive);
    EXPECT_EQ(event->SaveSession(second).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(event->Commit().code(), StatusCode::kFailedPrecondition);
  }
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    MessageRecord in = Inbound(c.id, "SM-batch-4", "fourth");
    ASSERT_OK(event->InsertInbound(in).status());
    ASSERT_OK(event->Commit());
  }
  ASSERT_OK(batch->Commit());

  ASSERT_OK_AND_ASSIGN(auto messages, store_->Messages(ana.id));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].body, "first");
  EXPECT_EQ(messages[1].body, "fourth");
  ASSERT_OK_AND_ASSIGN(auto bob, store_->FindContact("+15551240002"));
  ASSERT_TRUE(bob.has_value());  // created by LockContacts, before any event
  EXPECT_EQ(bob->name, "");
  ASSERT_OK_AND_ASSIGN(auto bob_messages, store_->Messages(bob->id));
  EXPECT_TRUE(bob_messages.empty());
  EXPECT_EQ(*store_->RowCounts(), "contacts=2 sessions=1 messages=2 outbox=0 timers=0 flows=0");
  // The rolled-back event's MessageSid was never recorded: it is not a repeat.
  ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
  MessageRecord again = Inbound(bob->id, "SM-batch-2", "second, retried");
  ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(again));
  EXPECT_TRUE(inserted);
  ASSERT_OK(txn->Commit());
}

TEST_P(BatchTest, ABatchNotCommittedRollsEverythingBack) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551240011"));
  ASSERT_OK_AND_ASSIGN(std::string before, store_->RowCounts());
  {
    ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
    ASSERT_OK(batch->LockContacts({Init(ana.address), Init("+15551240012")}));
    for (const char* sid : {"SM-nb-1", "SM-nb-2"}) {
      ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
      ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init("+15551240012")));
      MessageRecord in = Inbound(c.id, sid, "hi");
      ASSERT_OK(event->InsertInbound(in).status());
      c.name = "changed";
      ASSERT_OK(event->UpdateContact(c));
      ASSERT_OK(event->Commit());
    }
    {
      ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
      ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
      SessionRecord s = NewSession(c.id, SessionStatus::kActive);
      ASSERT_OK(event->SaveSession(s));
      ASSERT_OK(event->SetTimer({s.id, "remind", kT0, 0, false}));
      ASSERT_OK(event->Commit());
    }
    // Destroyed without Commit.
  }
  ASSERT_OK_AND_ASSIGN(std::string after, store_->RowCounts());
  EXPECT_EQ(after, before);
  ASSERT_OK_AND_ASSIGN(auto gone, store_->FindContact("+15551240012"));
  EXPECT_FALSE(gone.has_value());
  // The connection (SQLite: the write lock) was given back.
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init("+15551240012")}));
  ASSERT_OK(batch->Commit());
  ASSERT_OK_AND_ASSIGN(auto created, store_->FindContact("+15551240012"));
  EXPECT_TRUE(created.has_value());
}

TEST_P(BatchTest, EventsAreDurableOnlyWhenTheBatchCommits) {
  ASSERT_OK_AND_ASSIGN(auto reader, Open());
  ASSERT_OK_AND_ASSIGN(std::string before, reader->RowCounts());
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init("+15551240021")}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init("+15551240021")));
    MessageRecord in = Inbound(c.id, "SM-durable", "hi");
    ASSERT_OK(event->InsertInbound(in).status());
    ASSERT_OK(event->Commit());
  }
  // Another connection sees nothing of the batch yet, not even the contact.
  ASSERT_OK_AND_ASSIGN(std::string during, reader->RowCounts());
  EXPECT_EQ(during, before);
  ASSERT_OK(batch->Commit());
  ASSERT_OK_AND_ASSIGN(std::string after, reader->RowCounts());
  EXPECT_EQ(after, "contacts=1 sessions=0 messages=1 outbox=0 timers=0 flows=0");
}

TEST_P(BatchTest, LockContactsCreatesMissingContactsOnce) {
  ASSERT_OK_AND_ASSIGN(ContactRecord existing, MakeContact(*store_, "+15551240031"));
  ContactRecord fresh = Init("+15551240032");
  fresh.channel = "sms";
  fresh.name = "From init";
  // Sorts before the existing contact (the batch then takes the contacts one at a time).
  ContactRecord first = Init("+15551240030");
  first.name = "First";
  {
    ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
    // Duplicates and any order: each contact once.
    ASSERT_OK(batch->LockContacts(
        {fresh, Init(existing.address), first, fresh, Init(existing.address), first}));
    int64_t fresh_id = 0;
    for (int i = 0; i < 2; ++i) {
      ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
      ContactRecord other_init = Init("+15551240032");
      other_init.name = "ignored: the contact exists";
      ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(other_init));
      EXPECT_EQ(c.name, "From init");
      EXPECT_NE(c.id, 0);
      if (fresh_id == 0) {
        fresh_id = c.id;
      }
      EXPECT_EQ(c.id, fresh_id);
      ASSERT_OK_AND_ASSIGN(ContactRecord e, event->LockContact(Init(existing.address)));
      EXPECT_EQ(e.id, existing.id);
      ASSERT_OK_AND_ASSIGN(ContactRecord f, event->LockContact(Init(first.address)));
      EXPECT_EQ(f.name, "First");
      ASSERT_OK(event->Commit());
    }
    ASSERT_OK(batch->Commit());
  }
  EXPECT_EQ(*store_->RowCounts(), "contacts=3 sessions=0 messages=0 outbox=0 timers=0 flows=0");
  // A later batch finds them.
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init("+15551240032"), Init("+15551240030")}));
  ASSERT_OK(batch->Commit());
  EXPECT_EQ(*store_->RowCounts(), "contacts=3 sessions=0 messages=0 outbox=0 timers=0 flows=0");
  ASSERT_OK_AND_ASSIGN(auto stored, store_->FindContact(first.address));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->name, "First");
}

TEST_P(BatchTest, AnEventSeesTheContactAsEarlierEventsOfTheBatchLeftIt) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551240041"));
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init(ana.address)}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    c.name = "Ana";
    c.status = ContactStatus::kOptedOut;
    c.last_inbound_at = kT0 + std::chrono::seconds(1);
    ASSERT_OK(event->UpdateContact(c));
    // The event sees its own write too.
    ASSERT_OK_AND_ASSIGN(ContactRecord again, event->LockContact(Init(ana.address)));
    EXPECT_EQ(again.name, "Ana");
    ASSERT_OK(event->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    EXPECT_EQ(c.name, "Ana");
    EXPECT_EQ(c.status, ContactStatus::kOptedOut);
    EXPECT_EQ(c.last_inbound_at, kT0 + std::chrono::seconds(1));
    c.name = "Rolled back";
    c.status = ContactStatus::kActive;
    ASSERT_OK(event->UpdateContact(c));
    // Not committed.
  }
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    EXPECT_EQ(c.name, "Ana");
    EXPECT_EQ(c.status, ContactStatus::kOptedOut);
    ASSERT_OK(event->Commit());
  }
  ASSERT_OK(batch->Commit());
  ASSERT_OK_AND_ASSIGN(auto stored, store_->FindContact(ana.address));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->name, "Ana");
  EXPECT_EQ(stored->status, ContactStatus::kOptedOut);
}

TEST_P(BatchTest, MisuseIsRefusedWithoutSpoilingTheBatch) {
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init("+15551240051")}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    EXPECT_EQ(batch->BeginEvent().status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(batch->Commit().code(), StatusCode::kFailedPrecondition);
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init("+15551240051")));
    MessageRecord in = Inbound(c.id, "SM-misuse", "hi");
    ASSERT_OK(event->InsertInbound(in).status());
    ASSERT_OK(event->Commit());
    EXPECT_EQ(event->Commit().code(), StatusCode::kFailedPrecondition);
  }
  ASSERT_OK(batch->Commit());
  EXPECT_EQ(batch->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(batch->BeginEvent().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->RowCounts(), "contacts=1 sessions=0 messages=1 outbox=0 timers=0 flows=0");
}

// Batches on several connections at once, each locking an overlapping set of contacts
// given in a different order (some existing, some created by whichever batch comes first),
// and counting in each contact's name: no batch deadlocks or fails, no update is lost.
TEST_P(BatchTest, OverlappingBatchesInOppositeOrdersNeverDeadlock) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  constexpr int kExisting = 6;
  constexpr int kFresh = 4;  // new contacts per round, created by the first batch to lock them
  for (int i = 0; i < kExisting; ++i) {
    ASSERT_OK(MakeContact(*store_, "+155512601" + std::to_string(10 + i)).status());
  }
  ConnectOptions options;
  options.pool_size = kThreads;
  options.busy_timeout = std::chrono::seconds(20);
  ASSERT_OK_AND_ASSIGN(auto store, Open(options));

  std::vector<std::string> failures(kThreads);
  std::atomic<int> round_done{0};
  std::vector<std::thread> threads;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t + 1));
      for (int round = 0; round < kRounds && failures[t].empty(); ++round) {
        if (std::chrono::steady_clock::now() > deadline) {
          failures[t] = "out of time";
          return;
        }
        std::vector<std::string> addresses;
        for (int i = 0; i < kExisting; ++i) {
          addresses.push_back("+155512601" + std::to_string(10 + i));
        }
        for (int i = 0; i < kFresh; ++i) {
          addresses.push_back("+15551250" + std::to_string(100 + round * kFresh + i));
        }
        // Thread 0 ascending, thread 1 descending, the others shuffled.
        if (t == 1) {
          std::reverse(addresses.begin(), addresses.end());
        } else if (t > 1) {
          std::shuffle(addresses.begin(), addresses.end(), random);
        }
        std::vector<ContactRecord> inits;
        for (const std::string& a : addresses) {
          inits.push_back(Init(a));
        }
        auto batch = store->BeginBatch();
        if (!batch.ok()) {
          failures[t] = "BeginBatch: " + batch.status().ToString();
          return;
        }
        if (Status s = (*batch)->LockContacts(inits); !s.ok()) {
          failures[t] = "LockContacts: " + s.ToString();
          return;
        }
        for (const std::string& a : addresses) {
          auto event = (*batch)->BeginEvent();
          if (!event.ok()) {
            failures[t] = "BeginEvent: " + event.status().ToString();
            return;
          }
          auto c = (*event)->LockContact(Init(a));
          if (!c.ok()) {
            failures[t] = "LockContact: " + c.status().ToString();
            return;
          }
          c->name = std::to_string(NameCount(*c) + 1);
          Status s = (*event)->UpdateContact(*c);
          if (s.ok()) {
            s = (*event)->Commit();
          }
          if (!s.ok()) {
            failures[t] = "event: " + s.ToString();
            return;
          }
        }
        if (Status s = (*batch)->Commit(); !s.ok()) {
          failures[t] = "Commit: " + s.ToString();
          return;
        }
        ++round_done;
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], "") << "thread " << t;
  }
  ASSERT_EQ(round_done.load(), kThreads * kRounds);
  for (int i = 0; i < kExisting; ++i) {
    ASSERT_OK_AND_ASSIGN(auto c, store_->FindContact("+155512601" + std::to_string(10 + i)));
    EXPECT_EQ(NameCount(*c), kThreads * kRounds) << c->address;
  }
  for (int i = 0; i < kRounds * kFresh; ++i) {
    ASSERT_OK_AND_ASSIGN(auto c, store_->FindContact("+15551250" + std::to_string(100 + i)));
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(NameCount(*c), kThreads) << c->address;
  }
}

// The case the contact-creation order is for. A batch locks an existing contact, then finds
// it must create one that sorts before it; meanwhile another transaction created that one
// and a third took it and now wants the existing one. Creating the contact while holding the
// later one would close a cycle (PostgreSQL reports a deadlock): the batch must take both in
// address order.
// PostgreSQL only: SQLite runs one writer at a time, there is no lock order to keep.
class BatchPostgresTest : public BatchTest {};

INSTANTIATE_TEST_SUITE_P(Backends, BatchPostgresTest, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(BatchPostgresTest, AContactToCreateIsTakenInAddressOrderEvenWhenSomeoneElseCreatesIt) {
  const std::string early = "+15551260001";  // created during the test
  const std::string later = "+15551260009";  // exists
  ASSERT_OK(MakeContact(*store_, later).status());
  ConnectOptions options;
  options.pool_size = 4;
  ASSERT_OK_AND_ASSIGN(auto store, Open(options));
  // Locks or creates the contacts in this order, counting in their names.
  const auto count = [](Transaction& txn, const std::vector<std::string>& addresses) -> Status {
    for (const std::string& address : addresses) {
      auto c = txn.LockContact(Init(address));
      if (!c.ok()) {
        return c.status();
      }
      c->name = std::to_string(NameCount(*c) + 1);
      PARLEY_RETURN_IF_ERROR(txn.UpdateContact(*c));
    }
    return Status::Ok();
  };

  ASSERT_OK_AND_ASSIGN(auto holder, store->Begin());  // holds `later`
  ASSERT_OK(holder->LockContact(Init(later)).status());
  ASSERT_OK_AND_ASSIGN(auto creator, store->Begin());  // creates `early`
  ASSERT_OK(creator->LockContact(Init(early)).status());

  // The batch does not see `early` yet and waits for `later`.
  Status batch_status = Status::Internal("not run");
  std::thread batch_thread([&] {
    batch_status = [&]() -> Status {
      auto batch = store->BeginBatch();
      if (!batch.ok()) {
        return batch.status();
      }
      PARLEY_RETURN_IF_ERROR((*batch)->LockContacts({Init(later), Init(early)}));
      auto event = (*batch)->BeginEvent();
      if (!event.ok()) {
        return event.status();
      }
      PARLEY_RETURN_IF_ERROR(count(**event, {early, later}));
      PARLEY_RETURN_IF_ERROR((*event)->Commit());
      return (*batch)->Commit();
    }();
  });
  // No ASSERT until the threads are joined (a test may not end with a thread running): a
  // wait that times out only weakens the case.
  EXPECT_TRUE(WaitForLockWaiters(1));
  EXPECT_OK(creator->Commit());

  // The taker locks `early` at once, then waits for `later` behind the batch: address order.
  Status taker_status = Status::Internal("not run");
  std::thread taker_thread([&] {
    taker_status = [&]() -> Status {
      auto txn = store->Begin();
      if (!txn.ok()) {
        return txn.status();
      }
      PARLEY_RETURN_IF_ERROR(count(**txn, {early, later}));
      return (*txn)->Commit();
    }();
  });
  EXPECT_TRUE(WaitForLockWaiters(2));
  // `later` goes to the batch first (it waited first); `early` is the taker's.
  EXPECT_OK(holder->Commit());
  batch_thread.join();
  taker_thread.join();
  EXPECT_OK(batch_status);
  EXPECT_OK(taker_status);
  for (const std::string& address : {early, later}) {
    ASSERT_OK_AND_ASSIGN(auto c, store_->FindContact(address));
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(NameCount(*c), 2) << address;
  }
}

// Issue 10 (the PostgreSQL timer burst): a timer event's take reads the contact's active
// session and the number they last wrote to in the same round trip; what it answers from is
// what a fresh read would answer, also after writes in between, and an inbound message
// written in the event makes LastInboundTo read again.
TEST_P(BatchTest, ATimerTakeReadsTheSessionAndTheSenderAheadCorrectly) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551240051"));
  SessionRecord s = NewSession(ana.id, SessionStatus::kActive);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord in = Inbound(ana.id, "SM-ahead-1", "hi");
    ASSERT_OK(txn->InsertInbound(in).status());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(
        txn->SetTimer({s.id, "remind", kT0 + std::chrono::seconds(5), s.session.step, false}));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimTimers(kT0 + std::chrono::seconds(10), 10,
                                                         std::chrono::seconds(60)));
  ASSERT_EQ(claimed.size(), 1u);

  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init(ana.address)}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK(event->LockContact(Init(ana.address)).status());
    ASSERT_OK_AND_ASSIGN(bool taken, event->TakeTimer(claimed[0], ana.id));
    EXPECT_TRUE(taken);
    ASSERT_OK_AND_ASSIGN(auto active, event->ActiveSession(ana.id));
    ASSERT_TRUE(active.has_value());
    EXPECT_EQ(active->id, s.id);
    EXPECT_EQ(active->session.state, s.session.state);
    // A write between the take and LastInboundTo does not change the number.
    ASSERT_OK(event->SetTimer({s.id, "again", kT0 + std::chrono::seconds(60), 1, false}));
    ASSERT_OK_AND_ASSIGN(std::string from, event->LastInboundTo(ana.id));
    EXPECT_EQ(from, "+15557654321");
    ASSERT_OK(event->Commit());
  }
  {
    // The timer is gone now; the contact writes to another number in the same event.
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK(event->LockContact(Init(ana.address)).status());
    ASSERT_OK_AND_ASSIGN(bool again, event->TakeTimer(claimed[0], ana.id));
    EXPECT_FALSE(again);
    MessageRecord in = Inbound(ana.id, "SM-ahead-2", "hello again");
    in.to = "+15550000099";
    ASSERT_OK(event->InsertInbound(in).status());
    ASSERT_OK_AND_ASSIGN(std::string from, event->LastInboundTo(ana.id));
    EXPECT_EQ(from, "+15550000099");
    ASSERT_OK(event->Commit());
  }
  ASSERT_OK(batch->Commit());
}

}  // namespace
}  // namespace parley::store::testing

namespace parley::store::testing {

// The pipeline's commit (Batch::CommitVisible): the connection comes back at once (the next
// batch runs while this one's fsync does on SQLite), each batch is reported durable exactly
// once, in commit order, and its writes are there for a store opened afresh.
TEST_P(BatchTest, CommitVisibleReportsEachBatchDurableOnceInCommitOrder) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> durable;
  constexpr int kBatches = 20;
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
    const std::string address = "+1555125" + std::to_string(1000 + b);
    ASSERT_OK(batch->LockContacts({Init(address)}));
    {
      ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
      ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(address)));
      MessageRecord in = Inbound(c.id, "SM-visible-" + std::to_string(b), "hi");
      ASSERT_OK(event->InsertInbound(in).status());
      ASSERT_OK(event->Commit());
    }
    ASSERT_OK(batch->CommitVisible([&, b](Status s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      std::lock_guard lock(mu);
      durable.push_back(b);
      cv.notify_all();
    }));
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return durable.size() == static_cast<size_t>(kBatches); }));
  }
  std::vector<int> expected(kBatches);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(durable, expected);

  // A store opened afresh sees every batch's message.
  store_.reset();  // the last callbacks have run; nothing is left pending
  EXPECT_EQ(durable.size(), static_cast<size_t>(kBatches));
  ASSERT_OK_AND_ASSIGN(auto reopened, Open());
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_OK_AND_ASSIGN(auto c, reopened->FindContact("+1555125" + std::to_string(1000 + b)));
    ASSERT_TRUE(c.has_value());
    ASSERT_OK_AND_ASSIGN(auto messages, reopened->Messages(c->id));
    EXPECT_EQ(messages.size(), 1u);
  }
}

}  // namespace parley::store::testing
