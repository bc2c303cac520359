// The fixture of the store conformance suite: each test gets a fresh database of the
// backend under test, "sqlite" (a file in a fresh temp dir) or "postgres" (a fresh database
// in one private cluster shared by the suite, started on first use).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/status_testing.hpp"

namespace parley::store::testing {

// 2023-11-14T22:13:20Z: all test times are offsets from here.
inline const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  bool postgres() const { return GetParam() == "postgres"; }
  // Opens the test's database (not migrated).
  Result<std::unique_ptr<Store>> Open(const ConnectOptions& options = {}) const;
  // Runs SQL on the test's database behind the Store's back.
  Status RawExec(const std::string& sql) const;
  // Points the test at a fresh database `name` (PostgreSQL: a database of the shared
  // cluster; SQLite: a file `name`.db) made as release `version` left it: every migration up
  // to `version`, each with its schema_migrations row, then `then_sql` (the rows an upgrade
  // test starts from). Open() then opens it, not yet migrated further.
  Status CreateDatabaseAtVersion(int version, const std::string& name, const std::string& then_sql);

  std::string url_;
  std::string sqlite_dir_;
  std::unique_ptr<Store> store_;  // Open() + Migrate(), ready for the test
};

// Finds or creates the contact `address` in a transaction of its own.
Result<ContactRecord> MakeContact(Store& store, const std::string& address);
// An unsaved inbound message of the contact, received at kT0.
MessageRecord Inbound(int64_t contact_id, std::string sid, std::string body);
// An unsaved session of flow "checkin" in state ASK_NAME, started at kT0.
SessionRecord NewSession(int64_t contact_id, flow::SessionStatus status);

// The suite's cluster, started on first call; null (with the reason in *error) when it
// cannot start.
parley::testing::PgCluster* SharedCluster(std::string* error);

}  // namespace parley::store::testing
