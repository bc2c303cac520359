// conversation::Service in process: what each kind of event does to a contact, through a
// real Pipeline on SQLite and on PostgreSQL (conversation_test_fixture.hpp). The same
// behaviours as the `parley serve` end-to-end suite, and more, without HTTP.
#include "conversation/service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"
#include "flow/loader.hpp"
#include "script/lua_script.hpp"
#include "test/fakes/faulty_store.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kOptInQuestion[] =
    "Hi! This is your daily blood sugar check-in. Would you like a message every morning? "
    "Reply YES or NO.";

class ServiceTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      StartPipeline();
    }
  }
  // The contact's pending timers as "NAME@UTC step=N keep=B".
  std::vector<std::string> Timers(int64_t session_id) {
    std::vector<std::string> out;
    auto timers = store_->Timers(session_id);
    EXPECT_TRUE(timers.ok()) << timers.status().ToString();
    for (const store::TimerRecord& t : timers.value_or({})) {
      out.push_back(t.name + "@" + FormatUtc(t.due) + " step=" + std::to_string(t.step) +
                    " keep=" + (t.keep ? "1" : "0"));
    }
    return out;
  }
  // Drains the outbox as the sender would (the store hands out one message per contact at
  // a time; each is finished as sent), as "from>to:body".
  std::vector<std::string> Outbox() {
    std::vector<std::string> out;
    while (true) {
      auto items = store_->ClaimOutbox(clock_.Now(), 1000, std::chrono::minutes(1));
      EXPECT_TRUE(items.ok()) << items.status().ToString();
      if (!items.ok() || items->empty()) {
        return out;
      }
      std::vector<store::OutboxDelivery> done;
      for (const store::OutboxItem& item : *items) {
        out.push_back(item.from + ">" + item.to + ":" + item.body);
        done.push_back({item.id, store::MessageStatus::kSent, "", ""});
      }
      EXPECT_TRUE(store_->FinishOutboxBatch(done).ok());
    }
  }
  // The value of one unlabelled metric in the registry's text, or -1.
  double MetricValue(const std::string& name) const {
    const std::string text = Metrics();
    const std::string key = "\n" + name + " ";
    const size_t at = text.find(key);
    if (at == std::string::npos) {
      return -1;
    }
    return std::stod(text.substr(at + key.size()));
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, ServiceTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(ServiceTest, CheckinConversationWalksTheFlow) {
  // No session, no trigger, no start flow: the message is recorded, nothing is answered.
  ASSERT_OK_AND_ASSIGN(Outcome hello, Run(Sms(kAna, "hello")));
  EXPECT_THAT(hello.replies, IsEmpty());
  EXPECT_EQ(hello.session_state, "");
  EXPECT_EQ(Counts(), "contacts=1 sessions=0 messages=1 outbox=0 timers=0 flows=0");
  ASSERT_TRUE(Contact(kAna).has_value());
  EXPECT_EQ(Contact(kAna)->last_inbound_at, kT0);
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kActive);

  clock_.Advance(std::chrono::minutes(1));
  const TimePoint joined = clock_.Now();
  ASSERT_OK_AND_ASSIGN(Outcome join, Run(Sms(kAna, "JOIN")));
  EXPECT_THAT(Bodies(join), ElementsAre(kOptInQuestion));
  EXPECT_EQ(join.session_state, "OPTIN");
  EXPECT_THAT(Replies(Sms(kAna, "hmm?")), ElementsAre("Please reply YES or NO."));
  EXPECT_EQ(Session(kAna)->session.state, "OPTIN");
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_OK_AND_ASSIGN(Outcome yes, Run(Sms(kAna, "Yes!")));
  EXPECT_THAT(Bodies(yes), ElementsAre("Great! What is your first name?"));
  EXPECT_EQ(yes.session_state, "ASK_NAME");
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_OK_AND_ASSIGN(Outcome name, Run(Sms(kAna, "Ana")));
  EXPECT_THAT(
      Bodies(name),
      ElementsAre("Thanks, Ana! We will ask about your blood sugar every morning at 9:00."));
  EXPECT_EQ(name.session_state, "WAITING");

  auto session = Session(kAna);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->session.flow_id, "checkin");
  EXPECT_EQ(session->flow_revision, "checkin-rev1");
  EXPECT_EQ(session->session.state, "WAITING");
  EXPECT_TRUE(session->session.active());
  EXPECT_EQ(session->session.step, 2u);  // OPTIN → ASK_NAME → WAITING
  EXPECT_EQ(session->session.vars.Find("name")->as_string(), "Ana");
  EXPECT_EQ(session->session.vars.Find("misses")->as_number(), 0);
  EXPECT_EQ(session->started_at, joined);
  EXPECT_EQ(session->updated_at, clock_.Now());
  EXPECT_FALSE(session->ended_at.has_value());
  // The daily check-in: the next 09:00 in Lima (UTC-5) after 22:16Z on the 14th; and the
  // session's expiry (expire_after 30d), pushed back by the last message.
  EXPECT_THAT(Timers(session->id), ElementsAre("daily@2023-11-15T14:00:00.000Z step=2 keep=1",
                                               "@expire@2023-12-14T22:16:20.000Z step=2 keep=1"));

  EXPECT_THAT(Log(kAna),
              ElementsAre("in:hello", "in:JOIN", std::string("out:") + kOptInQuestion + ":queued",
                          "in:hmm?", "out:Please reply YES or NO.:queued", "in:Yes!",
                          "out:Great! What is your first name?:queued", "in:Ana",
                          "out:Thanks, Ana! We will ask about your blood sugar every morning at "
                          "9:00.:queued"));
  for (const store::MessageRecord& m : Messages(kAna)) {
    if (m.direction == store::MessageRecord::Direction::kOutbound) {
      EXPECT_EQ(m.from, kOurNumber);  // replies come from the number written to
      EXPECT_EQ(m.to, kAna);
      EXPECT_EQ(m.session_id, session->id);
    } else {
      EXPECT_EQ(m.status, store::MessageStatus::kReceived);
      EXPECT_EQ(m.from, kAna);
      EXPECT_EQ(m.to, kOurNumber);
    }
  }
  EXPECT_THAT(Outbox(),
              ElementsAre(std::string(kOurNumber) + ">" + kAna + ":" + kOptInQuestion,
                          std::string(kOurNumber) + ">" + kAna + ":Please reply YES or NO.",
                          std::string(kOurNumber) + ">" + kAna + ":Great! What is your first name?",
                          std::string(kOurNumber) + ">" + kAna +
                              ":Thanks, Ana! We will ask about your blood sugar every "
                              "morning at 9:00."));
  EXPECT_EQ(MetricValue("parley_inbound_messages_total"), 5);
  // Issue 12 item 18: sessions and transitions by flow and state.
  EXPECT_EQ(MetricValue(R"(parley_sessions_started_total{flow="checkin"})"), 1);
  EXPECT_EQ(MetricValue(R"(parley_transitions_total{flow="checkin",state="ASK_NAME"})"), 1);
  EXPECT_EQ(MetricValue(R"(parley_transitions_total{flow="checkin",state="WAITING"})"), 1);
  EXPECT_EQ(MetricValue("parley_unmatched_events_total"), 1);
  EXPECT_EQ(MetricValue("parley_duplicate_messages_total"), 0);
}

TEST_P(ServiceTest, InlineRepliesAreRecordedAsTwimlWithoutOutboxRows) {
  Event join = Sms(kAna, "JOIN");
  join.reply_mode = ReplyMode::kInline;
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(std::move(join)));
  EXPECT_THAT(Bodies(outcome), ElementsAre(kOptInQuestion));
  Event yes = Sms(kAna, "yes");
  yes.reply_mode = ReplyMode::kInline;
  EXPECT_THAT(Replies(std::move(yes)), ElementsAre("Great! What is your first name?"));
  EXPECT_THAT(Log(kAna), ElementsAre("in:JOIN", std::string("out:") + kOptInQuestion + ":twiml",
                                     "in:yes", "out:Great! What is your first name?:twiml"));
  EXPECT_THAT(Counts(), HasSubstr("outbox=0"));
  EXPECT_THAT(Outbox(), IsEmpty());
  // A queued reply of the same conversation does get its outbox row.
  EXPECT_THAT(Replies(Sms(kAna, "Ana")), ElementsAre(HasSubstr("Thanks, Ana!")));
  EXPECT_THAT(Counts(), HasSubstr("outbox=1"));
}

TEST_P(ServiceTest, ARepeatedMessageSidIsFlaggedDuplicateAndWritesNothing) {
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(kOptInQuestion));
  const std::string sid = NewSid();
  ASSERT_OK_AND_ASSIGN(Outcome first, Run(Sms(kAna, "yes", sid)));
  EXPECT_FALSE(first.duplicate);
  EXPECT_THAT(Bodies(first), ElementsAre("Great! What is your first name?"));
  const std::string counts = Counts();
  const auto contact = Contact(kAna);
  ASSERT_TRUE(contact.has_value());

  clock_.Advance(std::chrono::minutes(5));
  for (const char* body : {"yes", "a different body, same MessageSid"}) {
    ASSERT_OK_AND_ASSIGN(Outcome retry, Run(Sms(kAna, body, sid)));
    EXPECT_TRUE(retry.duplicate) << body;
    EXPECT_THAT(retry.replies, IsEmpty());
    EXPECT_EQ(retry.flow_error, "");
  }
  EXPECT_EQ(Counts(), counts);
  auto session = Session(kAna);
  EXPECT_EQ(session->session.step, 1u);  // one transition, not two
  EXPECT_EQ(session->session.state, "ASK_NAME");
  EXPECT_EQ(Contact(kAna)->last_inbound_at, contact->last_inbound_at);
  EXPECT_EQ(MetricValue("parley_duplicate_messages_total"), 2);
  EXPECT_EQ(MetricValue("parley_inbound_messages_total"), 2);
}

// Issue 8 item 4: in twiml mode Twilio's retry (the first answer never arrived) must carry
// the same <Message>s; the repeat writes nothing.
TEST_P(ServiceTest, AnInlineRepeatIsAnsweredWithTheOriginalsReplies) {
  const auto inline_sms = [](std::string_view from, std::string body, std::string sid) {
    Event e = Sms(from, std::move(body), std::move(sid));
    e.reply_mode = ReplyMode::kInline;
    return e;
  };
  const std::string join_sid = NewSid();
  ASSERT_OK_AND_ASSIGN(Outcome join, Run(inline_sms(kAna, "JOIN", join_sid)));
  const std::string yes_sid = NewSid();
  ASSERT_OK_AND_ASSIGN(Outcome first, Run(inline_sms(kAna, "yes", yes_sid)));
  EXPECT_THAT(Bodies(first), ElementsAre("Great! What is your first name?"));
  // No session and no trigger: answered with nothing.
  const std::string hello_sid = NewSid();
  ASSERT_OK_AND_ASSIGN(Outcome hello, Run(inline_sms(kBob, "hello", hello_sid)));
  EXPECT_THAT(hello.replies, IsEmpty());
  const std::string counts = Counts();

  clock_.Advance(std::chrono::seconds(15));
  ASSERT_OK_AND_ASSIGN(Outcome retry, Run(inline_sms(kAna, "yes", yes_sid)));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(Bodies(retry), Bodies(first));
  ASSERT_OK_AND_ASSIGN(Outcome join_retry, Run(inline_sms(kAna, "JOIN", join_sid)));
  EXPECT_THAT(Bodies(join_retry), ElementsAre(kOptInQuestion));
  EXPECT_EQ(Bodies(join_retry), Bodies(join));
  ASSERT_OK_AND_ASSIGN(Outcome hello_retry, Run(inline_sms(kBob, "hello", hello_sid)));
  EXPECT_TRUE(hello_retry.duplicate);
  EXPECT_THAT(hello_retry.replies, IsEmpty());
  // Queued mode answers a repeat with nothing, as it answered the original.
  ASSERT_OK_AND_ASSIGN(Outcome queued_retry, Run(Sms(kAna, "yes", yes_sid)));
  EXPECT_TRUE(queued_retry.duplicate);
  EXPECT_THAT(queued_retry.replies, IsEmpty());

  EXPECT_EQ(Counts(), counts);
  EXPECT_EQ(Session(kAna)->session.state, "ASK_NAME");
  EXPECT_EQ(MetricValue("parley_duplicate_messages_total"), 4);
}

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

TEST_P(ServiceTest, ACompletedSessionEndsAndCancelsItsTimers) {
  EXPECT_THAT(Replies(Sms(kAna, "FINISH")), ElementsAre("One question: how are you?"));
  const int64_t id = Session(kAna)->id;
  EXPECT_THAT(Timers(id), ElementsAre("nudge@2023-11-14T23:13:20.000Z step=0 keep=0"));
  clock_.Advance(std::chrono::minutes(2));
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Sms(kAna, "fine")));
  EXPECT_THAT(Bodies(outcome), ElementsAre("Thanks, bye."));
  EXPECT_EQ(outcome.session_state, "");
  const auto session = Session(kAna);
  EXPECT_EQ(session->session.status, flow::SessionStatus::kCompleted);
  EXPECT_EQ(session->session.state, "DONE");
  EXPECT_EQ(session->end_reason, "completed");
  EXPECT_EQ(session->ended_at, clock_.Now());
  EXPECT_THAT(Timers(id), IsEmpty());
  EXPECT_THAT(Counts(), HasSubstr("timers=0 "));
  // Issue 12 item 18: where sessions end, and how.
  EXPECT_EQ(
      MetricValue(R"(parley_sessions_ended_total{flow="finish",state="DONE",status="completed"})"),
      1);
}

TEST_P(ServiceTest, WhatsAppAndSmsOfOneNumberAreTwoContacts) {
  EXPECT_THAT(Replies(WhatsApp(kAna, "JOIN", "Ana W")), ElementsAre(kOptInQuestion));
  EXPECT_THAT(Replies(Sms(kAna, "hello")), IsEmpty());
  const auto wa = Contact(std::string("whatsapp:") + kAna);
  const auto sms = Contact(kAna);
  ASSERT_TRUE(wa.has_value() && sms.has_value());
  EXPECT_NE(wa->id, sms->id);
  EXPECT_EQ(wa->channel, "whatsapp");
  EXPECT_EQ(wa->phone, kAna);
  EXPECT_EQ(wa->name, "Ana W");
  EXPECT_EQ(wa->wa_id, std::string(kAna).substr(1));
  EXPECT_EQ(sms->channel, "sms");
  EXPECT_EQ(sms->name, "");
  EXPECT_FALSE(Session(kAna).has_value());
  const auto messages = Messages(std::string("whatsapp:") + kAna);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].from, kOurWhatsApp);  // the reply comes from the number written to
  EXPECT_EQ(messages[1].to, std::string("whatsapp:") + kAna);
}

// Service::Apply on its own, in a transaction the test owns: what it tells the pipeline.
TEST_P(ServiceTest, ApplyTellsTheCallerWhatToKeepAndWhetherToWakeTheSender) {
  metrics::Registry registry;
  const std::shared_ptr<const FlowCatalog> catalog = catalog_;
  Service service([catalog] { return catalog; }, DefaultServiceOptions(), registry);
  const Event join = Sms(kAna, "JOIN");
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin());
    ASSERT_OK_AND_ASSIGN(Applied applied, service.Apply(*tx, join, kT0));
    EXPECT_TRUE(applied.keep);
    EXPECT_TRUE(applied.queued);
    EXPECT_THAT(Bodies(applied.outcome), ElementsAre(kOptInQuestion));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin());
    ASSERT_OK_AND_ASSIGN(Applied applied, service.Apply(*tx, join, kT0));
    EXPECT_FALSE(applied.keep);  // a repeat: roll it back
    EXPECT_FALSE(applied.queued);
    EXPECT_TRUE(applied.outcome.duplicate);
  }
  {
    Event inline_yes = Sms(kAna, "yes");
    inline_yes.reply_mode = ReplyMode::kInline;
    ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin());
    ASSERT_OK_AND_ASSIGN(Applied applied, service.Apply(*tx, inline_yes, kT0));
    EXPECT_TRUE(applied.keep);
    EXPECT_FALSE(applied.queued);  // answered inline: nothing for the sender
    EXPECT_EQ(applied.outcome.replies.size(), 1u);
    // Not committed: destroyed, rolled back.
  }
  EXPECT_EQ(Session(kAna)->session.state, "OPTIN");
  EXPECT_THAT(Counts(), HasSubstr("messages=2 "));
}

// Issue 8 item 9: a script can build text with U+0000, which PostgreSQL's text refuses (the
// event failed on every retry there). The reply is stored, and answered inline, with U+FFFD
// on both backends, so the first answer and a retry's (read back from the store) agree.
TEST_P(ServiceTest, AScriptsNulInAReplyBecomesAReplacementCharacterOnBothBackends) {
  constexpr char kFlow[] = R"({
    "flow": "nul", "script": "nul.lua", "triggers": ["NUL"],
    "states": [{"name": "ONLY", "enter": "say_nul"}]
  })";
  constexpr char kScript[] = R"(
function say_nul(ctx)
  ctx:set("raw", "x\0y")
  ctx:send("a\0b")
end
)";
  flow::CompileOptions options;
  options.revision = "nul-rev1";
  options.load_script = [&](std::string_view, const flow::EventLimits&) {
    return script::LoadLuaScript(kScript, "nul.lua");
  };
  flow::CompileResult compiled = flow::Compile(kFlow, options);
  ASSERT_NE(compiled.flow, nullptr);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const FlowCatalog> catalog,
                       FlowCatalog::Build({compiled.flow}));
  metrics::Registry registry;
  Service service([catalog] { return catalog; }, DefaultServiceOptions(), registry);

  const std::string sid = NewSid();
  Event nul = Sms(kAna, "NUL", sid);
  nul.reply_mode = ReplyMode::kInline;
  std::vector<std::string> first;
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin());
    ASSERT_OK_AND_ASSIGN(Applied applied, service.Apply(*tx, nul, kT0));
    EXPECT_EQ(applied.outcome.flow_error, "");
    first = Bodies(applied.outcome);
    ASSERT_OK(tx->Commit());
  }
  EXPECT_THAT(first, ElementsAre("a\xEF\xBF\xBD"
                                 "b"));
  EXPECT_THAT(Log(kAna), ElementsAre("in:NUL", HasSubstr("out:a\xEF\xBF\xBD"
                                                         "b:")));
  EXPECT_EQ(Session(kAna)->session.vars.Find("raw")->as_string(), std::string("x\0y", 3));
  ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin());
  ASSERT_OK_AND_ASSIGN(Applied retry, service.Apply(*tx, nul, kT0));
  EXPECT_TRUE(retry.outcome.duplicate);
  EXPECT_EQ(Bodies(retry.outcome), first);
}

TEST_P(ServiceTest, AStoreErrorIsReturnedSoTheEventIsRolledBack) {
  metrics::Registry registry;
  const std::shared_ptr<const FlowCatalog> catalog = catalog_;
  Service service([catalog] { return catalog; }, DefaultServiceOptions(), registry);
  fakes::FaultyStore faulty(*store_);
  const std::string before = Counts();
  for (fakes::StoreOp op : {fakes::StoreOp::kLockContact, fakes::StoreOp::kInsertInbound,
                            fakes::StoreOp::kActiveSession, fakes::StoreOp::kSaveSession,
                            fakes::StoreOp::kEnqueueOutbound, fakes::StoreOp::kUpdateContact}) {
    faulty.FailNth(op, 1);
    ASSERT_OK_AND_ASSIGN(auto tx, faulty.Begin());
    auto applied = service.Apply(*tx, Sms(kAna, "JOIN"), kT0);
    ASSERT_FALSE(applied.ok()) << fakes::StoreOpName(op);
    EXPECT_EQ(applied.status().code(), StatusCode::kUnavailable) << fakes::StoreOpName(op);
    EXPECT_EQ(tx->Commit().code(), StatusCode::kUnavailable) << fakes::StoreOpName(op);
  }
  EXPECT_EQ(faulty.InjectedFailures(), 6);
  EXPECT_EQ(Counts(), before);
}

// Issue 9 (delivery): a reply over Twilio's 1,600 characters is queued as several messages,
// cut at word boundaries, in order, each its own outbox row; inline (TwiML) replies alike.
TEST_P(ServiceTest, AReplyOver1600CharactersGoesOutAsSeveralMessagesInOrder) {
  EXPECT_THAT(Replies(Sms(kAna, "TALLY")), ElementsAre("counting"));
  std::string words;  // 300 words of 5 characters: 1,799 characters
  for (int i = 0; i < 300; ++i) {
    words += (i == 0 ? "w" : " w") + std::to_string(1000 + i);
  }
  const std::vector<std::string> replies = Replies(Sms(kAna, words));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_LE(replies[0].size(), 1600u);
  EXPECT_EQ(replies[0] + " " + replies[1], "got " + words + " as 1");
  const std::string to = std::string(kOurNumber) + ">" + kAna + ":";
  EXPECT_THAT(Outbox(), ElementsAre(to + "counting", to + replies[0], to + replies[1]));

  Event inline_event = Sms(kBob, "TALLY");
  inline_event.reply_mode = ReplyMode::kInline;
  EXPECT_THAT(Replies(std::move(inline_event)), ElementsAre("counting"));
  inline_event = Sms(kBob, words);
  inline_event.reply_mode = ReplyMode::kInline;
  EXPECT_EQ(Replies(std::move(inline_event)), replies);
}

}  // namespace
}  // namespace parley::conversation::testing
