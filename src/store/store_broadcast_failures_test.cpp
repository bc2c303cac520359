// Conformance, continued (issue 11): a broadcast's failed recipients on SQLite and
// PostgreSQL — failed from the start at creation, listed a page at a time in list order with
// their contact, and a v10 database (with a broadcast) upgraded in place to the v12 index.
#include <gmock/gmock.h>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

AuditRecord Created() {
  AuditRecord a;
  a.at = kT0;
  a.actor = "ana@example.org";
  a.action = "broadcast_created";
  return a;
}

BroadcastRecipient Recipient(std::string address, std::string error = "") {
  BroadcastRecipient r;
  r.address = std::move(address);
  r.error = std::move(error);
  return r;
}

std::string Addresses(const std::vector<BroadcastRecipient>& rows) {
  std::string out;
  for (const BroadcastRecipient& r : rows) {
    out += (out.empty() ? "" : " ") + r.address;
  }
  return out;
}

// Issue 11: recipients given with an error are failed at once (counted, never claimed) and
// listed, with the contact of their address, in list order a page at a time; another
// broadcast's failures are not among them.
TEST_P(StoreTest, BroadcastFailuresArePagedInListOrderWithTheirContact) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551230401"));
  BroadcastRecord other;
  other.flow_id = "finish";
  other.created_by = "ana@example.org";
  other.created_at = kT0;
  ASSERT_OK(store_->admin().CreateBroadcast(
      other, {Recipient("x", "line 1: not a phone number"), Recipient("+15551230409")}, Created()));
  BroadcastRecord b = other;
  b.id = 0;
  ASSERT_OK(store_->admin().CreateBroadcast(
      b,
      {Recipient("+15551230402"), Recipient("+15551230401", "the contact is opted out"),
       Recipient("", "line 3: no number in the first column"),
       Recipient("<b>", "line 4: not a phone number"), Recipient("+15551230403")},
      Created()));
  ASSERT_OK_AND_ASSIGN(auto found, store_->admin().Broadcasts(b.id, 1));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].total, 5);
  EXPECT_EQ(found[0].failed, 3);
  EXPECT_EQ(found[0].status, "running");

  ASSERT_OK_AND_ASSIGN(auto page, store_->admin().BroadcastFailures(b.id, 0, 2));
  EXPECT_EQ(Addresses(page), "+15551230401 ");
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].error, "the contact is opted out");
  EXPECT_EQ(page[0].contact_id, ana.id);
  EXPECT_EQ(page[0].broadcast_id, b.id);
  EXPECT_EQ(page[1].contact_id, 0);
  ASSERT_OK_AND_ASSIGN(auto rest, store_->admin().BroadcastFailures(b.id, page[1].id, 2));
  EXPECT_EQ(Addresses(rest), "<b>");
  EXPECT_EQ(rest[0].error, "line 4: not a phone number");
  ASSERT_OK_AND_ASSIGN(auto none, store_->admin().BroadcastFailures(b.id, rest[0].id, 2));
  EXPECT_TRUE(none.empty());

  // Only the queued ones are claimed (the other broadcast's one and this one's two).
  ASSERT_OK_AND_ASSIGN(auto claimed, store_->admin().ClaimBroadcastRecipients(
                                         kT0, kT0 + std::chrono::minutes(1), 10));
  EXPECT_EQ(Addresses(claimed), "+15551230409 +15551230402 +15551230403");
}

// Issue 11: a broadcast whose every recipient failed at creation is done at once.
TEST_P(StoreTest, ABroadcastWithNothingToStartIsDoneAtOnce) {
  BroadcastRecord b;
  b.flow_id = "finish";
  b.created_by = "ana@example.org";
  b.created_at = kT0;
  ASSERT_OK(store_->admin().CreateBroadcast(b, {Recipient("+1", "line 1: not a phone number")},
                                            Created()));
  ASSERT_OK_AND_ASSIGN(auto found, store_->admin().Broadcasts(b.id, 1));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].status, "done");
  EXPECT_EQ(found[0].finished_at, kT0);
}

// Issue 11: a database of schema v10 with a broadcast whose start failed upgrades in place
// to the failures' index (v12) and lists that failure.
TEST_P(StoreTest, UpgradesAVersionTenDatabaseToBroadcastFailures) {
  ASSERT_OK(CreateDatabaseAtVersion(
      10, "v10failures",
      "INSERT INTO contacts (address, channel, phone, created_at) "
      "VALUES ('+15551230300', 'sms', '+15551230300', 0);"
      "INSERT INTO broadcasts (flow_id, created_by, created_at, status, total, "
      "failed, finished_at) VALUES ('finish', 'ana@example.org', 0, 'done', 1, 1, 0);"
      "INSERT INTO broadcast_recipients (broadcast_id, address, status, error) "
      "VALUES (1, '+15551230300', 'failed', 'the contact is not active');"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 10);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  EXPECT_GE(after, 12);
  ASSERT_OK_AND_ASSIGN(auto failures, store->admin().BroadcastFailures(1, 0, 10));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].address, "+15551230300");
  EXPECT_EQ(failures[0].error, "the contact is not active");
  EXPECT_EQ(failures[0].contact_id, 1);
}

}  // namespace
}  // namespace parley::store::testing
