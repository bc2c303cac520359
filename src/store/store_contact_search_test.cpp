// Issue 11 (performance): the contact search's index (migration 10: an FTS5 trigram table
// on SQLite, pg_trgm GIN indexes on PostgreSQL) — built from the contacts of an older
// database, kept in step with later changes, and meaning exactly what the LIKE search meant.
#include <gmock/gmock.h>

#include <string>
#include <vector>

#include "store/admin_store.hpp"
#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

// Creates the contact and gives it `name`; its id.
int64_t NamedContact(Store& store, const std::string& address, const std::string& name) {
  auto txn = store.Begin();
  EXPECT_TRUE(txn.ok());
  ContactRecord init;
  init.address = address;
  auto c = (*txn)->LockContact(init);
  EXPECT_TRUE(c.ok());
  c->name = name;
  EXPECT_TRUE((*txn)->UpdateContact(*c).ok());
  EXPECT_TRUE((*txn)->Commit().ok());
  return c->id;
}

std::vector<std::string> Names(AdminStore& admin, const std::string& pattern, int64_t before = 0,
                               int limit = 10) {
  std::vector<std::string> names;
  auto found = admin.ListContacts(pattern, before, limit);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  if (found.ok()) {
    for (const ContactRecord& c : *found) {
      names.push_back(c.name);
    }
  }
  return names;
}

}  // namespace

// Issue 11 (performance): a database of release v7 upgrades in place to the search index,
// filled from the contacts it holds (the search used to scan every contact: a full table
// scan on a million rows).
TEST_P(StoreTest, UpgradesAVersionSevenDatabaseWithAContactSearchIndex) {
  ASSERT_OK(CreateDatabaseAtVersion(
      7, "v7search",
      "INSERT INTO contacts (address, channel, phone, name, created_at) VALUES "
      "('+15551230500', 'sms', '+15551230500', 'Zebulon Quartermaine', 0), "
      "('+15551230501', 'sms', '+15551230501', 'Ana', 0);"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_GE(after, 10);
  // The index itself: a CHECK turns "not what we expect" into an error RawExec reports.
  if (postgres()) {
    EXPECT_OK(
        RawExec("CREATE TEMP TABLE expect_indexes (n BIGINT CHECK (n = 3));"
                "INSERT INTO expect_indexes SELECT count(*) FROM pg_indexes WHERE tablename = "
                "'contacts' AND indexname IN ('contacts_address_trgm', 'contacts_phone_trgm', "
                "'contacts_name_trgm');"));
  } else {
    EXPECT_OK(
        RawExec("CREATE TEMP TABLE expect_rows (n INTEGER CHECK (n = 1));"
                "INSERT INTO expect_rows SELECT count(*) FROM contacts_search "
                "WHERE contacts_search MATCH '\"quartermaine\"';"));
  }
  EXPECT_THAT(Names(store->admin(), "%quarterm%"), ::testing::ElementsAre("Zebulon Quartermaine"));
  NamedContact(*store, "+15551230502", "Zebulon Two");  // after the upgrade: the triggers
  EXPECT_THAT(Names(store->admin(), "%zebulon%"),
              ::testing::ElementsAre("Zebulon Two", "Zebulon Quartermaine"));
}

// Issue 11 (performance): the indexed search (three characters or more) keeps LIKE's
// meaning: substrings anywhere, ASCII case folded, quotes literal, keyset pages, renames
// followed; shorter text and inner wildcards still scan.
TEST_P(StoreTest, IndexedContactSearchMeansWhatLikeMeans) {
  NamedContact(*store_, "+15551230400", "Ana Maria Silva");
  NamedContact(*store_, "+15551230401", "MARIANA Costa");
  const int64_t mario = NamedContact(*store_, "+15551230402", "Mario \"Zé\" Rossi");
  NamedContact(*store_, "whatsapp:+15551230403", "Bob");
  AdminStore& admin = store_->admin();

  EXPECT_THAT(Names(admin, "%mari%"),
              ::testing::ElementsAre("Mario \"Zé\" Rossi", "MARIANA Costa", "Ana Maria Silva"));
  EXPECT_THAT(Names(admin, "%mari%", 0, 2),
              ::testing::ElementsAre("Mario \"Zé\" Rossi", "MARIANA Costa"));
  EXPECT_THAT(Names(admin, "%mari%", mario, 10),
              ::testing::ElementsAre("MARIANA Costa", "Ana Maria Silva"));
  EXPECT_THAT(Names(admin, "%\"Zé\"%"), ::testing::ElementsAre("Mario \"Zé\" Rossi"));
  EXPECT_THAT(Names(admin, "%o \"z%"), ::testing::ElementsAre("Mario \"Zé\" Rossi"));
  EXPECT_THAT(Names(admin, "%1230401%"), ::testing::ElementsAre("MARIANA Costa"));
  EXPECT_THAT(Names(admin, "%whatsapp:+1555%"), ::testing::ElementsAre("Bob"));
  EXPECT_THAT(Names(admin, "%ia%"), ::testing::ElementsAre("MARIANA Costa", "Ana Maria Silva"));
  EXPECT_THAT(Names(admin, "%ma_ia%"), ::testing::ElementsAre("MARIANA Costa", "Ana Maria Silva"));
  EXPECT_TRUE(Names(admin, "%silvaa%").empty());

  NamedContact(*store_, "+15551230402", "Luigi");  // a rename: the index follows
  EXPECT_THAT(Names(admin, "%mari%"), ::testing::ElementsAre("MARIANA Costa", "Ana Maria Silva"));
  EXPECT_THAT(Names(admin, "%luigi%"), ::testing::ElementsAre("Luigi"));
}

// Issue 11 (performance): on a managed PostgreSQL where parley's role may not create
// extensions, migration 10 still succeeds (a warning, no trigram index) and search works,
// by scanning; docs/admin.md says how to add the indexes later.
TEST_P(StoreTest, MigratesWithoutTheRightToCreatePgTrgm) {
  if (!postgres()) {
    GTEST_SKIP() << "PostgreSQL only: SQLite's FTS5 needs no privilege";
  }
  std::string error;
  ASSERT_OK_AND_ASSIGN(url_, SharedCluster(&error)->CreateDatabase("managed"));
  // A role that owns nothing: it may create tables in public, not extensions.
  ASSERT_OK(
      RawExec("DO $$ BEGIN CREATE ROLE parley_unprivileged LOGIN; EXCEPTION WHEN duplicate_object "
              "THEN NULL; END $$; GRANT ALL ON SCHEMA public TO parley_unprivileged;"));
  const size_t user = url_.find("user=postgres");
  ASSERT_NE(user, std::string::npos) << url_;
  url_.replace(user, 13, "user=parley_unprivileged");
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_GE(version, 10);
  EXPECT_OK(RawExec(
      "CREATE TEMP TABLE expect_none (n BIGINT CHECK (n = 0));"
      "INSERT INTO expect_none SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%_trgm';"));
  NamedContact(*store, "+15551230600", "Zebulon Quartermaine");
  EXPECT_THAT(Names(store->admin(), "%quarterm%"), ::testing::ElementsAre("Zebulon Quartermaine"));
}

}  // namespace parley::store::testing
