// Issue 11: history retention (PARLEY_HISTORY_DAYS): a pass removes the transitions older than
// the retention, batch by batch, and keeps the rest; 0 keeps everything; the pruner's thread
// runs a pass at its start. A real SQLite store; a ManualClock.
#include <gtest/gtest.h>

#include <thread>

#include "app/history_pruner.hpp"
#include "store/store.hpp"
#include "test/support/status_testing.hpp"

namespace parley::app {
namespace {

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

class HistoryPrunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore("sqlite::memory:"));
    ASSERT_OK(store_->Migrate());
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    store::ContactRecord init;
    init.address = "+15551230500";
    init.phone = init.address;
    ASSERT_OK_AND_ASSIGN(auto contact, txn->LockContact(init));
    contact_id_ = contact.id;
    store::SessionRecord s;
    s.contact_id = contact.id;
    s.session.flow_id = "f";
    s.session.state = "A";
    s.session.status = flow::SessionStatus::kActive;
    ASSERT_OK(txn->SaveSession(s));
    // 5 transitions 10 days old, 3 of 2 days.
    for (int i = 0; i < 8; ++i) {
      store::TransitionRecord t;
      t.session_id = s.id;
      t.contact_id = contact.id;
      t.flow_id = "f";
      t.flow_revision = "r";
      t.from_state = "A";
      t.to_state = "B";
      t.event = "inbound";
      t.at = kT0 - std::chrono::days(i < 5 ? 10 : 2);
      ASSERT_OK(txn->RecordTransition(t));
    }
    ASSERT_OK(txn->Commit());
  }
  size_t Left() {
    auto rows = store_->admin().ContactTransitions(contact_id_, FromUnixMillis(0), kT0, 100);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? rows->size() : 0;
  }

  std::unique_ptr<store::Store> store_;
  int64_t contact_id_ = 0;
};

TEST_F(HistoryPrunerTest, APassRemovesWhatIsOlderThanTheRetentionInBatches) {
  HistoryPrunerOptions o;
  o.days = 7;
  o.batch = 2;  // three batches: 2, 2, 1
  o.pause = Duration::zero();
  ASSERT_OK_AND_ASSIGN(int64_t removed, PruneHistory(store_->admin(), kT0, o));
  EXPECT_EQ(removed, 5);
  EXPECT_EQ(Left(), 3u);
  o.max_batches = 1;
  o.days = 1;
  ASSERT_OK_AND_ASSIGN(removed, PruneHistory(store_->admin(), kT0, o));
  EXPECT_EQ(removed, 2);  // bounded: the next pass goes on
  EXPECT_EQ(Left(), 1u);
}

TEST_F(HistoryPrunerTest, ZeroDaysKeepsEverything) {
  HistoryPrunerOptions o;
  o.days = 0;
  ASSERT_OK_AND_ASSIGN(int64_t removed, PruneHistory(store_->admin(), kT0, o));
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(Left(), 8u);
  const ManualClock clock(kT0);
  HistoryPruner idle(store_->admin(), clock, o);  // starts no thread
}

TEST_F(HistoryPrunerTest, TheThreadPrunesAtItsStart) {
  ManualClock clock(kT0);
  HistoryPrunerOptions o;
  o.days = 7;
  {
    HistoryPruner pruner(store_->admin(), clock, o);
    for (int i = 0; i < 500 && Left() != 3u; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }  // stops without waiting for the hour
  EXPECT_EQ(Left(), 3u);
}

}  // namespace
}  // namespace parley::app
