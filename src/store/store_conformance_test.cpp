// The Store contract (store.hpp), checked point by point on both backends against real
// databases. Concurrency and failure tests are in store_concurrency_test.cpp.
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>

#include "common/json.hpp"
#include "store/store_test_fixture.hpp"

#include "store/postgres/pg_migrations.hpp"
#include "store/sqlite/sqlite_migrations.hpp"

namespace parley::store::testing {

using flow::SessionStatus;

// --- fixture -------------------------------------------------------------------------------

parley::testing::PgCluster* SharedCluster(std::string* error) {
  return parley::testing::PgCluster::Shared(error);
}

void StoreTest::TearDownTestSuite() { parley::testing::PgCluster::StopShared(); }

void StoreTest::SetUp() {
  if (postgres()) {
    std::string error;
    parley::testing::PgCluster* cluster = SharedCluster(&error);
    if (cluster == nullptr) {
      GTEST_SKIP() << "no PostgreSQL: " << error;
    }
    static std::atomic<int> counter{0};
    ASSERT_OK_AND_ASSIGN(url_, cluster->CreateDatabase("t" + std::to_string(++counter)));
  } else {
    char templ[] = "/tmp/parley-store-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    sqlite_dir_ = templ;
    url_ = "sqlite:" + sqlite_dir_ + "/parley.db";
  }
  ASSERT_OK_AND_ASSIGN(store_, Open());
  ASSERT_EQ(store_->dialect(), GetParam());
  ASSERT_OK(store_->Migrate());
}

void StoreTest::TearDown() {
  store_.reset();
  if (!sqlite_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_dir_, ec);
  }
}

Result<std::unique_ptr<Store>> StoreTest::Open(const ConnectOptions& options) const {
  return OpenStore(url_, options);
}

Status StoreTest::RawExec(const std::string& sql) const {
  if (postgres()) {
    PGconn* conn = PQconnectdb(url_.c_str());
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string error = PQerrorMessage(conn);
    PQclear(r);
    PQfinish(conn);
    return ok ? Status::Ok() : Status::Internal(error);
  }
  sqlite3* db = nullptr;
  sqlite3_open(url_.substr(7).c_str(), &db);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  std::string error = sqlite3_errmsg(db);
  sqlite3_close(db);
  return rc == SQLITE_OK ? Status::Ok() : Status::Internal(error);
}

Status StoreTest::CreateDatabaseAtVersion(int version, const std::string& name,
                                          const std::string& then_sql) {
  if (postgres()) {
    std::string error;
    parley::testing::PgCluster* cluster = SharedCluster(&error);
    if (cluster == nullptr) {
      return Status::Unavailable(error);
    }
    auto url = cluster->CreateDatabase(name);
    if (!url.ok()) {
      return url.status();
    }
    url_ = *url;
  } else {
    url_ = "sqlite:" + sqlite_dir_ + "/" + name + ".db";
  }
  std::string script;
  for (const auto& m : postgres() ? detail::PgMigrations() : detail::SqliteMigrations()) {
    if (m.version <= version) {
      script += std::string(m.sql) + ";";
      script += "INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                std::to_string(m.version) + ", 0);";
    }
  }
  return RawExec(script + then_sql);
}

Result<ContactRecord> MakeContact(Store& store, const std::string& address) {
  auto txn = store.Begin();
  if (!txn.ok()) {
    return txn.status();
  }
  ContactRecord init;
  init.address = address;
  init.phone = address;
  init.created_at = kT0;
  auto contact = (*txn)->LockContact(init);
  if (!contact.ok()) {
    return contact.status();
  }
  PARLEY_RETURN_IF_ERROR((*txn)->Commit());
  return contact;
}

SessionRecord NewSession(int64_t contact_id, SessionStatus status) {
  SessionRecord s;
  s.contact_id = contact_id;
  s.flow_revision = "rev1";
  s.session.flow_id = "checkin";
  s.session.state = "ASK_NAME";
  s.session.status = status;
  s.started_at = kT0;
  s.updated_at = kT0;
  return s;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// --- migrations ----------------------------------------------------------------------------

constexpr const char* kEmptyCounts = "contacts=0 sessions=0 messages=0 outbox=0 timers=0 flows=0";

TEST_P(StoreTest, MigratesFromEmpty) {
  // SetUp migrated store_; a second database shows the empty state.
  if (postgres()) {
    std::string error;
    ASSERT_OK_AND_ASSIGN(url_, SharedCluster(&error)->CreateDatabase("fresh"));
  } else {
    url_ = "sqlite:" + sqlite_dir_ + "/fresh.db";
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 0);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  EXPECT_GE(after, 1);
  ASSERT_OK_AND_ASSIGN(std::string counts, store->RowCounts());
  EXPECT_EQ(counts, kEmptyCounts);
}

TEST_P(StoreTest, MigrateTwiceIsNoOp) {
  ASSERT_OK(MakeContact(*store_, "+15551230000").status());
  ASSERT_OK(store_->Migrate());
  ASSERT_OK_AND_ASSIGN(auto other, Open());
  ASSERT_OK(other->Migrate());
  ASSERT_OK_AND_ASSIGN(int version, store_->SchemaVersion());
  EXPECT_EQ(version, store_->LatestSchemaVersion());
  // Nothing was re-created: the data is still there.
  ASSERT_OK_AND_ASSIGN(std::string counts, other->RowCounts());
  EXPECT_EQ(counts, "contacts=1 sessions=0 messages=0 outbox=0 timers=0 flows=0");
}

TEST_P(StoreTest, RefusesNewerSchemaAndChangesNothing) {
  const int latest = store_->LatestSchemaVersion();
  ASSERT_OK(RawExec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                    std::to_string(latest + 1) + ", 0)"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  const Status s = store->Migrate();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "database schema is version " + std::to_string(latest + 1) +
                             " but this parley knows only up to " + std::to_string(latest) +
                             "; upgrade parley");
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, latest + 1);
  ASSERT_OK_AND_ASSIGN(std::string counts, store->RowCounts());
  EXPECT_EQ(counts, kEmptyCounts);
}

// A database made by the first release (schema v1, with data) upgrades in place.
TEST_P(StoreTest, UpgradesAVersionOneDatabaseInPlace) {
  if (postgres()) {
    std::string error;
    ASSERT_OK_AND_ASSIGN(url_, SharedCluster(&error)->CreateDatabase("v1"));
  } else {
    url_ = "sqlite:" + sqlite_dir_ + "/v1.db";
  }
  const auto& v1 = (postgres() ? detail::PgMigrations() : detail::SqliteMigrations()).front();
  ASSERT_EQ(v1.version, 1);
  ASSERT_OK(RawExec(std::string(v1.sql) +
                    "; INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0);"
                    "INSERT INTO contacts (address, channel, phone, created_at) "
                    "VALUES ('+15551230040', 'sms', '+15551230040', 0);"
                    "INSERT INTO sessions (contact_id, flow_id, flow_revision, state, variables, "
                    "step, status, started_at, updated_at) "
                    "VALUES (1, 'checkin', 'r1', 'ASK_NAME', '{}', 1, 'active', 0, 0);"
                    "INSERT INTO timers (session_id, contact_id, name, due, step, keep) "
                    "VALUES (1, 1, 'nudge', 5, 1, 0);"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 1);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(auto contact, store->FindContact("+15551230040"));
  ASSERT_TRUE(contact.has_value());
  ASSERT_OK_AND_ASSIGN(auto timers, store->ClaimTimers(FromUnixMillis(10), 10, Duration(1000)));
  ASSERT_EQ(timers.size(), 1u);  // the v1 timer is claimable: its lease column defaults to 0
  EXPECT_EQ(timers[0].name, "nudge");
  EXPECT_FALSE(timers[0].recur.has_value());  // v6: a timer from before is one-shot
}

TEST(StoreOpenTest, UnknownSchemeIsInvalidArgumentNamingTheForms) {
  auto store = OpenStore("mysql://root:secret@localhost/parley");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("sqlite:PATH"), std::string::npos);
  EXPECT_NE(store.status().message().find("postgres://"), std::string::npos);
  EXPECT_EQ(store.status().message().find("secret"), std::string::npos);
  EXPECT_EQ(OpenStore("sqlite:").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("postgresql://host/db?no_such_option=1").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(StoreOpenTest, SqliteInMemoryWorks) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore("sqlite::memory:"));
  ASSERT_OK(store->Migrate());
  ASSERT_OK(store->Ping());
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, store->LatestSchemaVersion());
}

TEST(StoreOpenTest, SqliteUnopenableFileIsUnavailable) {
  auto store = OpenStore("sqlite:/nonexistent-dir/parley.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
}

// --- contacts ------------------------------------------------------------------------------

TEST_P(StoreTest, ContactFindOrCreateAndUpdate) {
  ContactRecord init;
  init.address = "whatsapp:+15551230001";
  init.channel = "whatsapp";
  init.phone = "+15551230001";
  init.name = "Ana";
  init.wa_id = "15551230001";
  init.created_at = kT0;
  ContactRecord created;
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(created, txn->LockContact(init));
    ASSERT_OK(txn->Commit());
  }
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.address, init.address);
  EXPECT_EQ(created.channel, "whatsapp");
  EXPECT_EQ(created.name, "Ana");
  EXPECT_EQ(created.status, ContactStatus::kActive);
  EXPECT_EQ(created.fields_json, "{}");
  EXPECT_FALSE(created.last_inbound_at.has_value());
  EXPECT_EQ(created.created_at, kT0);

  // An existing contact comes back as stored; `init` is not applied.
  ContactRecord again_init = init;
  again_init.name = "Someone else";
  ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
  ASSERT_OK_AND_ASSIGN(ContactRecord again, txn->LockContact(again_init));
  EXPECT_EQ(again.id, created.id);
  EXPECT_EQ(again.name, "Ana");

  again.name = "Ana María";
  again.status = ContactStatus::kOptedOut;
  again.language = "es-419";
  again.time_zone = "America/Lima";
  again.fields_json = R"({"team":"norte","nivel":"2"})";
  again.last_inbound_at = kT0 + std::chrono::minutes(5);
  ASSERT_OK(txn->UpdateContact(again));
  ASSERT_OK(txn->Commit());

  ASSERT_OK_AND_ASSIGN(auto found, store_->FindContact(init.address));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Ana María");
  EXPECT_EQ(found->status, ContactStatus::kOptedOut);
  EXPECT_EQ(found->language, "es-419");
  EXPECT_EQ(found->time_zone, "America/Lima");
  EXPECT_EQ(found->fields_json, again.fields_json);
  EXPECT_EQ(found->last_inbound_at, kT0 + std::chrono::minutes(5));
  EXPECT_EQ(found->wa_id, "15551230001");

  ASSERT_OK_AND_ASSIGN(auto missing, store_->FindContact("+15550000000"));
  EXPECT_FALSE(missing.has_value());
  // The same phone on SMS is another contact.
  ASSERT_OK_AND_ASSIGN(ContactRecord sms, MakeContact(*store_, "+15551230001"));
  EXPECT_NE(sms.id, created.id);
}

// --- messages ------------------------------------------------------------------------------

MessageRecord Inbound(int64_t contact_id, std::string sid, std::string body) {
  MessageRecord m;
  m.contact_id = contact_id;
  m.provider_sid = std::move(sid);
  m.from = "+15551230002";
  m.to = "+15557654321";
  m.body = std::move(body);
  m.status = MessageStatus::kReceived;
  m.created_at = kT0;
  return m;
}

// A database of schema v2 with messages (the release before replies were linked) upgrades
// in place: its messages read back with no reply_to, and new replies are linked.
TEST_P(StoreTest, UpgradesAVersionTwoDatabaseWithMessagesInPlace) {
  if (postgres()) {
    std::string error;
    ASSERT_OK_AND_ASSIGN(url_, SharedCluster(&error)->CreateDatabase("v2"));
  } else {
    url_ = "sqlite:" + sqlite_dir_ + "/v2.db";
  }
  const auto migrations = postgres() ? detail::PgMigrations() : detail::SqliteMigrations();
  ASSERT_GE(migrations.size(), 3u);
  ASSERT_EQ(migrations[1].version, 2);
  ASSERT_OK(
      RawExec(std::string(migrations[0].sql) + ";" + std::string(migrations[1].sql) +
              "; INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0);"
              "INSERT INTO contacts (address, channel, phone, created_at) "
              "VALUES ('+15551230041', 'sms', '+15551230041', 0);"
              "INSERT INTO messages (contact_id, direction, provider_sid, from_addr, "
              "to_addr, body, status, created_at) VALUES "
              "(1, 'inbound', 'SM00000000000000000000000000000041', '+15551230041', "
              "'+15005550006', 'yes', 'received', 0), "
              "(1, 'outbound', '', '+15005550006', '+15551230041', 'old reply', 'twiml', 0);"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(auto messages, store->Messages(1));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_FALSE(messages[1].reply_to.has_value());
  ASSERT_OK_AND_ASSIGN(auto txn, store->Begin());
  // A reply recorded before v3 is not linked: a retry of it is answered with nothing.
  ASSERT_OK_AND_ASSIGN(auto old, txn->RepliesTo("SM00000000000000000000000000000041"));
  EXPECT_TRUE(old.empty());
  MessageRecord out = Inbound(1, "", "new reply");
  out.direction = MessageRecord::Direction::kOutbound;
  out.reply_to = messages[0].id;
  ASSERT_OK(txn->RecordOutbound(out));
  ASSERT_OK_AND_ASSIGN(auto linked, txn->RepliesTo("SM00000000000000000000000000000041"));
  ASSERT_EQ(linked.size(), 1u);
  EXPECT_EQ(linked[0].body, "new reply");
}

TEST_P(StoreTest, InboundIsDedupedByProviderSid) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230002"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord m = Inbound(c.id, "SM00000000000000000000000000000001", "hola 👋");
    m.media = {"https://api.twilio.com/media/1", "https://api.twilio.com/media/2"};
    ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(m));
    EXPECT_TRUE(inserted);
    EXPECT_GT(m.id, 0);
    // A repeat inside the same transaction is a repeat too.
    MessageRecord again = Inbound(c.id, m.provider_sid, "hola 👋");
    ASSERT_OK_AND_ASSIGN(bool inserted_again, txn->InsertInbound(again));
    EXPECT_FALSE(inserted_again);
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(std::string before, store_->RowCounts());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord retry = Inbound(c.id, "SM00000000000000000000000000000001", "hola 👋");
    ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(retry));
    EXPECT_FALSE(inserted);
    // The same sid on an outbound message is no conflict.
    MessageRecord out = Inbound(c.id, "SM00000000000000000000000000000001", "reply");
    ASSERT_OK(txn->EnqueueOutbound(out));
    EXPECT_EQ(out.status, MessageStatus::kQueued);
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(std::string after, store_->RowCounts());
  EXPECT_NE(before, after);

  ASSERT_OK_AND_ASSIGN(auto messages, store_->Messages(c.id));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].direction, MessageRecord::Direction::kInbound);
  EXPECT_EQ(messages[0].body, "hola 👋");
  EXPECT_EQ(messages[0].status, MessageStatus::kReceived);
  EXPECT_EQ(messages[0].media, (std::vector<std::string>{"https://api.twilio.com/media/1",
                                                         "https://api.twilio.com/media/2"}));
  EXPECT_EQ(messages[0].created_at, kT0);
  EXPECT_FALSE(messages[0].session_id.has_value());
  EXPECT_EQ(messages[1].direction, MessageRecord::Direction::kOutbound);
  EXPECT_EQ(messages[1].status, MessageStatus::kQueued);
  EXPECT_TRUE(messages[1].media.empty());
}

// Issue 8 item 4: a webhook retry is answered with the replies of the original event, found
// by the inbound MessageSid, inside the transaction that finds the repeat.
TEST_P(StoreTest, RepliesToFindsTheOutboundMessagesAnsweringAnInboundSid) {
  const std::string sid = "SM00000000000000000000000000000004";
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230004"));
  const auto reply = [&](int64_t inbound_id, std::string body) {
    MessageRecord m = Inbound(c.id, "", std::move(body));
    m.direction = MessageRecord::Direction::kOutbound;
    m.status = MessageStatus::kTwiml;
    m.reply_to = inbound_id;
    return m;
  };
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord in = Inbound(c.id, sid, "yes");
    ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(in));
    ASSERT_TRUE(inserted);
    MessageRecord first = reply(in.id, "first");
    first.media = {"https://example.com/a.png"};
    ASSERT_OK(txn->RecordOutbound(first));
    MessageRecord second = reply(in.id, "second");
    ASSERT_OK(txn->EnqueueOutbound(second));
    MessageRecord unrelated = reply(0, "started by parley");
    unrelated.reply_to.reset();
    ASSERT_OK(txn->EnqueueOutbound(unrelated));
    // The transaction's own writes are seen.
    ASSERT_OK_AND_ASSIGN(auto mine, txn->RepliesTo(sid));
    EXPECT_EQ(mine.size(), 2u);
    ASSERT_OK(txn->Commit());
  }
  // Read before Begin: on SQLite an open transaction holds the store's only connection.
  ASSERT_OK_AND_ASSIGN(auto messages, store_->Messages(c.id));
  ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
  ASSERT_OK_AND_ASSIGN(auto replies, txn->RepliesTo(sid));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].body, "first");
  EXPECT_EQ(replies[0].media, std::vector<std::string>{"https://example.com/a.png"});
  EXPECT_EQ(replies[0].status, MessageStatus::kTwiml);
  EXPECT_EQ(replies[1].body, "second");
  EXPECT_EQ(replies[1].status, MessageStatus::kQueued);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_FALSE(messages[0].reply_to.has_value());
  EXPECT_EQ(replies[0].reply_to, messages[0].id);
  EXPECT_FALSE(messages[3].reply_to.has_value());
  ASSERT_OK_AND_ASSIGN(auto none, txn->RepliesTo("SM00000000000000000000000000000005"));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto empty_sid, txn->RepliesTo(""));
  EXPECT_TRUE(empty_sid.empty());
}

// The same inside a batch: the retry is a later event of the original's batch, whose writes
// are pipelined on PostgreSQL.
TEST_P(StoreTest, RepliesToSeesAnEarlierEventOfTheBatch) {
  const std::string sid = "SM00000000000000000000000000000006";
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230006"));
  ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
  ASSERT_OK(batch->LockContacts({c}));
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    MessageRecord in = Inbound(c.id, sid, "yes");
    ASSERT_OK_AND_ASSIGN(bool inserted, event->InsertInbound(in));
    ASSERT_TRUE(inserted);
    MessageRecord out = Inbound(c.id, "", "the reply");
    out.direction = MessageRecord::Direction::kOutbound;
    out.reply_to = in.id;
    ASSERT_OK(event->EnqueueOutbound(out));
    ASSERT_OK(event->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    MessageRecord again = Inbound(c.id, sid, "yes");
    ASSERT_OK_AND_ASSIGN(bool inserted, event->InsertInbound(again));
    EXPECT_FALSE(inserted);
    ASSERT_OK_AND_ASSIGN(auto replies, event->RepliesTo(sid));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].body, "the reply");
  }
  ASSERT_OK(batch->Commit());
}

TEST_P(StoreTest, InboundWithoutSidIsNeverARepeat) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230003"));
  ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
  for (int i = 0; i < 2; ++i) {
    MessageRecord m = Inbound(c.id, "", "typed in parley chat");
    ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(m));
    EXPECT_TRUE(inserted);
  }
  ASSERT_OK(txn->Commit());
}

// --- sessions ------------------------------------------------------------------------------

// Issue 8 item 9: PostgreSQL's text refuses U+0000 (and ill-formed UTF-8), so an event that
// wrote one failed on every retry there while SQLite kept it. Both now store U+FFFD, for
// every writer (the webhook normalizes first; flow replies and the CLI come here directly).
TEST_P(StoreTest, NulAndIllFormedTextAreStoredAsReplacementCharacters) {
  using namespace std::string_literals;
  const std::string r = "\xEF\xBF\xBD";
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230009"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    c.name = "Ana\0"s;
    c.wa_id = "\xFF";
    ASSERT_OK(txn->UpdateContact(c));
    MessageRecord in = Inbound(c.id, "SM00000000000000000000000000000009", "a\0b"s);
    in.to = "+1500\0"s;
    in.media = {"https://example.com/\0"s};
    ASSERT_OK_AND_ASSIGN(bool inserted, txn->InsertInbound(in));
    ASSERT_TRUE(inserted);
    MessageRecord out = Inbound(c.id, "", "\0reply\xC0\xAF"s);
    out.direction = MessageRecord::Direction::kOutbound;
    out.reply_to = in.id;
    ASSERT_OK(txn->EnqueueOutbound(out));
    SessionRecord session = NewSession(c.id, SessionStatus::kActive);
    session.session.vars.Set("said", json::Value("x\0y"s));
    ASSERT_OK(txn->SaveSession(session));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto contact, store_->FindContact("+15551230009"));
  ASSERT_TRUE(contact.has_value());
  EXPECT_EQ(contact->name, "Ana" + r);
  EXPECT_EQ(contact->wa_id, r);
  ASSERT_OK_AND_ASSIGN(auto messages, store_->Messages(c.id));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].body, "a" + r + "b");
  EXPECT_EQ(messages[0].to, "+1500" + r);
  EXPECT_EQ(messages[1].body, r + "reply" + r + r);
  ASSERT_OK_AND_ASSIGN(auto outbox, store_->ClaimOutbox(kT0, 10, std::chrono::minutes(1)));
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].body, messages[1].body);
  // Variables are JSON text: a U+0000 in a value is an escape there and comes back as it was.
  ASSERT_OK_AND_ASSIGN(auto session, store_->LatestSession(c.id));
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->session.vars.Find("said")->as_string(), "x\0y"s);
}

TEST_P(StoreTest, SessionRoundTripsVariables) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230004"));
  SessionRecord s = NewSession(c.id, SessionStatus::kActive);
  ASSERT_OK_AND_ASSIGN(json::Value vars,
                       json::Parse(R"({"name":"Zoë 🎉 李","q":"say \"hi\"\n\tbye\\",)"
                                   R"("nested":{"list":[1,2.5,-3e-7,"x",true,null,{"k":[]}],)"
                                   R"("empty":{}},"big":9007199254740991,"ctl":"\u0001"})"));
  s.session.vars = vars;
  s.session.step = 3;
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->Commit());
  }
  EXPECT_GT(s.id, 0);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(auto active, txn->ActiveSession(c.id));
    ASSERT_TRUE(active.has_value());
    EXPECT_EQ(active->id, s.id);
    EXPECT_EQ(active->session, s.session);
    EXPECT_EQ(active->flow_revision, "rev1");
    EXPECT_EQ(active->started_at, kT0);
    EXPECT_FALSE(active->ended_at.has_value());

    active->session.state = "DONE";
    active->session.step = 4;
    active->session.status = SessionStatus::kCompleted;
    active->session.vars.Set("answer", json::Value("sí"));
    active->updated_at = kT0 + std::chrono::seconds(30);
    active->ended_at = kT0 + std::chrono::seconds(30);
    active->end_reason = "completed";
    ASSERT_OK(txn->SaveSession(*active));
    ASSERT_OK_AND_ASSIGN(auto none, txn->ActiveSession(c.id));
    EXPECT_FALSE(none.has_value());
    ASSERT_OK(txn->Commit());
    s = *active;
  }
  ASSERT_OK_AND_ASSIGN(auto latest, store_->LatestSession(c.id));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->session, s.session);
  EXPECT_EQ(latest->updated_at, kT0 + std::chrono::seconds(30));
  EXPECT_EQ(latest->ended_at, kT0 + std::chrono::seconds(30));
  EXPECT_EQ(latest->end_reason, "completed");
}

TEST_P(StoreTest, OneActiveSessionPerContact) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230005"));
  SessionRecord first = NewSession(c.id, SessionStatus::kActive);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(first));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(std::string before, store_->RowCounts());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    SessionRecord second = NewSession(c.id, SessionStatus::kActive);
    const Status s = txn->SaveSession(second);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    // The failure poisons the transaction on both backends.
    EXPECT_FALSE(txn->ActiveSession(c.id).ok());
    EXPECT_EQ(txn->Commit().code(), StatusCode::kFailedPrecondition);
  }
  ASSERT_OK_AND_ASSIGN(std::string after, store_->RowCounts());
  EXPECT_EQ(before, after);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    first.session.status = SessionStatus::kCompleted;
    first.ended_at = kT0;
    ASSERT_OK(txn->SaveSession(first));
    SessionRecord second = NewSession(c.id, SessionStatus::kActive);
    ASSERT_OK(txn->SaveSession(second));
    ASSERT_OK(txn->Commit());
    ASSERT_OK_AND_ASSIGN(auto latest, store_->LatestSession(c.id));
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(latest->id, second.id);
  }
}

TEST_P(StoreTest, UncommittedTransactionRollsBack) {
  ASSERT_OK_AND_ASSIGN(ContactRecord existing, MakeContact(*store_, "+15551230006"));
  ASSERT_OK_AND_ASSIGN(std::string before, store_->RowCounts());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ContactRecord init;
    init.address = "+15551230007";
    init.phone = init.address;
    ASSERT_OK_AND_ASSIGN(ContactRecord c, txn->LockContact(init));
    MessageRecord in = Inbound(c.id, "SM-rollback", "hi");
    ASSERT_OK(txn->InsertInbound(in).status());
    SessionRecord s = NewSession(c.id, SessionStatus::kActive);
    ASSERT_OK(txn->SaveSession(s));
    MessageRecord out = Inbound(c.id, "", "reply");
    out.session_id = s.id;
    ASSERT_OK(txn->EnqueueOutbound(out));
    ASSERT_OK(txn->SetTimer({s.id, "reminder", kT0, 1, false}));
    existing.name = "changed";
    ASSERT_OK(txn->UpdateContact(existing));
  }
  ASSERT_OK_AND_ASSIGN(std::string after, store_->RowCounts());
  EXPECT_EQ(before, after);
  ASSERT_OK_AND_ASSIGN(auto found, store_->FindContact("+15551230006"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "");
  // The store is usable afterwards.
  ASSERT_OK(MakeContact(*store_, "+15551230007").status());
}

}  // namespace parley::store::testing
