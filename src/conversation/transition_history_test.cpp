// Issue 11: every state change of a session is recorded (store::TransitionRecord) in the
// transaction of the event that made it — start, edge, end — with what caused it, on SQLite
// and PostgreSQL; a failed step records nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;

class TransitionHistoryTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      StartPipeline();
    }
  }

  // The contact's history as "CAUSE FROM>TO #EDGE (LABEL) [ENDED]", oldest first.
  std::vector<std::string> History(std::string_view address) {
    const auto contact = Contact(address);
    EXPECT_TRUE(contact.has_value());
    if (!contact) return {};
    auto rows = store_->admin().ContactTransitions(contact->id, FromUnixMillis(0),
                                                   kT0 + std::chrono::days(1), 100);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    for (const store::TransitionRecord& t : rows.value_or({})) {
      std::string line = t.event + " " + t.from_state + ">" + t.to_state;
      if (t.edge_index) line += " #" + std::to_string(*t.edge_index) + " (" + t.edge_label + ")";
      if (!t.moved) line += " stay";
      if (!t.ended.empty()) line += " [" + t.ended + "]";
      EXPECT_EQ(t.flow_id.empty(), false);
      EXPECT_FALSE(t.flow_revision.empty());
      EXPECT_GT(t.session_id, 0);
      out.push_back(line);
    }
    return out;
  }
};

TEST_P(TransitionHistoryTest, AStartAndAnEdgeToATerminalStateAreRecordedWithTheirCause) {
  Replies(Sms(kAna, "FINISH"));
  clock_.Advance(std::chrono::minutes(1));
  Replies(Sms(kAna, "fine"));
  EXPECT_THAT(History(kAna),
              ElementsAre("inbound >ASK", "inbound ASK>DONE #0 (any text) [completed]"));
}

TEST_P(TransitionHistoryTest, EndsInPlaceAreRecordedForStopAdminAndRestart) {
  ASSERT_OK(Run(StartEvent(kAna, "finish")).status());
  ASSERT_OK(Run(StartEvent(kAna, "finish")).status());  // the first ends as "restarted"
  AdminAction end;
  end.kind = AdminAction::Kind::kEndSession;
  end.audit.actor = "op@example.org";
  end.audit.action = "contact_end_session";
  Event e;
  e.contact = ParseAddress(kAna).value();
  e.body = end;
  ASSERT_OK(Run(e).status());
  Replies(Sms(kBob, "FINISH"));
  Replies(Sms(kBob, "STOP", "", "STOP"));
  EXPECT_THAT(History(kAna), ElementsAre("start >ASK", "start ASK>ASK stay [restarted]",
                                         "start >ASK", "admin ASK>ASK stay [ended_by_admin]"));
  EXPECT_THAT(History(kBob), ElementsAre("inbound >ASK", "inbound ASK>ASK stay [opted_out]"));
}

TEST_P(TransitionHistoryTest, AFailedStepRecordsNothingAndASelfLoopIsAnEdge) {
  Replies(Sms(kAna, "BOOM"));
  ASSERT_OK_AND_ASSIGN(Outcome failed, Run(Sms(kAna, "explode")));
  EXPECT_FALSE(failed.flow_error.empty());  // a handler error: the session stays
  Replies(Sms(kAna, "hello"));              // the `always` self-loop, edge 2
  EXPECT_THAT(History(kAna), ElementsAre("inbound >READY", "inbound READY>READY #2 (always)"));
}

INSTANTIATE_TEST_SUITE_P(Backends, TransitionHistoryTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::conversation::testing
