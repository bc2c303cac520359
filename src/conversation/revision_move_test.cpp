// Sessions meeting a new revision of their flow (issue 10, "Flow revisions and reload"):
// through a real Pipeline on SQLite and PostgreSQL, the catalog swapped as a reload swaps it.
#include "conversation/revision_move.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"
#include "flow/loader.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// rev1: three questions; ASK_COLOR sets a (non-keep) reminder.
constexpr char kQuizRev1[] = R"({
  "flow": "quiz", "triggers": ["QUIZ"],
  "states": [
    {"name": "ASK_NAME", "enter": {"send": "Name?"},
     "states": [
       {"name": "ASK_COLOR", "condition": "any_text",
        "enter": [{"save": "name"}, {"send": "Color, {{name}}?"},
                  {"timer": {"name": "nudge", "after": "1h"}}],
        "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "Bye {{name}}"}}]}
     ]}
  ]
})";

// rev2: ASK_COLOR became ASK_FOOD; sessions on a removed state go to UPDATED, which says so
// and asks the new question.
constexpr char kQuizRev2[] = R"({
  "flow": "quiz", "triggers": ["QUIZ"], "on_missing_state": "UPDATED",
  "states": [
    {"name": "ASK_NAME", "enter": {"send": "Name?"},
     "states": [
       {"name": "ASK_FOOD", "condition": "any_text",
        "enter": [{"save": "name"}, {"send": "Food, {{name}}?"}],
        "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "Bye {{name}}"}}]}
     ]},
    {"name": "UPDATED",
     "states": [{"name": "@ASK_FOOD", "condition": "always",
                 "enter": {"send": "We changed our questions, {{name}}. Food?"}}]}
  ]
})";

// rev3: as rev2 without on_missing_state.
constexpr char kQuizRev3[] = R"({
  "flow": "quiz", "triggers": ["QUIZ"],
  "states": [
    {"name": "ASK_NAME", "enter": {"send": "Name?"},
     "states": [
       {"name": "ASK_FOOD", "condition": "any_text",
        "enter": [{"save": "name"}, {"send": "Food, {{name}}?"}],
        "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "Bye {{name}}"}}]}
     ]}
  ]
})";

// rev4: on_missing_state names a terminal state.
constexpr char kQuizRev4[] = R"({
  "flow": "quiz", "triggers": ["QUIZ"], "on_missing_state": "RETIRED",
  "states": [
    {"name": "ASK_NAME", "enter": {"send": "Name?"},
     "states": [{"name": "DONE", "condition": "any_text", "enter": {"send": "Bye {{reply}}"}}]},
    {"name": "RETIRED"}
  ]
})";

class RevisionMoveTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      Publish(kQuizRev1, "quiz-rev1");
    }
  }

  // Compiles `text` as revision `revision` of quiz and serves it in place of the quiz
  // running now, as a reload does (a fresh pipeline over the same database).
  void Publish(const char* text, const std::string& revision) {
    flow::CompileOptions options;
    options.default_id = "quiz";
    options.revision = revision;
    flow::CompileResult compiled = flow::Compile(text, options);
    for (const flow::Diagnostic& d : compiled.diagnostics) {
      EXPECT_FALSE(d.is_error()) << flow::FormatDiagnostic(d, revision);
    }
    ASSERT_NE(compiled.flow, nullptr);
    std::vector<std::shared_ptr<const flow::Flow>> flows = {compiled.flow};
    for (const auto& f : catalog_->flows()) {
      if (f->id != "quiz") {
        flows.push_back(f);
      }
    }
    ASSERT_OK_AND_ASSIGN(catalog_, FlowCatalog::Build(std::move(flows)));
    StartPipeline();
  }

  double Moves(const std::string& outcome) const {
    const std::string key = "parley_session_revision_moves_total{outcome=\"" + outcome + "\"} ";
    const std::string text = Metrics();
    const size_t at = text.find(key);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
  }

  Event TimerEvent(std::string_view contact, const store::TimerRecord& t) {
    Event e;
    e.contact = ParseAddress(contact).value();
    e.body = Timer{t.session_id, t.name, t.due, t.step, t.keep, false};
    return e;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, RevisionMoveTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Issue 10: a session whose state is still in the new revision runs on, on the new revision.
TEST_P(RevisionMoveTest, ASessionOnAKeptStateMovesToTheNewRevisionAtItsNextEvent) {
  EXPECT_THAT(Replies(Sms(kBob, "QUIZ")), ElementsAre("Name?"));
  EXPECT_EQ(Session(kBob)->flow_revision, "quiz-rev1");
  Publish(kQuizRev2, "quiz-rev2");
  EXPECT_EQ(Session(kBob)->flow_revision, "quiz-rev1");  // nothing moves before its event

  EXPECT_THAT(Replies(Sms(kBob, "Bob")), ElementsAre("Food, Bob?"));
  const auto session = Session(kBob);
  EXPECT_EQ(session->session.state, "ASK_FOOD");
  EXPECT_EQ(session->flow_revision, "quiz-rev2");
  EXPECT_EQ(Moves("same_state"), 1);
  // Once on the revision it is not counted again.
  EXPECT_THAT(Replies(Sms(kBob, "pizza")), ElementsAre("Bye Bob"));
  EXPECT_EQ(Moves("same_state"), 1);
}

// Issue 10: a session whose state the new revision removed goes to on_missing_state, and the
// event is handled there.
TEST_P(RevisionMoveTest, ASessionWhoseStateWasRemovedGoesToOnMissingState) {
  EXPECT_THAT(Replies(Sms(kAna, "QUIZ")), ElementsAre("Name?"));
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), ElementsAre("Color, Ana?"));
  EXPECT_EQ(Session(kAna)->session.step, 1u);
  Publish(kQuizRev2, "quiz-rev2");

  EXPECT_THAT(Replies(Sms(kAna, "blue")), ElementsAre("We changed our questions, Ana. Food?"));
  auto session = Session(kAna);
  EXPECT_EQ(session->session.state, "ASK_FOOD");
  EXPECT_EQ(session->flow_revision, "quiz-rev2");
  EXPECT_EQ(session->session.step, 3u);  // moved to UPDATED (+1), then its edge (+1)
  EXPECT_EQ(Moves("on_missing_state"), 1);
  // Issue 11: the history has the move, caused by the reload, then the edge out of UPDATED.
  auto history = store_->admin().ContactTransitions(Contact(kAna)->id, FromUnixMillis(0),
                                                    kT0 + std::chrono::days(1), 10);
  ASSERT_OK(history.status());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[2].event, "reload");
  EXPECT_EQ((*history)[2].to_state, "UPDATED");
  EXPECT_EQ((*history)[3].from_state, "UPDATED");
  EXPECT_EQ((*history)[3].to_state, "ASK_FOOD");
  EXPECT_THAT(Replies(Sms(kAna, "pizza")), ElementsAre("Bye Ana"));
  EXPECT_THAT(AllSessions(kAna), ElementsAre("quiz/DONE/completed/completed"));
}

// Issue 10: a timer set in a removed state meets the new revision too: the session moves to
// on_missing_state, so the reminder of the removed question is stale, not fired.
TEST_P(RevisionMoveTest, ATimerOfARemovedStateIsStaleAfterTheMove) {
  EXPECT_THAT(Replies(Sms(kCid, "QUIZ")), ElementsAre("Name?"));
  EXPECT_THAT(Replies(Sms(kCid, "Cid")), ElementsAre("Color, Cid?"));
  const int64_t id = Session(kCid)->id;
  ASSERT_OK_AND_ASSIGN(const auto timers, store_->Timers(id));
  ASSERT_EQ(timers.size(), 1u);
  Publish(kQuizRev2, "quiz-rev2");

  clock_.Advance(std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(const Outcome fired, Run(TimerEvent(kCid, timers[0])));
  EXPECT_THAT(Bodies(fired), IsEmpty());
  EXPECT_THAT(Metrics(), HasSubstr("parley_timers_total{outcome=\"stale\"} 1"));
  const auto session = Session(kCid);
  EXPECT_EQ(session->session.state, "UPDATED");  // the move is saved with the timer's event
  EXPECT_EQ(session->flow_revision, "quiz-rev2");
  EXPECT_THAT(Replies(Sms(kCid, "hi")), ElementsAre("We changed our questions, Cid. Food?"));
}

// Issue 10: without on_missing_state the session ends with reason state_removed, its timers
// go with it, and the message is handled as for a contact with no session (here: a trigger
// starts the flow again).
TEST_P(RevisionMoveTest, WithoutOnMissingStateTheSessionEndsStateRemoved) {
  EXPECT_THAT(Replies(Sms(kAna, "QUIZ")), ElementsAre("Name?"));
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), ElementsAre("Color, Ana?"));
  EXPECT_THAT(Replies(Sms(kBob, "QUIZ")), ElementsAre("Name?"));
  EXPECT_THAT(Replies(Sms(kBob, "Bob")), ElementsAre("Color, Bob?"));
  const int64_t bob = Session(kBob)->id;
  Publish(kQuizRev3, "quiz-rev3");

  EXPECT_THAT(Replies(Sms(kAna, "quiz")), ElementsAre("Name?"));
  EXPECT_THAT(AllSessions(kAna),
              ElementsAre("quiz/ASK_COLOR/ended/state_removed", "quiz/ASK_NAME/active/"));
  EXPECT_EQ(Session(kAna)->flow_revision, "quiz-rev3");
  // No trigger, no start flow: the message is recorded, nothing answers.
  EXPECT_THAT(Replies(Sms(kBob, "blue")), IsEmpty());
  EXPECT_THAT(AllSessions(kBob), ElementsAre("quiz/ASK_COLOR/ended/state_removed"));
  ASSERT_OK_AND_ASSIGN(const auto timers, store_->Timers(bob));
  EXPECT_THAT(timers, IsEmpty());
  EXPECT_EQ(Moves("state_removed"), 2);
  EXPECT_THAT(Metrics(), HasSubstr("\nparley_flow_errors_total 0\n"));
}

// Issue 10: an on_missing_state that is a terminal state completes the session.
TEST_P(RevisionMoveTest, ATerminalOnMissingStateCompletesTheSession) {
  EXPECT_THAT(Replies(Sms(kAna, "QUIZ")), ElementsAre("Name?"));
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), ElementsAre("Color, Ana?"));
  Publish(kQuizRev4, "quiz-rev4");
  EXPECT_THAT(Replies(Sms(kAna, "blue")), IsEmpty());
  EXPECT_THAT(AllSessions(kAna), ElementsAre("quiz/RETIRED/completed/completed"));
  EXPECT_EQ(Moves("completed"), 1);
}

// Issue 10: a whole flow removed still ends its sessions as flow_removed (counted with the
// revision moves).
TEST_P(RevisionMoveTest, ARemovedFlowEndsItsSessionsFlowRemoved) {
  EXPECT_THAT(Replies(Sms(kAna, "QUIZ")), ElementsAre("Name?"));
  std::vector<std::shared_ptr<const flow::Flow>> without_quiz;
  for (const auto& f : catalog_->flows()) {
    if (f->id != "quiz") {
      without_quiz.push_back(f);
    }
  }
  ASSERT_OK_AND_ASSIGN(catalog_, FlowCatalog::Build(std::move(without_quiz)));
  StartPipeline();
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), IsEmpty());
  EXPECT_THAT(AllSessions(kAna), ElementsAre("quiz/ASK_NAME/ended/flow_removed"));
  EXPECT_EQ(Moves("flow_removed"), 1);
}

// The decision itself, without a database.
TEST(MoveToRevision, KeepsMovesOrEndsBySessionState) {
  flow::CompileOptions options;
  options.revision = "r2";
  const auto flow = flow::Compile(kQuizRev2, options).flow;
  ASSERT_NE(flow, nullptr);
  store::SessionRecord s;
  s.flow_revision = "r2";
  s.session.state = "ASK_FOOD";
  EXPECT_EQ(MoveToRevision(*flow, s), RevisionMove::kCurrent);
  s.flow_revision = "r1";
  EXPECT_EQ(MoveToRevision(*flow, s), RevisionMove::kSameState);
  EXPECT_EQ(s.flow_revision, "r2");
  s.flow_revision = "r1";
  s.session.state = "ASK_COLOR";
  s.session.step = 4;
  EXPECT_EQ(MoveToRevision(*flow, s), RevisionMove::kOnMissingState);
  EXPECT_EQ(s.session.state, "UPDATED");
  EXPECT_EQ(s.session.step, 5u);
  EXPECT_TRUE(s.session.active());
  const auto plain = flow::Compile(kQuizRev3, options).flow;
  ASSERT_NE(plain, nullptr);
  s.session.state = "ASK_COLOR";
  s.flow_revision = "r1";
  EXPECT_EQ(MoveToRevision(*plain, s), RevisionMove::kStateRemoved);
  EXPECT_EQ(s.session.state, "ASK_COLOR");  // left for the caller to end
  EXPECT_EQ(s.flow_revision, "r1");
}

}  // namespace
}  // namespace parley::conversation::testing
