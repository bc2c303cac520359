// Conformance, continued (issue 9, the sender): the outbox hands out one message per
// contact at a time, a finishing transaction acts on what Twilio's refusal says about the
// contact, deferrals and the outbox gauges.
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::seconds;

// Queues `bodies` for the contact, in order, in one transaction.
Status Queue(Store& store, const ContactRecord& c, const std::vector<std::string>& bodies) {
  auto txn = store.Begin();
  if (!txn.ok()) {
    return txn.status();
  }
  for (const std::string& body : bodies) {
    MessageRecord m;
    m.contact_id = c.id;
    m.direction = MessageRecord::Direction::kOutbound;
    m.from = "+15557654321";
    m.to = c.address;
    m.body = body;
    m.status = MessageStatus::kQueued;
    m.created_at = kT0;
    PARLEY_RETURN_IF_ERROR((*txn)->EnqueueOutbound(m));
  }
  return (*txn)->Commit();
}

std::vector<std::string> Bodies(const std::vector<OutboxItem>& items) {
  std::vector<std::string> out;
  for (const OutboxItem& i : items) {
    out.push_back(i.body);
  }
  return out;
}

// "body=status/error" of each of the contact's messages.
std::vector<std::string> Statuses(Store& store, int64_t contact_id) {
  std::vector<std::string> out;
  // Held in a local: value() of a temporary Result would dangle in the loop.
  const auto messages = store.Messages(contact_id);
  for (const MessageRecord& m : messages.value()) {
    out.push_back(m.body + "=" + MessageStatusName(m.status) +
                  (m.error_code.empty() ? "" : "/" + m.error_code));
  }
  return out;
}

}  // namespace

// Issue 9, the sender, item 1: a contact's next message is handed out only once the one
// before is finished; one waiting for a retry holds back its contact, not the others.
TEST_P(StoreTest, OutboxClaimsOnlyTheHeadOfEachContactsQueue) {
  ASSERT_OK_AND_ASSIGN(ContactRecord a, MakeContact(*store_, "+15551230031"));
  ASSERT_OK_AND_ASSIGN(ContactRecord b, MakeContact(*store_, "+15551230032"));
  ASSERT_OK(Queue(*store_, a, {"a1", "a2", "a3"}));
  ASSERT_OK(Queue(*store_, b, {"b1", "b2"}));
  const TimePoint now = kT0 + seconds(1);
  ASSERT_OK_AND_ASSIGN(auto heads, store_->ClaimOutbox(now, 10, seconds(30)));
  ASSERT_EQ(Bodies(heads), (std::vector<std::string>{"a1", "b1"}));
  ASSERT_OK_AND_ASSIGN(auto held, store_->ClaimOutbox(now, 10, seconds(30)));
  EXPECT_TRUE(held.empty());  // a2 and b2 wait for their heads, which are leased

  // a1 waits for a retry: a2 stays behind it; b's next message is free once b1 is done.
  ASSERT_OK(store_->RetryOutbox(heads[0].id, now + seconds(100)));
  ASSERT_OK(store_->FinishOutboxBatch({{heads[1].id, MessageStatus::kSent, "SMb1", ""}}));
  ASSERT_OK_AND_ASSIGN(auto next, store_->ClaimOutbox(now, 10, seconds(30)));
  ASSERT_EQ(Bodies(next), std::vector<std::string>{"b2"});
  ASSERT_OK(store_->FinishOutboxBatch({{next[0].id, MessageStatus::kSent, "SMb2", ""}}));
  ASSERT_OK_AND_ASSIGN(auto nothing, store_->ClaimOutbox(now + seconds(99), 10, seconds(30)));
  EXPECT_TRUE(nothing.empty());

  // The retry comes due: a1, then (finished for good, here refused) a2, then a3.
  ASSERT_OK_AND_ASSIGN(auto retried, store_->ClaimOutbox(now + seconds(100), 10, seconds(30)));
  ASSERT_EQ(Bodies(retried), std::vector<std::string>{"a1"});
  ASSERT_OK(store_->FinishOutboxBatch({{retried[0].id, MessageStatus::kSent, "SMa1", ""}}));
  ASSERT_OK_AND_ASSIGN(auto a2, store_->ClaimOutbox(now + seconds(100), 10, seconds(30)));
  ASSERT_EQ(Bodies(a2), std::vector<std::string>{"a2"});
  ASSERT_OK(store_->FinishOutboxBatch({{a2[0].id, MessageStatus::kFailed, "", "21612"}}));
  ASSERT_OK_AND_ASSIGN(auto a3, store_->ClaimOutbox(now + seconds(100), 10, seconds(30)));
  ASSERT_EQ(Bodies(a3), std::vector<std::string>{"a3"});
}

// Issue 9, the sender, item 1, with several claimers: on PostgreSQL several connections
// (instances) claim at once; no contact ever has two messages in hand, and each contact's
// messages finish in the order they were queued.
TEST_P(StoreTest, ConcurrentClaimersKeepEachContactsOrder) {
  constexpr int kContacts = 12;
  constexpr int kPerContact = 4;
  std::vector<ContactRecord> contacts;
  for (int i = 0; i < kContacts; ++i) {
    ASSERT_OK_AND_ASSIGN(ContactRecord c,
                         MakeContact(*store_, "+155512301" + std::to_string(10 + i)));
    std::vector<std::string> bodies;
    for (int k = 0; k < kPerContact; ++k) {
      bodies.push_back(std::to_string(k));
    }
    ASSERT_OK(Queue(*store_, c, bodies));
    contacts.push_back(c);
  }
  std::mutex mu;
  std::set<int64_t> in_hand;                          // guarded by mu
  std::map<int64_t, std::vector<std::string>> order;  // guarded by mu
  bool overlap = false;                               // guarded by mu
  auto claimer = [&](Store* store) {
    for (int idle = 0; idle < 50;) {
      auto claimed = store->ClaimOutbox(kT0 + seconds(1), 3, seconds(60));
      if (!claimed.ok() || claimed->empty()) {
        ++idle;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      idle = 0;
      std::vector<OutboxDelivery> done;
      {
        std::lock_guard lock(mu);
        for (const OutboxItem& item : *claimed) {
          overlap |= !in_hand.insert(item.contact_id).second;
          order[item.contact_id].push_back(item.body);
          done.push_back({item.id, MessageStatus::kSent, "", ""});
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // "sending"
      {
        std::lock_guard lock(mu);
        for (const OutboxItem& item : *claimed) {
          in_hand.erase(item.contact_id);
        }
      }
      ASSERT_OK(store->FinishOutboxBatch(done));
    }
  };
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(auto s, Open());
    stores.push_back(std::move(s));
  }
  std::thread one(claimer, stores[0].get());
  std::thread two(claimer, stores[1].get());
  one.join();
  two.join();
  EXPECT_FALSE(overlap);
  for (const ContactRecord& c : contacts) {
    EXPECT_EQ(order[c.id], (std::vector<std::string>{"0", "1", "2", "3"})) << c.address;
  }
  ASSERT_OK_AND_ASSIGN(auto stats, store_->ReadOutboxStats());
  EXPECT_EQ(stats.depth, 0);
}

// Issue 9, the sender's performance: one round finishes what the sender had in hand,
// reschedules what it put back and claims the next rows in ONE transaction. The claim sees
// the finishes (the contact's next message is handed out in the same round, and only it),
// a retry or deferral holds its contact back, and a deferral's attempt is not counted.
TEST_P(StoreTest, ARoundFinishesReschedulesAndClaimsInOneTransaction) {
  ASSERT_OK_AND_ASSIGN(ContactRecord a, MakeContact(*store_, "+15551230051"));
  ASSERT_OK_AND_ASSIGN(ContactRecord b, MakeContact(*store_, "+15551230052"));
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230053"));
  ASSERT_OK(Queue(*store_, a, {"a1", "a2", "a3"}));
  ASSERT_OK(Queue(*store_, b, {"b1", "b2"}));
  ASSERT_OK(Queue(*store_, c, {"c1", "c2"}));
  const TimePoint now = kT0 + seconds(1);
  OutboxRound first;
  first.claim = 10;
  first.now = now;
  first.lease = seconds(30);
  ASSERT_OK_AND_ASSIGN(auto heads, store_->FinishAndClaimOutbox(first));
  ASSERT_EQ(Bodies(heads), (std::vector<std::string>{"a1", "b1", "c1"}));

  // a1 was sent, b1 failed in passing (retry later), c1 was put back untried (its rate).
  OutboxRound second = first;
  second.finished = {{heads[0].id, MessageStatus::kSent, "SMa1", ""}};
  second.rescheduled = {{heads[1].id, now + seconds(100), false},
                        {heads[2].id, now + seconds(50), true}};
  ASSERT_OK_AND_ASSIGN(auto next, store_->FinishAndClaimOutbox(second));
  ASSERT_EQ(Bodies(next), std::vector<std::string>{"a2"});  // b2, c2 wait behind their heads
  EXPECT_EQ(next[0].attempts, 1);
  ASSERT_OK_AND_ASSIGN(auto held, store_->ClaimOutbox(now, 10, seconds(30)));
  EXPECT_TRUE(held.empty());  // a2 is leased: never handed out twice
  EXPECT_EQ(Statuses(*store_, a.id),
            (std::vector<std::string>{"a1=sent", "a2=queued", "a3=queued"}));
  ASSERT_OK_AND_ASSIGN(auto sent, store_->FindOutboundBySid("SMa1"));
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->body, "a1");

  // Finishing a row that is gone (another round took it) is skipped, as is rescheduling one.
  OutboxRound third = first;
  third.now = now + seconds(100);
  third.finished = {{next[0].id, MessageStatus::kSent, "SMa2", ""},
                    {heads[0].id, MessageStatus::kFailed, "", "30001"}};
  third.rescheduled = {{heads[0].id, now, false}};
  ASSERT_OK_AND_ASSIGN(auto due, store_->FinishAndClaimOutbox(third));
  // By due time: a3 (queued at kT0), c1, b1. b1 counts its second attempt; c1 was put back
  // untried, so this is its first.
  ASSERT_EQ(Bodies(due), (std::vector<std::string>{"a3", "c1", "b1"}));
  for (const OutboxItem& item : due) {
    EXPECT_EQ(item.attempts, item.body == "b1" ? 2 : 1) << item.body;
  }
  EXPECT_EQ(Statuses(*store_, a.id), (std::vector<std::string>{"a1=sent", "a2=sent", "a3=queued"}));

  // A round with nothing to claim only records.
  OutboxRound last = third;
  last.claim = 0;
  last.rescheduled.clear();
  last.finished.clear();
  for (const OutboxItem& item : due) {
    last.finished.push_back({item.id, MessageStatus::kSent, "", ""});
  }
  ASSERT_OK_AND_ASSIGN(auto none, store_->FinishAndClaimOutbox(last));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto stats, store_->ReadOutboxStats());
  EXPECT_EQ(stats.depth, 2);  // b2, c2
}

// Issue 9, the sender's performance, with several instances: claimers that finish the
// previous round and claim the next in one transaction (on PostgreSQL two connections at
// once) never hand one contact two messages at a time, nor any message twice, and each
// contact's messages go in the order they were queued.
TEST_P(StoreTest, ConcurrentRoundsKeepEachContactsOrderAndSendNothingTwice) {
  constexpr int kContacts = 12;
  constexpr int kPerContact = 4;
  std::vector<ContactRecord> contacts;
  for (int i = 0; i < kContacts; ++i) {
    ASSERT_OK_AND_ASSIGN(ContactRecord c,
                         MakeContact(*store_, "+155512302" + std::to_string(10 + i)));
    std::vector<std::string> bodies;
    for (int k = 0; k < kPerContact; ++k) {
      bodies.push_back(std::to_string(k));
    }
    ASSERT_OK(Queue(*store_, c, bodies));
    contacts.push_back(c);
  }
  std::mutex mu;
  std::set<int64_t> in_hand;                          // guarded by mu: contacts
  std::set<int64_t> handed_out;                       // guarded by mu: outbox ids
  std::map<int64_t, std::vector<std::string>> order;  // guarded by mu
  bool overlap = false;                               // guarded by mu
  bool twice = false;                                 // guarded by mu
  auto claimer = [&](Store* store) {
    std::vector<OutboxItem> held;
    for (int idle = 0; idle < 50;) {
      OutboxRound round;
      round.claim = 3;
      round.now = kT0 + seconds(1);
      round.lease = seconds(60);
      {
        std::lock_guard lock(mu);
        for (const OutboxItem& item : held) {
          in_hand.erase(item.contact_id);
          round.finished.push_back({item.id, MessageStatus::kSent, "", ""});
        }
      }
      auto claimed = store->FinishAndClaimOutbox(round);
      ASSERT_OK(claimed.status());
      held = std::move(claimed).value();
      if (held.empty()) {
        ++idle;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      idle = 0;
      {
        std::lock_guard lock(mu);
        for (const OutboxItem& item : held) {
          overlap |= !in_hand.insert(item.contact_id).second;
          twice |= !handed_out.insert(item.id).second;
          order[item.contact_id].push_back(item.body);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // "sending"
    }
  };
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(auto s, Open());
    stores.push_back(std::move(s));
  }
  std::thread one(claimer, stores[0].get());
  std::thread two(claimer, stores[1].get());
  one.join();
  two.join();
  EXPECT_FALSE(overlap);
  EXPECT_FALSE(twice);
  for (const ContactRecord& c : contacts) {
    EXPECT_EQ(order[c.id], (std::vector<std::string>{"0", "1", "2", "3"})) << c.address;
  }
  ASSERT_OK_AND_ASSIGN(auto stats, store_->ReadOutboxStats());
  EXPECT_EQ(stats.depth, 0);
}

// Issue 9, the sender, item 5: 21610 opts the contact out, 21211/21614 mark the address
// invalid, 63016 closes the WhatsApp window; each fails the contact's other queued messages
// in the finishing transaction. A blocked contact stays blocked.
TEST_P(StoreTest, FinishingARefusalActsOnTheContact) {
  ASSERT_OK_AND_ASSIGN(ContactRecord out, MakeContact(*store_, "+15551230041"));
  ASSERT_OK_AND_ASSIGN(ContactRecord bad, MakeContact(*store_, "+15551230042"));
  ASSERT_OK_AND_ASSIGN(ContactRecord wa, MakeContact(*store_, "whatsapp:+15551230043"));
  ASSERT_OK_AND_ASSIGN(ContactRecord blocked, MakeContact(*store_, "+15551230044"));
  ASSERT_OK_AND_ASSIGN(ContactRecord other, MakeContact(*store_, "+15551230045"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(ContactRecord locked, txn->LockContactById(blocked.id));
    locked.status = ContactStatus::kBlocked;
    ASSERT_OK(txn->UpdateContact(locked));
    ASSERT_OK_AND_ASSIGN(ContactRecord w, txn->LockContactById(wa.id));
    w.last_inbound_at = kT0 - seconds(5);
    ASSERT_OK(txn->UpdateContact(w));
    ASSERT_OK(txn->Commit());
  }
  for (const ContactRecord* c : {&out, &bad, &wa, &blocked, &other}) {
    ASSERT_OK(Queue(*store_, *c, {"first", "second", "third"}));
  }
  ASSERT_OK_AND_ASSIGN(auto heads, store_->ClaimOutbox(kT0 + seconds(1), 10, seconds(30)));
  ASSERT_EQ(heads.size(), 5u);
  std::map<int64_t, OutboxItem> by_contact;
  for (const OutboxItem& item : heads) {
    by_contact[item.contact_id] = item;
  }
  EXPECT_EQ(by_contact[blocked.id].contact_status, ContactStatus::kBlocked);
  EXPECT_EQ(by_contact[wa.id].last_inbound_at, kT0 - seconds(5));
  EXPECT_FALSE(by_contact[out.id].last_inbound_at.has_value());

  auto refused = [&](const ContactRecord& c, const char* code, ContactEffect effect) {
    OutboxDelivery d{by_contact[c.id].id, MessageStatus::kFailed, "", code};
    d.effect = effect;
    d.contact_id = c.id;
    return d;
  };
  ASSERT_OK(store_->FinishOutboxBatch({
      refused(out, "21610", ContactEffect::kOptOut),
      refused(bad, "21614", ContactEffect::kInvalid),
      refused(wa, "63016", ContactEffect::kWindowClosed),
      refused(blocked, "21610", ContactEffect::kOptOut),
      {by_contact[other.id].id, MessageStatus::kSent, "SMother", ""},
  }));
  EXPECT_EQ(store_->FindContactById(out.id).value()->status, ContactStatus::kOptedOut);
  EXPECT_EQ(store_->FindContactById(bad.id).value()->status, ContactStatus::kInvalid);
  EXPECT_EQ(store_->FindContactById(wa.id).value()->status, ContactStatus::kActive);
  EXPECT_EQ(store_->FindContactById(blocked.id).value()->status, ContactStatus::kBlocked);
  EXPECT_EQ(store_->FindContactById(other.id).value()->status, ContactStatus::kActive);
  EXPECT_EQ(Statuses(*store_, out.id),
            (std::vector<std::string>{"first=failed/21610", "second=failed/opted_out",
                                      "third=failed/opted_out"}));
  EXPECT_EQ(Statuses(*store_, bad.id),
            (std::vector<std::string>{"first=failed/21614", "second=failed/invalid_address",
                                      "third=failed/invalid_address"}));
  EXPECT_EQ(Statuses(*store_, wa.id),
            (std::vector<std::string>{"first=failed/63016", "second=failed/window_closed",
                                      "third=failed/window_closed"}));
  EXPECT_EQ(Statuses(*store_, other.id),
            (std::vector<std::string>{"first=sent", "second=queued", "third=queued"}));
  // Only the unaffected contact has messages left (Twilio refuses the blocked contact's
  // too: they fail, though its status stays as the operator set it).
  ASSERT_OK_AND_ASSIGN(auto stats, store_->ReadOutboxStats());
  EXPECT_EQ(stats.depth, 2);
}

// Issue 9, the sender, items 4 and 6: a row the rate limiter put back keeps its attempt
// count; the gauges read the outbox's depth and its oldest message.
TEST_P(StoreTest, DeferOutboxKeepsTheAttemptCountAndStatsReadTheOutbox) {
  ASSERT_OK_AND_ASSIGN(auto empty, store_->ReadOutboxStats());
  EXPECT_EQ(empty.depth, 0);
  EXPECT_FALSE(empty.oldest_at.has_value());
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230051"));
  ASSERT_OK(Queue(*store_, c, {"x", "y"}));
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimOutbox(kT0, 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempts, 1);
  ASSERT_OK(store_->DeferOutbox(claimed[0].id, kT0 + seconds(2)));
  EXPECT_EQ(store_->DeferOutbox(999999, kT0).code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto early, store_->ClaimOutbox(kT0 + seconds(1), 10, seconds(30)));
  EXPECT_TRUE(early.empty());
  ASSERT_OK_AND_ASSIGN(auto again, store_->ClaimOutbox(kT0 + seconds(2), 10, seconds(30)));
  ASSERT_EQ(Bodies(again), std::vector<std::string>{"x"});
  EXPECT_EQ(again[0].attempts, 1);
  ASSERT_OK_AND_ASSIGN(auto stats, store_->ReadOutboxStats());
  EXPECT_EQ(stats.depth, 2);
  EXPECT_EQ(stats.oldest_at, kT0);
}

}  // namespace parley::store::testing
