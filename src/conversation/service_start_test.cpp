// conversation::Service in process: keyword triggers and starting a flow for a contact
// (`parley start`, the admin, broadcasts): greetings, restarts, WhatsApp senders and
// templates, and the refusals, on SQLite and PostgreSQL.
#include "conversation/service.hpp"

#include "conversation/service_test_fixture.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

}  // namespace

TEST_P(ServiceTest, AKeywordTriggerStartsItsFlowAndConsumesTheMessage) {
  // "checkin!" normalizes to the trigger CHECKIN; it starts the flow and is not also
  // matched against OPTIN's edges (which would answer "Please reply YES or NO.").
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Sms(kAna, "checkin!")));
  EXPECT_THAT(Bodies(outcome), ElementsAre(kOptInQuestion));
  EXPECT_EQ(outcome.session_state, "OPTIN");
  EXPECT_EQ(Session(kAna)->session.step, 0u);
  EXPECT_EQ(Session(kAna)->session.flow_id, "checkin");
  // With a session running, another flow's trigger is an answer to the current flow.
  EXPECT_THAT(Replies(Sms(kAna, "TALLY")), ElementsAre("Please reply YES or NO."));
  EXPECT_EQ(Session(kAna)->session.flow_id, "checkin");
  EXPECT_THAT(Counts(), HasSubstr("sessions=1 "));
  // Another contact's TALLY starts the tally flow.
  EXPECT_THAT(Replies(Sms(kBob, "tally")), ElementsAre("counting"));
  EXPECT_EQ(Session(kBob)->session.flow_id, "tally");
  EXPECT_EQ(MetricValue(R"(parley_sessions_started_total{flow="checkin"})"), 1);
  EXPECT_EQ(MetricValue(R"(parley_sessions_started_total{flow="tally"})"), 1);
}

TEST_P(ServiceTest, StartFlowOptionGreetsAContactWithNoSession) {
  ServiceOptions options = DefaultServiceOptions();
  options.start_flow = "checkin";
  StartPipeline({}, options);
  // The first message starts the flow and is consumed by the start (not matched as "yes").
  EXPECT_THAT(Replies(Sms(kAna, "yes")), ElementsAre(kOptInQuestion));
  EXPECT_EQ(Session(kAna)->session.state, "OPTIN");
  // A trigger wins over the start flow.
  EXPECT_THAT(Replies(Sms(kBob, "TALLY")), ElementsAre("counting"));
  EXPECT_EQ(Session(kBob)->session.flow_id, "tally");
  // A finished session is followed by a new one at the next message.
  EXPECT_THAT(Replies(Sms(kAna, "no")), ElementsAre(HasSubstr("No problem.")));
  EXPECT_EQ(Session(kAna)->session.status, flow::SessionStatus::kCompleted);
  EXPECT_THAT(Replies(Sms(kAna, "hi again")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(AllSessions(kAna),
              ElementsAre("checkin/DECLINED/completed/completed", "checkin/OPTIN/active/"));
  // STOP is compliance, not a first message: it starts nothing.
  EXPECT_THAT(Replies(Sms(kCid, "STOP")), IsEmpty());
  EXPECT_FALSE(Session(kCid).has_value());
}

TEST_P(ServiceTest, StartFlowEndsTheActiveSessionAsRestarted) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(Replies(Sms(kAna, "yes")), ElementsAre("Great! What is your first name?"));
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), ElementsAre(HasSubstr("Thanks, Ana!")));
  const int64_t old_id = Session(kAna)->id;
  ASSERT_THAT(Timers(old_id), ElementsAre(HasSubstr("daily@"), HasSubstr("@expire@")));

  clock_.Advance(std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(StartEvent(kAna, "tally")));
  EXPECT_THAT(Bodies(outcome), ElementsAre("counting"));
  EXPECT_EQ(outcome.session_state, "COUNTING");
  EXPECT_THAT(AllSessions(kAna),
              ElementsAre("checkin/WAITING/ended/restarted", "tally/COUNTING/active/"));
  EXPECT_THAT(Timers(old_id), IsEmpty());
  const auto session = Session(kAna);
  EXPECT_NE(session->id, old_id);
  EXPECT_EQ(session->started_at, clock_.Now());
  // parley starts the conversation: the message goes out from the configured sms number.
  const auto messages = Messages(kAna);
  EXPECT_EQ(messages.back().body, "counting");
  EXPECT_EQ(messages.back().from, kOurNumber);
  EXPECT_EQ(messages.back().status, store::MessageStatus::kQueued);
  // A contact parley has never heard from is created and greeted.
  EXPECT_THAT(Replies(StartEvent(kBob, "checkin")), ElementsAre(kOptInQuestion));
  EXPECT_EQ(Session(kBob)->session.state, "OPTIN");
  EXPECT_FALSE(Contact(kBob)->last_inbound_at.has_value());
}

TEST_P(ServiceTest, StartFlowOnWhatsAppSendsFromTheWhatsAppNumber) {
  Event start = StartEvent("whatsapp:+14155550101", "tally");
  EXPECT_THAT(Replies(std::move(start)), ElementsAre("counting"));
  const auto messages = Messages("whatsapp:+14155550101");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].from, kOurWhatsApp);
  EXPECT_FALSE(Contact(kAna).has_value());  // the sms contact is another contact
}

// Issue 9 item 1: a flow's WhatsApp template becomes one queued message carrying the
// ContentSid and the rendered ContentVariables (a JSON object text), beside the free-form
// messages; an SMS contact gets the text and no template.
TEST_P(ServiceTest, AWhatsAppTemplateIsQueuedWithItsRenderedVariables) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(WhatsApp(kAna, "CARD", "Ana")));
  ASSERT_EQ(outcome.replies.size(), 2u);
  EXPECT_EQ(outcome.replies[0].content_sid, "HX0123456789abcdef0123456789abcdef");
  const auto messages = Messages("whatsapp:+14155550101");
  ASSERT_EQ(messages.size(), 3u);  // the inbound CARD, the template, "plain"
  EXPECT_EQ(messages[1].body, "card for Ana");
  EXPECT_EQ(messages[1].content_sid, "HX0123456789abcdef0123456789abcdef");
  EXPECT_EQ(messages[1].content_variables, R"({"1":"Ana","2":"9:00"})");
  EXPECT_EQ(messages[1].status, store::MessageStatus::kQueued);
  EXPECT_EQ(messages[2].body, "plain");
  EXPECT_EQ(messages[2].content_sid, "");

  EXPECT_THAT(Replies(Sms(kBob, "CARD")), ElementsAre("card for ", "plain"));
  for (const auto& m : Messages(kBob)) {
    EXPECT_EQ(m.content_sid, "") << m.body;
  }
}

// Issue 9 item 1: TwiML cannot carry a template, so in inline mode the template is queued
// for the REST sender and only the free-form reply is answered inline, on a retry as well.
TEST_P(ServiceTest, AnInlineAnswerLeavesTheTemplateQueued) {
  Event card = WhatsApp(kAna, "CARD", "Ana");
  card.reply_mode = ReplyMode::kInline;
  Event retry = card;
  EXPECT_THAT(Replies(std::move(card)), ElementsAre("plain"));
  ASSERT_OK_AND_ASSIGN(Outcome repeat, Run(std::move(retry)));
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_THAT(Bodies(repeat), ElementsAre("plain"));
  const auto messages = Messages("whatsapp:+14155550101");
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].content_sid, "HX0123456789abcdef0123456789abcdef");
  EXPECT_EQ(messages[1].status, store::MessageStatus::kQueued);
  EXPECT_EQ(messages[2].status, store::MessageStatus::kTwiml);
  EXPECT_THAT(Counts(), HasSubstr("outbox=1"));
}

// Issue 9 item 3: a start refused for an invalid address says so, not "opted out".
TEST_P(ServiceTest, StartFlowRefusesAnInvalidAddressSayingSo) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  {
    auto contact = Contact(kAna);
    ASSERT_TRUE(contact.has_value());
    contact->status = store::ContactStatus::kInvalid;  // as Twilio's 21211 leaves it
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK(txn->UpdateContact(*contact));
    ASSERT_OK(txn->Commit());
  }
  auto refused = Run(StartEvent(kAna, "checkin"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("invalid"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("opted out")));
}

TEST_P(ServiceTest, StartFlowRefusesAnOptedOutContactAndAnUnknownFlowChangingNothing) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(Replies(Sms(kAna, "STOP")), IsEmpty());
  const std::string counts = Counts();

  auto refused = Run(StartEvent(kAna, "checkin"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("opted out"));
  EXPECT_EQ(Counts(), counts);
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kOptedOut);

  auto unknown = Run(StartEvent(kAna, "nope"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'nope'"));
  EXPECT_EQ(Counts(), counts);
}

TEST_P(ServiceTest, StartFlowWhoseStartFailsIsRefusedAndTheSessionKept) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  const std::string counts = Counts();
  auto refused = Run(StartEvent(kAna, "badstart"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("fail_native"));
  // The active session was not ended (the event's writes were rolled back).
  EXPECT_EQ(Counts(), counts);
  EXPECT_THAT(AllSessions(kAna), ElementsAre("checkin/OPTIN/active/"));
  EXPECT_THAT(Replies(Sms(kAna, "yes")), ElementsAre("Great! What is your first name?"));
}

TEST_P(ServiceTest, StartFlowForANewContactWhoseStartFailsStartsNothing) {
  auto refused = Run(StartEvent(kBob, "badstart"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Session(kBob).has_value());
  EXPECT_THAT(Messages(kBob), IsEmpty());
  // (The contact's own row may exist: the pipeline's batch creates the contacts it locks
  // before any event runs.)
  EXPECT_THAT(Counts(), HasSubstr(" sessions=0 messages=0 outbox=0 timers=0 "));
}

}  // namespace parley::conversation::testing
