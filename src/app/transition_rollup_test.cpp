// Issue 11: the flow page's rollup job (app/transition_rollup.hpp): a pass rolls up to
// now - lag in bounded steps and leaves what is younger than the lag; the job's thread runs a
// pass at its start; retention removes the rollup's rows of whole UTC days with the
// transitions. A real SQLite store; a ManualClock.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app/history_pruner.hpp"
#include "app/transition_rollup.hpp"
#include "store/store.hpp"
#include "test/support/status_testing.hpp"

namespace parley::app {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);  // 2023-11-14T22:13:20Z

class TransitionRollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore("sqlite::memory:"));
    ASSERT_OK(store_->Migrate());
  }
  // A move A → B of flow "f" at `at`.
  void Move(TimePoint at) {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    store::TransitionRecord t;
    t.session_id = 1;
    t.contact_id = 1;
    t.flow_id = "f";
    t.flow_revision = "r";
    t.from_state = "A";
    t.to_state = "B";
    t.event = "inbound";
    t.at = at;
    ASSERT_OK(txn->RecordTransition(t));
    ASSERT_OK(txn->Commit());
  }
  int64_t EnteredB(TimePoint since) {
    auto stats = store_->admin().FlowStateStats("f", since);
    EXPECT_OK(stats.status());
    if (stats.ok()) {
      for (const store::StateStats& s : *stats) {
        if (s.state == "B") return s.entered;
      }
    }
    return 0;
  }
  TimePoint Watermark() {
    auto w = store_->admin().RollupWatermark();
    EXPECT_OK(w.status());
    return w.ok() ? *w : TimePoint{};
  }

  std::unique_ptr<store::Store> store_;
};

// Issue 11: a pass rolls a day's backlog up in steps of `span`, up to now - lag: a transition
// younger than the lag (its event may still be committing) stays for the next pass; the
// numbers are the same either side.
TEST_F(TransitionRollupTest, APassRollsUpToNowMinusTheLagInSteps) {
  for (int i = 0; i < 24; ++i) {
    Move(kT0 - days(1) + hours(i));
  }
  Move(kT0 - minutes(1));  // in flight, as far as the lag knows
  TransitionRollupOptions o;
  o.span = hours(4);
  o.pause = Duration::zero();
  ASSERT_OK_AND_ASSIGN(RollupPass pass, RollUpTransitions(store_->admin(), kT0, o));
  EXPECT_EQ(pass.steps, 6);  // 24 hours of moves, 4 hours a step (the last reaches now - lag)
  EXPECT_FALSE(pass.raced);
  EXPECT_EQ(pass.watermark, kT0 - minutes(2));
  EXPECT_EQ(Watermark(), kT0 - minutes(2));
  EXPECT_EQ(EnteredB(kT0 - days(2)), 25);

  // max_steps bounds a pass; the next one goes on.
  Move(kT0 + hours(1));
  Move(kT0 + hours(6));
  o.max_steps = 1;
  ASSERT_OK_AND_ASSIGN(pass, RollUpTransitions(store_->admin(), kT0 + hours(10), o));
  EXPECT_EQ(pass.steps, 1);
  EXPECT_EQ(Watermark(), kT0 - minutes(1) + hours(4));  // from the first move found
  ASSERT_OK_AND_ASSIGN(pass, RollUpTransitions(store_->admin(), kT0 + hours(10), o));
  EXPECT_EQ(Watermark(), kT0 + hours(10) - minutes(2));
  EXPECT_EQ(EnteredB(kT0 - days(2)), 27);
}

// Issue 11: `parley serve`'s job runs a pass as it starts (then every interval), at the
// clock's time.
TEST_F(TransitionRollupTest, TheJobRollsUpAsItStarts) {
  Move(kT0 - hours(1));
  const ManualClock clock(kT0);
  TransitionRollupOptions o;
  o.pause = Duration::zero();
  {
    TransitionRollup job(store_->admin(), clock, o);
    for (int i = 0; i < 500 && Watermark() != kT0 - minutes(2); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(Watermark(), kT0 - minutes(2));
  EXPECT_EQ(EnteredB(kT0 - days(1)), 1);
}

// Issue 11: retention cuts at a UTC midnight and takes the rollup's rows of the days before
// it once their transitions have all gone, so a period reaching past the retention still
// counts as a scan of what is kept.
TEST_F(TransitionRollupTest, RetentionRemovesWholeDaysOfTransitionsAndRollup) {
  const TimePoint midnight = std::chrono::floor<days>(kT0);
  EXPECT_EQ(RetentionCut(kT0, 7), midnight - days(7));
  Move(midnight - days(9));              // two days before the cut: removed
  Move(midnight - days(8) + hours(23));  // the day before the cut: removed
  Move(midnight - days(7) + hours(1));   // older than 7 × 24 hours, but on the cut's day: kept
  Move(midnight - days(1));
  TransitionRollupOptions roll;
  roll.pause = Duration::zero();
  ASSERT_OK(RollUpTransitions(store_->admin(), kT0, roll).status());
  EXPECT_EQ(EnteredB(midnight - days(30)), 4);
  HistoryPrunerOptions prune;
  prune.days = 7;
  prune.pause = Duration::zero();
  prune.batch = 1;
  prune.max_batches = 1;  // a pass cut short: the rollup's rows wait for their transitions
  ASSERT_OK_AND_ASSIGN(int64_t removed, PruneHistory(store_->admin(), kT0, prune));
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(EnteredB(midnight - days(30)), 4);
  prune.max_batches = 10;
  ASSERT_OK_AND_ASSIGN(removed, PruneHistory(store_->admin(), kT0, prune));
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(EnteredB(midnight - days(30)), 2);  // the rollup's rows of those days went too
  EXPECT_EQ(EnteredB(midnight - days(7)), 2);
}

}  // namespace
}  // namespace parley::app
