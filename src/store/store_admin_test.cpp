// Conformance, continued: the admin's users, sessions, audit log and page queries
// (store/admin_store.hpp), on SQLite and PostgreSQL.
#include <gmock/gmock.h>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

AdminUserRecord User(std::string email, std::string role = "operator") {
  AdminUserRecord u;
  u.email = std::move(email);
  u.role = std::move(role);
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  u.created_at = kT0;
  return u;
}

AuditRecord Audit(std::string action, std::string target = "") {
  AuditRecord a;
  a.at = kT0;
  a.actor = "cli";
  a.action = std::move(action);
  a.target = std::move(target);
  return a;
}

AdminSessionRecord Session(int64_t user_id, std::string token_hash) {
  AdminSessionRecord s;
  s.token_hash = std::move(token_hash);
  s.user_id = user_id;
  s.csrf_token = "csrf-" + s.token_hash;
  s.created_at = kT0;
  s.last_seen_at = kT0;
  s.idle_expires_at = kT0 + hours(1);
  s.expires_at = kT0 + hours(12);
  return s;
}

}  // namespace

// Issue 11: admin users are unique by email, and each write commits with its audit entry.
TEST_P(StoreTest, AdminUsersAreUniqueByEmailAndAudited) {
  AdminStore& admin = store_->admin();
  AdminUserRecord ana = User("ana@example.org", "admin");
  ASSERT_OK(admin.CreateAdminUser(ana, Audit("user_created", "ana@example.org")));
  EXPECT_GT(ana.id, 0);
  AdminUserRecord again = User("ana@example.org");
  EXPECT_EQ(admin.CreateAdminUser(again, Audit("user_created", "ana@example.org")).code(),
            StatusCode::kFailedPrecondition);
  AdminUserRecord bad_role = User("bo@example.org", "root");
  EXPECT_FALSE(admin.CreateAdminUser(bad_role, Audit("user_created")).ok());  // CHECK

  ASSERT_OK_AND_ASSIGN(auto found, admin.FindAdminUser("ana@example.org"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, ana.id);
  EXPECT_EQ(found->role, "admin");
  EXPECT_EQ(found->password_hash, ana.password_hash);
  EXPECT_FALSE(found->disabled);
  EXPECT_EQ(found->created_at, kT0);
  ASSERT_OK_AND_ASSIGN(auto none, admin.FindAdminUser("nobody@example.org"));
  EXPECT_FALSE(none.has_value());

  AdminUserRecord cy = User("cy@example.org", "viewer");
  ASSERT_OK(admin.CreateAdminUser(cy, Audit("user_created", "cy@example.org")));
  ASSERT_OK_AND_ASSIGN(auto users, admin.AdminUsers());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].email, "ana@example.org");
  EXPECT_EQ(users[1].email, "cy@example.org");

  // Only the two successful creations were audited: the failed ones rolled back theirs.
  ASSERT_OK_AND_ASSIGN(auto log, admin.AuditLog(0, 10));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].target, "cy@example.org");  // newest first
  EXPECT_EQ(log[1].target, "ana@example.org");
  EXPECT_EQ(log[1].actor, "cli");
  EXPECT_EQ(log[1].action, "user_created");
}

// Issue 11: a password reset or a disable ends the user's sessions.
TEST_P(StoreTest, AdminPasswordResetAndDisableEndSessions) {
  AdminStore& admin = store_->admin();
  AdminUserRecord ana = User("ana@example.org");
  ASSERT_OK(admin.CreateAdminUser(ana, Audit("user_created")));
  ASSERT_OK(admin.CreateAdminSession(Session(ana.id, "h1"), Audit("login")));
  ASSERT_OK_AND_ASSIGN(auto s, admin.FindAdminSession("h1"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->user.email, "ana@example.org");
  EXPECT_EQ(s->user.role, "operator");
  EXPECT_EQ(s->csrf_token, "csrf-h1");
  EXPECT_EQ(s->expires_at, kT0 + hours(12));
  EXPECT_TRUE(s->user.password_hash.empty());
  // A repeated token hash is refused.
  EXPECT_EQ(admin.CreateAdminSession(Session(ana.id, "h1"), Audit("login")).code(),
            StatusCode::kFailedPrecondition);

  ASSERT_OK(admin.SetAdminPassword(ana.id, "$argon2id$new", Audit("password_reset")));
  ASSERT_OK_AND_ASSIGN(auto after_reset, admin.FindAdminSession("h1"));
  EXPECT_FALSE(after_reset.has_value());
  ASSERT_OK_AND_ASSIGN(auto user, admin.FindAdminUser("ana@example.org"));
  EXPECT_EQ(user->password_hash, "$argon2id$new");

  ASSERT_OK(admin.CreateAdminSession(Session(ana.id, "h2"), Audit("login")));
  ASSERT_OK(admin.SetAdminUserDisabled(ana.id, true, Audit("user_disabled")));
  ASSERT_OK_AND_ASSIGN(auto after_disable, admin.FindAdminSession("h2"));
  EXPECT_FALSE(after_disable.has_value());
  ASSERT_OK_AND_ASSIGN(user, admin.FindAdminUser("ana@example.org"));
  EXPECT_TRUE(user->disabled);

  EXPECT_EQ(admin.SetAdminPassword(999, "x", Audit("password_reset")).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(admin.SetAdminUserDisabled(999, true, Audit("user_disabled")).code(),
            StatusCode::kNotFound);
}

// Issue 11: sessions are touched, deleted (logout) and swept when past either expiry.
TEST_P(StoreTest, AdminSessionsTouchDeleteAndExpire) {
  AdminStore& admin = store_->admin();
  AdminUserRecord ana = User("ana@example.org");
  ASSERT_OK(admin.CreateAdminUser(ana, Audit("user_created")));
  ASSERT_OK(admin.CreateAdminSession(Session(ana.id, "idle"), Audit("login")));
  ASSERT_OK(admin.CreateAdminSession(Session(ana.id, "busy"), Audit("login")));
  ASSERT_OK(admin.CreateAdminSession(Session(ana.id, "gone"), Audit("login")));
  ASSERT_OK(admin.TouchAdminSession("busy", kT0 + minutes(50), kT0 + minutes(110)));
  ASSERT_OK_AND_ASSIGN(auto busy, admin.FindAdminSession("busy"));
  EXPECT_EQ(busy->last_seen_at, kT0 + minutes(50));
  EXPECT_EQ(busy->idle_expires_at, kT0 + minutes(110));

  ASSERT_OK(admin.DeleteAdminSession("gone", Audit("logout")));
  ASSERT_OK_AND_ASSIGN(auto gone, admin.FindAdminSession("gone"));
  EXPECT_FALSE(gone.has_value());

  // At +61 minutes "idle" is past its idle expiry, "busy" is not.
  ASSERT_OK_AND_ASSIGN(int64_t swept, admin.DeleteExpiredAdminSessions(kT0 + minutes(61)));
  EXPECT_EQ(swept, 1);
  ASSERT_OK_AND_ASSIGN(auto idle, admin.FindAdminSession("idle"));
  EXPECT_FALSE(idle.has_value());
  ASSERT_OK_AND_ASSIGN(busy, admin.FindAdminSession("busy"));
  EXPECT_TRUE(busy.has_value());
  ASSERT_OK_AND_ASSIGN(auto log, admin.AuditLog(0, 10));
  EXPECT_EQ(log.size(), 5u);  // created, 3 logins, logout
}

// Issue 11: the audit log pages by id, newest first.
TEST_P(StoreTest, AdminAuditLogIsKeysetPaginated) {
  AdminStore& admin = store_->admin();
  for (int i = 0; i < 5; ++i) {
    AuditRecord a = Audit("login_failed", "user" + std::to_string(i));
    a.remote = "10.0.0." + std::to_string(i);
    a.detail = "wrong password";
    ASSERT_OK(admin.AppendAudit(a));
  }
  ASSERT_OK_AND_ASSIGN(auto first, admin.AuditLog(0, 2));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].target, "user4");
  EXPECT_EQ(first[1].target, "user3");
  EXPECT_EQ(first[0].remote, "10.0.0.4");
  EXPECT_EQ(first[0].detail, "wrong password");
  ASSERT_OK_AND_ASSIGN(auto next, admin.AuditLog(first[1].id, 2));
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].target, "user2");
  ASSERT_OK_AND_ASSIGN(auto last, admin.AuditLog(next[1].id, 2));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].target, "user0");
}

// Issue 11: the dashboard's numbers: messages since a time by direction, active sessions
// per flow.
TEST_P(StoreTest, AdminDashboardCounts) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c1, MakeContact(*store_, "+15551230101"));
  ASSERT_OK_AND_ASSIGN(ContactRecord c2, MakeContact(*store_, "+15551230102"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    MessageRecord old_in = Inbound(c1.id, "SM01", "yesterday");
    old_in.created_at = kT0 - hours(30);
    ASSERT_OK(txn->InsertInbound(old_in).status());
    for (int i = 0; i < 3; ++i) {
      MessageRecord in = Inbound(c1.id, "SM1" + std::to_string(i), "today");
      ASSERT_OK(txn->InsertInbound(in).status());
    }
    MessageRecord out = Inbound(c1.id, "", "reply");
    out.direction = MessageRecord::Direction::kOutbound;
    ASSERT_OK(txn->EnqueueOutbound(out));
    SessionRecord s1 = NewSession(c1.id, flow::SessionStatus::kActive);
    ASSERT_OK(txn->SaveSession(s1));
    SessionRecord s2 = NewSession(c2.id, flow::SessionStatus::kActive);
    s2.session.flow_id = "survey";
    ASSERT_OK(txn->SaveSession(s2));
    SessionRecord done = NewSession(c2.id, flow::SessionStatus::kCompleted);
    ASSERT_OK(txn->SaveSession(done));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(MessageCounts counts, store_->admin().CountMessagesSince(kT0 - hours(1)));
  EXPECT_EQ(counts.inbound, 3);
  EXPECT_EQ(counts.outbound, 1);
  ASSERT_OK_AND_ASSIGN(auto flows, store_->admin().ActiveSessionsByFlow());
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].flow_id, "checkin");
  EXPECT_EQ(flows[0].active, 1);
  EXPECT_EQ(flows[1].flow_id, "survey");
  EXPECT_EQ(flows[1].active, 1);
  // The chart's hours and the delivery rate's statuses: the 30-hour-old message is outside.
  ASSERT_OK_AND_ASSIGN(auto per_hour, store_->admin().MessagesPerHour(kT0 - hours(24)));
  ASSERT_EQ(per_hour.size(), 1u);
  EXPECT_EQ(per_hour[0].hour, std::chrono::floor<hours>(kT0));
  EXPECT_EQ(per_hour[0].inbound, 3);
  EXPECT_EQ(per_hour[0].outbound, 1);
  ASSERT_OK_AND_ASSIGN(auto statuses, store_->admin().OutboundStatusesSince(kT0 - hours(24)));
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].status, "queued");
  EXPECT_EQ(statuses[0].count, 1);
}

// Issue 11: the contact list, newest first, keyset-paginated, searched by number or name
// (names case-insensitively; LIKE wildcards in the pattern are escaped by the caller).
TEST_P(StoreTest, AdminContactListPagesAndSearches) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(MakeContact(*store_, "+1555123020" + std::to_string(i)).status());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ContactRecord init;
    init.address = "+15551230203";
    ASSERT_OK_AND_ASSIGN(ContactRecord c, txn->LockContact(init));
    c.name = "Zoë 100%";
    ASSERT_OK(txn->UpdateContact(c));
    ASSERT_OK(txn->Commit());
  }
  AdminStore& admin = store_->admin();
  ASSERT_OK_AND_ASSIGN(auto page1, admin.ListContacts("", 0, 2));
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].address, "+15551230204");
  EXPECT_EQ(page1[1].address, "+15551230203");
  ASSERT_OK_AND_ASSIGN(auto page2, admin.ListContacts("", page1[1].id, 2));
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].address, "+15551230202");
  ASSERT_OK_AND_ASSIGN(auto page3, admin.ListContacts("", page2[1].id, 2));
  ASSERT_EQ(page3.size(), 1u);
  EXPECT_EQ(page3[0].address, "+15551230200");

  ASSERT_OK_AND_ASSIGN(auto by_number, admin.ListContacts("%0201%", 0, 10));
  ASSERT_EQ(by_number.size(), 1u);
  EXPECT_EQ(by_number[0].address, "+15551230201");
  // ASCII case folds on both dialects.
  ASSERT_OK_AND_ASSIGN(auto by_ascii_name, admin.ListContacts("%zo%", 0, 10));
  ASSERT_EQ(by_ascii_name.size(), 1u);
  EXPECT_EQ(by_ascii_name[0].name, "Zoë 100%");
  ASSERT_OK_AND_ASSIGN(auto escaped, admin.ListContacts("%100\\%%", 0, 10));
  ASSERT_EQ(escaped.size(), 1u);
  // An escaped % is a literal: no address holds one.
  ASSERT_OK_AND_ASSIGN(auto literal_percent, admin.ListContacts("%55\\%%", 0, 10));
  EXPECT_TRUE(literal_percent.empty());
  ASSERT_OK_AND_ASSIGN(auto nothing, admin.ListContacts("%nobody%", 0, 10));
  EXPECT_TRUE(nothing.empty());
}

// Issue 11: a contact's page: its transcript (both directions, newest first, keyset-paginated
// by message id, never another contact's) and its sessions, newest first; and an audit line
// written inside an event's transaction commits or rolls back with it.
TEST_P(StoreTest, AdminContactTranscriptSessionsAndAuditInAnEvent) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551230301"));
  ASSERT_OK_AND_ASSIGN(ContactRecord bob, MakeContact(*store_, "+15551230302"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    for (int i = 0; i < 5; ++i) {
      MessageRecord in = Inbound(ana.id, "SMa" + std::to_string(i), "in " + std::to_string(i));
      ASSERT_OK(txn->InsertInbound(in).status());
      MessageRecord out = Inbound(ana.id, "", "out " + std::to_string(i));
      out.direction = MessageRecord::Direction::kOutbound;
      ASSERT_OK(txn->EnqueueOutbound(out));
    }
    MessageRecord other = Inbound(bob.id, "SMb", "bob's");
    ASSERT_OK(txn->InsertInbound(other).status());
    SessionRecord done = NewSession(ana.id, flow::SessionStatus::kCompleted);
    ASSERT_OK(txn->SaveSession(done));
    SessionRecord active = NewSession(ana.id, flow::SessionStatus::kActive);
    active.session.flow_id = "survey";
    ASSERT_OK(txn->SaveSession(active));
    ASSERT_OK(txn->AppendAudit(Audit("contact_send", ana.address)));
    ASSERT_OK(txn->Commit());
  }
  AdminStore& admin = store_->admin();
  std::vector<std::string> bodies;
  int64_t before = 0;
  for (int page = 0; page < 10; ++page) {
    ASSERT_OK_AND_ASSIGN(auto messages, admin.ContactMessages(ana.id, before, 4));
    for (const MessageRecord& m : messages) {
      bodies.push_back(m.body);
    }
    if (messages.size() < 4) {
      break;
    }
    before = messages.back().id;
  }
  EXPECT_THAT(bodies, ::testing::ElementsAre("out 4", "in 4", "out 3", "in 3", "out 2", "in 2",
                                             "out 1", "in 1", "out 0", "in 0"));
  ASSERT_OK_AND_ASSIGN(auto sessions, admin.ContactSessions(ana.id, 10));
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].session.flow_id, "survey");
  EXPECT_TRUE(sessions[0].session.active());
  EXPECT_EQ(sessions[1].session.status, flow::SessionStatus::kCompleted);
  ASSERT_OK_AND_ASSIGN(auto bob_sessions, admin.ContactSessions(bob.id, 10));
  EXPECT_TRUE(bob_sessions.empty());

  {  // Rolled back with its transaction.
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->AppendAudit(Audit("contact_opt_out", ana.address)));
  }
  ASSERT_OK_AND_ASSIGN(auto log, admin.AuditLog(0, 10));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "contact_send");
  EXPECT_EQ(log[0].target, ana.address);
}

// Issue 11: a database of the release before the admin (v4, with data) upgrades in place
// and gets the admin's tables.
TEST_P(StoreTest, UpgradesAVersionFourDatabaseToTheAdminSchema) {
  ASSERT_OK(CreateDatabaseAtVersion(4, "v4",
                                    "INSERT INTO contacts (address, channel, phone, created_at) "
                                    "VALUES ('+15551230300', 'sms', '+15551230300', 0);"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 4);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  EXPECT_GE(after, 7);
  ASSERT_OK_AND_ASSIGN(auto contacts, store->admin().ListContacts("", 0, 10));
  ASSERT_EQ(contacts.size(), 1u);
  AdminUserRecord ana = User("ana@example.org");
  ASSERT_OK(store->admin().CreateAdminUser(ana, Audit("user_created")));
}

}  // namespace parley::store::testing

namespace parley::store::testing {

// Issue 11: the message log's statements (one per leading index, v9) on both dialects:
// each filter, the time range and the keyset, newest first.
TEST_P(StoreTest, TheMessageLogFiltersNewestFirst) {
  ASSERT_OK(RawExec(
      "INSERT INTO contacts (address, channel, phone, created_at) "
      "VALUES ('+15551230301', 'sms', '+15551230301', 0);"
      "INSERT INTO messages (contact_id, direction, from_addr, to_addr, body, status, "
      "error_code, created_at) VALUES "
      "(1, 'inbound', '+15551230301', '+15005550006', 'a', 'received', '', 1000),"
      "(1, 'outbound', '+15005550006', '+15551230301', 'b', 'failed', '30007', 2000),"
      "(1, 'outbound', '+15005550006', '+15551230301', 'c', 'delivered', '', 3000),"
      "(1, 'outbound', '+15005550006', '+15551230301', 'd', 'undelivered', '30003', 4000);"));
  const auto bodies = [&](MessageLogFilter f) {
    auto log = store_->admin().MessageLog(f);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    std::string out;
    for (const MessageRecord& m : log.value_or({})) out += m.body;
    return out;
  };
  const auto filter = [](std::string direction, std::string status, std::string error,
                         std::optional<int64_t> from = {}, std::optional<int64_t> until = {}) {
    MessageLogFilter f;
    f.direction = std::move(direction);
    f.status = std::move(status);
    f.error_code = std::move(error);
    if (from) f.from = FromUnixMillis(*from);
    if (until) f.until = FromUnixMillis(*until);
    return f;
  };
  EXPECT_EQ(bodies({}), "dcba");
  EXPECT_EQ(bodies(filter("inbound", "", "")), "a");
  EXPECT_EQ(bodies(filter("outbound", "failed", "")), "b");
  EXPECT_EQ(bodies(filter("", "", "30003")), "d");
  EXPECT_EQ(bodies(filter("", "delivered", "30003")), "");
  EXPECT_EQ(bodies(filter("", "", "", 2000, 4000)), "cb");
  MessageLogFilter page;
  page.limit = 2;
  EXPECT_EQ(bodies(page), "dc");
  ASSERT_OK_AND_ASSIGN(auto first, store_->admin().MessageLog(page));
  page.before_id = first.back().id;
  EXPECT_EQ(bodies(page), "ba");
}

// Issue 11: a database of the admin's first release (v7, with messages) upgrades in place
// to the message log's indexes and the broadcast tables (v9).
TEST_P(StoreTest, UpgradesAVersionSevenDatabaseToBroadcasts) {
  ASSERT_OK(CreateDatabaseAtVersion(
      7, "v7",
      "INSERT INTO contacts (address, channel, phone, created_at) "
      "VALUES ('+15551230300', 'sms', '+15551230300', 0);"
      "INSERT INTO messages (contact_id, direction, from_addr, to_addr, body, "
      "status, error_code, created_at) VALUES (1, 'outbound', '+15005550006', "
      "'+15551230300', 'kept', 'failed', '30007', 0);"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 7);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  EXPECT_GE(after, 9);
  MessageLogFilter by_error;
  by_error.error_code = "30007";
  ASSERT_OK_AND_ASSIGN(auto failed, store->admin().MessageLog(by_error));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].body, "kept");
  BroadcastRecord b;
  b.flow_id = "finish";
  b.created_by = "ana@example.org";
  BroadcastRecipient r;
  r.address = "+15551230300";
  ASSERT_OK(store->admin().CreateBroadcast(b, {r}, Audit("broadcast_created")));
  ASSERT_OK_AND_ASSIGN(auto claimed, store->admin().ClaimBroadcastRecipients(
                                         FromUnixMillis(0), FromUnixMillis(1000), 10));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].flow_id, "finish");
  EXPECT_EQ(claimed[0].broadcast_id, b.id);
}

}  // namespace parley::store::testing
