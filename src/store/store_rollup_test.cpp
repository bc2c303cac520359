// Conformance, continued: the flow page's rollup (schema v11; admin_store.hpp,
// RollUpTransitions, FlowStateStats) on SQLite and PostgreSQL. The numbers must equal a scan
// of the transitions for any period, wherever the watermark is, after retention, after the
// upgrade from v10 fills the rollup, and with two instances rolling up at once.
#include <gmock/gmock.h>

#include <map>
#include <thread>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kMidnight = std::chrono::floor<days>(kT0);  // 2023-11-14T00:00:00Z

// Six days of history before kT0 and an hour after it, one transition every 37 minutes over
// two flows: starts, moves, ends in place and moves that end (each kind the page counts).
std::vector<TransitionRecord> History() {
  std::vector<TransitionRecord> out;
  const char* states[] = {"ASK_NAME", "ASK_AGE", "DONE", "ASK_NAME"};
  int i = 0;
  for (TimePoint at = kT0 - days(6); at < kT0 + hours(1); at += minutes(37), ++i) {
    TransitionRecord t;
    t.session_id = 1 + i % 5;
    t.contact_id = 1;
    t.flow_id = i % 3 == 0 ? "survey" : "checkin";
    t.flow_revision = "rev1";
    t.from_state = i % 7 == 0 ? "" : states[i % 4];
    t.to_state = states[(i + 1) % 4];
    t.event = t.from_state.empty() ? "start" : "inbound";
    t.at = at;
    if (i % 11 == 0) {  // an end in place
      t.moved = false;
      t.to_state = t.from_state.empty() ? "ASK_NAME" : t.from_state;
      t.ended = "opted_out";
    } else if (t.to_state == "DONE") {
      t.ended = "completed";
    }
    out.push_back(t);
  }
  return out;
}

// What a scan of `history` counts for `flow` at or after `since` (the old page's query).
std::vector<StateStats> Scan(const std::vector<TransitionRecord>& history, std::string_view flow,
                             TimePoint since, TimePoint kept_from = TimePoint::min()) {
  std::map<std::string, StateStats> by_state;
  const auto at = [&](const std::string& state) -> StateStats& {
    auto [it, added] = by_state.try_emplace(state, StateStats{state});
    return it->second;
  };
  for (const TransitionRecord& t : history) {
    if (t.flow_id != flow || t.at < since || t.at < kept_from) {
      continue;
    }
    if (t.moved) {
      ++at(t.to_state).entered;
      if (!t.from_state.empty()) {
        ++at(t.from_state).left;
      }
    }
    if (!t.ended.empty()) {
      ++at(t.to_state).ended;
    }
  }
  std::vector<StateStats> out;
  for (auto& [state, s] : by_state) {
    out.push_back(s);
  }
  return out;
}

std::string Describe(const std::vector<StateStats>& stats) {
  std::string out;
  for (const StateStats& s : stats) {
    out += s.state + ":" + std::to_string(s.entered) + "/" + std::to_string(s.left) + "/" +
           std::to_string(s.ended) + " ";
  }
  return out;
}

Status Record(Store& store, const std::vector<TransitionRecord>& history) {
  auto txn = store.Begin();
  if (!txn.ok()) {
    return txn.status();
  }
  for (const TransitionRecord& t : history) {
    PARLEY_RETURN_IF_ERROR((*txn)->RecordTransition(t));
  }
  return (*txn)->Commit();
}

// Periods starting at midnights (the page's) and elsewhere, from before the history on.
std::vector<TimePoint> Periods() {
  return {kMidnight,       kMidnight - days(2), kMidnight - days(6),
          kT0 - hours(50), kT0 - minutes(5),    kT0 - days(30)};
}

}  // namespace

#define EXPECT_SAME_AS_SCAN(store, history, since, ...)                                       \
  for (const char* flow : {"checkin", "survey"}) {                                            \
    ASSERT_OK_AND_ASSIGN(auto got, (store).admin().FlowStateStats(flow, since));              \
    EXPECT_EQ(Describe(got), Describe(Scan(history, flow, since __VA_OPT__(, ) __VA_ARGS__))) \
        << flow << " since " << ToUnixMillis(since);                                          \
  }

// Issue 11: the page's numbers equal the scan of the transitions for every period, with the
// watermark nowhere, mid-day, minutes before now and past everything; retention by whole
// days removes the rollup with the transitions; whole days are then read from the rollup.
TEST_P(StoreTest, FlowStateStatsEqualTheScanWhereverTheWatermarkIs) {
  const std::vector<TransitionRecord> history = History();
  ASSERT_OK(Record(*store_, history));
  AdminStore& admin = store_->admin();
  ASSERT_OK_AND_ASSIGN(TimePoint fresh, admin.RollupWatermark());
  EXPECT_EQ(fresh, FromUnixMillis(0));
  for (const TimePoint since : Periods()) {
    EXPECT_SAME_AS_SCAN(*store_, history, since);
  }
  for (const TimePoint until : {kT0 - days(2) - hours(5), kT0 - minutes(30), kT0 + hours(2)}) {
    int steps = 0;
    for (;;) {  // steps of at most three hours of history, as the job takes them
      ASSERT_OK_AND_ASSIGN(RollupStep step, admin.RollUpTransitions(until, hours(3)));
      ASSERT_FALSE(step.raced);
      ++steps;
      if (step.caught_up) break;
      ASSERT_LT(steps, 100);
    }
    ASSERT_OK_AND_ASSIGN(TimePoint watermark, admin.RollupWatermark());
    EXPECT_EQ(watermark, until);
    for (const TimePoint since : Periods()) {
      EXPECT_SAME_AS_SCAN(*store_, history, since);
    }
  }
  // A step with nothing to do changes nothing.
  ASSERT_OK_AND_ASSIGN(RollupStep idle, admin.RollUpTransitions(kT0, hours(3)));
  EXPECT_TRUE(idle.caught_up);
  EXPECT_FALSE(idle.advanced);
  EXPECT_EQ(idle.watermark, kT0 + hours(2));

  // Retention by whole UTC days: the transitions and the rollup of the days before the cut.
  const TimePoint cut = kMidnight - days(4);
  while (true) {
    ASSERT_OK_AND_ASSIGN(int64_t removed, admin.PruneTransitions(cut, 50));
    if (removed < 50) break;
  }
  ASSERT_OK_AND_ASSIGN(int64_t rollup_rows, admin.PruneRollup(cut));
  EXPECT_GT(rollup_rows, 0);
  for (const TimePoint since : Periods()) {
    EXPECT_SAME_AS_SCAN(*store_, history, since, cut);
  }

  // Whole days come from the rollup: with their transitions gone behind the store's back,
  // a period starting at a midnight counts the same.
  ASSERT_OK(
      RawExec("DELETE FROM transitions WHERE at < " + std::to_string(ToUnixMillis(kMidnight))));
  EXPECT_SAME_AS_SCAN(*store_, history, kMidnight - days(2), cut);
}

// Issue 11: two instances rolling up the same database at once (the job runs on every
// `parley serve`) count each transition once: the watermark moves by compare and set.
TEST_P(StoreTest, TwoRollupJobsRacingCountEachTransitionOnce) {
  const std::vector<TransitionRecord> history = History();
  ASSERT_OK(Record(*store_, history));
  ASSERT_OK_AND_ASSIGN(auto other, Open());
  std::atomic<int> raced{0};
  const auto job = [&](Store& store) {
    for (int i = 0; i < 1000; ++i) {  // small steps: many chances to collide
      auto step = store.admin().RollUpTransitions(kT0 + hours(2), minutes(40));
      ASSERT_OK(step.status());
      raced += step->raced ? 1 : 0;
      if (step->caught_up) return;
    }
    FAIL() << "never caught up";
  };
  std::thread a([&] { job(*store_); });
  std::thread b([&] { job(*other); });
  a.join();
  b.join();
  ASSERT_OK_AND_ASSIGN(TimePoint watermark, store_->admin().RollupWatermark());
  EXPECT_EQ(watermark, kT0 + hours(2));
  // Everything is in the rollup now: the numbers hold without the transitions.
  ASSERT_OK(RawExec("DELETE FROM transitions"));
  EXPECT_SAME_AS_SCAN(*store_, history, kMidnight - days(6));
  EXPECT_SAME_AS_SCAN(*store_, history, kMidnight - days(1));
  RecordProperty("raced", raced.load());
}

// Issue 11: a v10 database with history upgrades in place: v11 fills the rollup from the
// transitions there, up to two minutes before the latest, and the numbers stay the scan's.
TEST_P(StoreTest, UpgradeFromVersionTenFillsTheRollup) {
  std::string script;
  const std::vector<TransitionRecord> history = History();
  script += "BEGIN;";  // one commit (SQLite would sync each insert on its own)
  for (const TransitionRecord& t : history) {
    script +=
        "INSERT INTO transitions (session_id, contact_id, flow_id, flow_revision, "
        "from_state, to_state, event, moved, ended, at) VALUES (" +
        std::to_string(t.session_id) + ", 1, '" + t.flow_id + "', 'rev1', '" + t.from_state +
        "', '" + t.to_state + "', '" + t.event + "', " + (t.moved ? "1" : "0") + ", '" + t.ended +
        "', " + std::to_string(ToUnixMillis(t.at)) + ");";
  }
  ASSERT_OK(CreateDatabaseAtVersion(10, "v10", script + "COMMIT;"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 10);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_GE(after, 11);
  ASSERT_OK_AND_ASSIGN(TimePoint watermark, store->admin().RollupWatermark());
  EXPECT_EQ(watermark, history.back().at - minutes(2));
  for (const TimePoint since : Periods()) {
    EXPECT_SAME_AS_SCAN(*store, history, since);
  }
  // The filled rollup serves the whole days.
  ASSERT_OK(
      RawExec("DELETE FROM transitions WHERE at < " + std::to_string(ToUnixMillis(kMidnight))));
  EXPECT_SAME_AS_SCAN(*store, history, kMidnight - days(5));
  // And the job goes on from the watermark.
  ASSERT_OK_AND_ASSIGN(RollupStep step, store->admin().RollUpTransitions(kT0 + hours(2), hours(3)));
  EXPECT_TRUE(step.advanced);
  EXPECT_SAME_AS_SCAN(*store, history, kMidnight - days(5));
}

}  // namespace parley::store::testing
