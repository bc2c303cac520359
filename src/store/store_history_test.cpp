// Conformance, continued: the transition history (schema v8; admin_store.hpp,
// TransitionRecord) on SQLite and PostgreSQL: written with its event, read back for a
// contact's transcript and a flow's per-state numbers, pruned in batches, and a v7 database
// upgraded in place.
#include <gmock/gmock.h>

#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TransitionRecord Move(const SessionRecord& s, std::string from, std::string to, TimePoint at,
                      std::string ended = "") {
  TransitionRecord t;
  t.session_id = s.id;
  t.contact_id = s.contact_id;
  t.flow_id = s.session.flow_id;
  t.flow_revision = "rev1";
  t.from_state = std::move(from);
  t.to_state = std::move(to);
  if (!t.from_state.empty()) {
    t.edge_index = 1;
    t.edge_label = "reply: yes";
  }
  t.event = t.from_state.empty() ? "start" : "inbound";
  t.ended = std::move(ended);
  t.at = at;
  return t;
}

TransitionRecord EndIn(const SessionRecord& s, std::string state, std::string reason,
                       TimePoint at) {
  TransitionRecord t = Move(s, state, state, at, std::move(reason));
  t.moved = false;
  t.edge_index.reset();
  t.edge_label.clear();
  t.event = "admin";
  return t;
}

const StateStats* Find(const std::vector<StateStats>& stats, std::string_view state) {
  for (const StateStats& s : stats) {
    if (s.state == state) return &s;
  }
  return nullptr;
}

}  // namespace

// Issue 11: a transition commits with its event's transaction (or not at all) and reads back
// for the contact, in time order, with every field.
TEST_P(StoreTest, TransitionsCommitWithTheirEventAndReadBackByContact) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551230401"));
  ASSERT_OK_AND_ASSIGN(ContactRecord bob, MakeContact(*store_, "+15551230402"));
  SessionRecord s = NewSession(ana.id, flow::SessionStatus::kActive);
  SessionRecord other = NewSession(bob.id, flow::SessionStatus::kActive);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->SaveSession(other));
    ASSERT_OK(txn->RecordTransition(Move(s, "", "ASK_NAME", kT0)));
    ASSERT_OK(txn->RecordTransition(Move(s, "ASK_NAME", "ASK_AGE", kT0 + minutes(1))));
    ASSERT_OK(txn->RecordTransition(Move(other, "", "ASK_NAME", kT0)));
    ASSERT_OK(txn->Commit());
  }
  {  // Rolled back with its transaction.
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->RecordTransition(Move(s, "ASK_AGE", "DONE", kT0 + minutes(2))));
  }
  {  // In a batch event (pipelined on PostgreSQL).
    ASSERT_OK_AND_ASSIGN(auto batch, store_->BeginBatch());
    ASSERT_OK(batch->LockContacts({ana}));
    ASSERT_OK_AND_ASSIGN(auto event, batch->BeginEvent());
    ASSERT_OK(event->RecordTransition(EndIn(s, "ASK_AGE", "ended_by_admin", kT0 + minutes(3))));
    ASSERT_OK(event->Commit());
    ASSERT_OK(batch->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto all,
                       store_->admin().ContactTransitions(ana.id, kT0, kT0 + hours(1), 100));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].from_state, "");
  EXPECT_EQ(all[0].to_state, "ASK_NAME");
  EXPECT_FALSE(all[0].edge_index.has_value());
  EXPECT_EQ(all[0].event, "start");
  EXPECT_EQ(all[1].from_state, "ASK_NAME");
  EXPECT_EQ(all[1].to_state, "ASK_AGE");
  EXPECT_EQ(all[1].edge_index, 1);
  EXPECT_EQ(all[1].edge_label, "reply: yes");
  EXPECT_EQ(all[1].flow_revision, "rev1");
  EXPECT_EQ(all[1].session_id, s.id);
  EXPECT_EQ(all[1].at, kT0 + minutes(1));
  EXPECT_TRUE(all[1].moved);
  EXPECT_FALSE(all[2].moved);
  EXPECT_EQ(all[2].ended, "ended_by_admin");
  EXPECT_EQ(all[2].event, "admin");
  // A time range and a limit.
  ASSERT_OK_AND_ASSIGN(auto middle, store_->admin().ContactTransitions(ana.id, kT0 + minutes(1),
                                                                       kT0 + minutes(2), 100));
  ASSERT_EQ(middle.size(), 1u);
  EXPECT_EQ(middle[0].to_state, "ASK_AGE");
  ASSERT_OK_AND_ASSIGN(auto first,
                       store_->admin().ContactTransitions(ana.id, kT0, kT0 + hours(1), 1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].event, "start");
}

// Issue 11: a flow's per-state numbers over a period: entered (starts included), left and
// ended per state, only the flow's and only the period's transitions.
TEST_P(StoreTest, FlowStateStatsCountEnteredLeftAndEndedInThePeriod) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551230411"));
  ASSERT_OK_AND_ASSIGN(ContactRecord bob, MakeContact(*store_, "+15551230412"));
  SessionRecord a = NewSession(ana.id, flow::SessionStatus::kCompleted);
  SessionRecord b = NewSession(bob.id, flow::SessionStatus::kActive);
  SessionRecord survey = NewSession(bob.id, flow::SessionStatus::kEnded);
  survey.session.flow_id = "survey";
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(a));
    ASSERT_OK(txn->SaveSession(b));
    ASSERT_OK(txn->SaveSession(survey));
    // Before the period: not counted.
    ASSERT_OK(txn->RecordTransition(Move(a, "", "ASK_NAME", kT0 - hours(48))));
    // In the period.
    ASSERT_OK(txn->RecordTransition(Move(a, "ASK_NAME", "ASK_AGE", kT0)));
    ASSERT_OK(txn->RecordTransition(Move(a, "ASK_AGE", "DONE", kT0 + minutes(1), "completed")));
    ASSERT_OK(txn->RecordTransition(Move(b, "", "ASK_NAME", kT0)));
    ASSERT_OK(txn->RecordTransition(Move(b, "ASK_NAME", "ASK_AGE", kT0 + minutes(1))));
    ASSERT_OK(txn->RecordTransition(EndIn(b, "ASK_AGE", "opted_out", kT0 + minutes(2))));
    ASSERT_OK(txn->RecordTransition(Move(survey, "", "ASK_NAME", kT0)));  // another flow
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto stats, store_->admin().FlowStateStats("checkin", kT0 - hours(24)));
  ASSERT_EQ(stats.size(), 3u);
  const StateStats* ask_name = Find(stats, "ASK_NAME");
  const StateStats* ask_age = Find(stats, "ASK_AGE");
  const StateStats* done = Find(stats, "DONE");
  ASSERT_TRUE(ask_name && ask_age && done);
  EXPECT_EQ(ask_name->entered, 1);  // b's start; a's start was before the period
  EXPECT_EQ(ask_name->left, 2);
  EXPECT_EQ(ask_name->ended, 0);
  EXPECT_EQ(ask_age->entered, 2);
  EXPECT_EQ(ask_age->left, 1);
  EXPECT_EQ(ask_age->ended, 1);  // b opted out there
  EXPECT_EQ(done->entered, 1);
  EXPECT_EQ(done->ended, 1);
  ASSERT_OK_AND_ASSIGN(auto none, store_->admin().FlowStateStats("checkin", kT0 + hours(1)));
  EXPECT_TRUE(none.empty());
  // Live sessions per state come from the sessions table (v8's partial index).
  ASSERT_OK_AND_ASSIGN(auto live, store_->ActiveSessionStates("checkin"));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].state, "ASK_NAME");
  EXPECT_EQ(live[0].sessions, 1);
}

// Issue 11: retention removes only what is older than the cut, at most `limit` a call.
TEST_P(StoreTest, PruneTransitionsRemovesTheOldestInBoundedBatches) {
  ASSERT_OK_AND_ASSIGN(ContactRecord ana, MakeContact(*store_, "+15551230421"));
  SessionRecord s = NewSession(ana.id, flow::SessionStatus::kActive);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->SaveSession(s));
    for (int i = 0; i < 5; ++i) {
      ASSERT_OK(txn->RecordTransition(Move(s, "A", "B", kT0 + minutes(i))));
    }
    ASSERT_OK(txn->Commit());
  }
  AdminStore& admin = store_->admin();
  ASSERT_OK_AND_ASSIGN(int64_t first, admin.PruneTransitions(kT0 + minutes(3), 2));
  EXPECT_EQ(first, 2);
  ASSERT_OK_AND_ASSIGN(int64_t second, admin.PruneTransitions(kT0 + minutes(3), 2));
  EXPECT_EQ(second, 1);
  ASSERT_OK_AND_ASSIGN(int64_t third, admin.PruneTransitions(kT0 + minutes(3), 2));
  EXPECT_EQ(third, 0);
  ASSERT_OK_AND_ASSIGN(auto left, admin.ContactTransitions(ana.id, kT0, kT0 + hours(1), 100));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].at, kT0 + minutes(3));
}

// Issue 11: the flows table's revisions of a flow, the latest loaded first.
TEST_P(StoreTest, FlowRevisionsListsTheLoadedRevisions) {
  ASSERT_OK(store_->SaveFlow({"checkin", "aaa", "{}", kT0}));
  ASSERT_OK(store_->SaveFlow({"checkin", "bbb", "{}", kT0 + hours(1)}));
  ASSERT_OK(store_->SaveFlow({"survey", "ccc", "{}", kT0}));
  ASSERT_OK_AND_ASSIGN(auto revisions, store_->admin().FlowRevisions("checkin"));
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0].revision, "bbb");
  EXPECT_EQ(revisions[0].loaded_at, kT0 + hours(1));
  EXPECT_EQ(revisions[1].revision, "aaa");
}

// Issue 11: a v7 database (the admin's first schema, with sessions) upgrades in place to the
// history's schema; its sessions keep counting per state.
TEST_P(StoreTest, UpgradesAVersionSevenDatabaseToTheHistorySchema) {
  ASSERT_OK(CreateDatabaseAtVersion(
      7, "v7",
      "INSERT INTO contacts (address, channel, phone, created_at) "
      "VALUES ('+15551230430', 'sms', '+15551230430', 0);"
      "INSERT INTO sessions (contact_id, flow_id, flow_revision, state, variables, "
      "step, status, started_at, updated_at, end_reason) VALUES "
      "(1, 'checkin', 'r', 'ASK_NAME', '{}', 0, 'active', 0, 0, '');"));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int before, store->SchemaVersion());
  EXPECT_EQ(before, 7);
  ASSERT_OK(store->Migrate());
  ASSERT_OK_AND_ASSIGN(int after, store->SchemaVersion());
  EXPECT_EQ(after, store->LatestSchemaVersion());
  EXPECT_GE(after, 8);
  ASSERT_OK_AND_ASSIGN(auto live, store->ActiveSessionStates("checkin"));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].sessions, 1);
  ASSERT_OK_AND_ASSIGN(auto by_flow, store->admin().ActiveSessionsByFlow());
  ASSERT_EQ(by_flow.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto history, store->admin().ContactTransitions(1, kT0, kT0, 10));
  EXPECT_TRUE(history.empty());
}

}  // namespace parley::store::testing
