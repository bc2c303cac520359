// conversation::Service in process: what a failing handler, a per-event cap or a removed
// flow leaves behind, on SQLite and PostgreSQL.
#include "conversation/service.hpp"

#include "conversation/service_test_fixture.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

}  // namespace

TEST_P(ServiceTest, ALuaErrorKeepsTheMessageAndLeavesTheSessionAsItWas) {
  EXPECT_THAT(Replies(Sms(kAna, "BOOM")), ElementsAre("ready"));
  EXPECT_THAT(Replies(Sms(kAna, "hi")), ElementsAre("ok 1"));
  const auto before = Session(kAna);
  ASSERT_TRUE(before.has_value());

  clock_.Advance(std::chrono::minutes(1));
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Sms(kAna, "explode")));
  EXPECT_THAT(outcome.flow_error, HasSubstr("kaboom"));
  EXPECT_THAT(outcome.flow_error, HasSubstr("boom.lua"));
  EXPECT_THAT(outcome.replies, IsEmpty());  // what the action sent before failing is dropped
  EXPECT_FALSE(outcome.duplicate);
  const auto after = Session(kAna);
  EXPECT_EQ(after->session.step, before->session.step);
  EXPECT_EQ(after->session.vars.Find("n")->as_number(), 1);
  EXPECT_EQ(after->updated_at, before->updated_at);
  EXPECT_EQ(after->session.state, "READY");
  EXPECT_THAT(Counts(), HasSubstr("messages=5 "));  // 4 before, and the inbound "explode"
  EXPECT_EQ(Log(kAna).back(), "in:explode");
  EXPECT_EQ(Contact(kAna)->last_inbound_at, clock_.Now());
  EXPECT_EQ(MetricValue("parley_flow_errors_total"), 1);
  // The conversation goes on.
  EXPECT_THAT(Replies(Sms(kAna, "hi")), ElementsAre("ok 2"));
}

// Issue 8 item 7: one inbound message could produce any number of outbound rows. Past the
// flow's sends_per_event the event fails like a handler error: the inbound message is
// recorded, nothing it produced is written, the session is as it was, a metric counts it.
TEST_P(ServiceTest, AnEventOverAPerEventCapWritesNothingButTheInboundMessage) {
  EXPECT_THAT(Replies(Sms(kAna, "BOOM")), ElementsAre("ready"));
  const auto before = Session(kAna);
  ASSERT_TRUE(before.has_value());
  const std::string counts_before = Counts();

  clock_.Advance(std::chrono::minutes(1));
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Sms(kAna, "flood")));
  EXPECT_THAT(
      outcome.flow_error,
      HasSubstr("event limit exceeded: sends_per_event is 10 (flow 'boom', state 'READY')"));
  EXPECT_THAT(outcome.replies, IsEmpty());
  const auto after = Session(kAna);
  EXPECT_EQ(after->session, before->session);
  EXPECT_EQ(after->updated_at, before->updated_at);
  EXPECT_EQ(Log(kAna).back(), "in:flood");
  EXPECT_THAT(Counts(), HasSubstr("messages=3 outbox=1 "));  // BOOM, ready, flood
  EXPECT_THAT(Metrics(), HasSubstr("parley_event_limit_exceeded_total{limit=\"sends\"} 1\n"));
  EXPECT_EQ(MetricValue("parley_flow_errors_total"), 1);
  // The conversation goes on.
  EXPECT_THAT(Replies(Sms(kAna, "hi")), ElementsAre("ok 1"));
}

TEST_P(ServiceTest, ABuiltInHandlerErrorAtATriggerStartsNoSession) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Sms(kAna, "BADSTART")));
  EXPECT_THAT(outcome.flow_error, HasSubstr("fail_native"));
  EXPECT_THAT(outcome.replies, IsEmpty());
  EXPECT_EQ(outcome.session_state, "");
  EXPECT_FALSE(Session(kAna).has_value());
  EXPECT_THAT(Log(kAna), ElementsAre("in:BADSTART"));
  EXPECT_EQ(Counts(), "contacts=1 sessions=0 messages=1 outbox=0 timers=0 flows=0");
}

// Issue 8 item 14: a session whose flow file was removed used to stay stuck ("not loaded;
// recorded only") and kept the contact from every trigger until STOP. Its next event ends it
// as flow_removed and is then handled as for a contact with no session.
TEST_P(ServiceTest, ASessionWhoseFlowWasRemovedEndsAndTheMessageStartsAfresh) {
  EXPECT_THAT(Replies(Sms(kAna, "TALLY")), ElementsAre("counting"));
  EXPECT_THAT(Replies(Sms(kBob, "TALLY")), ElementsAre("counting"));
  std::vector<std::shared_ptr<const flow::Flow>> without_tally;
  for (const auto& f : catalog_->flows()) {
    if (f->id != "tally") {
      without_tally.push_back(f);
    }
  }
  ASSERT_OK_AND_ASSIGN(catalog_, FlowCatalog::Build(std::move(without_tally)));
  ServiceOptions options = DefaultServiceOptions();
  options.start_flow = "checkin";
  StartPipeline({}, options);

  // A keyword trigger applies again.
  ASSERT_OK_AND_ASSIGN(Outcome ana, Run(Sms(kAna, "checkin")));
  EXPECT_EQ(ana.flow_error, "");
  EXPECT_THAT(Bodies(ana), ElementsAre(kOptInQuestion));
  EXPECT_THAT(AllSessions(kAna),
              ElementsAre("tally/COUNTING/ended/flow_removed", "checkin/OPTIN/active/"));
  // So does the start flow, for a message that is no trigger.
  EXPECT_THAT(Replies(Sms(kBob, "one")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(AllSessions(kBob),
              ElementsAre("tally/COUNTING/ended/flow_removed", "checkin/OPTIN/active/"));
  EXPECT_EQ(Log(kBob).back(), "out:" + std::string(kOptInQuestion) + ":queued");
  EXPECT_EQ(MetricValue("parley_flow_errors_total"), 0);
  // The new sessions run on.
  EXPECT_THAT(Replies(Sms(kAna, "yes")), ElementsAre("Great! What is your first name?"));
}

}  // namespace parley::conversation::testing
