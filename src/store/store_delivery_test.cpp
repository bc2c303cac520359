// Conformance, continued (issue 9, delivery): WhatsApp templates on outbound messages and
// their outbox rows (schema v5), and what Twilio's 21610 does to the contact's session.
#include "store/postgres/pg_migrations.hpp"
#include "store/sqlite/sqlite_migrations.hpp"
#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::seconds;

constexpr char kContentSid[] = "HX0123456789abcdef0123456789abcdef";
constexpr char kVariables[] = R"({"1":"Ana","2":"9:00"})";

MessageRecord Template(int64_t contact_id, TimePoint at) {
  MessageRecord m;
  m.contact_id = contact_id;
  m.direction = MessageRecord::Direction::kOutbound;
  m.from = "whatsapp:+14155238886";
  m.to = "whatsapp:+15551230070";
  m.body = "Your check-in";
  m.content_sid = kContentSid;
  m.content_variables = kVariables;
  m.created_at = at;
  return m;
}

}  // namespace

// Issue 9 item 1: a template's ContentSid and ContentVariables are kept on the message and
// its outbox row, through a plain transaction and a batch (on PostgreSQL the batch queues
// both rows with one pipelined statement), and handed out by the claim.
TEST_P(StoreTest, AWhatsAppTemplateIsStoredWithTheMessageAndClaimedWithTheRow) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "whatsapp:+15551230070"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord m = Template(c.id, kT0);
    ASSERT_OK(txn->EnqueueOutbound(m));
    ASSERT_OK(txn->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
    ContactRecord init;
    init.address = c.address;
    ASSERT_OK(batch->LockContacts({init}));
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    MessageRecord m = Template(c.id, kT0 + seconds(1));
    m.content_variables = "";  // a template without variables
    ASSERT_OK(event->EnqueueOutbound(m));
    ASSERT_OK(event->Commit());
    ASSERT_OK(batch->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto messages, store_->Messages(c.id));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].content_sid, kContentSid);
  EXPECT_EQ(messages[0].content_variables, kVariables);
  EXPECT_EQ(messages[1].content_sid, kContentSid);
  EXPECT_EQ(messages[1].content_variables, "");

  ASSERT_OK_AND_ASSIGN(auto first, store_->ClaimOutbox(kT0 + seconds(10), 10, seconds(30)));
  ASSERT_EQ(first.size(), 1u);  // the head of the contact's queue
  EXPECT_EQ(first[0].content_sid, kContentSid);
  EXPECT_EQ(first[0].content_variables, kVariables);
  EXPECT_EQ(first[0].body, "Your check-in");
  ASSERT_OK(store_->FinishOutbox(first[0].id, MessageStatus::kQueued, "SMtemplate", ""));
  ASSERT_OK_AND_ASSIGN(auto second, store_->ClaimOutbox(kT0 + seconds(10), 10, seconds(30)));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].content_sid, kContentSid);
  EXPECT_EQ(second[0].content_variables, "");
}

// Issue 9 item 3: Twilio's 21610 on a send opts the contact out exactly as the contact's STOP
// does: status opted_out, the active session ended with status and reason "opted_out" when
// the answer came, and its timers gone. 21614 (invalid) changes the status only.
TEST_P(StoreTest, AnOptOutRefusalEndsTheActiveSessionAsStopDoes) {
  struct Contact {
    ContactRecord record;
    SessionRecord session;
    int64_t outbox_id = 0;
  };
  std::vector<Contact> contacts(2);
  for (size_t i = 0; i < contacts.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(contacts[i].record,
                         MakeContact(*store_, "+1555123008" + std::to_string(i)));
    contacts[i].session = NewSession(contacts[i].record.id, flow::SessionStatus::kActive);
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(contacts[i].session));
    ASSERT_OK(txn->SetTimer({contacts[i].session.id, "remind", kT0 + seconds(3600), 1, false}));
    MessageRecord m;
    m.contact_id = contacts[i].record.id;
    m.session_id = contacts[i].session.id;
    m.from = "+15005550006";
    m.to = contacts[i].record.address;
    m.body = "Did you check?";
    m.created_at = kT0;
    ASSERT_OK(txn->EnqueueOutbound(m));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimOutbox(kT0 + seconds(1), 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 2u);
  for (const OutboxItem& item : claimed) {
    for (Contact& c : contacts) {
      if (c.record.id == item.contact_id) {
        c.outbox_id = item.id;
      }
    }
  }
  const TimePoint answered = kT0 + seconds(2);
  auto refused = [&](const Contact& c, const char* code, ContactEffect effect) {
    OutboxDelivery d{c.outbox_id, MessageStatus::kFailed, "", code};
    d.effect = effect;
    d.contact_id = c.record.id;
    d.finished_at = answered;
    return d;
  };
  ASSERT_OK(store_->FinishOutboxBatch({refused(contacts[0], "21610", ContactEffect::kOptOut),
                                       refused(contacts[1], "21614", ContactEffect::kInvalid)}));

  EXPECT_EQ(store_->FindContactById(contacts[0].record.id).value()->status,
            ContactStatus::kOptedOut);
  ASSERT_OK_AND_ASSIGN(auto ended, store_->LatestSession(contacts[0].record.id));
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->session.status, flow::SessionStatus::kOptedOut);
  EXPECT_EQ(ended->end_reason, "opted_out");
  EXPECT_EQ(ended->ended_at, answered);
  EXPECT_EQ(ended->updated_at, answered);
  ASSERT_OK_AND_ASSIGN(auto no_timers, store_->Timers(contacts[0].session.id));
  EXPECT_TRUE(no_timers.empty());

  EXPECT_EQ(store_->FindContactById(contacts[1].record.id).value()->status,
            ContactStatus::kInvalid);
  ASSERT_OK_AND_ASSIGN(auto kept, store_->LatestSession(contacts[1].record.id));
  EXPECT_EQ(kept->session.status, flow::SessionStatus::kActive);
  ASSERT_OK_AND_ASSIGN(auto timers, store_->Timers(contacts[1].session.id));
  EXPECT_EQ(timers.size(), 1u);
}

// Issue 9 item 1: a database of schema v4 with a queued message upgrades in place; the
// message and its row read back free-form, and templates can be queued after.
TEST_P(StoreTest, UpgradesAVersionFourDatabaseWithAQueuedMessageInPlace) {
  if (postgres()) {
    std::string error;
    ASSERT_OK_AND_ASSIGN(url_, SharedCluster(&error)->CreateDatabase("v4"));
  } else {
    url_ = "sqlite:" + sqlite_dir_ + "/v4.db";
  }
  const auto migrations = postgres() ? detail::PgMigrations() : detail::SqliteMigrations();
  ASSERT_GE(migrations.size(), 5u);
  ASSERT_EQ(migrations[3].version, 4);
  std::string sql;
  for (size_t i = 0; i < 4; ++i) {
    sql += std::string(migrations[i].sql) + ";";
  }
  ASSERT_OK(RawExec(
      sql +
      "INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0), (3, 0), (4, 0);"
      "INSERT INTO contacts (address, channel, phone, created_at) "
      "VALUES ('+15551230090', 'sms', '+15551230090', 0);"
      "INSERT INTO messages (contact_id, direction, provider_sid, from_addr, to_addr, body, "
      "status, created_at) VALUES (1, 'outbound', '', '+15005550006', '+15551230090', "
      "'queued before v5', 'queued', 0);"
      "INSERT INTO outbox (message_id, contact_id, from_addr, to_addr, body, next_attempt_at) "
      "VALUES (1, 1, '+15005550006', '+15551230090', 'queued before v5', 0);"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(auto messages, store->Messages(1));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content_sid, "");
  EXPECT_EQ(messages[0].content_variables, "");
  ASSERT_OK_AND_ASSIGN(auto claimed, store->ClaimOutbox(kT0, 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].body, "queued before v5");
  EXPECT_EQ(claimed[0].content_sid, "");
  ASSERT_OK(store->FinishOutbox(claimed[0].id, MessageStatus::kQueued, "SMold", ""));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store->Begin());
    MessageRecord m = Template(1, kT0);
    ASSERT_OK(txn->EnqueueOutbound(m));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto next, store->ClaimOutbox(kT0, 10, seconds(30)));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].content_sid, kContentSid);
  EXPECT_EQ(next[0].content_variables, kVariables);
}

}  // namespace parley::store::testing
