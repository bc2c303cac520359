// Conformance, continued: Batch (many events in one database transaction, each in a
// savepoint; contacts locked up front in address order), on both backends.
#include <chrono>
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

class BatchTest : public StoreTest {};

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
  {
    ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
    // Duplicates and any order: each contact once.
    ASSERT_OK(batch->LockContacts({fresh, Init(existing.address), fresh, Init(existing.address)}));
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
      ASSERT_OK(event->Commit());
    }
    ASSERT_OK(batch->Commit());
  }
  EXPECT_EQ(*store_->RowCounts(), "contacts=2 sessions=0 messages=0 outbox=0 timers=0 flows=0");
  // A later batch finds it.
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init("+15551240032")}));
  ASSERT_OK(batch->Commit());
  EXPECT_EQ(*store_->RowCounts(), "contacts=2 sessions=0 messages=0 outbox=0 timers=0 flows=0");
}

TEST_P(BatchTest, AnEventSeesTheContactAsEarlierEventsOfTheBatchLeftIt) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551240041"));
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({Init(ana.address)}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    c.name = "Ana";
    c.status = "opted_out";
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
    EXPECT_EQ(c.status, "opted_out");
    EXPECT_EQ(c.last_inbound_at, kT0 + std::chrono::seconds(1));
    c.name = "Rolled back";
    c.status = "active";
    ASSERT_OK(event->UpdateContact(c));
    // Not committed.
  }
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK_AND_ASSIGN(ContactRecord c, event->LockContact(Init(ana.address)));
    EXPECT_EQ(c.name, "Ana");
    EXPECT_EQ(c.status, "opted_out");
    ASSERT_OK(event->Commit());
  }
  ASSERT_OK(batch->Commit());
  ASSERT_OK_AND_ASSIGN(auto stored, store_->FindContact(ana.address));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->name, "Ana");
  EXPECT_EQ(stored->status, "opted_out");
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

}  // namespace
}  // namespace parley::store::testing
