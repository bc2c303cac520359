// conversation::Service in process: what an inbound message does to a contact, through a
// real Pipeline on SQLite and on PostgreSQL (service_test_fixture.hpp). The same behaviours
// as the `parley serve` end-to-end suite, and more, without HTTP. Beside it, by event kind:
// service_compliance_test.cpp (STOP/START/HELP), service_start_test.cpp (triggers and
// starting flows), service_handler_errors_test.cpp (failing handlers and removed flows).
#include "conversation/service.hpp"

#include "conversation/service_test_fixture.hpp"
#include "flow/loader.hpp"
#include "script/lua_script.hpp"
#include "test/fakes/faulty_store.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

}  // namespace

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
  // session's expiry (expire_after 30d), as the start wrote it: the messages since came within
  // its slack (7.2 hours), so they did not write it again (conversation/session_expiry.hpp).
  EXPECT_THAT(Timers(session->id), ElementsAre("daily@2023-11-15T14:00:00.000Z step=2 keep=1",
                                               "@expire@2023-12-14T22:14:20.000Z step=0 keep=1"));

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

}  // namespace parley::conversation::testing
