// The WAL syncer (store/sqlite/wal_syncer.hpp): commits reported durable in order, many per
// fsync, and a failed fsync fails every later wait.
#include "store/sqlite/wal_syncer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

namespace parley::store::detail {
namespace {

namespace fs = std::filesystem;

class WalSyncerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("wal-syncer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    wal_ = (dir_ / "db-wal").string();
    std::ofstream(wal_) << "frames";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string wal_;
};

TEST_F(WalSyncerTest, ReportsEveryCommitDurableInCommitOrderWithFewerSyncsThanCommits) {
  std::mutex mu;
  std::vector<uint64_t> order;
  {
    WalSyncer syncer(wal_);
    // The commits of a busy writer: all counted before the syncer gets to them, so one
    // fsync covers many.
    std::vector<uint64_t> commits;
    for (int i = 0; i < 200; ++i) {
      commits.push_back(syncer.Committed());
    }
    for (uint64_t c : commits) {
      syncer.OnDurable(c, [&, c](Status s) {
        EXPECT_TRUE(s.ok()) << s.ToString();
        std::lock_guard lock(mu);
        order.push_back(c);
      });
    }
    EXPECT_TRUE(syncer.WaitDurable(commits.back()).ok());
    EXPECT_GE(syncer.syncs(), 1u);
    EXPECT_LT(syncer.syncs(), 200u);
    // A commit already durable is reported at once.
    bool at_once = false;
    syncer.OnDurable(commits.front(), [&](Status s) { at_once = s.ok(); });
    EXPECT_TRUE(at_once);
  }
  ASSERT_EQ(order.size(), 200u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST_F(WalSyncerTest, NothingCommittedIsDurableAlready) {
  WalSyncer syncer(wal_);
  EXPECT_TRUE(syncer.WaitDurable(syncer.LastCommitted()).ok());
  EXPECT_EQ(syncer.syncs(), 0u);
}

TEST_F(WalSyncerTest, PendingCommitsAreSyncedBeforeItStops) {
  int durable = 0;
  {
    WalSyncer syncer(wal_);
    for (int i = 0; i < 5; ++i) {
      syncer.OnDurable(syncer.Committed(), [&](Status s) { durable += s.ok() ? 1 : 0; });
    }
  }
  EXPECT_EQ(durable, 5);
}

// Like PostgreSQL after a failed fsync: nothing is reported durable any more, since the
// pages the kernel dropped would not come back with a later sync.
TEST_F(WalSyncerTest, AFailedSyncFailsThatCommitAndEveryLaterOne) {
  Status first;
  Status second;
  {
    WalSyncer syncer((dir_ / "no-such-dir" / "db-wal").string());
    const uint64_t c1 = syncer.Committed();
    syncer.OnDurable(c1, [&](Status s) { first = s; });
    const Status waited = syncer.WaitDurable(c1);
    EXPECT_FALSE(waited.ok());
    EXPECT_THAT(waited.message(), ::testing::HasSubstr("cannot open the WAL"));
    const uint64_t c2 = syncer.Committed();
    syncer.OnDurable(c2, [&](Status s) { second = s; });
    EXPECT_FALSE(syncer.WaitDurable(c2).ok());
  }  // joins the syncer's thread: every callback has run
  EXPECT_FALSE(first.ok());
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace parley::store::detail
