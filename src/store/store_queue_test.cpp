// Conformance, continued: the outbox, timers and flow revisions.
#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::seconds;

MessageRecord Outbound(int64_t contact_id, std::string body, TimePoint at) {
  MessageRecord m;
  m.contact_id = contact_id;
  m.from = "+15557654321";
  m.to = "+15551230010";
  m.body = std::move(body);
  m.media = {"https://example.org/a.png"};
  m.created_at = at;
  return m;
}

std::vector<std::string> Bodies(const std::vector<OutboxItem>& items) {
  std::vector<std::string> out;
  for (const OutboxItem& i : items) {
    out.push_back(i.body);
  }
  return out;
}

}  // namespace

// One message for each of three contacts (a contact's own messages are claimed one at a
// time: OutboxClaimsOnlyTheHeadOfEachContactsQueue).
TEST_P(StoreTest, OutboxClaimLeaseFinishRetry) {
  std::vector<ContactRecord> contacts;
  std::vector<MessageRecord> sent;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+1555123001" + std::to_string(i)));
    contacts.push_back(c);
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    for (int i = 0; i < 3; ++i) {
      MessageRecord m = Outbound(contacts[i].id, "m" + std::to_string(i), kT0 + seconds(i));
      ASSERT_OK(txn->EnqueueOutbound(m));
      sent.push_back(m);
    }
    ASSERT_OK(txn->Commit());
  }
  // Not due yet.
  ASSERT_OK_AND_ASSIGN(auto early, store_->ClaimOutbox(kT0 - seconds(1), 10, seconds(30)));
  EXPECT_TRUE(early.empty());

  // Oldest first, up to the limit.
  const TimePoint now = kT0 + seconds(5);
  ASSERT_OK_AND_ASSIGN(auto first, store_->ClaimOutbox(now, 2, seconds(30)));
  ASSERT_EQ(Bodies(first), (std::vector<std::string>{"m0", "m1"}));
  EXPECT_EQ(first[0].message_id, sent[0].id);
  EXPECT_EQ(first[0].contact_id, contacts[0].id);
  EXPECT_EQ(first[0].to, "+15551230010");
  EXPECT_EQ(first[0].media, std::vector<std::string>{"https://example.org/a.png"});
  EXPECT_EQ(first[0].attempts, 1);
  EXPECT_EQ(first[0].next_attempt_at, kT0);
  EXPECT_EQ(first[1].created_at, kT0 + seconds(1));
  EXPECT_EQ(first[0].contact_status, ContactStatus::kActive);

  // Leased rows are not claimed again until the lease passes.
  ASSERT_OK_AND_ASSIGN(auto second, store_->ClaimOutbox(now + seconds(1), 10, seconds(30)));
  ASSERT_EQ(Bodies(second), std::vector<std::string>{"m2"});
  ASSERT_OK_AND_ASSIGN(auto none, store_->ClaimOutbox(now + seconds(29), 10, seconds(30)));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto expired, store_->ClaimOutbox(now + seconds(30), 1, seconds(30)));
  ASSERT_EQ(Bodies(expired), std::vector<std::string>{"m0"});
  EXPECT_EQ(expired[0].attempts, 2);

  // Finish: the row goes, the message records the outcome.
  ASSERT_OK(store_->FinishOutbox(expired[0].id, MessageStatus::kSent, "SM-out-0", ""));
  ASSERT_OK(store_->FinishOutbox(second[0].id, MessageStatus::kFailed, "", "21610"));
  EXPECT_EQ(store_->FinishOutbox(second[0].id, MessageStatus::kSent, "", "").code(),
            StatusCode::kNotFound);
  auto message = [&](int i) { return store_->Messages(contacts[i].id).value().at(0); };
  EXPECT_EQ(message(0).status, MessageStatus::kSent);
  EXPECT_EQ(message(0).provider_sid, "SM-out-0");
  EXPECT_EQ(message(1).status, MessageStatus::kQueued);
  EXPECT_EQ(message(2).status, MessageStatus::kFailed);
  EXPECT_EQ(message(2).error_code, "21610");

  // Retry: m1 comes back at the new time, and not before.
  ASSERT_OK(store_->RetryOutbox(first[1].id, now + seconds(100)));
  EXPECT_EQ(store_->RetryOutbox(999999, now).code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto too_soon, store_->ClaimOutbox(now + seconds(99), 10, seconds(30)));
  EXPECT_TRUE(too_soon.empty());
  ASSERT_OK_AND_ASSIGN(auto retried, store_->ClaimOutbox(now + seconds(100), 10, seconds(30)));
  ASSERT_EQ(Bodies(retried), std::vector<std::string>{"m1"});
  EXPECT_EQ(retried[0].attempts, 2);
  EXPECT_EQ(retried[0].next_attempt_at, now + seconds(100));
  ASSERT_OK_AND_ASSIGN(std::string counts, store_->RowCounts());
  EXPECT_EQ(counts, "contacts=3 sessions=0 messages=3 outbox=1 timers=0 flows=0");
}

TEST_P(StoreTest, FinishOutboxBatchSetsEachMessageAndSkipsFinishedRows) {
  std::vector<ContactRecord> contacts;
  {
    for (int i = 0; i < 4; ++i) {
      ASSERT_OK_AND_ASSIGN(ContactRecord c,
                           MakeContact(*store_, "+1555123002" + std::to_string(i)));
      contacts.push_back(c);
    }
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    for (int i = 0; i < 4; ++i) {
      MessageRecord m = Outbound(contacts[i].id, "b" + std::to_string(i), kT0 + seconds(i));
      ASSERT_OK(txn->EnqueueOutbound(m));
    }
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimOutbox(kT0 + seconds(10), 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 4u);
  ASSERT_OK(store_->FinishOutbox(claimed[1].id, MessageStatus::kSent, "SMfirst", ""));
  // Row 1 is finished already (skipped, not an error); row 3 stays queued.
  ASSERT_OK(store_->FinishOutboxBatch({
      {claimed[0].id, MessageStatus::kSent, "SM\"quoted\"", ""},
      {claimed[1].id, MessageStatus::kFailed, "", "30003"},
      {claimed[2].id, MessageStatus::kFailed, "", "21610"},
  }));
  auto message = [&](int i) { return store_->Messages(contacts[i].id).value().at(0); };
  EXPECT_EQ(message(0).status, MessageStatus::kSent);
  EXPECT_EQ(message(0).provider_sid, "SM\"quoted\"");
  EXPECT_EQ(message(1).status, MessageStatus::kSent);  // the first finish stands
  EXPECT_EQ(message(1).provider_sid, "SMfirst");
  EXPECT_EQ(message(2).status, MessageStatus::kFailed);
  EXPECT_EQ(message(2).error_code, "21610");
  EXPECT_EQ(message(3).status, MessageStatus::kQueued);
  ASSERT_OK_AND_ASSIGN(auto left, store_->ClaimOutbox(kT0 + seconds(100), 10, seconds(30)));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].body, "b3");
}

TEST_P(StoreTest, RecordOutboundNeedsNoDelivery) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230012"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord m = Outbound(c.id, "answered inline as TwiML", kT0);
    m.status = MessageStatus::kSent;
    ASSERT_OK(txn->RecordOutbound(m));
    EXPECT_GT(m.id, 0);
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimOutbox(kT0 + seconds(60), 10, seconds(30)));
  EXPECT_TRUE(claimed.empty());
  ASSERT_OK_AND_ASSIGN(auto messages, store_->Messages(c.id));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].direction, MessageRecord::Direction::kOutbound);
  EXPECT_EQ(messages[0].status, MessageStatus::kSent);
  EXPECT_EQ(messages[0].body, "answered inline as TwiML");
}

TEST_P(StoreTest, TimersSetReplaceCancel) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230011"));
  SessionRecord s = NewSession(c.id, flow::SessionStatus::kActive);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->SetTimer({s.id, "reminder", kT0 + seconds(60), 1, false}));
    ASSERT_OK(txn->SetTimer({s.id, "expire", kT0 + seconds(3600), 1, true}));
    ASSERT_OK(txn->SetTimer({s.id, "nudge", kT0 + seconds(120), 2, false}));
    // Same name: replaces.
    ASSERT_OK(txn->SetTimer({s.id, "reminder", kT0 + seconds(600), 3, true}));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto timers, store_->Timers(s.id));
  ASSERT_EQ(timers.size(), 3u);
  EXPECT_EQ(timers[0].name, "nudge");
  EXPECT_EQ(timers[1].name, "reminder");
  EXPECT_EQ(timers[1].due, kT0 + seconds(600));
  EXPECT_EQ(timers[1].step, 3u);
  EXPECT_TRUE(timers[1].keep);
  EXPECT_EQ(timers[1].session_id, s.id);
  EXPECT_EQ(timers[2].name, "expire");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->CancelTimers(s.id, "reminder"));
    ASSERT_OK(txn->CancelTimers(s.id, "no-such-timer"));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(timers, store_->Timers(s.id));
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[0].name, "nudge");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->CancelTimers(s.id, ""));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(timers, store_->Timers(s.id));
  EXPECT_TRUE(timers.empty());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    EXPECT_EQ(txn->SetTimer({s.id + 1000, "x", kT0, 0, false}).code(),
              StatusCode::kFailedPrecondition);
  }
}

TEST_P(StoreTest, SaveFlowIsIdempotent) {
  const FlowRecord f{"checkin", "sha256:aaaa", R"({"id":"checkin"})", kT0};
  ASSERT_OK(store_->SaveFlow(f));
  ASSERT_OK(store_->SaveFlow(f));
  ASSERT_OK_AND_ASSIGN(std::string counts, store_->RowCounts());
  EXPECT_EQ(counts, "contacts=0 sessions=0 messages=0 outbox=0 timers=0 flows=1");
  ASSERT_OK(store_->SaveFlow({"checkin", "sha256:bbbb", R"({"id":"checkin","v":2})", kT0}));
  ASSERT_OK_AND_ASSIGN(counts, store_->RowCounts());
  EXPECT_EQ(counts, "contacts=0 sessions=0 messages=0 outbox=0 timers=0 flows=2");
}

}  // namespace parley::store::testing

// --- schema v2: timer claims, contacts by id, outbound by sid ---------------------------------

namespace parley::store::testing {

TEST_P(StoreTest, TimersClaimedOnceWithALease) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230030"));
  SessionRecord s = NewSession(c.id, flow::SessionStatus::kActive);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->SetTimer({s.id, "late", kT0 + seconds(20), 1, false}));
    ASSERT_OK(txn->SetTimer({s.id, "early", kT0 + seconds(10), 1, true}));
    ASSERT_OK(txn->SetTimer({s.id, "future", kT0 + seconds(500), 1, false}));
    ASSERT_OK(txn->Commit());
  }
  const TimePoint now = kT0 + seconds(30);
  ASSERT_OK_AND_ASSIGN(auto first, store_->ClaimTimers(now, 10, seconds(60)));
  ASSERT_EQ(first.size(), 2u);  // "future" is not due
  EXPECT_EQ(first[0].name, "early");
  EXPECT_TRUE(first[0].keep);
  EXPECT_EQ(first[0].contact_id, c.id);
  EXPECT_EQ(first[0].session_id, s.id);
  // Issue 10 (timer performance): the claim carries the contact the event goes to, so the
  // scheduler reads no contact per timer.
  ASSERT_TRUE(first[0].contact.has_value());
  EXPECT_EQ(first[0].contact->address, c.address);
  EXPECT_EQ(first[0].contact->channel, c.channel);
  EXPECT_EQ(first[0].contact->phone, c.phone);
  EXPECT_EQ(first[1].name, "late");
  // Leased: another claimer (another instance) gets nothing until the lease runs out.
  ASSERT_OK_AND_ASSIGN(auto other, Open());
  ASSERT_OK_AND_ASSIGN(auto during, other->ClaimTimers(now + seconds(59), 10, seconds(60)));
  EXPECT_TRUE(during.empty());
  // The event that handled "early" cancels it; "late" was claimed by a claimer that died.
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->CancelTimers(s.id, "early"));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto after, other->ClaimTimers(now + seconds(61), 10, seconds(60)));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].name, "late");
  // Setting a timer again (a new due time) replaces the row and its lease.
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SetTimer({s.id, "late", now + seconds(62), 2, false}));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto timers, store_->Timers(s.id));
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[0].contact_id, c.id);
}

TEST_P(StoreTest, ContactsByIdAndOutboundBySid) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230031"));
  ASSERT_OK_AND_ASSIGN(auto found, store_->FindContactById(c.id));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->address, "+15551230031");
  ASSERT_OK_AND_ASSIGN(auto missing, store_->FindContactById(c.id + 1000));
  EXPECT_FALSE(missing.has_value());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(ContactRecord locked, txn->LockContactById(c.id));
    EXPECT_EQ(locked.address, c.address);
    EXPECT_EQ(txn->LockContactById(c.id + 1000).status().code(), StatusCode::kNotFound);
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord m = Outbound(c.id, "hello", kT0);
    ASSERT_OK(txn->EnqueueOutbound(m));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimOutbox(kT0, 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_OK(store_->FinishOutbox(claimed[0].id, MessageStatus::kSent,
                                 "SM0123456789abcdef0123456789abcdef", ""));
  ASSERT_OK_AND_ASSIGN(auto by_sid,
                       store_->FindOutboundBySid("SM0123456789abcdef0123456789abcdef"));
  ASSERT_TRUE(by_sid.has_value());
  EXPECT_EQ(by_sid->body, "hello");
  EXPECT_EQ(by_sid->status, MessageStatus::kSent);
  ASSERT_OK_AND_ASSIGN(auto none, store_->FindOutboundBySid(""));
  EXPECT_FALSE(none.has_value());  // unsent messages have no sid and are never found by one
}

// Issue 10 (timers fire): a claimed timer is taken once, only while it is the timer that was
// claimed; a replaced timer loses the old claim; an idle scheduler sleeps until NextTimerDue.
TEST_P(StoreTest, TimersTakenOnceAndNextDue) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230032"));
  SessionRecord s = NewSession(c.id, flow::SessionStatus::kActive);
  ASSERT_OK_AND_ASSIGN(auto none, store_->NextTimerDue(kT0));
  EXPECT_FALSE(none.has_value());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->SetTimer({s.id, "a", kT0 + seconds(10), 1, false}));
    ASSERT_OK(txn->SetTimer({s.id, "b", kT0 + seconds(20), 1, false}));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto next, store_->NextTimerDue(kT0));
  EXPECT_EQ(next, std::optional<TimePoint>(kT0 + seconds(10)));
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimTimers(kT0 + seconds(30), 10, seconds(60)));
  ASSERT_EQ(claimed.size(), 2u);
  // Issue 10 (multi-instance timers): leased timers are not due again until their lease runs
  // out, and then they are (the claimer may have crashed): an idle scheduler wakes for that,
  // not only at its safety poll.
  ASSERT_OK_AND_ASSIGN(next, store_->NextTimerDue(kT0 + seconds(30)));
  EXPECT_EQ(next, std::optional<TimePoint>(kT0 + seconds(90)));
  // "b" is set again (replaced) before its event runs: that event must not take the new one,
  // and the new one is claimable at once, not after the old lease.
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SetTimer({s.id, "b", kT0 + seconds(25), 2, false}));
    ASSERT_OK(txn->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(bool took_a, txn->TakeTimer(claimed[0], c.id));
    EXPECT_TRUE(took_a);
    ASSERT_OK_AND_ASSIGN(bool took_b, txn->TakeTimer(claimed[1], c.id));
    EXPECT_FALSE(took_b);
    ASSERT_OK(txn->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(bool again, txn->TakeTimer(claimed[0], c.id));
    EXPECT_FALSE(again);  // taken once
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(next, store_->NextTimerDue(kT0 + seconds(30)));
  EXPECT_EQ(next, std::optional<TimePoint>(kT0 + seconds(25)));
  ASSERT_OK_AND_ASSIGN(auto replaced, store_->ClaimTimers(kT0 + seconds(30), 10, seconds(60)));
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].name, "b");
  EXPECT_EQ(replaced[0].step, 2u);
}

}  // namespace parley::store::testing

namespace parley::store::testing {

// Issue 9 (status callbacks): a delivery status event finds the message by its sid inside
// the event's transaction and sets its status and error code; a rollback undoes that; every
// status round-trips, "canceled" included (stored as text: no migration).
TEST_P(StoreTest, StatusCallbackFindsAndUpdatesTheMessageInsideATransaction) {
  constexpr char kSid[] = "SM00000000000000000000000000000009";
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230032"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord m = Outbound(c.id, "hello", kT0);
    ASSERT_OK(txn->EnqueueOutbound(m));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimOutbox(kT0, 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_OK(store_->FinishOutbox(claimed[0].id, MessageStatus::kSent, kSid, ""));
  int64_t id = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(auto found, txn->FindOutboundBySid(kSid));
    ASSERT_TRUE(found.has_value());
    id = found->id;
    EXPECT_EQ(found->contact_id, c.id);
    EXPECT_EQ(found->status, MessageStatus::kSent);
    ASSERT_OK(txn->SetMessageStatus(id, MessageStatus::kUndelivered, "30003"));
    ASSERT_OK_AND_ASSIGN(auto again, txn->FindOutboundBySid(kSid));  // its own write
    EXPECT_EQ(again->status, MessageStatus::kUndelivered);
    // Not committed: rolled back.
  }
  ASSERT_OK_AND_ASSIGN(auto unchanged, store_->FindOutboundBySid(kSid));
  EXPECT_EQ(unchanged->status, MessageStatus::kSent);
  EXPECT_EQ(unchanged->error_code, "");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(auto none, txn->FindOutboundBySid("SM0000000000000000000000000000000a"));
    EXPECT_FALSE(none.has_value());
    EXPECT_EQ(txn->SetMessageStatus(id + 1000, MessageStatus::kSent, "").code(),
              StatusCode::kNotFound);
  }
  for (MessageStatus s : {MessageStatus::kDelivered, MessageStatus::kRead, MessageStatus::kCanceled,
                          MessageStatus::kUndelivered}) {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SetMessageStatus(id, s, "30003"));
    ASSERT_OK(txn->Commit());
    ASSERT_OK_AND_ASSIGN(auto stored, store_->FindOutboundBySid(kSid));
    EXPECT_EQ(stored->status, s) << MessageStatusName(s);
    EXPECT_EQ(stored->error_code, "30003");
  }
  // In a batch event (pipelined writes on PostgreSQL) a later read of the event sees it.
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({c}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK(event->SetMessageStatus(id, MessageStatus::kFailed, "21610"));
    ASSERT_OK_AND_ASSIGN(auto seen, event->FindOutboundBySid(kSid));
    EXPECT_EQ(seen->status, MessageStatus::kFailed);
    EXPECT_EQ(seen->error_code, "21610");
    ASSERT_OK(event->Commit());
  }
  ASSERT_OK(batch->Commit());
  ASSERT_OK_AND_ASSIGN(auto committed, store_->FindOutboundBySid(kSid));
  EXPECT_EQ(committed->status, MessageStatus::kFailed);
}

}  // namespace parley::store::testing
