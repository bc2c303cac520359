// conversation::Service in process: STOP, START and HELP (and Twilio's OptOutType) before
// the flow, on SQLite and PostgreSQL.
#include "conversation/service.hpp"

#include "conversation/service_test_fixture.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

}  // namespace

TEST_P(ServiceTest, StopEndsTheSessionAndOptsOutStartOptsBackIn) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(Replies(Sms(kAna, "yes")), ElementsAre("Great! What is your first name?"));
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), ElementsAre(HasSubstr("Thanks, Ana!")));
  const int64_t session_id = Session(kAna)->id;
  ASSERT_THAT(Timers(session_id), ElementsAre(HasSubstr("daily@"), HasSubstr("@expire@")));

  clock_.Advance(std::chrono::minutes(1));
  ASSERT_OK_AND_ASSIGN(Outcome stop, Run(Sms(kAna, "Stop!")));
  EXPECT_THAT(stop.replies, IsEmpty());
  EXPECT_EQ(stop.session_state, "");
  auto session = Session(kAna);
  EXPECT_EQ(session->id, session_id);
  EXPECT_EQ(session->session.status, flow::SessionStatus::kOptedOut);
  EXPECT_EQ(session->session.state, "WAITING");  // the flow did not see "Stop!"
  EXPECT_EQ(session->end_reason, "opted_out");
  EXPECT_EQ(session->ended_at, clock_.Now());
  EXPECT_THAT(Timers(session_id), IsEmpty());
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kOptedOut);
  EXPECT_EQ(MetricValue("parley_opt_outs_total"), 1);

  // Opted out: messages are recorded, nothing reaches a flow, nothing is sent but the answer
  // to HELP (below).
  const auto outbox_and_after = [this] {
    const std::string counts = Counts();
    return counts.substr(counts.find("outbox="));
  };
  const std::string outbox = outbox_and_after();
  for (const char* body : {"JOIN", "yes", "hello?"}) {
    ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Sms(kAna, body)));
    EXPECT_THAT(outcome.replies, IsEmpty()) << body;
    EXPECT_EQ(outcome.session_state, "") << body;
  }
  EXPECT_EQ(outbox_and_after(), outbox);
  EXPECT_THAT(Counts(), HasSubstr("sessions=1 "));
  EXPECT_THAT(Log(kAna), ::testing::IsSupersetOf({"in:JOIN", "in:yes", "in:hello?"}));
  EXPECT_EQ(Log(kAna).back(), "in:hello?");
  // Issue 12 item 17: HELP is answered for an opted-out contact too (carriers expect it), and
  // changes nothing else: still opted out, no session.
  EXPECT_THAT(Replies(Sms(kAna, "HELP")), ElementsAre(kHelpText));
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kOptedOut);
  EXPECT_EQ(Session(kAna)->session.status, flow::SessionStatus::kOptedOut);
  EXPECT_THAT(Counts(), HasSubstr("sessions=1 "));

  // START opts back in (Twilio confirms on the carrier side: parley sends nothing).
  ASSERT_OK_AND_ASSIGN(Outcome start, Run(Sms(kAna, "START")));
  EXPECT_THAT(start.replies, IsEmpty());
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kActive);
  EXPECT_THAT(Counts(), HasSubstr("sessions=1 "));  // START starts no flow
  EXPECT_THAT(Replies(Sms(kAna, "help")), ElementsAre(kHelpText));
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(AllSessions(kAna),
              ElementsAre("checkin/WAITING/opted_out/opted_out", "checkin/OPTIN/active/"));
}

TEST_P(ServiceTest, OptOutTypeOverridesTheBody) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  // A localised stop word Twilio recognised: the body is a flow answer, OptOutType wins.
  ASSERT_OK_AND_ASSIGN(Outcome stop, Run(Sms(kAna, "yes", "", "STOP")));
  EXPECT_THAT(stop.replies, IsEmpty());
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kOptedOut);
  EXPECT_EQ(Session(kAna)->session.status, flow::SessionStatus::kOptedOut);
  EXPECT_EQ(Session(kAna)->session.state, "OPTIN");  // "yes" did not reach the flow
  EXPECT_EQ(Session(kAna)->session.step, 0u);

  ASSERT_OK_AND_ASSIGN(Outcome start, Run(Sms(kAna, "hola de nuevo", "", "start")));
  EXPECT_THAT(start.replies, IsEmpty());
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kActive);
  // "STOP" in the body with OptOutType HELP is a help request, not an opt-out.
  EXPECT_THAT(Replies(Sms(kAna, "STOP", "", " Help ")), ElementsAre(kHelpText));
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kActive);
  EXPECT_EQ(MetricValue("parley_opt_outs_total"), 1);
}

TEST_P(ServiceTest, HelpAnswersTheHelpTextAndLeavesTheSessionAlone) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  const auto before = Session(kAna);
  EXPECT_THAT(Replies(Sms(kAna, "info?")), ElementsAre(kHelpText));
  const auto after = Session(kAna);
  EXPECT_EQ(after->session.state, "OPTIN");
  EXPECT_EQ(after->session.step, before->session.step);
  EXPECT_EQ(after->updated_at, before->updated_at);
  const auto messages = Messages(kAna);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages.back().body, kHelpText);
  EXPECT_EQ(messages.back().status, store::MessageStatus::kQueued);
  EXPECT_EQ(messages.back().session_id, before->id);
  // Without a session, HELP is answered too, and starts nothing.
  EXPECT_THAT(Replies(Sms(kBob, "HELP")), ElementsAre(kHelpText));
  EXPECT_FALSE(Session(kBob).has_value());
  EXPECT_FALSE(Messages(kBob).back().session_id.has_value());
}

}  // namespace parley::conversation::testing
