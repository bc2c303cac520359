// Conformance, continued (issue 10): what a recurring timer's next occurrence needs is stored
// on its row (schema v6) and read back by Timers and ClaimTimers; a one-shot timer replacing it
// clears it; a flow's `cancel all` (CancelFlowTimers) leaves the reserved expiry timer.
#include <gtest/gtest.h>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::seconds;

// Issue 10: the recurrence round-trips through both backends, and `cancel all` keeps @expire.
TEST_P(StoreTest, RecurringTimerKeepsItsRecurrenceAndCancelAllKeepsTheExpiry) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230061"));
  SessionRecord s = NewSession(c.id, flow::SessionStatus::kActive);
  const flow::TimerRecurrence daily{seconds(86400), seconds(9 * 3600), "America/New_York"};
  const flow::TimerRecurrence hourly{seconds(3600), std::nullopt, ""};
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->SetTimer({s.id, "checkin", kT0 + seconds(60), 1, true, 0, daily}));
    ASSERT_OK(txn->SetTimer({s.id, "poll", kT0 + seconds(30), 1, true, 0, hourly}));
    ASSERT_OK(txn->SetTimer({s.id, "@expire", kT0 + seconds(900), 1, true}));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto timers, store_->Timers(s.id));
  ASSERT_EQ(timers.size(), 3u);
  EXPECT_EQ(timers[0].name, "poll");
  EXPECT_EQ(timers[0].recur, hourly);
  EXPECT_EQ(timers[1].name, "checkin");
  EXPECT_EQ(timers[1].recur, daily);
  EXPECT_FALSE(timers[2].recur.has_value());

  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimTimers(kT0 + seconds(60), 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[1].recur, daily);

  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    // Replaced by a one-shot timer of the same name: no recurrence left.
    ASSERT_OK(txn->SetTimer({s.id, "checkin", kT0 + seconds(120), 2, false}));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(timers, store_->Timers(s.id));
  ASSERT_EQ(timers.size(), 3u);
  EXPECT_EQ(timers[1].name, "checkin");
  EXPECT_FALSE(timers[1].recur.has_value());

  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->CancelFlowTimers(s.id));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(timers, store_->Timers(s.id));
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].name, "@expire");
}

// Issue 7: PushBackTimer writes the row only when it is missing, trails the new due time by
// more than the slack, or is due after it; a row within the slack keeps its due time, step and
// claim (the session's expiry, pushed back by every message, costs no write).
TEST_P(StoreTest, PushBackTimerWritesOnlyPastTheSlack) {
  ASSERT_OK_AND_ASSIGN(ContactRecord c, MakeContact(*store_, "+15551230062"));
  SessionRecord s = NewSession(c.id, flow::SessionStatus::kActive);
  const auto push = [&](TimePoint due, uint64_t step) {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->PushBackTimer({s.id, "@expire", due, step, true}, seconds(60)));
    ASSERT_OK(txn->Commit());
  };
  const auto expiry = [&]() -> TimerRecord {
    auto timers = store_->Timers(s.id);
    EXPECT_OK(timers.status());
    EXPECT_EQ(timers.ok() ? timers->size() : 0u, 1u);
    return timers.ok() && !timers->empty() ? timers->front() : TimerRecord{};
  };
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    // An unknown session sets nothing and is not an error.
    ASSERT_OK(txn->PushBackTimer({s.id + 1000, "@expire", kT0, 0, true}, seconds(60)));
    ASSERT_OK(txn->Commit());
  }
  push(kT0 + seconds(900), 1);  // missing: written
  EXPECT_EQ(expiry().due, kT0 + seconds(900));
  EXPECT_EQ(expiry().step, 1u);

  ASSERT_OK_AND_ASSIGN(auto claimed, store_->ClaimTimers(kT0 + seconds(900), 10, seconds(30)));
  ASSERT_EQ(claimed.size(), 1u);
  push(kT0 + seconds(950), 2);  // 50 s later, within the slack: left as it is, claim and all
  EXPECT_EQ(expiry().due, kT0 + seconds(900));
  EXPECT_EQ(expiry().step, 1u);
  ASSERT_OK_AND_ASSIGN(claimed, store_->ClaimTimers(kT0 + seconds(900), 10, seconds(30)));
  EXPECT_TRUE(claimed.empty());

  push(kT0 + seconds(961), 3);  // 61 s later: past the slack, written and claimable again
  EXPECT_EQ(expiry().due, kT0 + seconds(961));
  EXPECT_EQ(expiry().step, 3u);
  ASSERT_OK_AND_ASSIGN(claimed, store_->ClaimTimers(kT0 + seconds(961), 10, seconds(30)));
  EXPECT_EQ(claimed.size(), 1u);

  push(kT0 + seconds(500), 4);  // earlier than the row (a shorter expire_after): written
  EXPECT_EQ(expiry().due, kT0 + seconds(500));
  EXPECT_EQ(expiry().step, 4u);
}

}  // namespace
}  // namespace parley::store::testing
